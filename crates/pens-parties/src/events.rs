//! A shared, append-only event log with event-driven waits: the recording half of every
//! party. Handlers append; the runner reads or waits until a predicate holds or a
//! deadline passes. No polling, no sleeps: a `watch` channel counts appends.
//!
//! A load run records hundreds of thousands of events and reads each once: it diverts
//! the log ([`EventLog::divert`]), so that every event goes to its sink as it happens
//! and nothing is kept.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use tokio::sync::watch;

/// Where a diverted log hands its events.
pub(crate) type EventSink<E> = Arc<dyn Fn(E) + Send + Sync>;

/// Events of type `E`, in arrival order.
pub(crate) struct EventLog<E> {
    events: Mutex<Vec<E>>,
    appended: watch::Sender<u64>,
    sink: Mutex<Option<EventSink<E>>>,
}

impl<E: fmt::Debug> fmt::Debug for EventLog<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLog")
            .field("events", &self.events)
            .field("diverted", &self.sink.lock().unwrap_or_else(PoisonError::into_inner).is_some())
            .finish_non_exhaustive()
    }
}

impl<E: Clone> EventLog<E> {
    pub(crate) fn new() -> Self {
        EventLog { events: Mutex::new(Vec::new()), appended: watch::Sender::new(0), sink: Mutex::new(None) }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<E>> {
        // A panic while holding the lock cannot leave a half-pushed Vec: keep going.
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push(&self, event: E) {
        let sink = self.sink.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some(sink) = sink {
            sink(event);
            return;
        }
        self.lock().push(event);
        self.appended.send_modify(|count| *count += 1);
    }

    /// From now on hands every event to `sink` as it is pushed, instead of keeping it;
    /// drops what was kept so far. Reads and waits see nothing after this.
    pub(crate) fn divert(&self, sink: EventSink<E>) {
        *self.sink.lock().unwrap_or_else(PoisonError::into_inner) = Some(sink);
        self.lock().clear();
    }

    /// Drops every event `select` picks: what a forgotten key leaves behind.
    pub(crate) fn remove_where(&self, select: impl Fn(&E) -> bool) {
        self.lock().retain(|e| !select(e));
    }

    /// The events `select` keeps, in arrival order.
    pub(crate) fn filtered(&self, select: impl Fn(&E) -> bool) -> Vec<E> {
        self.lock().iter().filter(|e| select(e)).cloned().collect()
    }

    /// Waits until `done` returns `Some` for the events `select` keeps, or until
    /// `deadline`; then returns `done`'s answer (`None` at the deadline).
    pub(crate) async fn wait<T>(
        &self,
        deadline: Instant,
        select: impl Fn(&E) -> bool,
        done: impl Fn(&[E]) -> Option<T>,
    ) -> Option<T> {
        // Subscribing before the first look means no append can slip between the look
        // and the wait.
        let mut appended = self.appended.subscribe();
        let deadline = tokio::time::Instant::from_std(deadline);
        loop {
            if let Some(answer) = done(&self.filtered(&select)) {
                return Some(answer);
            }
            match tokio::time::timeout_at(deadline, appended.changed()).await {
                Ok(Ok(())) => continue,
                // Deadline passed, or the log is gone (cannot happen while `self` lives).
                Ok(Err(_)) | Err(_) => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_wait_ends_on_the_append_that_satisfies_it() {
        let log = Arc::new(EventLog::new());
        let writer = Arc::clone(&log);
        let deadline = Instant::now() + Duration::from_secs(10);
        let waiting = tokio::spawn(async move {
            log.wait(deadline, |e: &u32| e.is_multiple_of(2), |evens| (evens.len() == 2).then(|| evens.to_vec())).await
        });
        for n in 1..=4 {
            writer.push(n);
            tokio::task::yield_now().await;
        }
        assert_eq!(waiting.await.expect("joined"), Some(vec![2, 4]));
    }

    #[test]
    fn a_diverted_log_hands_events_over_and_keeps_none() {
        let log = EventLog::new();
        log.push(1u32);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let into = Arc::clone(&seen);
        log.divert(Arc::new(move |event| into.lock().expect("lock").push(event)));
        log.push(2);
        log.push(3);
        assert_eq!(*seen.lock().expect("lock"), [2, 3]);
        assert!(log.filtered(|_| true).is_empty());
    }

    #[tokio::test]
    async fn a_wait_gives_up_at_the_deadline() {
        let log: EventLog<u32> = EventLog::new();
        log.push(1);
        let answer = log.wait(Instant::now(), |_| true, |all| all.contains(&2).then_some(())).await;
        assert_eq!(answer, None);
    }
}
