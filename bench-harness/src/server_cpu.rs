//! The CPU time a server process has used, for `--server-pid`: so that any
//! DynamoDB-compatible server run beside the harness can be compared on CPU per operation,
//! not only on throughput (issue 17).
//!
//! Read from `/proc/<pid>/stat` (user plus system time, which keeps the time of threads
//! that have exited, unlike the per-thread counters), in clock ticks of `getconf
//! CLK_TCK` (100 on every Linux the project runs on; asked once, not assumed).

use std::io;
use std::sync::OnceLock;

/// Microseconds of CPU (user + system) process `pid` has used so far.
///
/// # Errors
/// When `/proc/<pid>/stat` cannot be read or parsed (no such process, not Linux).
pub fn cpu_micros(pid: u32) -> io::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let ticks = parse_cpu_ticks(&stat).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("unparsable /proc/{pid}/stat"),
        )
    })?;
    Ok(ticks.saturating_mul(1_000_000) / clock_ticks_per_second())
}

/// `utime + stime` from a `/proc/<pid>/stat` line: fields 14 and 15, counted after the
/// command name, which is in parentheses and may itself hold spaces and parentheses.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // fields[0] is field 3 (state), so field 14 is fields[11].
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// `getconf CLK_TCK`, once; 100 (Linux's USER_HZ) if it cannot be run.
fn clock_ticks_per_second() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .filter(|&t| t > 0)
            .unwrap_or(100)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_fields_14_and_15_even_with_odd_command_names() {
        let line = "4242 (shale (x) server) S 1 4242 4242 0 -1 4194560 1234 0 0 0 \
                    250 75 0 0 20 0 8 0 123456 1000000 2000 18446744073709551615";
        assert_eq!(parse_cpu_ticks(line), Some(325));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }

    #[test]
    fn this_process_has_used_some_cpu() {
        let spent: u64 = (0..2_000_000u64).map(|i| i % 7).sum();
        assert!(spent > 0);
        assert!(cpu_micros(std::process::id()).is_ok());
        assert!(cpu_micros(u32::MAX).is_err());
    }
}
