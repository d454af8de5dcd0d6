//! Gates keyed by a scenario's key, opened once the harness has read the target's answer
//! to that key's collect: what two parties hold back so that the order of the exchange
//! (CMI010 §5 "at once", App. A §2: answer, fetch, receipt) shows whatever the timing.
//!
//! A target that imports synchronously (php-pens) fetches and sends its receipt while its
//! answer to the collect waits; when the import takes milliseconds, its fetch and
//! receipt beat its answer by less than a busy harness may take to read an answer that
//! came first, so timestamps alone cannot tell the two apart. One mechanism serves both
//! parties that make the order visible instead:
//!
//! - the collector holds its *answer to a receipt* while the collect of that key waits
//!   for its answer, for at most [`RECEIPT_HOLD`] (`Collector::awaiting_answer`,
//!   `Collector::answer_read`): a target whose answer waits on its receipt's answer now
//!   answers at least that long after its receipt, which no scheduling delay of the
//!   harness explains (CMI010 says nothing about how fast a client answers a receipt);
//! - the staging server holds the *package* of an `after-answer` plan
//!   ([`crate::StagingBehaviour::AfterAnswer`]) until the answer is read
//!   (`StagingServer::collect_answered`): a correct target has answered already and waits
//!   only the moment it takes the harness to read it; a synchronous importer waits for its
//!   own answer, which waits for the package, so it answers only when the hold ends at its
//!   deadline.
//!
//! Nothing polls: a held request waits on its gate's channel and on its deadline,
//! whichever comes first. The deadline is the backstop that keeps anything from hanging
//! when nobody opens the gate. A gate removed (plan unstaged or replaced, answer read)
//! lets its held requests go as well.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// The longest the collector holds its answer to a receipt: well past any scheduling
/// delay of the harness, well within the ack deadline and any sane receipt timeout of a
/// target.
pub const RECEIPT_HOLD: Duration = Duration::from_secs(2);

/// The gates' senders, by key. A sender dropped (gate removed or replaced) also lets its
/// held requests go.
#[derive(Default)]
pub(crate) struct AnswerGates(Mutex<HashMap<String, watch::Sender<bool>>>);

impl AnswerGates {
    fn senders(&self) -> MutexGuard<'_, HashMap<String, watch::Sender<bool>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A closed gate for `key` (replacing any before it), whose requests wait at most
    /// until `at_most` from now.
    pub(crate) fn close(&self, key: &str, at_most: Duration) -> Hold {
        let (sender, opened) = watch::channel(false);
        // A replaced gate's sender is dropped here: its held requests go.
        self.senders().insert(key.to_owned(), sender);
        let deadline = Instant::now().checked_add(at_most).unwrap_or_else(far_future);
        Hold { opened, deadline }
    }

    /// Opens the gate of `key`, if there is one: its held requests are served, and later
    /// ones are not held. The gate stays open until the key is staged again.
    pub(crate) fn open(&self, key: &str) {
        if let Some(sender) = self.senders().get(key) {
            sender.send_replace(true);
        }
    }

    /// Forgets the gate of `key`: its held requests go.
    pub(crate) fn remove(&self, key: &str) {
        self.senders().remove(key);
    }

    /// What a request for `key` that arrives now waits on, at most `at_most`: nothing when
    /// `key` has no gate (or the wait would end at once, its gate being open).
    pub(crate) fn hold(&self, key: &str, at_most: Duration) -> Option<Hold> {
        let opened = self.senders().get(key)?.subscribe();
        let deadline = Instant::now().checked_add(at_most).unwrap_or_else(far_future);
        Some(Hold { opened, deadline })
    }
}

/// An instant no run reaches, for a hold whose `at_most` overflows the clock.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(365 * 24 * 60 * 60)
}

/// Why a held request was let go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Release {
    /// The harness read the answer (or gave up on it).
    Opened,
    /// The plan was unstaged or replaced, or the server stopped.
    PlanGone,
    /// Nobody opened the gate in time.
    Deadline,
}

/// What a request of a gated plan waits on.
#[derive(Clone, Debug)]
pub(crate) struct Hold {
    opened: watch::Receiver<bool>,
    deadline: Instant,
}

impl Hold {
    /// Waits until the gate opens, the plan goes, or the deadline passes.
    pub(crate) async fn wait(mut self) -> Release {
        tokio::select! {
            opened = self.opened.wait_for(|open| *open) => {
                if opened.is_ok() { Release::Opened } else { Release::PlanGone }
            }
            () = tokio::time::sleep_until(self.deadline) => Release::Deadline,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_gate_opened_before_the_request_does_not_hold_it() {
        let gates = AnswerGates::default();
        let hold = gates.close("k", Duration::from_secs(600));
        gates.open("k");
        assert_eq!(hold.wait().await, Release::Opened);
    }

    #[tokio::test]
    async fn a_held_request_goes_when_the_gate_opens() {
        let gates = std::sync::Arc::new(AnswerGates::default());
        let hold = gates.close("k", Duration::from_secs(600));
        let waiting = tokio::spawn(hold.wait());
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "released before the gate opened");
        gates.open("other");
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "another key's gate released it");
        gates.open("k");
        assert_eq!(waiting.await.expect("the wait ends"), Release::Opened);
    }

    #[tokio::test(start_paused = true)]
    async fn a_gate_nobody_opens_lets_go_at_its_deadline() {
        let gates = AnswerGates::default();
        let hold = gates.close("k", Duration::from_millis(300));
        let clock = tokio::time::Instant::now();
        assert_eq!(hold.wait().await, Release::Deadline);
        assert!(clock.elapsed() >= Duration::from_millis(300));
    }

    #[tokio::test]
    async fn unstaging_or_restaging_lets_go() {
        let gates = AnswerGates::default();
        let hold = gates.close("k", Duration::from_secs(600));
        gates.remove("k");
        assert_eq!(hold.wait().await, Release::PlanGone);
        let first = gates.close("k", Duration::from_secs(600));
        let _second = gates.close("k", Duration::from_secs(600));
        assert_eq!(first.wait().await, Release::PlanGone);
    }

    #[tokio::test]
    async fn a_key_without_a_gate_is_not_held() {
        let gates = AnswerGates::default();
        assert!(gates.hold("k", Duration::from_secs(10)).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_receipt_hold_ends_when_the_answer_is_read_or_at_its_limit() {
        let gates = AnswerGates::default();
        let _ = gates.close("k", RECEIPT_HOLD);
        let held = gates.hold("k", Duration::from_secs(10)).expect("a gate");
        let waiting = tokio::spawn(held.wait());
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "released before the answer was read");
        gates.remove("k");
        assert_eq!(waiting.await.expect("joined"), Release::PlanGone);

        let _ = gates.close("j", RECEIPT_HOLD);
        let started = Instant::now();
        let release = gates.hold("j", Duration::from_secs(2)).expect("a gate").wait().await;
        assert_eq!(release, Release::Deadline);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }
}
