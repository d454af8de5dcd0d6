//! Holding the answer to a receipt until the collect it reports on has been answered.
//!
//! CMI010 App. A §2 orders the exchange answer, fetch, receipt. A target that imports
//! synchronously (php-pens) fetches and sends its receipt while its answer to the
//! collect waits, and when the package is small the receipt beats the answer by a few
//! milliseconds: less than a busy harness may take to read an answer that came first.
//! Timestamps alone cannot tell those apart. So while the runner still waits for the
//! answer to a collect (`Collector::awaiting_answer`), the collector holds its answer
//! to a receipt for that key until the runner has read it (`Collector::answer_read`),
//! for at most [`RECEIPT_HOLD`]. A target that answered first loses nothing (the hold
//! ends as soon as its answer is read); one whose answer waits on its receipt's answer
//! now answers at least [`RECEIPT_HOLD`] after its receipt, which no scheduling delay of
//! the harness explains. CMI010 says nothing about how fast a client answers a receipt.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

/// The longest a receipt's answer is held: well past any scheduling delay of the
/// harness, well within the ack deadline and any sane receipt timeout of a target.
pub const RECEIPT_HOLD: Duration = Duration::from_secs(2);

/// The keys whose collect is still waiting for its answer.
#[derive(Default)]
pub(crate) struct AnswerGates {
    pending: Mutex<HashMap<String, watch::Sender<()>>>,
}

impl AnswerGates {
    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<()>>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The collect of `key` is on its way: hold its receipts' answers.
    pub(crate) fn awaiting(&self, key: &str) {
        self.pending().insert(key.to_owned(), watch::channel(()).0);
    }

    /// The answer to the collect of `key` has been read (or will not come): release.
    pub(crate) fn answered(&self, key: &str) {
        // Dropping the sender wakes every held receipt.
        self.pending().remove(key);
    }

    /// Waits while the collect of `key` has not been answered, at most `max`.
    pub(crate) async fn hold(&self, key: &str, max: Duration) {
        let Some(mut released) = self.pending().get(key).map(watch::Sender::subscribe) else { return };
        // `changed` fails once the sender is gone: the answer was read.
        let _ = tokio::time::timeout(max, released.changed()).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[tokio::test]
    async fn an_unregistered_key_is_not_held() {
        let gates = AnswerGates::default();
        let started = Instant::now();
        gates.hold("k", Duration::from_secs(10)).await;
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_hold_ends_when_the_answer_is_read_or_at_its_limit() {
        let gates = std::sync::Arc::new(AnswerGates::default());
        gates.awaiting("k");
        let held = tokio::spawn({
            let gates = std::sync::Arc::clone(&gates);
            async move { gates.hold("k", Duration::from_secs(10)).await }
        });
        tokio::task::yield_now().await;
        gates.answered("k");
        tokio::time::timeout(Duration::from_secs(1), held).await.expect("released").expect("joined");

        gates.awaiting("j");
        let started = tokio::time::Instant::now();
        gates.hold("j", Duration::from_secs(2)).await;
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }
}
