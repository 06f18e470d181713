//! CPU time of this process, so that a run can show how much of a core the load tool itself
//! used (a tool near 100 % of its core may be the bottleneck, not the broker).

use std::time::Duration;

/// Clock ticks per second of the times in `/proc/PID/stat` (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: u64 = 100;

/// User plus system CPU time of this process so far; `None` where `/proc` is not available.
pub fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    cpu_time_of_stat(&stat)
}

/// User plus system CPU time from the text of `/proc/PID/stat`.
pub fn cpu_time_of_stat(stat: &str) -> Option<Duration> {
    // The command name (field 2) is in parentheses and may hold spaces: count fields after
    // its closing parenthesis. utime and stime are fields 14 and 15.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_ascii_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    let ticks = user.checked_add(system)?;
    Some(Duration::from_millis(
        ticks.checked_mul(1000 / TICKS_PER_SECOND)?,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on a broken fixture.
mod tests {
    use super::*;

    #[test]
    fn reads_user_and_system_ticks_after_the_command_name() {
        let stat = "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 120 0 0 0 250 75 0 0 20 0 \
                    3 0 100 1000 200 18446744073709551615";
        assert_eq!(cpu_time_of_stat(stat), Some(Duration::from_millis(3250)));
        assert_eq!(cpu_time_of_stat("garbage"), None);
    }

    #[test]
    fn this_process_has_a_cpu_time_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(process_cpu_time().is_some());
        }
    }
}
