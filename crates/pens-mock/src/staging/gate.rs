//! The gates of [`super::StagingBehaviour::AfterAnswer`]: a package held until the
//! harness has read the target's answer to the collect.
//!
//! CMI010 §5 has the target answer the collect at once, and App. A §2 shows the order
//! answer, fetch, receipt. Timing alone cannot tell a target that imports before it
//! answers (a synchronous importer) from a correct one whose answer a busy harness read
//! late, when the import takes only milliseconds. Holding the package until the answer
//! is read makes the order visible whatever the timing: a correct target has answered
//! already and waits only the moment it takes the harness to read it; a synchronous
//! importer waits for its own answer, which waits for the package, so it answers only
//! when the hold ends at its deadline.
//!
//! One gate per key, made when the plan is staged (before the collect goes out), opened
//! by [`super::StagingServer::collect_answered`]. Nothing polls: a held request waits on
//! the gate's channel and on its deadline, whichever comes first. The deadline is the
//! backstop that keeps anything from hanging when nobody opens the gate.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// The open gates' senders, by key. A sender dropped (plan unstaged or replaced) also
/// lets its held requests go.
#[derive(Default)]
pub(super) struct AnswerGates(Mutex<HashMap<String, watch::Sender<bool>>>);

impl AnswerGates {
    fn senders(&self) -> MutexGuard<'_, HashMap<String, watch::Sender<bool>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A closed gate for `key` (replacing any before it), whose requests wait at most
    /// until `at_most` from now.
    pub(super) fn close(&self, key: &str, at_most: Duration) -> Hold {
        let (sender, opened) = watch::channel(false);
        // A replaced gate's sender is dropped here: its held requests go.
        self.senders().insert(key.to_owned(), sender);
        let deadline = Instant::now().checked_add(at_most).unwrap_or_else(far_future);
        Hold { opened, deadline }
    }

    /// Opens the gate of `key`, if there is one: its held requests are served, and later
    /// ones are not held. The gate stays open until the key is staged again.
    pub(super) fn open(&self, key: &str) {
        if let Some(sender) = self.senders().get(key) {
            sender.send_replace(true);
        }
    }

    /// Forgets the gate of `key`: its held requests go.
    pub(super) fn remove(&self, key: &str) {
        self.senders().remove(key);
    }
}

/// An instant no run reaches, for a hold whose `at_most` overflows the clock.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(365 * 24 * 60 * 60)
}

/// Why a held request was let go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Release {
    /// The harness read the answer (or gave up on it).
    Opened,
    /// The plan was unstaged or replaced, or the server stopped.
    PlanGone,
    /// Nobody opened the gate in time.
    Deadline,
}

/// What a request of a gated plan waits on.
#[derive(Clone, Debug)]
pub(super) struct Hold {
    opened: watch::Receiver<bool>,
    deadline: Instant,
}

impl Hold {
    /// Waits until the gate opens, the plan goes, or the deadline passes.
    pub(super) async fn wait(mut self) -> Release {
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
}
