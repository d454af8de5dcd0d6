//! The collector: the client side of the receipt and alert URLs (CMI010 §5.1,
//! Appendix A steps 5-12). A target sends one receipt and any number of alerts; we
//! record each as a [`NotificationEvent`] and answer like a good client, so that a
//! target which checks our answer is satisfied.
//!
//! Every scenario gets its own URLs, `/r/<key>/receipt` and `/r/<key>/alerts`, so
//! concurrent scenarios never see each other's messages. What arrives anywhere else is
//! still answered and recorded (under the key its path names), because a receipt sent
//! to the wrong URL is a finding, not a lost message.
//!
//! Delivery is read leniently: form POST is what the spec's examples use; multipart
//! POST (decoded by `pens_proto::decode_body`, as client mode reads collects) and GET
//! with a query are in use too and yield one `should` finding, never a failure.
//!
//! Receipt and alert URLs may also be `mailto:` URLs (CMI010 §5), so the collector
//! listens for SMTP too, on a port of its own: [`Collector::mailto`] hands out
//! `receipt.<key>@pens-conform.test` and `alerts.<key>@pens-conform.test`, and each
//! recipient of a message arriving there is recorded like an HTTP notification (see
//! `mail_sink.rs`). An LMS sends through its own relay, so a vendor points that relay
//! (or the LMS's SMTP host) at [`Collector::smtp_addr`].
//!
//! A target that floods a key with receipts or alerts gets every one answered, but
//! only the first [`CollectorOptions::notifications`] of the key are kept; the rest are
//! counted ([`Collector::overflow`]), so a flood is evidence to judge, not an
//! exhaustion of the harness's memory.
//!
//! Only keys the collector handed out ([`Collector::urls`], [`Collector::mailto`]) are
//! kept at all: the peer chooses the path, so a cap per key would be a budget per key
//! it invents. A request at a path of no scenario is answered `404` once its body (at
//! most [`MAX_NOTIFICATION_BYTES`]) has been read and dropped, and a recipient of no
//! scenario is refused at `RCPT TO` (`550`); both are only counted
//! ([`Collector::unsolicited`], [`Collector::unsolicited_mail`]), for the report's
//! harness notes. A stray receipt at a path of no scenario judged nothing before either:
//! events are read by key.
//!
//! Observe mode's relay does not answer for itself: for a key handed to a
//! [`NotificationRelay`] ([`Collector::relay_for`]) a receipt or alert is recorded as
//! ever (within the cap), then passed to the relay, whose answer (the real client's,
//! or the relay's plain-text not-relayed one) goes back to the target in place of
//! ours; a mailed one is handed to it after it is recorded. Such a key never gets the
//! collector's own PENS answer.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use pens_proto::{
    DecodedForm, Finding, Notification, PensResponse, RESPONSE_CONTENT_TYPE, check_notification_delivery, decode_body,
    decode_form,
};

use crate::error::MockError;
use crate::events::EventLog;
use crate::limits::{KeyCounts, ListenerLimits, Overflow, PeerLimits};
use crate::mail_sink::{MAIL_DOMAIN, MailDetails, mail_address, notification_events, route};
use crate::path::{base_url, encode_segment, segments_after};
use crate::server::{self, ServerTask};
use crate::smtp::{self, MailSink, ReceivedMail, SmtpConfig};
use crate::staging::basic_credentials;
use crate::unsolicited::{KnownKeys, Unsolicited, UnsolicitedCount, drain};

/// The largest receipt or alert body read; a larger one is answered 413 and recorded.
/// A notification is a few hundred bytes; vendor-data may reach 4096 characters.
pub const MAX_NOTIFICATION_BYTES: usize = 1024 * 1024;

/// How long the body of a receipt or alert may take to arrive once its head has: a
/// peer that dribbles a body must not hold a connection slot forever.
pub const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Where notifications live: `/r/<key>/receipt`, `/r/<key>/alerts`.
const COLLECTOR_PREFIX: &str = "/r/";

/// How long an SMTP session may stay silent before it is closed: long enough for any
/// relay between two commands, short enough that a stuck client frees its slot.
const SMTP_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How many SMTP sessions may be open at once; a relay delivering many receipts opens
/// a few, a broken one opening hundreds is turned away with 421.
const MAX_SMTP_SESSIONS: usize = 64;

/// How a collector is set up: where its mail sink listens and what it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollectorOptions {
    /// The SMTP listener's address; `None`: a free port on the bind address.
    pub smtp: Option<SocketAddr>,
    /// Receipts and alerts kept per key (HTTP and mail together); more are answered and
    /// counted, not kept.
    pub notifications: usize,
    /// The HTTP listener's caps.
    pub listener: ListenerLimits,
}

impl Default for CollectorOptions {
    fn default() -> Self {
        let limits = PeerLimits::default();
        CollectorOptions { smtp: None, notifications: limits.notifications, listener: limits.listener() }
    }
}

/// The receipt and alert URLs of one key, for the collect's `receipt` and `alerts`:
/// HTTP ([`Collector::urls`]) or `mailto:` ([`Collector::mailto`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectorUrls {
    /// `{{receipt_url}}` in scenario files.
    pub receipt: String,
    /// `{{alerts_url}}` in scenario files.
    pub alerts: String,
}

/// Which URL or address a notification arrived at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `/r/<key>/receipt`, or a mail recipient `….receipt.<key>@…`.
    Receipt,
    /// `/r/<key>/alerts`, or a mail recipient `….alerts.<key>@…`.
    Alerts,
    /// Any other path or recipient: the target sent somewhere we never handed out.
    Other,
}

impl Endpoint {
    /// The `error-text` of our answer.
    fn answer_text(self) -> &'static str {
        match self {
            Endpoint::Receipt => "receipt received",
            Endpoint::Alerts => "alert received",
            Endpoint::Other => "notification received",
        }
    }
}

/// One receipt or alert as it arrived, by HTTP or by mail (one event per recipient).
#[derive(Clone)]
pub struct NotificationEvent {
    /// The key its path or recipient names (the segment after `/r/`, or the last
    /// segment of the local part), empty for other paths and recipients.
    pub key: String,
    /// When it arrived.
    pub at: Instant,
    /// Milliseconds from the collector's start to its arrival.
    pub elapsed_ms: u64,
    /// Which URL it arrived at.
    pub endpoint: Endpoint,
    /// The request path, without query; for mail the recipient address.
    pub path: String,
    /// The request method; `SMTP` for mail.
    pub method: String,
    /// The `Content-Type` header, as sent.
    pub content_type: Option<String>,
    /// The body as received; for GET (or a POST with an empty body) the query string;
    /// for mail the whole message, headers included (cut at [`MAX_NOTIFICATION_BYTES`]).
    pub raw: Bytes,
    /// The message as far as it could be read.
    pub notification: Notification,
    /// Decoding findings (encoding, repeated fields) and the delivery finding
    /// (multipart and GET are `should`); for mail the findings about its body and
    /// headers (CMI010 App. A best practice).
    pub findings: Vec<Finding>,
    /// The status we answered: 200, 413 for a body over [`MAX_NOTIFICATION_BYTES`], or
    /// 408 for a body that did not arrive within [`BODY_READ_TIMEOUT`];
    /// for mail the SMTP reply to the end of DATA, 250, or 552 when over the limit.
    pub status: u16,
    /// The envelope and headers of a mailed notification; `None` for HTTP.
    pub mail: Option<MailDetails>,
    /// The HTTP basic credentials the request carried (an `Authorization: Basic`
    /// header), e.g. those of a receipt URL with userinfo; `None` without, and for mail.
    pub basic_auth: Option<BasicAuth>,
}

/// HTTP basic credentials a notification request carried. The password can be compared,
/// never read or printed.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// The user name sent.
    pub user: String,
    password: String,
}

impl BasicAuth {
    /// Credentials of `user` with `password`, as a request carried them.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        BasicAuth { user: user.into(), password: password.into() }
    }

    /// Whether the password sent is `candidate`.
    pub fn password_is(&self, candidate: &str) -> bool {
        self.password == candidate
    }
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth").field("user", &self.user).field("password", &pens_proto::REDACTED).finish()
    }
}

/// A receipt or alert as it arrived at a relayed key, for a [`NotificationRelay`] to
/// pass on: the method, query, content type and body exactly as the target sent them.
#[derive(Clone)]
pub struct ArrivedNotification {
    /// The key its path names.
    pub key: String,
    /// Which URL it arrived at.
    pub endpoint: Endpoint,
    /// The request method, as sent.
    pub method: String,
    /// The query of the request line, as sent (`None` without a `?`).
    pub query: Option<String>,
    /// The `Content-Type` header, as sent.
    pub content_type: Option<String>,
    /// The `Authorization` header, as sent: passed on, never shown.
    pub authorization: Option<axum::http::HeaderValue>,
    /// The body, byte for byte (empty for GET).
    pub body: Bytes,
}

impl fmt::Debug for ArrivedNotification {
    /// The body's length and whether credentials came, never their value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArrivedNotification")
            .field("key", &self.key)
            .field("endpoint", &self.endpoint)
            .field("method", &self.method)
            .field("query", &self.query.as_deref().map(pens_proto::redact_form))
            .field("content_type", &self.content_type)
            .field("authorization", &self.authorization.as_ref().map(|_| pens_proto::REDACTED))
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The answer a [`NotificationRelay`] gives the target: the real client's, unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayedAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`, when the answer had one.
    pub content_type: Option<String>,
    /// Every other header that goes on with the answer, in order, repeats repeated
    /// (`WWW-Authenticate`, `Location`, `Retry-After`, `Set-Cookie`...): the relay
    /// leaves out those of the connection (RFC 9110 §7.6.1). The collector frames the
    /// body itself, so it sets no `Content-Type` (that is `content_type`),
    /// `Content-Length` or hop-by-hop header from here.
    pub headers: Vec<(String, String)>,
    /// The body, byte for byte.
    pub body: Bytes,
}

/// Who answers the receipts and alerts of a key instead of the collector: observe
/// mode's relay, which passes each on to the real client and returns its answer. The
/// collector still records every notification as a [`NotificationEvent`] first, keeps
/// at most its cap per key, and answers a body it refused (413, 408) itself. Every
/// other request at the key's paths goes to the relay, kept or not (the relay bounds
/// its own records), since only the client may give a PENS answer for it.
#[async_trait::async_trait]
pub trait NotificationRelay: Send + Sync {
    /// The answer for `arrived`. `None` means it could not be relayed (the relay
    /// records why where it still can): the collector answers a plain-text `503` starting with
    /// `pens-conform relay: not relayed:`, never a PENS answer of its own.
    async fn relay(&self, arrived: ArrivedNotification) -> Option<RelayedAnswer>;

    /// A mailed notification was taken for a relayed key: `event` is its record (the
    /// whole message in `raw`, the envelope in `mail`). Called on the SMTP session's
    /// task, so an implementation hands the work to a task of its own. Nothing answers
    /// a mail: the sink has already replied to the target's relay.
    fn mail_arrived(&self, event: NotificationEvent) {
        let _ = event;
    }
}

impl fmt::Debug for NotificationEvent {
    /// Shows the decoded notification (secrets redacted) and the raw body's length only,
    /// since the raw bytes may carry a password a target echoed back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotificationEvent")
            .field("key", &self.key)
            .field("elapsed_ms", &self.elapsed_ms)
            .field("endpoint", &self.endpoint)
            .field("path", &self.path)
            .field("method", &self.method)
            .field("content_type", &self.content_type)
            .field("raw_len", &self.raw.len())
            .field("notification", &self.notification)
            .field("findings", &self.findings)
            .field("status", &self.status)
            .field("mail", &self.mail)
            .field("basic_auth", &self.basic_auth)
            .finish()
    }
}

/// The receipt/alert collector: an HTTP listener and an SMTP listener. Dropping it
/// stops both.
pub struct Collector {
    shared: Arc<Shared>,
    task: ServerTask,
    smtp: ServerTask,
}

impl Collector {
    /// Binds an HTTP and an SMTP listener on `bind` (each on a free port). URLs name
    /// `advertise_host`, or the bound address when it is empty.
    pub async fn start(bind: IpAddr, advertise_host: &str) -> Result<Self, MockError> {
        Self::start_with(bind, advertise_host, CollectorOptions::default()).await
    }

    /// Like [`Collector::start`], with the SMTP listener on `smtp`: the fixed address a
    /// vendor points the LMS's outgoing mail at (`--smtp-listen`).
    pub async fn start_with_smtp(bind: IpAddr, advertise_host: &str, smtp: SocketAddr) -> Result<Self, MockError> {
        Self::start_with(bind, advertise_host, CollectorOptions { smtp: Some(smtp), ..CollectorOptions::default() })
            .await
    }

    /// Like [`Collector::start`], set up by `options`.
    pub async fn start_with(bind: IpAddr, advertise_host: &str, options: CollectorOptions) -> Result<Self, MockError> {
        let bound = server::bind(SocketAddr::new(bind, 0)).await?;
        let smtp_bound = server::bind(options.smtp.unwrap_or_else(|| SocketAddr::new(bind, 0))).await?;
        let shared = Arc::new(Shared {
            started: Instant::now(),
            base: base_url("http", advertise_host, bind, bound.addr.port()),
            log: EventLog::new(),
            gates: crate::answer_gate::AnswerGates::default(),
            cap: options.notifications.max(1),
            counts: KeyCounts::default(),
            known: KnownKeys::default(),
            unsolicited: Unsolicited::default(),
            unsolicited_mail: Unsolicited::default(),
            relays: std::sync::Mutex::default(),
        });
        let task = server::spawn(bound, app(Arc::clone(&shared)), None, options.listener, "the collector");
        let config = SmtpConfig {
            name: MAIL_DOMAIN.to_owned(),
            max_message_bytes: MAX_NOTIFICATION_BYTES,
            idle_timeout: SMTP_IDLE_TIMEOUT,
            max_sessions: MAX_SMTP_SESSIONS,
        };
        let smtp = smtp::spawn(smtp_bound, config, Arc::clone(&shared) as Arc<dyn MailSink>);
        Ok(Collector { shared, task, smtp })
    }

    /// `http://host:port`, without a final slash.
    pub fn base(&self) -> String {
        self.shared.base.clone()
    }

    /// The address the listener is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.task.local_addr()
    }

    /// Receipt and alert URLs unique to `key`: `/r/<key>/receipt`, `/r/<key>/alerts`.
    /// From now on `key` belongs to a scenario: what arrives under it is kept.
    pub fn urls(&self, key: &str) -> CollectorUrls {
        self.shared.known.insert(key);
        let prefix = format!("{}{COLLECTOR_PREFIX}{}", self.shared.base, encode_segment(key));
        CollectorUrls { receipt: format!("{prefix}/receipt"), alerts: format!("{prefix}/alerts") }
    }

    /// The address the SMTP listener is bound to.
    pub fn smtp_addr(&self) -> SocketAddr {
        self.smtp.local_addr()
    }

    /// `mailto:` receipt and alert URLs unique to `key`:
    /// `mailto:receipt.<key>@pens-conform.test`, `mailto:alerts.<key>@pens-conform.test`.
    /// A key holding anything but letters, digits, `-` and `_` is escaped (`~XX`).
    /// From now on `key` belongs to a scenario: mail to its addresses is taken.
    pub fn mailto(&self, key: &str) -> CollectorUrls {
        self.shared.known.insert(key);
        CollectorUrls {
            receipt: format!("mailto:{}", mail_address("receipt", key)),
            alerts: format!("mailto:{}", mail_address("alerts", key)),
        }
    }

    /// From now on the receipts and alerts of `key` (HTTP and mail) are passed to
    /// `relay` once recorded, and its answer goes back to the target in place of the
    /// collector's; `key` belongs to a scenario from now on, as with
    /// [`Collector::urls`].
    pub fn relay_for(&self, key: &str, relay: std::sync::Arc<dyn NotificationRelay>) {
        self.shared.known.insert(key);
        self.shared.relays().insert(key.to_owned(), relay);
    }

    /// The collector answers the notifications of `key` itself again.
    pub fn stop_relaying(&self, key: &str) {
        self.shared.relays().remove(key);
    }

    /// Drops the notifications recorded for `key` and records none of it from now on:
    /// a long observation forgets each judged publish, so the log stays as small as
    /// the publishes still being watched. Its URLs keep working as before (answered,
    /// or passed to its relay); only a few bytes of bookkeeping per key stay.
    pub fn forget(&self, key: &str) {
        // Closed first, so that nothing of `key` is kept between the two steps.
        self.shared.counts.forget(key);
        self.shared.log.remove_where(|event| event.key == key);
    }

    /// What arrived for `key` beyond the notifications kept per key, if anything did.
    pub fn overflow(&self, key: &str) -> Option<Overflow> {
        self.shared.counts.overflow(key)
    }

    /// The HTTP requests that arrived at paths of no scenario (no key handed out by
    /// [`Collector::urls`] or [`Collector::mailto`]): answered 404, counted, not kept.
    pub fn unsolicited(&self) -> Option<UnsolicitedCount> {
        self.shared.unsolicited.snapshot()
    }

    /// The mail recipients of no scenario: refused at `RCPT TO`, counted.
    pub fn unsolicited_mail(&self) -> Option<UnsolicitedCount> {
        self.shared.unsolicited_mail.snapshot()
    }

    /// How many connections to the HTTP listener found every slot taken and waited.
    pub fn held_back_connections(&self) -> u64 {
        self.task.held_back()
    }

    /// The HTTP listener's account of its connection cap so far: what waited, what was
    /// closed to make room or for sending no request, and when.
    pub fn saturation(&self) -> crate::Saturation {
        self.task.saturation()
    }

    /// From now on hands every notification to `sink` as it arrives, instead of
    /// recording it: a load run's memory stays bounded however many receipts come.
    /// [`Collector::events`] and [`Collector::wait_for`] see nothing after this; `sink`
    /// runs on the collector's tasks, so it must be quick.
    pub fn divert_events(&self, sink: impl Fn(NotificationEvent) + Send + Sync + 'static) {
        self.shared.log.divert(Arc::new(sink));
    }

    /// The collect of `key` is on its way: until [`Collector::answer_read`] (or for at
    /// most [`crate::RECEIPT_HOLD`]), a receipt for `key` is recorded at once but
    /// answered only then, so that a target which answers its collect only after its
    /// receipt was answered shows it beyond any doubt of the harness's clocks
    /// (CMI010 App. A §2: answer, fetch, receipt).
    pub fn awaiting_answer(&self, key: &str) {
        // The deadline is set per receipt when it arrives (`hold` below), not here.
        let _ = self.shared.gates.close(key, crate::answer_gate::RECEIPT_HOLD);
    }

    /// The answer to the collect of `key` has been read, or will not come: its held
    /// receipts are answered now.
    pub fn answer_read(&self, key: &str) {
        self.shared.gates.remove(key);
    }

    /// Every notification recorded for `key`, in arrival order.
    pub fn events(&self, key: &str) -> Vec<NotificationEvent> {
        self.shared.log.filtered(|e| e.key == key)
    }

    /// Every notification recorded, whatever the key.
    pub fn all_events(&self) -> Vec<NotificationEvent> {
        self.shared.log.filtered(|_| true)
    }

    /// Waits until the events of `key` satisfy `pred`, or the deadline passes; returns
    /// the events of `key` at that moment either way.
    pub async fn wait_for(
        &self,
        key: &str,
        deadline: Instant,
        pred: impl Fn(&[NotificationEvent]) -> bool,
    ) -> Vec<NotificationEvent> {
        match self.shared.log.wait(deadline, |e| e.key == key, |events| pred(events).then(|| events.to_vec())).await {
            Some(events) => events,
            None => self.events(key),
        }
    }
}

impl fmt::Debug for Collector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collector")
            .field("base", &self.shared.base)
            .field("smtp", &self.smtp.local_addr())
            .finish_non_exhaustive()
    }
}

struct Shared {
    started: Instant,
    base: String,
    log: EventLog<NotificationEvent>,
    /// Keys whose collect is still waiting for its answer: their receipts' answers wait.
    gates: crate::answer_gate::AnswerGates,
    /// Notifications kept per key.
    cap: usize,
    /// What arrived per key, kept or not.
    counts: KeyCounts,
    /// The keys handed out: only what arrives under one of them is kept.
    known: KnownKeys,
    /// HTTP requests at paths of no scenario.
    unsolicited: Unsolicited,
    /// Mail recipients of no scenario.
    unsolicited_mail: Unsolicited,
    /// Keys whose notifications a relay answers ([`Collector::relay_for`]).
    relays: std::sync::Mutex<std::collections::HashMap<String, Arc<dyn NotificationRelay>>>,
}

impl Shared {
    /// Keeps `event` unless its key already has as many as the cap; counts it either
    /// way. Whether it was kept.
    fn keep(&self, event: NotificationEvent) -> bool {
        let kept = self.counts.admit(&event.key, self.cap, event.at);
        if kept {
            self.log.push(event);
        }
        kept
    }

    fn relays(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Arc<dyn NotificationRelay>>> {
        self.relays.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The relay of `key`, if one answers for it.
    fn relay_of(&self, key: &str) -> Option<Arc<dyn NotificationRelay>> {
        self.relays().get(key).cloned()
    }
}

impl MailSink for Shared {
    /// A recipient is taken when its key was handed out; any other is refused (and
    /// counted) before a byte of the message comes.
    fn accepts(&self, recipient: &str) -> bool {
        let (_, key) = route(recipient);
        let known = self.known.contains(&key);
        if !known {
            self.unsolicited_mail.record(recipient, 0);
        }
        known
    }

    fn deliver(&self, mail: ReceivedMail) {
        for event in notification_events(&mail, self.started) {
            // Only recipients `accepts` took reach here; a sink that did not ask still
            // keeps nothing of a key of no scenario.
            if self.known.contains(&event.key) {
                // Kept or not (beyond the cap, or forgotten), a relayed key's mail still
                // goes to its relay, as its HTTP notifications do (`handle`).
                let relay = self.relay_of(&event.key);
                let relayed = relay.is_some().then(|| event.clone());
                self.keep(event);
                if let (Some(relay), Some(event)) = (relay, relayed) {
                    relay.mail_arrived(event);
                }
            } else {
                self.unsolicited_mail.record(&event.path, event.raw.len() as u64);
            }
        }
    }
}

/// The router: one handler for every path and method, so nothing goes unrecorded.
fn app(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let at = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(|q| Bytes::copy_from_slice(q.as_bytes())).unwrap_or_default();
    let content_type =
        request.headers().get(CONTENT_TYPE).map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let basic_auth = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| basic_credentials(value.as_bytes()))
        .map(|(user, password)| BasicAuth::new(user, password));
    let segments = segments_after(&path, COLLECTOR_PREFIX).unwrap_or_default();
    let key = segments.first().cloned().unwrap_or_default();
    if !shared.known.contains(&key) {
        return unsolicited(&shared, &path, query.len(), request.into_body()).await;
    }
    let endpoint = match segments.get(1..) {
        Some([name]) if name == "receipt" => Endpoint::Receipt,
        Some([name]) if name == "alerts" => Endpoint::Alerts,
        _ => Endpoint::Other,
    };

    let query_text = request.uri().query().map(str::to_owned);
    let authorization = request.headers().get(AUTHORIZATION).cloned();
    let mut body_read = Bytes::new();
    let read = if method == Method::GET || method == Method::HEAD {
        Ok(read_query(query))
    } else {
        match tokio::time::timeout(BODY_READ_TIMEOUT, to_bytes(request.into_body(), MAX_NOTIFICATION_BYTES)).await {
            Ok(Ok(body)) if body.is_empty() && !query.is_empty() => Ok(read_query(query)),
            // A form, or multipart/form-data: the decoder client mode reads collects with.
            Ok(Ok(body)) => {
                body_read = body.clone();
                Ok((body.clone(), decode_body(content_type.as_deref(), &body)))
            }
            Ok(Err(_)) => Err(StatusCode::PAYLOAD_TOO_LARGE),
            Err(_) => Err(StatusCode::REQUEST_TIMEOUT),
        }
    };
    let (status, raw, mut pairs_and_findings) = match read {
        Ok((raw, read)) => (StatusCode::OK, raw, read),
        Err(status) => (status, Bytes::new(), DecodedForm::default()),
    };
    let decoded = Notification::from_pairs(&pairs_and_findings.pairs);
    let mut findings = std::mem::take(&mut pairs_and_findings.findings);
    findings.extend(decoded.findings);
    findings.extend(check_notification_delivery(method.as_str(), content_type.as_deref()));

    let held_key = (endpoint == Endpoint::Receipt && status == StatusCode::OK).then(|| key.clone());
    let relay = shared.relay_of(&key).filter(|_| status == StatusCode::OK);
    let arrived = relay.as_ref().map(|_| ArrivedNotification {
        key: key.clone(),
        endpoint,
        method: method.to_string(),
        query: query_text,
        content_type: content_type.clone(),
        authorization,
        body: body_read,
    });
    // Kept or not (beyond the cap), a relayed key's notification still goes to its
    // relay: the relay's own records are capped, and the target must get the client's
    // answer, never one of ours.
    shared.keep(NotificationEvent {
        key,
        at,
        elapsed_ms: u64::try_from(at.duration_since(shared.started).as_millis()).unwrap_or(u64::MAX),
        endpoint,
        path,
        method: method.to_string(),
        content_type,
        raw,
        notification: decoded.notification,
        findings,
        status: status.as_u16(),
        mail: None,
        basic_auth,
    });

    if let Some(key) = held_key {
        // Recorded first, as it arrived; only our answer waits (crate::answer_gate).
        if let Some(hold) = shared.gates.hold(&key, crate::answer_gate::RECEIPT_HOLD) {
            hold.wait().await;
        }
    }
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return text_response(status, format!("a notification is at most {MAX_NOTIFICATION_BYTES} bytes\r\n"));
    }
    if status == StatusCode::REQUEST_TIMEOUT {
        let seconds = BODY_READ_TIMEOUT.as_secs();
        return text_response(status, format!("the body did not arrive within {seconds} s\r\n"));
    }
    if let (Some(relay), Some(arrived)) = (relay, arrived) {
        // A relayed key is answered by the client through its relay, or not at all:
        // a PENS answer of ours here would be a success in the client's name.
        return match relay.relay(arrived).await {
            Some(answer) => relayed_response(answer),
            None => not_relayed_response(),
        };
    }
    text_response(StatusCode::OK, PensResponse::success(endpoint.answer_text()).encode())
}

/// A request at a path of no scenario: its body read (at most
/// [`MAX_NOTIFICATION_BYTES`], within [`BODY_READ_TIMEOUT`]) and dropped, so that the
/// peer is not left writing into a closed socket, then `404` in plain text, like any
/// web server at a path it does not serve (CMI010 §6.3 allows the underlying
/// protocol's codes where they fit). Only counted: no event, nothing kept.
async fn unsolicited(shared: &Shared, path: &str, query_bytes: usize, body: Body) -> Response {
    let read = drain(body, MAX_NOTIFICATION_BYTES as u64, BODY_READ_TIMEOUT).await;
    shared.unsolicited.record(path, read.saturating_add(query_bytes as u64));
    text_response(
        StatusCode::NOT_FOUND,
        "no scenario of this run has a receipt or alert URL at this path: the request was counted, not kept\r\n"
            .to_owned(),
    )
}

fn text_response(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(RESPONSE_CONTENT_TYPE));
    response
}

/// What the target gets when the relay of its key gave no answer: the relay's
/// plain-text `503` (as its other not-relayed answers), no PENS answer of anyone's.
fn not_relayed_response() -> Response {
    let mut response = Response::new(Body::from(NOT_RELAYED_TEXT));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// The body of [`not_relayed_response`].
const NOT_RELAYED_TEXT: &str =
    "pens-conform relay: not relayed: the relay gave no answer for this receipt or alert\r\n";

/// The relay's answer as it came: status, content type, headers, body.
fn relayed_response(answer: RelayedAnswer) -> Response {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    if let Some(content_type) = answer.content_type.and_then(|value| HeaderValue::from_str(&value).ok()) {
        response.headers_mut().insert(CONTENT_TYPE, content_type);
    }
    for (name, value) in &answer.headers {
        let Ok(name) = axum::http::HeaderName::from_bytes(name.as_bytes()) else { continue };
        if is_framing(&name) {
            continue;
        }
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// Headers the collector sets itself when it frames an answer: one passed in with a
/// relayed answer would contradict the body it sends or the connection it keeps.
fn is_framing(name: &axum::http::HeaderName) -> bool {
    use axum::http::header::{CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
    name == CONTENT_TYPE || name == CONTENT_LENGTH || name == TRANSFER_ENCODING || name == CONNECTION
}

fn read_query(query: Bytes) -> (Bytes, DecodedForm) {
    let decoded = decode_form(&query);
    (query, decoded)
}
