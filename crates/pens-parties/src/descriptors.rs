//! Running out of file descriptors, as the harness's own parties meet it.
//!
//! Every listener of the harness (the staging server's HTTP, HTTPS, FTP and FTPS
//! listeners and their passive data listeners, the collector, the SMTP sink, client
//! mode's mock target) needs a descriptor for each connection it accepts. When the
//! process has none left (`EMFILE`, the open-file limit of `ulimit -n`; or `ENFILE`, the
//! system's), `accept` fails and the connection waits in the kernel's backlog, or a
//! passive listener cannot be opened: the implementation's fetch or receipt is then
//! lost or late *because of the harness*, and a scenario that waited for it would blame
//! an innocent implementation ("never requested").
//!
//! So every such failure is written down here ([`note`]): how many, when the first and
//! the last, by which party; the first is said on standard error at once. The runner
//! reads the record ([`exhaustion_between`], [`exhaustion_since`]) to make the
//! scenarios that ran meanwhile inconclusive and to put a `descriptors-exhausted` note
//! in the report, with the limit ([`open_file_limit`]).
//!
//! The record is process-wide, not per party or per run: the open-file limit is a
//! property of the process, and when one listener meets it every other one does too.
//! Queries take a time window, so runs one after another in one process (tests, the
//! self-test's two suites) each see their own.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use nix::errno::Errno;

/// The most failures kept with their time; beyond it they are only counted (with the
/// time of the last), so a long exhaustion costs no memory.
const KEPT: usize = 4096;

/// One party's account of the descriptors it could not get, over a time window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescriptorExhaustion {
    /// Which party met it: `staging`, `ftp-staging`, `collector`, `smtp-sink`,
    /// `mock-target`, ...
    pub party: &'static str,
    /// How many accepts or passive listeners failed for want of a descriptor.
    pub count: u64,
    /// When the first failed.
    pub first: Instant,
    /// When the last failed.
    pub last: Instant,
    /// The operating system's words for the first (`Too many open files (os error 24)`).
    pub error: String,
}

/// One failure kept with its time.
struct Failure {
    at: Instant,
    party: &'static str,
    error: String,
}

/// Failures beyond [`KEPT`]: counted per party.
struct Overflow {
    party: &'static str,
    count: u64,
    first: Instant,
    last: Instant,
}

#[derive(Default)]
struct Record {
    kept: Vec<Failure>,
    overflow: Vec<Overflow>,
}

static RECORD: Mutex<Record> = Mutex::new(Record { kept: Vec::new(), overflow: Vec::new() });
static SAID: AtomicBool = AtomicBool::new(false);

/// Whether `error` says the process (`EMFILE`) or the system (`ENFILE`) has no file
/// descriptor left.
pub fn is_exhaustion(error: &io::Error) -> bool {
    matches!(error.raw_os_error().map(Errno::from_raw), Some(Errno::EMFILE | Errno::ENFILE))
}

/// Writes `error` down when it is descriptor exhaustion met by `party` (and says the
/// first on standard error); other errors are only logged at debug level. Returns
/// whether it was exhaustion. Called by every accept loop and by the FTP server's
/// passive listeners.
pub(crate) fn note(party: &'static str, error: &io::Error) -> bool {
    if !is_exhaustion(error) {
        tracing::debug!(party, %error, "accept failed");
        return false;
    }
    let at = Instant::now();
    {
        let mut record = RECORD.lock().unwrap_or_else(PoisonError::into_inner);
        if record.kept.len() < KEPT {
            record.kept.push(Failure { at, party, error: error.to_string() });
        } else if let Some(overflow) = record.overflow.iter_mut().find(|o| o.party == party) {
            overflow.count += 1;
            overflow.last = at;
        } else {
            record.overflow.push(Overflow { party, count: 1, first: at, last: at });
        }
    }
    if !SAID.swap(true, Ordering::Relaxed) {
        let limit = open_file_limit().map_or_else(|| "unknown".to_owned(), |l| l.to_string());
        tracing::error!(
            "the harness ran out of file descriptors ({party}: {error}; open-file limit {limit}): connections \
             from the implementation wait or are lost, and the scenarios running now will be inconclusive. \
             Raise the limit (`ulimit -n`) or find what holds the descriptors"
        );
    }
    true
}

/// Whether any party met descriptor exhaustion between `from` and `to` (both included).
pub fn exhaustion_between(from: Instant, to: Instant) -> bool {
    let record = RECORD.lock().unwrap_or_else(PoisonError::into_inner);
    record.kept.iter().any(|f| f.at >= from && f.at <= to)
        || record.overflow.iter().any(|o| o.last >= from && o.first <= to)
}

/// Each party's account of descriptor exhaustion since `since`, in the order the parties
/// first met it.
pub fn exhaustion_since(since: Instant) -> Vec<DescriptorExhaustion> {
    let record = RECORD.lock().unwrap_or_else(PoisonError::into_inner);
    let mut parties: Vec<DescriptorExhaustion> = Vec::new();
    for failure in record.kept.iter().filter(|f| f.at >= since) {
        match parties.iter_mut().find(|p| p.party == failure.party) {
            Some(party) => {
                party.count += 1;
                party.last = party.last.max(failure.at);
            }
            None => parties.push(DescriptorExhaustion {
                party: failure.party,
                count: 1,
                first: failure.at,
                last: failure.at,
                error: failure.error.clone(),
            }),
        }
    }
    for overflow in record.overflow.iter().filter(|o| o.last >= since) {
        match parties.iter_mut().find(|p| p.party == overflow.party) {
            Some(party) => {
                party.count += overflow.count;
                party.last = party.last.max(overflow.last);
            }
            None => parties.push(DescriptorExhaustion {
                party: overflow.party,
                count: overflow.count,
                first: overflow.first,
                last: overflow.last,
                error: "Too many open files".to_owned(),
            }),
        }
    }
    parties
}

/// The process's open-file limit (the soft `RLIMIT_NOFILE`, what `ulimit -n` shows), or
/// `None` when it cannot be read or is unlimited.
pub fn open_file_limit() -> Option<u64> {
    let (soft, _hard) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).ok()?;
    (soft != nix::sys::resource::RLIM_INFINITY).then_some(soft)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_emfile_and_enfile_are_exhaustion() {
        for (code, exhaustion) in [(24, true), (23, true), (11, false), (104, false)] {
            let error = io::Error::from_raw_os_error(code);
            assert_eq!(is_exhaustion(&error), exhaustion, "os error {code}");
        }
        assert!(!is_exhaustion(&io::Error::other("no os error")));
    }

    #[test]
    fn failures_are_counted_per_party_within_a_window() {
        let before = Instant::now();
        assert!(!note("test-other", &io::Error::from_raw_os_error(104)));
        assert!(note("test-party", &io::Error::from_raw_os_error(24)));
        assert!(note("test-party", &io::Error::from_raw_os_error(24)));
        let after = Instant::now();
        let mine: Vec<_> = exhaustion_since(before).into_iter().filter(|p| p.party == "test-party").collect();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].count, 2);
        assert!(mine[0].error.contains("Too many open files"), "{}", mine[0].error);
        assert!(exhaustion_between(before, after));
        assert!(exhaustion_since(Instant::now()).iter().all(|p| p.party != "test-party"));
    }

    #[test]
    fn the_open_file_limit_is_read() {
        assert!(open_file_limit().is_some_and(|limit| limit > 0));
    }
}
