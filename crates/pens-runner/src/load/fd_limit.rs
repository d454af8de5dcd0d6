//! Will the connections of a load run fit in this process's file descriptors? Each
//! cycle in flight holds up to three sockets here: the collect to the target, and the
//! target's fetch from our staging server and its receipt to our collector (HTTP
//! keep-alive keeps those open between cycles). A run that runs out of descriptors
//! mid-way fails in confusing ways (accept errors, connect errors counted as lost
//! receipts), so the run refuses such a concurrency at the start.
//!
//! The soft limit is read from `/proc/self/limits` (Linux) rather than with
//! `getrlimit`, which would need unsafe code; elsewhere the check is skipped.

/// Sockets per cycle in flight.
pub(crate) const SOCKETS_PER_CYCLE: u64 = 3;

/// Descriptors for everything else: listeners, the runtime, standard streams, files.
pub(crate) const MARGIN: u64 = 64;

/// What a concurrency needs: `concurrency × 3 + 64`.
pub(crate) fn needed(concurrency: usize) -> u64 {
    (concurrency as u64).saturating_mul(SOCKETS_PER_CYCLE).saturating_add(MARGIN)
}

/// The soft limit on open files of this process; `None` when unknown (not Linux) and
/// `Some(u64::MAX)` when unlimited.
pub(crate) fn open_files_limit() -> Option<u64> {
    std::fs::read_to_string("/proc/self/limits").ok().as_deref().and_then(parse_limits)
}

/// The soft limit of the `Max open files` line of a `/proc/<pid>/limits` text.
fn parse_limits(text: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.starts_with("Max open files"))?;
    let soft = line.trim_start_matches("Max open files").split_whitespace().next()?;
    if soft == "unlimited" {
        return Some(u64::MAX);
    }
    soft.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_is_read_from_the_limits_table() {
        let table = "Limit                     Soft Limit           Hard Limit           Units     \n\
                     Max cpu time              unlimited            unlimited            seconds   \n\
                     Max open files            1024                 524288               files     \n";
        assert_eq!(parse_limits(table), Some(1024));
        let unlimited = "Max open files            unlimited            unlimited            files\n";
        assert_eq!(parse_limits(unlimited), Some(u64::MAX));
        assert_eq!(parse_limits("Max processes 10 10 processes\n"), None);
        assert_eq!(parse_limits("Max open files  lots  lots files\n"), None);
    }

    #[test]
    fn this_machine_has_a_readable_limit_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(open_files_limit().is_some_and(|limit| limit >= 16));
        }
    }

    #[test]
    fn each_cycle_in_flight_needs_three_descriptors_plus_a_margin() {
        assert_eq!(needed(0), 64);
        assert_eq!(needed(64), 256);
        assert_eq!(needed(usize::MAX), u64::MAX);
    }
}
