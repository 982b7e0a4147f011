//! Bounded waits for work the server does in the background (restores, exports, imports),
//! and how their progress is shown on stderr: an indicatif spinner when stderr is a
//! terminal, plain lines otherwise (a log file or CI output should not fill with
//! carriage returns and escape codes).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::AdminError;

/// How often to poll.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// The first pause between polls.
    pub interval_min: Duration,
    /// The pause doubles up to this.
    pub interval_max: Duration,
}

impl Pace {
    /// A small restore finishes in milliseconds, so the first poll comes after 100 ms; an
    /// hour-long one costs one DescribeTable every two seconds.
    pub const DEFAULT: Pace = Pace {
        interval_min: Duration::from_millis(100),
        interval_max: Duration::from_secs(2),
    };
}
/// Failed polls in a row (no answer, or a 5xx) before the wait gives up: a server restart
/// takes seconds, a dead one should not be polled for the whole timeout.
const MAX_CONSECUTIVE_POLL_FAILURES: u32 = 10;
/// Without a terminal, a line every this often while the status stays the same, so a log
/// shows the wait is alive.
const PLAIN_PROGRESS_EVERY: Duration = Duration::from_secs(10);
/// Spinner redraws.
const SPINNER_TICK: Duration = Duration::from_millis(120);

/// One poll's answer.
pub enum Poll<T> {
    /// Finished.
    Done(T),
    /// Still running; the status to show (`CREATING`, `IN_PROGRESS, 1200 items`).
    Pending(String),
}

/// What is waited for, and how to look at it again if the wait runs out.
pub struct Wait<'a> {
    /// `restoring table Orders2`.
    pub what: &'a str,
    /// `shale-admin ... `: shown when the wait times out.
    pub check: &'a str,
    /// The bound.
    pub timeout: Duration,
    /// How often to poll.
    pub pace: Pace,
}

/// Polls until `poll` says done, `poll` fails for good, or `wait.timeout` passes.
///
/// # Errors
/// [`AdminError::Timeout`] when the bound passes; `poll`'s error when it is not transient
/// or after [`MAX_CONSECUTIVE_POLL_FAILURES`] transient ones in a row.
pub fn wait_for<T>(
    wait: &Wait<'_>,
    mut poll: impl FnMut() -> Result<Poll<T>, AdminError>,
) -> Result<T, AdminError> {
    let started = Instant::now();
    let deadline = started + wait.timeout;
    let mut progress = Progress::start(wait.what);
    let pace = wait.pace;
    let mut interval = pace.interval_min;
    let mut failures = 0u32;
    // Each round sleeps at least `interval_min` unless the deadline is nearer, so the
    // deadline bounds the rounds; the count bounds them even if the clock misbehaves.
    let max_rounds = wait.timeout.as_millis() / pace.interval_min.as_millis().max(1) + 2;
    for _ in 0..max_rounds {
        match poll() {
            Ok(Poll::Done(value)) => {
                progress.finish(started.elapsed());
                return Ok(value);
            }
            Ok(Poll::Pending(status)) => {
                failures = 0;
                progress.update(&status, started.elapsed());
            }
            Err(e) if e.is_transient() && failures + 1 < MAX_CONSECUTIVE_POLL_FAILURES => {
                failures += 1;
                progress.update(&format!("retrying after: {e}"), started.elapsed());
            }
            Err(e) => return Err(e),
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        std::thread::sleep(interval.min(deadline - now));
        interval = (interval * 2).min(pace.interval_max);
    }
    Err(AdminError::Timeout {
        what: wait.what.to_owned(),
        waited: started.elapsed(),
        check: wait.check.to_owned(),
    })
}

/// The progress display of one wait.
struct Progress {
    what: String,
    /// The spinner, when stderr is a terminal.
    spinner: Option<ProgressBar>,
    /// Plain mode: the last status printed and when.
    last_line: Option<(String, Instant)>,
}

impl Progress {
    fn start(what: &str) -> Progress {
        let spinner = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            // The template is a constant; if indicatif ever refused it, its default
            // spinner style is as good.
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
                bar.set_style(style);
            }
            bar.set_message(format!("{what}: starting"));
            bar.enable_steady_tick(SPINNER_TICK);
            bar
        });
        Progress {
            what: what.to_owned(),
            spinner,
            last_line: None,
        }
    }

    fn update(&mut self, status: &str, elapsed: Duration) {
        if let Some(bar) = &self.spinner {
            bar.set_message(format!("{}: {status}", self.what));
            return;
        }
        let due = match &self.last_line {
            None => true,
            Some((last, at)) => last != status || at.elapsed() >= PLAIN_PROGRESS_EVERY,
        };
        if due {
            eprintln!(
                "shale-admin: {}: {status} ({:.1} s)",
                self.what,
                elapsed.as_secs_f64()
            );
            self.last_line = Some((status.to_owned(), Instant::now()));
        }
    }

    fn finish(&mut self, elapsed: Duration) {
        if let Some(bar) = self.spinner.take() {
            bar.finish_and_clear();
        }
        eprintln!(
            "shale-admin: {}: done in {:.1} s",
            self.what,
            elapsed.as_secs_f64()
        );
    }
}

impl Drop for Progress {
    /// On an error the spinner line is cleared, so the error message starts a clean line.
    fn drop(&mut self) {
        if let Some(bar) = self.spinner.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(timeout: Duration) -> Wait<'static> {
        Wait {
            what: "test",
            check: "look again",
            timeout,
            pace: Pace {
                interval_min: Duration::from_millis(1),
                interval_max: Duration::from_millis(20),
            },
        }
    }

    #[test]
    fn a_wait_returns_what_the_last_poll_found() {
        let mut polls = 0;
        let got = wait_for(&wait(Duration::from_secs(10)), || {
            polls += 1;
            Ok(if polls < 3 {
                Poll::Pending(format!("poll {polls}"))
            } else {
                Poll::Done(polls)
            })
        });
        assert_eq!(got.expect("done"), 3);
    }

    #[test]
    fn a_wait_that_never_finishes_times_out_near_its_bound() {
        let started = Instant::now();
        let got: Result<(), _> = wait_for(&wait(Duration::from_millis(300)), || {
            Ok(Poll::Pending("CREATING".into()))
        });
        let waited = started.elapsed();
        assert!(
            matches!(got, Err(AdminError::Timeout { .. })),
            "{:?}",
            got.err()
        );
        assert!(waited >= Duration::from_millis(300), "{waited:?}");
        assert!(waited < Duration::from_secs(3), "{waited:?}");
    }

    #[test]
    fn transient_failures_are_retried_and_final_ones_are_not() {
        let transport = || AdminError::Transport {
            operation: "DescribeTable",
            endpoint: "http://127.0.0.1:1".into(),
            detail: "refused".into(),
        };
        let mut polls = 0;
        let got = wait_for(&wait(Duration::from_secs(30)), || {
            polls += 1;
            if polls < 3 {
                Err(transport())
            } else {
                Ok(Poll::Done(()))
            }
        });
        assert!(got.is_ok(), "{:?}", got.err());

        let mut polls = 0;
        let got: Result<(), _> = wait_for(&wait(Duration::from_secs(600)), || {
            polls += 1;
            Err(transport())
        });
        assert!(matches!(got, Err(AdminError::Transport { .. })));
        assert_eq!(polls, MAX_CONSECUTIVE_POLL_FAILURES);

        let mut polls = 0;
        let got: Result<(), _> = wait_for(&wait(Duration::from_secs(30)), || {
            polls += 1;
            Err(AdminError::Api {
                operation: "DescribeTable",
                status: 400,
                exception: "ResourceNotFoundException".into(),
                message: "Requested resource not found".into(),
            })
        });
        assert!(matches!(got, Err(AdminError::Api { .. })));
        assert_eq!(polls, 1);
    }
}
