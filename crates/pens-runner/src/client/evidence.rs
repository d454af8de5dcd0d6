//! What one client scenario observed: the mock target's events for its key, the
//! package it fetched (a handle, read only when its contents are judged), and what the
//! trigger said. Judging is a function of this alone.

use std::time::{Duration, Instant};

use bytes::Bytes;
use pens_parties::{TargetEvent, TargetEventKind};
use time::OffsetDateTime;

/// Everything observed in one client scenario.
#[derive(Clone, Debug)]
pub(crate) struct ClientEvidence {
    /// When the scenario started.
    pub(crate) started: Instant,
    /// The same moment as wall-clock time, to date the collects (expiry checks).
    pub(crate) started_utc: OffsetDateTime,
    /// The mock target's events for the scenario's key, oldest first.
    pub(crate) events: Vec<TargetEvent>,
    /// The last package the target fetched in full for the key, unread: a handle on its
    /// bytes or its temp file (which it keeps alive), read a piece at a time when the
    /// contents are judged.
    pub(crate) package: Option<pens_parties::KeptPackage>,
    /// Whether the scenario's script fetches at all.
    pub(crate) script_fetches: bool,
    /// The deadline of each publish's collect (for messages).
    pub(crate) collect_deadline: Duration,
    /// How long the harness actually waited for the last publish's collect: the
    /// deadline when none came, less when one did (or was refused).
    pub(crate) collect_watched: Duration,
    /// Collects refused as too large whose path named no scenario (a path too long to
    /// read the key from) that arrived while this scenario waited for its collects: any
    /// of them may have been this scenario's.
    pub(crate) unowned_refusals: usize,
    /// Whether the wait for the receipts and alerts ended at its deadline.
    pub(crate) background_timed_out: bool,
    /// Collects that arrived beyond the cap of the key ([`crate::Limits::notifications`]):
    /// answered 1440 and counted, not in `events`.
    pub(crate) collect_overflow: Option<pens_parties::Overflow>,
    /// The mock target's listener, when it had every connection slot taken while the
    /// scenario waited for its collects: a missing collect may have been among the
    /// connections that waited or were closed to make room.
    pub(crate) saturated: Option<crate::evidence::Saturated>,
}

/// A collect as the target received it.
pub(crate) struct Received<'a> {
    pub(crate) event: &'a TargetEvent,
    pub(crate) method: &'a str,
    /// The `Content-Type` of a POST: how `raw` is read.
    pub(crate) content_type: Option<&'a str>,
    pub(crate) raw: &'a Bytes,
    pub(crate) answer: pens_proto::ErrorCode,
}

impl ClientEvidence {
    /// The collects, in arrival order.
    pub(crate) fn collects(&self) -> Vec<Received<'_>> {
        self.events
            .iter()
            .filter_map(|event| match &event.kind {
                TargetEventKind::CollectReceived { method, content_type, raw, answer, .. } => {
                    Some(Received { event, method, content_type: content_type.as_deref(), raw, answer: *answer })
                }
                _ => None,
            })
            .collect()
    }

    /// The collects our target refused before reading them whole, in arrival order.
    pub(crate) fn refusals(&self) -> Vec<(&TargetEvent, &pens_parties::CollectRefusal)> {
        self.events
            .iter()
            .filter_map(|event| match &event.kind {
                TargetEventKind::CollectRefused { refusal } => Some((event, refusal)),
                _ => None,
            })
            .collect()
    }

    /// What the harness watched for a collect: for messages that say none came.
    pub(crate) fn collect_watch(&self) -> crate::watched::Watched<'_> {
        crate::watched::Watched {
            watched: self.collect_watched,
            deadline: self.collect_deadline,
            deadline_name: "collect",
            since: "triggering the publish",
            stopped_because: None,
        }
    }

    /// The cap the mock target reached in exchange `number`, if one was: the package, a
    /// redirect or the archive was beyond `[limits]`.
    pub(crate) fn breach_of(&self, number: u64) -> Option<&pens_parties::LimitBreach> {
        self.of_exchange(number).find_map(|e| match &e.kind {
            TargetEventKind::LimitReached { breach } => Some(breach),
            _ => None,
        })
    }

    /// The events of exchange `number`.
    pub(crate) fn of_exchange(&self, number: u64) -> impl Iterator<Item = &TargetEvent> {
        self.events.iter().filter(move |e| e.exchange == number)
    }

    /// When `at` happened, in UTC.
    pub(crate) fn utc(&self, at: Instant) -> OffsetDateTime {
        self.started_utc + at.saturating_duration_since(self.started)
    }

    /// Milliseconds from the scenario start to `at`.
    pub(crate) fn offset_ms(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.started).as_millis()).unwrap_or(u64::MAX)
    }
}
