//! What one listener met at its connection cap: how many connections waited for a slot,
//! how many were closed without a request, how many could not be accepted, and *when*.
//!
//! The cap ([`crate::ListenerLimits::connections`]) keeps a flood of connections from
//! costing the harness a task and buffers each, but a connection that waits, or that is
//! closed to make room, may have carried evidence: a receipt, a fetch. A scenario that
//! misses such evidence must not fail for it, so the listener writes down the periods it
//! was full ([`Window`]), with what happened in each, and the runner asks for those that
//! overlap a scenario's wait ([`Saturation::during`]).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Two periods of saturation closer than this are one: the next connection of a flood
/// is accepted microseconds after the previous one got its slot.
const MERGE_GAP: Duration = Duration::from_millis(100);

/// The most periods kept per listener; beyond it the last one grows, so a flood that
/// comes and goes all run long costs no memory (the counts stay exact).
const MAX_WINDOWS: usize = 256;

/// One period during which every connection slot of a listener was taken and at least
/// one connection waited for a slot, or could not be accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// When the first connection found every slot taken.
    pub start: Instant,
    /// When the last waiting connection got its slot; `None` while one still waits.
    pub end: Option<Instant>,
    /// Connections that found every slot taken and waited (those still in the kernel's
    /// queue behind them are not seen until they are accepted).
    pub queued: u64,
    /// Connections that had sent no complete request and were closed to make room for
    /// a waiting one (the oldest first).
    pub evicted: u64,
    /// Connections the listener could not accept (`accept` failed, for instance out of
    /// descriptors); they stay in the kernel's queue or are lost.
    pub refused: u64,
}

impl Window {
    fn overlaps(&self, from: Instant, to: Instant) -> bool {
        self.start <= to && self.end.is_none_or(|end| end >= from)
    }
}

/// A listener's account of its cap, over the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Saturation {
    /// The cap: connections served at once.
    pub connections: usize,
    /// Connections that waited for a slot, over the run.
    pub queued: u64,
    /// Connections closed without a request to make room, over the run.
    pub evicted: u64,
    /// Connections that could not be accepted, over the run.
    pub refused: u64,
    /// Connections closed because they sent no complete request head within the
    /// header-read deadline (or did not finish the TLS handshake within it), over the
    /// run: idle or slowloris peers. A kept-alive connection closed after serving its
    /// requests is not counted: that is a client's pool, as any honest client keeps.
    pub idle_closed: u64,
    /// The periods of saturation, oldest first.
    pub windows: Vec<Window>,
}

impl Saturation {
    /// What happened at the cap between `from` and `to` (a scenario's wait), summed over
    /// the periods that overlap it; `None` when the listener was never full then.
    pub fn during(&self, from: Instant, to: Instant) -> Option<Window> {
        let mut overlapping = self.windows.iter().filter(|w| w.overlaps(from, to));
        let first = *overlapping.next()?;
        Some(overlapping.fold(first, |sum, w| Window {
            start: sum.start,
            end: match (sum.end, w.end) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            },
            queued: sum.queued + w.queued,
            evicted: sum.evicted + w.evicted,
            refused: sum.refused + w.refused,
        }))
    }
}

/// Where a listener writes its account; shared by its accept loop, its connections and
/// whoever reads it.
#[derive(Debug, Default)]
pub(crate) struct SaturationLog {
    inner: Mutex<Saturation>,
}

impl SaturationLog {
    pub(crate) fn new(connections: usize) -> Self {
        SaturationLog { inner: Mutex::new(Saturation { connections, ..Saturation::default() }) }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Saturation) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// The current period, opened at `at` (or the last one, when it is still open, ended
    /// less than [`MERGE_GAP`] ago, or the list is full).
    fn window_at(saturation: &mut Saturation, at: Instant) -> &mut Window {
        let reuse = saturation.windows.last().is_some_and(|last| {
            last.end.is_none_or(|end| at.saturating_duration_since(end) < MERGE_GAP)
                || saturation.windows.len() >= MAX_WINDOWS
        });
        if !reuse {
            saturation.windows.push(Window { start: at, end: None, queued: 0, evicted: 0, refused: 0 });
        }
        let last = saturation.windows.last_mut().expect("a window was just ensured");
        last.end = None;
        last
    }

    /// A connection found every slot taken at `at` and waits; returns how many have
    /// waited over the run.
    pub(crate) fn queued(&self, at: Instant) -> u64 {
        self.with(|s| {
            s.queued += 1;
            Self::window_at(s, at).queued += 1;
            s.queued
        })
    }

    /// The waiting connection got its slot at `at`.
    pub(crate) fn slot_found(&self, at: Instant) {
        self.with(|s| {
            if let Some(last) = s.windows.last_mut() {
                last.end = Some(last.end.map_or(at, |end| end.max(at)));
            }
        });
    }

    /// A connection without a request was closed at `at` to make room.
    pub(crate) fn evicted(&self, at: Instant) {
        self.with(|s| {
            s.evicted += 1;
            Self::window_at(s, at).evicted += 1;
        });
    }

    /// `accept` failed at `at`; the listener backs off until `until`. Returns how many
    /// have failed over the run.
    pub(crate) fn refused(&self, at: Instant, until: Instant) -> u64 {
        self.with(|s| {
            s.refused += 1;
            let window = Self::window_at(s, at);
            window.refused += 1;
            window.end = Some(until);
            s.refused
        })
    }

    /// A connection was closed at the header-read (or handshake) deadline.
    pub(crate) fn idle_closed(&self) {
        self.with(|s| s.idle_closed += 1);
    }

    pub(crate) fn snapshot(&self) -> Saturation {
        self.with(|s| s.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_one_period_and_a_later_one_another() {
        let log = SaturationLog::new(2);
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        log.queued(ms(0));
        log.evicted(ms(1));
        log.slot_found(ms(2));
        log.queued(ms(3));
        log.slot_found(ms(10));
        log.queued(ms(1000));
        let s = log.snapshot();
        assert_eq!((s.queued, s.evicted, s.windows.len()), (3, 1, 2));
        assert_eq!(s.windows[0].end, Some(ms(10)));
        assert_eq!(s.windows[1].end, None, "still waiting");

        let early = s.during(ms(5), ms(20)).expect("the first period");
        assert_eq!((early.queued, early.evicted), (2, 1));
        assert_eq!(s.during(ms(20), ms(900)), None);
        let late = s.during(ms(20), ms(5000)).expect("the open period");
        assert_eq!((late.queued, late.end), (1, None));
    }

    #[test]
    fn the_periods_kept_are_bounded_and_the_counts_exact() {
        let log = SaturationLog::new(1);
        let t0 = Instant::now();
        for n in 0..(MAX_WINDOWS as u64 * 3) {
            log.queued(t0 + Duration::from_secs(n));
            log.slot_found(t0 + Duration::from_secs(n) + Duration::from_millis(1));
        }
        let s = log.snapshot();
        assert_eq!(s.windows.len(), MAX_WINDOWS);
        assert_eq!(s.queued, MAX_WINDOWS as u64 * 3);
        assert_eq!(s.windows.iter().map(|w| w.queued).sum::<u64>(), s.queued);
    }
}
