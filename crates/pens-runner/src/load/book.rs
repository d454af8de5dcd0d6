//! The book of a load run: which publishes are in flight, and which have had their
//! receipt. The staging server and the collector hand their events here as they
//! happen (they are diverted, so nothing piles up in their logs); a cycle waits on its
//! own one-shot channel, so no arrival wakes any cycle but its own.
//!
//! Memory: one [`Slot`] per cycle in flight (at most the concurrency), and one bit per
//! publish for "a receipt has come", which is what tells a duplicated receipt from a
//! first one however late it comes (CMI010 §5.1: exactly one receipt per collect).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use pens_parties::{Endpoint, NotificationEvent, StagingEvent};
use pens_proto::ErrorCode;
use tokio::sync::oneshot;

/// A receipt as its cycle learns of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Arrival {
    /// When the collector received it.
    pub(crate) at: Instant,
    /// The `error` it carried, if readable.
    pub(crate) error: Option<ErrorCode>,
    /// When the first staging request of the cycle arrived, if one did before.
    pub(crate) fetch: Option<Instant>,
}

/// One cycle in flight.
#[derive(Debug)]
struct Slot {
    /// The first staging request's arrival.
    fetch: Option<Instant>,
    /// Where the first receipt goes; taken when it comes.
    receipt: Option<oneshot::Sender<Arrival>>,
}

/// The cycles in flight and the receipts seen.
#[derive(Debug)]
struct Pages {
    slots: HashMap<u64, Slot>,
    /// Bit `i`: the first receipt of publish `i` has come.
    seen: Vec<u64>,
}

/// What the sinks of the parties and the cycles share.
#[derive(Debug)]
pub(crate) struct Book {
    publishes: u64,
    pages: Mutex<Pages>,
    duplicated: AtomicU64,
    late: AtomicU64,
    alerts: AtomicU64,
}

/// The counts the book keeps by itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BookCounts {
    pub(crate) duplicated: u64,
    pub(crate) late: u64,
    pub(crate) alerts: u64,
}

impl Book {
    /// A book for publishes `0..publishes`.
    pub(crate) fn new(publishes: u64) -> Self {
        let words = usize::try_from(publishes.div_ceil(64)).unwrap_or(usize::MAX);
        Book {
            publishes,
            pages: Mutex::new(Pages { slots: HashMap::new(), seen: vec![0; words] }),
            duplicated: AtomicU64::new(0),
            late: AtomicU64::new(0),
            alerts: AtomicU64::new(0),
        }
    }

    fn pages(&self) -> MutexGuard<'_, Pages> {
        // Every update leaves the pages whole: a panic elsewhere cannot corrupt them.
        self.pages.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens the slot of publish `index` before its collect leaves; its receipt will
    /// come through the returned channel.
    pub(crate) fn open(&self, index: u64) -> oneshot::Receiver<Arrival> {
        let (sender, receiver) = oneshot::channel();
        self.pages().slots.insert(index, Slot { fetch: None, receipt: Some(sender) });
        receiver
    }

    /// Closes the slot of publish `index` when its cycle ends; returns the first
    /// staging request's arrival, if one was seen.
    pub(crate) fn close(&self, index: u64) -> Option<Instant> {
        self.pages().slots.remove(&index).and_then(|slot| slot.fetch)
    }

    /// A notification the collector received (the collector's sink).
    pub(crate) fn notification(&self, event: &NotificationEvent) {
        match event.endpoint {
            Endpoint::Receipt => self.receipt(&event.key, event.at, event.notification.error_code()),
            Endpoint::Alerts => {
                self.alerts.fetch_add(1, Ordering::Relaxed);
            }
            // Nothing of ours: the target sent it somewhere we never handed out.
            Endpoint::Other => {}
        }
    }

    /// A request the staging server answered (the staging server's sink). Only a whole
    /// download counts as the cycle's fetch: a HEAD or a broken-off GET fetched nothing.
    pub(crate) fn staging(&self, event: &StagingEvent) {
        if !event.is_whole_download() {
            return;
        }
        let Some(index) = self.index(&event.key) else { return };
        if let Some(slot) = self.pages().slots.get_mut(&index) {
            slot.fetch = Some(slot.fetch.map_or(event.at, |earlier| earlier.min(event.at)));
        }
    }

    fn receipt(&self, key: &str, at: Instant, error: Option<ErrorCode>) {
        let Some(index) = self.index(key) else { return };
        let mut pages = self.pages();
        let (word, bit) = (usize::try_from(index / 64).unwrap_or(usize::MAX), 1u64 << (index % 64));
        let Some(seen) = pages.seen.get_mut(word) else { return };
        if *seen & bit != 0 {
            self.duplicated.fetch_add(1, Ordering::Relaxed);
            return;
        }
        *seen |= bit;
        let waiting =
            pages.slots.get_mut(&index).and_then(|slot| slot.receipt.take().map(|sender| (sender, slot.fetch)));
        let delivered = match waiting {
            Some((sender, fetch)) => sender.send(Arrival { at, error, fetch }).is_ok(),
            None => false,
        };
        if !delivered {
            // Its cycle had ended: the deadline passed, or the collect was refused.
            self.late.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The publish a key names: our keys are the publish numbers.
    fn index(&self, key: &str) -> Option<u64> {
        key.parse::<u64>().ok().filter(|index| *index < self.publishes)
    }

    /// The counts so far.
    pub(crate) fn counts(&self) -> BookCounts {
        BookCounts {
            duplicated: self.duplicated.load(Ordering::Relaxed),
            late: self.late.load(Ordering::Relaxed),
            alerts: self.alerts.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(book: &Book, key: &str) {
        book.receipt(key, Instant::now(), Some(ErrorCode::SUCCESS));
    }

    #[test]
    fn the_first_receipt_reaches_its_cycle_and_a_second_is_a_duplicate() {
        let book = Book::new(130);
        let mut waiting = book.open(129);
        let fetched = Instant::now();
        book.staging(&staging_event("129", fetched));
        receipt(&book, "129");
        let arrival = waiting.try_recv().expect("delivered");
        assert_eq!((arrival.error, arrival.fetch), (Some(ErrorCode::SUCCESS), Some(fetched)));
        receipt(&book, "129");
        assert_eq!(book.close(129), Some(fetched));
        receipt(&book, "129");
        assert_eq!(book.counts(), BookCounts { duplicated: 2, late: 0, alerts: 0 });
    }

    #[test]
    fn a_receipt_after_its_cycle_ended_is_late_and_strangers_are_ignored() {
        let book = Book::new(10);
        let waiting = book.open(3);
        drop(waiting);
        receipt(&book, "3");
        receipt(&book, "4");
        for stranger in ["10", "x", "", "-1"] {
            receipt(&book, stranger);
        }
        assert_eq!(book.counts(), BookCounts { duplicated: 0, late: 2, alerts: 0 });
    }

    fn staging_event(key: &str, at: Instant) -> StagingEvent {
        StagingEvent {
            key: key.to_owned(),
            at,
            elapsed_ms: 0,
            finished_at: at,
            duration_ms: 0,
            protocol: "http".into(),
            method: "GET".into(),
            path: format!("/s/{key}/course.zip"),
            query: None,
            credentials: pens_parties::CredentialsPresented::None,
            status: 200,
            bytes_sent: 0,
            body_bytes: 0,
            completed: true,
            ftps_mode: None,
        }
    }
}
