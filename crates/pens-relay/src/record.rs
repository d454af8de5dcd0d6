//! What the relay saw of one publish: the [`PublishRecord`], built from the event
//! types the other modes already judge, so that observe mode feeds them to the same
//! checks: the client's side as client mode's mock target records it
//! ([`TargetEvent`]), the target's side as target mode's parties record it
//! ([`CollectExchange`], [`StagingEvent`], [`NotificationEvent`]).
//!
//! Nothing here holds a password: collects are kept with secret values redacted, and
//! the collect's secret values are blanked wherever else they show up.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::watch;

use pens_parties::CollectExchange;
use pens_parties::NotificationEvent;
use pens_parties::StagingEvent;
use pens_parties::{KeptPackage, TargetEvent, TargetEventKind};

/// A collect as the relay received it from the client, or as it passed it on to the
/// target: secret values redacted, every other byte as it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayedCollect {
    /// `GET` or `POST`.
    pub method: String,
    /// Received: the request target as the client sent it (path and query); forwarded:
    /// the target URL. Passwords hidden.
    pub url: String,
    /// The `Content-Type`, as sent.
    pub content_type: Option<String>,
    /// The POST body, or the query of a GET, secret values redacted.
    pub raw: Bytes,
}

/// What became of one of the URLs the relay rewrites.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rewrite {
    /// `package-url`, `receipt` or `alerts`.
    pub element: &'static str,
    /// The client's value, password hidden.
    pub original: String,
    /// The relay's value put in its place, password hidden; `None` when left alone.
    pub rewritten: Option<String>,
    /// Why it was left alone, or what the relay can and cannot see through it.
    pub note: Option<String>,
}

/// Which leg of a publish a [`NotRelayed`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Leg {
    /// The collect, toward the target.
    Collect,
    /// The package, from the client's staging server toward the target.
    Package,
    /// A receipt, toward the client.
    Receipt,
    /// An alert, toward the client.
    Alert,
    /// A request at a path of the relay's collector under a publish's key that is
    /// neither the receipt nor the alerts URL the relay handed out.
    OtherPath,
}

/// Something the relay could not pass on, and why. None of these is a PENS answer of
/// either party: observe mode tells them apart from what a party did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotRelayed {
    /// When it happened.
    pub at: Instant,
    /// Which leg.
    pub leg: Leg,
    /// The HTTP status the relay answered in its place (502, 503, 504, 413), if it answered.
    pub status: Option<u16>,
    /// Why, in words (no password).
    pub reason: String,
}

/// How a relayed download ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchEnd {
    /// The client's staging server sent the whole answer and the target took it.
    Complete,
    /// The client's staging server could not be reached, broke the body off, or
    /// sent nothing for the relay's idle timeout: the client's side.
    ClientSide(String),
    /// The target left before the whole body reached it: the target's side. The relay
    /// stopped reading from the client's staging server there.
    TargetLeft,
    /// The relay does not pass this package URL on (a scheme it does not relay).
    NotRelayed(String),
}

/// One download the target asked the relay for, and what the relay fetched for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayedFetch {
    /// When the target's request arrived.
    pub at: Instant,
    /// `GET` or `HEAD`.
    pub method: String,
    /// The client's package URL fetched, password hidden.
    pub url: String,
    /// Whether the target's request carried credentials (passed on as they came).
    pub credentials: bool,
    /// The status of the client's staging server, when it answered.
    pub upstream_status: Option<u16>,
    /// Body bytes read from the client's staging server.
    pub bytes_received: u64,
    /// Body bytes handed to the target.
    pub bytes_to_target: u64,
    /// How it ended.
    pub end: FetchEnd,
}

/// The answer the client got to its collect: the target's, unchanged, or the relay's
/// own 502/504/413 when the target's could not be had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerToClient {
    /// When it was handed to the client's connection.
    pub at: Instant,
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: Option<String>,
    /// The body (the collect's secret values blanked).
    pub body: Bytes,
    /// Whether it is the target's answer (`false`: the relay's own).
    pub from_target: bool,
}

/// Everything the relay saw of one publish (one collect of the client).
#[derive(Clone)]
pub struct PublishRecord {
    /// The publish's key: a short id unique in the relay, in its staging and collector
    /// URLs.
    pub key: String,
    /// 1 for the first publish the relay received, and so on (the `exchange` of the
    /// client-side events).
    pub number: u64,
    /// When the collect arrived.
    pub started: Instant,
    /// The collect's `package-id`, when it had one.
    pub package_id: Option<String>,
    /// The collect as the client sent it.
    pub received: RelayedCollect,
    /// The collect as the relay sent it to the target; `None` when it did not.
    pub forwarded: Option<RelayedCollect>,
    /// What became of `package-url`, `receipt` and `alerts`.
    pub rewrites: Vec<Rewrite>,
    /// What the client experienced, as client mode's mock target records it: the
    /// collect received and answered, the fetch of its package, its answers to the
    /// receipt and alerts. Read by client mode's `ClientEvidence`.
    pub client_side: Vec<TargetEvent>,
    /// The collect as sent to the target and the target's answer, as target mode's
    /// mock client records it (request body redacted, the answer's secret values
    /// blanked). Read by target mode's `Evidence`.
    pub collect: Option<CollectExchange>,
    /// What the client got back.
    pub answer: Option<AnswerToClient>,
    /// The target's requests to the staging relay, as the staging server records them.
    pub staging: Vec<StagingEvent>,
    /// What the relay fetched for each of them.
    pub fetches: Vec<RelayedFetch>,
    /// The receipts and alerts the target sent, as the collector records them.
    pub notifications: Vec<NotificationEvent>,
    /// The last package relayed in full, kept for judging (memory or a temp file).
    pub package: Option<KeptPackage>,
    /// What could not be relayed, and why.
    pub not_relayed: Vec<NotRelayed>,
    /// Events beyond what one publish keeps, counted and dropped: a target that
    /// fetches the package thousands of times (each fetch is relayed) costs bounded
    /// memory. At most [`pens_parties::PeerLimits::notifications`] staging requests, fetches
    /// and notes not relayed are kept, and four times as many client-side events.
    pub dropped_events: u64,
    /// Grows with every change: a waiter compares it.
    pub revision: u64,
}

impl PublishRecord {
    /// A record of a collect that just arrived: every list empty, nothing else known
    /// yet. Public so that a judge can be tested on a handcrafted record.
    pub fn new(key: String, number: u64, received: RelayedCollect) -> Self {
        PublishRecord {
            key,
            number,
            started: Instant::now(),
            package_id: None,
            received,
            forwarded: None,
            rewrites: Vec::new(),
            client_side: Vec::new(),
            collect: None,
            answer: None,
            staging: Vec::new(),
            fetches: Vec::new(),
            notifications: Vec::new(),
            package: None,
            not_relayed: Vec::new(),
            dropped_events: 0,
            revision: 0,
        }
    }

    /// Drops what is beyond `cap` per list (four times `cap` client-side events),
    /// counting it.
    fn bound(&mut self, cap: usize) {
        let mut dropped = 0;
        dropped += cut(&mut self.client_side, cap.saturating_mul(4));
        dropped += cut(&mut self.staging, cap);
        dropped += cut(&mut self.fetches, cap);
        dropped += cut(&mut self.not_relayed, cap);
        self.dropped_events += dropped;
    }

    /// Appends a client-side event of this publish.
    pub(crate) fn client_event(&mut self, started: Instant, kind: TargetEventKind) {
        let at = Instant::now();
        self.client_side.push(TargetEvent {
            at,
            elapsed_ms: u64::try_from(at.saturating_duration_since(started).as_millis()).unwrap_or(u64::MAX),
            exchange: self.number,
            key: Some(self.key.clone()),
            package_id: self.package_id.clone(),
            kind,
        });
    }

    /// Notes a leg that could not be relayed.
    pub(crate) fn not_relayed(&mut self, leg: Leg, status: Option<u16>, reason: impl Into<String>) {
        self.not_relayed.push(NotRelayed { at: Instant::now(), leg, status, reason: reason.into() });
    }
}

impl fmt::Debug for PublishRecord {
    /// Everything in it is already without passwords; the package by its size.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublishRecord")
            .field("key", &self.key)
            .field("number", &self.number)
            .field("package_id", &self.package_id)
            .field("received", &self.received)
            .field("forwarded", &self.forwarded)
            .field("rewrites", &self.rewrites)
            .field("client_side", &self.client_side)
            .field("collect", &self.collect)
            .field("answer", &self.answer)
            .field("staging", &self.staging)
            .field("fetches", &self.fetches)
            .field("notifications", &self.notifications)
            .field("package_bytes", &self.package.as_ref().map(KeptPackage::len))
            .field("not_relayed", &self.not_relayed)
            .field("dropped_events", &self.dropped_events)
            .field("revision", &self.revision)
            .finish()
    }
}

/// `list` cut to its first `cap` items; how many went.
fn cut<T>(list: &mut Vec<T>, cap: usize) -> u64 {
    let over = list.len().saturating_sub(cap);
    list.truncate(cap);
    over as u64
}

/// The records of every publish, in arrival order, with a signal on every change.
pub(crate) struct Records {
    inner: Mutex<Inner>,
    changed: watch::Sender<u64>,
    cap: usize,
    /// What one record keeps per list ([`PublishRecord::bound`]).
    events: usize,
}

struct Inner {
    records: HashMap<String, PublishRecord>,
    /// Keys not yet handed out by [`super::Relay::next_publish`].
    pending: VecDeque<String>,
    /// Publishes refused because `cap` records were kept.
    overflow: u64,
}

impl Records {
    /// Records of at most `cap` publishes, each keeping at most `events` per list.
    pub(crate) fn new(cap: usize, events: usize) -> Self {
        Records {
            inner: Mutex::new(Inner { records: HashMap::new(), pending: VecDeque::new(), overflow: 0 }),
            changed: watch::Sender::new(0),
            cap: cap.max(1),
            events: events.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds the record of a new publish, unless `cap` are kept already (then counts it
    /// and returns `false`).
    pub(crate) fn admit(&self, record: PublishRecord) -> bool {
        let mut inner = self.lock();
        if inner.records.len() >= self.cap {
            inner.overflow += 1;
            return false;
        }
        inner.pending.push_back(record.key.clone());
        inner.records.insert(record.key.clone(), record);
        drop(inner);
        self.changed.send_modify(|n| *n += 1);
        true
    }

    /// Changes the record of `key` (when there is one) and wakes every waiter.
    pub(crate) fn update(&self, key: &str, change: impl FnOnce(&mut PublishRecord)) {
        let mut inner = self.lock();
        let Some(record) = inner.records.get_mut(key) else { return };
        change(record);
        record.bound(self.events);
        record.revision += 1;
        drop(inner);
        self.changed.send_modify(|n| *n += 1);
    }

    /// Wakes every waiter without a change here (something the record reads from
    /// another party, the collector, arrived).
    pub(crate) fn touch(&self, key: &str) {
        self.update(key, |_| {});
    }

    /// Drops the record of `key` (its events and its package copy), making room for
    /// another publish.
    pub(crate) fn forget(&self, key: &str) -> bool {
        let mut inner = self.lock();
        inner.pending.retain(|pending| pending != key);
        inner.records.remove(key).is_some()
    }

    /// A copy of the record of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<PublishRecord> {
        self.lock().records.get(key).cloned()
    }

    /// The keys of every publish, in arrival order.
    pub(crate) fn keys(&self) -> Vec<String> {
        let inner = self.lock();
        let mut keys: Vec<(u64, String)> = inner.records.values().map(|r| (r.number, r.key.clone())).collect();
        keys.sort();
        keys.into_iter().map(|(_, key)| key).collect()
    }

    /// How many publishes were refused for the cap.
    pub(crate) fn overflow(&self) -> u64 {
        self.lock().overflow
    }

    /// Takes the oldest key not handed out yet.
    pub(crate) fn take_pending(&self) -> Option<String> {
        self.lock().pending.pop_front()
    }

    /// A receiver that sees every change from now on.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}

/// `event` with the collect's secret values blanked wherever the target put them: an
/// LMS may echo `package-url-password` or `system-password` in a receipt's
/// `error-text`, a mailed receipt's text, a field of its own. The collector keeps what
/// it got; the record keeps no password (CMI010 gives secrets no place in a receipt).
pub(crate) fn scrubbed_notification(
    mut event: NotificationEvent,
    secrets: &pens_parties::internals::Secrets,
) -> NotificationEvent {
    let scrub_opt = |value: &mut Option<String>| {
        if let Some(text) = value.as_mut() {
            *text = secrets.scrub(text);
        }
    };
    event.path = secrets.scrub(&event.path);
    event.raw = Bytes::from(secrets.scrub_bytes(&event.raw));
    let n = &mut event.notification;
    for field in [
        &mut n.command,
        &mut n.pens_version,
        &mut n.package_type,
        &mut n.package_type_version,
        &mut n.package_format,
        &mut n.package_id,
        &mut n.package_url,
        &mut n.package_url_expiry,
        &mut n.client,
        &mut n.error,
        &mut n.error_text,
    ] {
        scrub_opt(field);
    }
    for (name, value) in &mut n.extra {
        *name = secrets.scrub(name);
        *value = secrets.scrub(value);
    }
    for finding in &mut event.findings {
        finding.message = secrets.scrub(&finding.message);
        scrub_opt(&mut finding.value);
    }
    if let Some(mail) = event.mail.as_mut() {
        scrub_opt(&mut mail.subject);
        scrub_opt(&mut mail.from);
        scrub_opt(&mut mail.reply_to);
        mail.free_text = secrets.scrub(&mail.free_text);
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str) -> PublishRecord {
        let received =
            RelayedCollect { method: "POST".into(), url: "/pens".into(), content_type: None, raw: Bytes::new() };
        PublishRecord::new(key.to_owned(), 1, received)
    }

    #[test]
    fn a_record_keeps_its_cap_and_counts_the_rest() {
        let records = Records::new(1, 2);
        assert!(records.admit(record("p1")));
        assert!(!records.admit(record("p2")), "one publish at most");
        assert_eq!(records.overflow(), 1);
        for _ in 0..5 {
            records.update("p1", |r| r.not_relayed(Leg::Package, Some(502), "no"));
        }
        let kept = records.get("p1").expect("p1");
        assert_eq!((kept.not_relayed.len(), kept.dropped_events, kept.revision), (2, 3, 5));
        assert_eq!(records.take_pending().as_deref(), Some("p1"));
        assert_eq!(records.take_pending(), None);
        assert!(records.forget("p1") && !records.forget("p1"));
        assert!(records.admit(record("p3")), "room again");
    }
}
