//! Runs auto scaling (`crate::capacity::auto_scaling`): evaluates every table a policy
//! names and applies each decision through UpdateTable, so a scaling change follows
//! every rule a manual one does (DynamoDB's decrease budget included).

use crate::capacity::ScalingActivity;
use crate::control;
use crate::core::Core;
use crate::error::Error;
use crate::shapes::{
    GlobalSecondaryIndexUpdate, UpdateGlobalSecondaryIndexAction, UpdateTableInput,
};

/// One evaluation of every scaled table at the clock's time; returns the changes made.
///
/// # Errors
/// Storage failure while applying a change (the changes before it stand).
pub(crate) fn run(core: &Core) -> Result<Vec<ScalingActivity>, Error> {
    let now = core.opts.clock.now_micros();
    let names = core.auto_scaler.lock().tables();
    let mut done = Vec::new();
    for name in names {
        let Some(def) = core.catalog.read().tables.get(&name).cloned() else {
            continue;
        };
        let state = core.admission.state(&def);
        let decisions = core.auto_scaler.lock().evaluate(&def, state.to_arc(), now);
        for decision in decisions {
            let mut update = UpdateTableInput {
                table_name: name.clone(),
                ..UpdateTableInput::default()
            };
            match &decision.index_name {
                None => update.provisioned_throughput = Some(decision.to),
                Some(index) => {
                    update.global_secondary_index_updates = Some(vec![GlobalSecondaryIndexUpdate {
                        update: Some(UpdateGlobalSecondaryIndexAction {
                            index_name: index.clone(),
                            provisioned_throughput: Some(decision.to),
                            on_demand_throughput: None,
                            warm_throughput: None,
                        }),
                        ..GlobalSecondaryIndexUpdate::default()
                    }])
                }
            }
            match control::update_table(core, update) {
                Ok(_) => {
                    let activity = ScalingActivity {
                        table_name: name.clone(),
                        index_name: decision.index_name.clone(),
                        at_micros: now,
                        from: decision.from,
                        to: decision.to,
                    };
                    let mut scaler = core.auto_scaler.lock();
                    scaler.applied(&decision);
                    scaler.record(activity.clone());
                    done.push(activity);
                }
                // The decrease budget, or the table changed under us (not ACTIVE, gone):
                // the alarm stays, and the next minute decides again.
                Err(
                    Error::ThroughputDecreaseLimit { .. }
                    | Error::ResourceInUse { .. }
                    | Error::ResourceNotFound { .. },
                ) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(done)
}
