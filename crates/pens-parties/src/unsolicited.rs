//! Traffic addressed to keys of no scenario: counted, never kept.
//!
//! Every scenario gets its own key, and the parties keep what arrives for a key (capped
//! per key, [`crate::PeerLimits::notifications`]). The peer chooses the key, though: a
//! target that POSTs receipts to `/r/flood-1/receipt`, `/r/flood-2/receipt`, … or mails
//! `receipt.flood-N@…`, or a tool that sends collects to `/pens/<random>`, would make
//! the per-key caps a budget per key the peer invents, so memory without bound. So each
//! party keeps a set of the keys it handed out ([`KnownKeys`]) and answers anything
//! else at once, reading (and dropping) at most a bounded body, and only counts it here
//! ([`Unsolicited`]): how many, how many bytes, and the first few keys as examples. The
//! runner says so once in the report (`harness_notes`, kind `unsolicited-traffic`).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::body::{Body, HttpBody};

/// How many example keys (paths, mailboxes) are kept for the report.
pub const MAX_UNSOLICITED_EXAMPLES: usize = 3;

/// The longest example kept, in characters: the peer chose it.
const MAX_EXAMPLE_CHARS: usize = 120;

/// The keys a party handed out: traffic for any other key belongs to no scenario.
#[derive(Debug, Default)]
pub(crate) struct KnownKeys {
    keys: Mutex<HashSet<String>>,
}

impl KnownKeys {
    /// `key` belongs to a scenario from now on.
    pub(crate) fn insert(&self, key: &str) {
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        if !keys.contains(key) {
            keys.insert(key.to_owned());
        }
    }

    /// Whether `key` was handed out. Compared exactly, as the per-key event logs
    /// compare it: nothing a scenario would have seen is turned away.
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner).contains(key)
    }
}

/// What arrived for keys of no scenario at one party, so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnsolicitedCount {
    /// Requests, messages or recipients, as the party counts them.
    pub count: u64,
    /// Body bytes read (and dropped) from them; `0` where they were refused before a
    /// body (SMTP `RCPT TO`).
    pub bytes: u64,
    /// The first few paths or addresses, in arrival order ([`MAX_UNSOLICITED_EXAMPLES`]),
    /// cut to a readable length, passwords in URLs hidden.
    pub examples: Vec<String>,
}

/// The running count of traffic to keys of no scenario. Constant memory whatever comes.
#[derive(Debug, Default)]
pub struct Unsolicited {
    count: AtomicU64,
    bytes: AtomicU64,
    examples: Mutex<Vec<String>>,
}

impl Unsolicited {
    /// Counts one arrival at `example` (a path, an address) that carried `bytes`.
    pub fn record(&self, example: &str, bytes: u64) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        let mut examples = self.examples.lock().unwrap_or_else(PoisonError::into_inner);
        if examples.len() < MAX_UNSOLICITED_EXAMPLES {
            examples.push(shorten(example));
        }
    }

    /// What was counted, or `None` when nothing came.
    pub fn snapshot(&self) -> Option<UnsolicitedCount> {
        let count = self.count.load(Ordering::Relaxed);
        (count > 0).then(|| UnsolicitedCount {
            count,
            bytes: self.bytes.load(Ordering::Relaxed),
            examples: self.examples.lock().unwrap_or_else(PoisonError::into_inner).clone(),
        })
    }
}

/// `example` with any password in a URL hidden, cut at [`MAX_EXAMPLE_CHARS`].
fn shorten(example: &str) -> String {
    let shown: String = pens_proto::redact(example).chars().filter(|c| !c.is_control()).collect();
    if shown.chars().count() <= MAX_EXAMPLE_CHARS {
        return shown;
    }
    let head: String = shown.chars().take(MAX_EXAMPLE_CHARS).collect();
    format!("{head}…")
}

/// Reads and drops `body`, a frame at a time, until it ends, `max` bytes have come, or
/// `timeout` passes; returns the bytes read. Never holds more than one frame, so a
/// request of no scenario costs no memory whatever its size.
pub(crate) async fn drain(body: Body, max: u64, timeout: Duration) -> u64 {
    let mut body = body;
    let mut read = 0u64;
    let reading = async {
        while read < max {
            match std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        read = read.saturating_add(data.len() as u64);
                    }
                }
                Some(Err(_)) | None => break,
            }
        }
    };
    let _ = tokio::time::timeout(timeout, reading).await;
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_grow_and_examples_stop_at_the_limit_cut_and_redacted() {
        let unsolicited = Unsolicited::default();
        assert_eq!(unsolicited.snapshot(), None);
        unsolicited.record("http://user:pw@lms/r/x", 10);
        unsolicited.record(&"a".repeat(500), 5);
        for n in 0..100 {
            unsolicited.record(&format!("/r/flood-{n}/receipt"), 1);
        }
        let count = unsolicited.snapshot().expect("counted");
        assert_eq!((count.count, count.bytes), (102, 115));
        assert_eq!(count.examples.len(), MAX_UNSOLICITED_EXAMPLES);
        assert!(!count.examples[0].contains("pw"), "{:?}", count.examples);
        assert!(count.examples[1].chars().count() <= MAX_EXAMPLE_CHARS + 1);
        assert_eq!(count.examples[2], "/r/flood-0/receipt");
    }

    #[test]
    fn known_keys_match_exactly() {
        let keys = KnownKeys::default();
        keys.insert("collect-post-valid");
        assert!(keys.contains("collect-post-valid"));
        assert!(!keys.contains("Collect-Post-Valid"));
        assert!(!keys.contains(""));
    }

    #[tokio::test]
    async fn a_drain_reads_a_body_whole_and_counts_it() {
        assert_eq!(drain(Body::from(vec![0u8; 300]), 1000, Duration::from_secs(5)).await, 300);
        assert_eq!(drain(Body::empty(), 1000, Duration::from_secs(5)).await, 0);
    }
}
