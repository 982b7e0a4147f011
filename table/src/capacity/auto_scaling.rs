//! Auto scaling for provisioned tables: target tracking, as Application Auto Scaling
//! does it for DynamoDB.
//!
//! In AWS this is a separate service (Application Auto Scaling) that watches CloudWatch
//! and calls UpdateTable. Shale offers it as database configuration
//! ([`super::CapacityOptions::with_auto_scaling`], `Database::set_auto_scaling`, the
//! server's `--auto-scaling FILE`), by table name, and calls the same UpdateTable, so
//! every rule of a manual change applies: DynamoDB's decrease budget (four a UTC day,
//! then one an hour) bounds scale-in, as it does in AWS.
//!
//! The policy, per side (reads or writes): a target utilisation (20–90 %, the range
//! DynamoDB's console offers), a minimum and a maximum. A datapoint is a clock minute's
//! consumed units per second (CloudWatch's one-minute ConsumedCapacity sum / 60) over
//! the provisioned units. Target tracking's two alarms:
//! - **scale out** when [`SCALE_OUT_DATAPOINTS`] consecutive datapoints are above the
//!   target, to `ceil(consumed / target)`;
//! - **scale in** when [`SCALE_IN_DATAPOINTS`] consecutive datapoints are more than
//!   [`SCALE_IN_MARGIN_POINTS`] below it, to the same figure (unless scale-in is off).
//!
//! Both are clamped to the minimum and maximum; a table outside them is brought inside
//! at the next evaluation. An action resets both alarms. A refused decrease (the budget)
//! leaves the alarm in its state, so it is tried again the next minute.
//!
//! Evaluation runs on the clock ([`AutoScaler::evaluate`]): the worker calls it every
//! round, tests call `Database::run_auto_scaling` after moving a manual clock. A call
//! after several minutes counts them all at their average. Only tables the policies
//! name and that are PROVISIONED and ACTIVE are scaled; the table's own throughput only
//! (GSIs are not scaled). Consumption is what admission counted, so with enforcement off
//! nothing is seen and nothing scales.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use super::admission::TableState;
use super::partitions::Side;
use crate::catalog::TableDef;
use crate::error::{AutoScalingProblem, Error, ValidationError};
use crate::shapes::{BillingMode, IndexStatus, ProvisionedThroughput, TableStatus};

/// Consecutive minutes above the target before a scale-out.
pub const SCALE_OUT_DATAPOINTS: u32 = 2;
/// Consecutive minutes below the target's margin before a scale-in.
pub const SCALE_IN_DATAPOINTS: u32 = 15;
/// How far below the target (in percentage points) a minute counts towards scale-in.
pub const SCALE_IN_MARGIN_POINTS: f64 = 20.0;
/// The target utilisation's range, in percent.
pub const TARGET_PERCENT_RANGE: (f64, f64) = (20.0, 90.0);
/// Scaling activities kept for [`AutoScaler::activities`].
const ACTIVITIES_KEPT: usize = 256;
const MINUTE_MICROS: u64 = 60_000_000;

/// A target-tracking policy for one side of a table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetTracking {
    /// Consumed over provisioned to aim for, in percent (20–90).
    pub target_percent: f64,
    /// The fewest units the table is scaled to (at least 1).
    pub min_units: i64,
    /// The most units the table is scaled to.
    pub max_units: i64,
    /// Never scale in (Application Auto Scaling's `DisableScaleIn`).
    pub disable_scale_in: bool,
}

impl TargetTracking {
    /// A policy aiming at `target_percent` between `min_units` and `max_units`.
    pub fn new(target_percent: f64, min_units: i64, max_units: i64) -> TargetTracking {
        TargetTracking {
            target_percent,
            min_units,
            max_units,
            disable_scale_in: false,
        }
    }

    fn validate(&self, side: &'static str) -> Result<(), Error> {
        let problem =
            if !(TARGET_PERCENT_RANGE.0..=TARGET_PERCENT_RANGE.1).contains(&self.target_percent) {
                Some(AutoScalingProblem::Target {
                    percent: self.target_percent,
                })
            } else if self.min_units < 1 || self.max_units < self.min_units {
                Some(AutoScalingProblem::Bounds {
                    min: self.min_units,
                    max: self.max_units,
                })
            } else {
                None
            };
        match problem {
            Some(problem) => Err(ValidationError::AutoScaling { side, problem }.into()),
            None => Ok(()),
        }
    }

    /// The units that put `rate` (units per second) at the target, within the bounds.
    fn units_for(&self, rate: f64) -> i64 {
        let wanted = (rate * 100.0 / self.target_percent).ceil();
        // `as` saturates a huge float; the clamp does the rest.
        (wanted as i64).clamp(self.min_units, self.max_units)
    }
}

/// A table's auto scaling: a policy for reads, for writes, or both, and the same for
/// any of its GSIs (on the GSI's own throughput).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AutoScaling {
    /// Read capacity.
    pub read: Option<TargetTracking>,
    /// Write capacity.
    pub write: Option<TargetTracking>,
    /// By GSI name.
    pub indexes: BTreeMap<String, IndexScaling>,
}

/// A GSI's auto scaling.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IndexScaling {
    /// Read capacity.
    pub read: Option<TargetTracking>,
    /// Write capacity.
    pub write: Option<TargetTracking>,
}

impl AutoScaling {
    /// Checks every policy.
    ///
    /// # Errors
    /// ValidationException for a target outside 20–90 % or bounds that are not
    /// `1 <= min <= max`.
    pub fn validate(&self) -> Result<(), Error> {
        let sides = std::iter::once((self.read, self.write))
            .chain(self.indexes.values().map(|i| (i.read, i.write)));
        for (read, write) in sides {
            if let Some(r) = &read {
                r.validate("read")?;
            }
            if let Some(w) = &write {
                w.validate("write")?;
            }
        }
        Ok(())
    }
}

/// One change auto scaling made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalingActivity {
    /// The table.
    pub table_name: String,
    /// The GSI, when it was a GSI's throughput.
    pub index_name: Option<String>,
    /// When, µs since the epoch.
    pub at_micros: u64,
    /// The throughput before.
    pub from: ProvisionedThroughput,
    /// The throughput after.
    pub to: ProvisionedThroughput,
}

/// One side's alarm state.
#[derive(Debug, Clone, Copy, Default)]
struct Alarms {
    above: u32,
    below: u32,
}

/// What the evaluator remembers of one table or GSI between evaluations.
#[derive(Debug)]
struct Tracker {
    table_id: u32,
    /// The admission state last read; a rebuilt one (after UpdateTable) is a new Arc.
    state: Arc<TableState>,
    /// Its consumed micro-units (read, write) at the last datapoint.
    consumed: [u64; 2],
    /// The clock minute of the last datapoint.
    minute: u64,
    alarms: [Alarms; 2],
}

/// A table (`None`) or one of its GSIs, by name.
type Target = (String, Option<String>);

/// The policies by table name and the evaluator's memory.
#[derive(Debug, Default)]
pub(crate) struct AutoScaler {
    policies: BTreeMap<String, AutoScaling>,
    trackers: BTreeMap<Target, Tracker>,
    activities: VecDeque<ScalingActivity>,
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Read => 0,
        Side::Write => 1,
    }
}

/// Micro-units the table itself (`index` `None`, not its GSIs) or its GSI `index`
/// admitted on `side`, ever (0 for a GSI the state does not know).
fn consumed(state: &TableState, index: Option<&str>, side: Side) -> u64 {
    let resource = match index {
        None => &state.table,
        Some(name) => match state.gsi(name) {
            Some(i) => &state.gsis[i].1,
            None => return 0,
        },
    };
    resource
        .partitions
        .iter()
        .map(|p| p.side(side).consumed_micros())
        .fold(0u64, u64::saturating_add)
}

/// What one evaluation decided for a table or one of its GSIs.
#[derive(Debug, PartialEq)]
pub(crate) struct Decision {
    pub(crate) table_name: String,
    pub(crate) index_name: Option<String>,
    pub(crate) from: ProvisionedThroughput,
    pub(crate) to: ProvisionedThroughput,
}

impl AutoScaler {
    pub(crate) fn new(policies: BTreeMap<String, AutoScaling>) -> AutoScaler {
        AutoScaler {
            policies,
            ..AutoScaler::default()
        }
    }

    /// Sets (`Some`) or removes `table`'s policy.
    pub(crate) fn set(&mut self, table: &str, policy: Option<AutoScaling>) {
        self.trackers.retain(|(t, _), _| t != table);
        match policy {
            Some(p) => self.policies.insert(table.to_owned(), p),
            None => self.policies.remove(table),
        };
    }

    pub(crate) fn policy(&self, table: &str) -> Option<AutoScaling> {
        self.policies.get(table).cloned()
    }

    pub(crate) fn activities(&self) -> Vec<ScalingActivity> {
        self.activities.iter().cloned().collect()
    }

    pub(crate) fn record(&mut self, activity: ScalingActivity) {
        if self.activities.len() == ACTIVITIES_KEPT {
            self.activities.pop_front();
        }
        self.activities.push_back(activity);
    }

    /// The names with a policy.
    pub(crate) fn tables(&self) -> Vec<String> {
        self.policies.keys().cloned().collect()
    }

    /// Takes the datapoints of `def` and of its scaled GSIs up to `now_micros` and
    /// decides whether to scale each. `state` is its admission state now.
    pub(crate) fn evaluate(
        &mut self,
        def: &TableDef,
        state: Arc<TableState>,
        now_micros: u64,
    ) -> Vec<Decision> {
        let Some(policy) = self.policies.get(&def.name).cloned() else {
            return Vec::new();
        };
        let provisioned =
            def.billing_mode == BillingMode::Provisioned && def.status == TableStatus::Active;
        let mut targets = vec![(None, policy.read, policy.write, def.throughput)];
        for (name, sides) in &policy.indexes {
            let throughput = def
                .gsis
                .iter()
                .find(|g| g.name == *name && g.status == IndexStatus::Active)
                .and_then(|g| g.throughput);
            targets.push((Some(name.clone()), sides.read, sides.write, throughput));
        }
        let mut decisions = Vec::new();
        for (index, read, write, throughput) in targets {
            let key = (def.name.clone(), index.clone());
            let Some(current) = throughput.filter(|_| provisioned) else {
                self.trackers.remove(&key);
                continue;
            };
            let to = self.evaluate_target(key, def.id, [read, write], current, &state, now_micros);
            if to != current {
                decisions.push(Decision {
                    table_name: def.name.clone(),
                    index_name: index,
                    from: current,
                    to,
                });
            }
        }
        decisions
    }

    /// One table's or GSI's datapoints and alarms: the throughput it should have.
    fn evaluate_target(
        &mut self,
        key: Target,
        table_id: u32,
        rules: [Option<TargetTracking>; 2],
        current: ProvisionedThroughput,
        state: &Arc<TableState>,
        now_micros: u64,
    ) -> ProvisionedThroughput {
        let index = key.1.clone();
        let index = index.as_deref();
        let minute = now_micros / MINUTE_MICROS;
        let fresh = || Tracker {
            table_id,
            state: Arc::clone(state),
            consumed: [
                consumed(state, index, Side::Read),
                consumed(state, index, Side::Write),
            ],
            minute,
            alarms: [Alarms::default(); 2],
        };
        let tracker = self.trackers.entry(key).or_insert_with(fresh);
        if tracker.table_id != table_id {
            // A table of the same name, created again.
            *tracker = fresh();
        }
        let minutes = minute.saturating_sub(tracker.minute);
        let mut to = current;
        for (side, rule, provisioned) in [
            (Side::Read, rules[0], current.read_capacity_units),
            (Side::Write, rules[1], current.write_capacity_units),
        ] {
            let Some(rule) = rule else { continue };
            let i = side_index(side);
            let mut wanted = provisioned.clamp(rule.min_units, rule.max_units);
            if minutes > 0 {
                let mut delta =
                    consumed(&tracker.state, index, side).saturating_sub(tracker.consumed[i]);
                if !Arc::ptr_eq(&tracker.state, state) {
                    // Rebuilt by an UpdateTable or a split: the new state counts from zero.
                    delta = delta.saturating_add(consumed(state, index, side));
                }
                let rate = delta as f64 / 1e6 / (minutes * 60) as f64;
                let utilisation = rate * 100.0 / provisioned.max(1) as f64;
                let alarms = &mut tracker.alarms[i];
                let n = u32::try_from(minutes).unwrap_or(u32::MAX);
                if utilisation > rule.target_percent {
                    alarms.above = alarms.above.saturating_add(n);
                    alarms.below = 0;
                } else if utilisation < rule.target_percent - SCALE_IN_MARGIN_POINTS {
                    alarms.below = alarms.below.saturating_add(n);
                    alarms.above = 0;
                } else {
                    *alarms = Alarms::default();
                }
                let target = rule.units_for(rate);
                let scale_out = alarms.above >= SCALE_OUT_DATAPOINTS && target > provisioned;
                let scale_in = alarms.below >= SCALE_IN_DATAPOINTS
                    && !rule.disable_scale_in
                    && target < provisioned;
                if scale_out || scale_in {
                    wanted = target;
                }
            }
            match side {
                Side::Read => to.read_capacity_units = wanted,
                Side::Write => to.write_capacity_units = wanted,
            }
        }
        if minutes > 0 {
            tracker.consumed = [
                consumed(state, index, Side::Read),
                consumed(state, index, Side::Write),
            ];
            tracker.state = Arc::clone(state);
            tracker.minute = minute;
        }
        to
    }

    /// After `decision` was applied: the alarms of the sides it changed start again.
    pub(crate) fn applied(&mut self, decision: &Decision) {
        let key = (decision.table_name.clone(), decision.index_name.clone());
        if let Some(t) = self.trackers.get_mut(&key) {
            if decision.to.read_capacity_units != decision.from.read_capacity_units {
                t.alarms[0] = Alarms::default();
            }
            if decision.to.write_capacity_units != decision.from.write_capacity_units {
                t.alarms[1] = Alarms::default();
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn units_aim_at_the_target_within_the_bounds() {
        let p = TargetTracking::new(70.0, 5, 1000);
        assert_eq!(p.units_for(70.0), 100);
        assert_eq!(p.units_for(70.1), 101);
        assert_eq!(p.units_for(0.0), 5);
        assert_eq!(p.units_for(1e30), 1000);
    }

    #[test]
    fn policies_outside_the_limits_are_refused() {
        for bad in [
            TargetTracking::new(19.9, 1, 10),
            TargetTracking::new(90.1, 1, 10),
            TargetTracking::new(f64::NAN, 1, 10),
            TargetTracking::new(70.0, 0, 10),
            TargetTracking::new(70.0, 11, 10),
        ] {
            let e = AutoScaling {
                write: Some(bad),
                ..AutoScaling::default()
            }
            .validate()
            .unwrap_err();
            assert_eq!(e.exception_name(), "ValidationException", "{bad:?}");
        }
        AutoScaling {
            read: Some(TargetTracking::new(20.0, 1, 1)),
            write: Some(TargetTracking::new(90.0, 1, 40_000)),
            ..AutoScaling::default()
        }
        .validate()
        .unwrap();
        let mut on_a_gsi = AutoScaling::default();
        on_a_gsi.indexes.insert(
            "G".into(),
            IndexScaling {
                read: None,
                write: Some(TargetTracking::new(95.0, 1, 10)),
            },
        );
        assert!(
            on_a_gsi.validate().is_err(),
            "a GSI's policy is checked too"
        );
    }
}
