//! On-demand scaling: how much an on-demand table or GSI takes at once.
//!
//! DynamoDB's documented behaviour (developer guide, "Initial throughput and scaling
//! properties"; AWS knowledge center, "on-demand table throttling"):
//! - an on-demand table "instantly accommodates up to double the previous peak traffic";
//! - a new table's previous peak is half its initial capacity, so it takes 12,000 RRU
//!   and 4,000 WRU per second at once;
//! - a table switched from provisioned starts from half its provisioned throughput or
//!   a new table's setting, whichever is higher;
//! - "if you exceed double your previous traffic's peak within 30 minutes, then you might
//!   experience throttling": capacity grows to a new peak over about 30 minutes.
//!
//! The model: consumption is counted per clock second. A second's total above the
//! established peak becomes the established peak 30 minutes later (grouped by minute, so
//! at most 31 are pending). The rate admitted in any second is twice the established
//! peak. So a step to double the old peak is served at once, a step to four times is
//! served at double for 30 minutes (the rest throttled), then in full. Requests over it
//! get ThrottlingException with a `KeyRangeThroughputExceeded` reason: in DynamoDB it is
//! the partitions not yet split for the new peak that refuse them.
//!
//! The peaks are saved with the table's capacity record (`crate::capacity_records`), so
//! a reopened database keeps them.

use std::collections::VecDeque;

use parking_lot::Mutex;

/// How long a new peak takes to become the established one.
pub const PEAK_ESTABLISH_SECS: u64 = 30 * 60;
/// Pending peaks are grouped by this many seconds.
const GROUP_SECS: u64 = 60;
/// More than `PEAK_ESTABLISH_SECS / GROUP_SECS + 1` never pend; a guard all the same.
pub(crate) const MAX_PENDING: usize = 64;

/// The scaling state of one side (reads or writes) of one on-demand resource.
#[derive(Debug)]
pub(crate) struct OnDemandScaler {
    state: Mutex<ScalerState>,
}

#[derive(Debug, Clone)]
struct ScalerState {
    /// The established previous peak, micro-units per second.
    peak: u64,
    /// The clock second being counted.
    second: u64,
    /// Micro-units admitted in `second` so far.
    used: i64,
    /// Peaks reached and not yet established: (the second they are established, the
    /// level). Both strictly increasing front to back.
    pending: VecDeque<(u64, u64)>,
}

impl ScalerState {
    /// Moves the count to `now_sec`: the finished second's total may become a pending
    /// peak, and pending peaks whose time has come are established. A clock that went
    /// back keeps counting into the current second.
    fn roll(&mut self, now_sec: u64) {
        if now_sec > self.second {
            let level = self.used.max(0) as u64;
            self.note_level(self.second, level);
            self.second = now_sec;
            self.used = 0;
        }
        while let Some(&(at, level)) = self.pending.front() {
            if at > now_sec {
                break;
            }
            self.peak = self.peak.max(level);
            self.pending.pop_front();
        }
    }

    fn note_level(&mut self, second: u64, level: u64) {
        let highest = self
            .pending
            .back()
            .map_or(self.peak, |&(_, l)| l.max(self.peak));
        if level <= highest {
            return;
        }
        let at = second.saturating_add(PEAK_ESTABLISH_SECS);
        match self.pending.back_mut() {
            Some(back) if back.0 / GROUP_SECS == at / GROUP_SECS => back.1 = level,
            _ => {
                if self.pending.len() == MAX_PENDING {
                    // Establish the oldest early rather than grow without bound.
                    if let Some((_, l)) = self.pending.pop_front() {
                        self.peak = self.peak.max(l);
                    }
                }
                self.pending.push_back((at, level));
            }
        }
    }

    fn allowed(&self) -> i64 {
        i64::try_from(self.peak.saturating_mul(2)).unwrap_or(i64::MAX)
    }
}

impl OnDemandScaler {
    /// A scaler whose previous peak is `peak_micros` per second, counting from `now_us`.
    pub(crate) fn new(peak_micros: u64, now_us: u64) -> OnDemandScaler {
        OnDemandScaler {
            state: Mutex::new(ScalerState {
                peak: peak_micros,
                second: now_us / 1_000_000,
                used: 0,
                pending: VecDeque::new(),
            }),
        }
    }

    /// Whether a request may start now: this second's consumption is under twice the
    /// established peak. (Like a bucket, the request that crosses the line is admitted
    /// and charged in full.)
    pub(crate) fn admits(&self, now_us: u64) -> bool {
        let mut s = self.state.lock();
        s.roll(now_us / 1_000_000);
        s.used < s.allowed()
    }

    /// Counts `micros` admitted in the second last rolled to.
    pub(crate) fn charge(&self, micros: i64) {
        self.state.lock().used += micros.max(0);
    }

    /// The established peak at `now_us`, micro-units per second.
    pub(crate) fn peak_at(&self, now_us: u64) -> u64 {
        let mut s = self.state.lock();
        s.roll(now_us / 1_000_000);
        s.peak
    }

    /// The established peak and the pending ones at `now_us` (for the capacity record,
    /// `crate::capacity_records`).
    pub(crate) fn peaks_at(&self, now_us: u64) -> (u64, Vec<(u64, u64)>) {
        let mut s = self.state.lock();
        s.roll(now_us / 1_000_000);
        (s.peak, s.pending.iter().copied().collect())
    }

    /// A scaler restored from a capacity record: `peak` established and `pending` (sorted,
    /// at most `MAX_PENDING` kept), counting from `now_us`.
    pub(crate) fn with_peaks(peak: u64, pending: &[(u64, u64)], now_us: u64) -> OnDemandScaler {
        let mut state = ScalerState {
            peak,
            second: now_us / 1_000_000,
            used: 0,
            pending: pending.iter().copied().take(MAX_PENDING).collect(),
        };
        state.roll(now_us / 1_000_000);
        OnDemandScaler {
            state: Mutex::new(state),
        }
    }

    /// A scaler for a rebuilt resource: this one's peak and pending peaks, with at
    /// least `floor_micros` established.
    pub(crate) fn carried(&self, floor_micros: u64) -> OnDemandScaler {
        let mut s = self.state.lock().clone();
        s.peak = s.peak.max(floor_micros);
        OnDemandScaler {
            state: Mutex::new(s),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const UNIT: u64 = 1_000_000;
    const SEC: u64 = 1_000_000;

    /// Offers `units` one-unit requests in the second starting at `t_us`; returns how
    /// many were admitted.
    fn offer(s: &OnDemandScaler, t_us: u64, units: u64) -> u64 {
        let mut admitted = 0;
        for _ in 0..units {
            if s.admits(t_us) {
                s.charge(UNIT as i64);
                admitted += 1;
            }
        }
        admitted
    }

    #[test]
    fn twice_the_previous_peak_is_admitted_at_once() {
        let s = OnDemandScaler::new(100 * UNIT, 0);
        assert_eq!(offer(&s, 0, 200), 200);
        assert_eq!(offer(&s, SEC, 300), 200);
        assert_eq!(offer(&s, 2 * SEC, 10), 10);
    }

    #[test]
    fn a_new_peak_is_established_thirty_minutes_later() {
        let s = OnDemandScaler::new(100 * UNIT, 0);
        // Four times the peak for 30 minutes: served at twice.
        for sec in 0..PEAK_ESTABLISH_SECS {
            assert_eq!(offer(&s, sec * SEC, 400), 200, "second {sec}");
        }
        assert_eq!(s.peak_at(PEAK_ESTABLISH_SECS * SEC), 200 * UNIT);
        assert_eq!(offer(&s, PEAK_ESTABLISH_SECS * SEC, 400), 400);
    }

    #[test]
    fn idle_time_never_lowers_the_peak() {
        let s = OnDemandScaler::new(100 * UNIT, 0);
        offer(&s, 0, 200);
        let later = 10 * PEAK_ESTABLISH_SECS * SEC;
        assert_eq!(s.peak_at(later), 200 * UNIT);
        assert_eq!(offer(&s, later, 400), 400);
    }

    #[test]
    fn pending_peaks_stay_bounded() {
        let s = OnDemandScaler::new(UNIT, 0);
        // A strictly rising load, one new level every second for an hour.
        for sec in 0..3600u64 {
            let allowed = 2 * s.peak_at(sec * SEC) / UNIT;
            offer(&s, sec * SEC, allowed.min(sec + 1));
            assert!(s.state.lock().pending.len() <= MAX_PENDING);
        }
    }

    #[test]
    fn a_carried_scaler_keeps_its_peak_and_takes_a_higher_floor() {
        let s = OnDemandScaler::new(100 * UNIT, 0);
        let c = s.carried(50 * UNIT);
        assert_eq!(c.peak_at(0), 100 * UNIT);
        let c = s.carried(500 * UNIT);
        assert_eq!(c.peak_at(0), 500 * UNIT);
    }
}
