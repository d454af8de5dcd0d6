//! What the reference target did, as a list of timestamped events.
//!
//! Tests and `pens-conform serve target` need to see the target's side of an exchange:
//! which code it answered, when it fetched, what its receipt said. The log is shared
//! by the HTTP handler and the background jobs; waiters are woken on every new event
//! (a `watch` channel), so a test waits for a condition with a deadline instead of
//! sleeping. Client mode judges the client by what the target recorded, so a collect is
//! kept byte for byte and every answer of the client to a receipt or alert as text. No
//! event holds a password: secret elements and URL passwords are redacted, and the
//! collect's secret values blanked wherever they appear, before anything is recorded
//! (see `redaction.rs`).

use std::fmt;
use std::time::Instant;

use bytes::Bytes;
use pens_proto::{ErrorCode, NotificationKind};
use tokio::sync::watch;

use super::script::DeliveryMethod;

/// One thing the target did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetEvent {
    /// When it happened.
    pub at: Instant,
    /// Milliseconds since the target started (for logs, where instants mean nothing).
    pub elapsed_ms: u64,
    /// Which collect led to it: 1 for the first collect the target received, and so on.
    pub exchange: u64,
    /// The key of the URL the collect arrived at (`/pens/<key>`, decoded), which chose
    /// its [`super::TargetScript`]; `None` for `/pens`. Client mode gives every scenario
    /// a key of its own, so concurrent scenarios stay apart.
    pub key: Option<String>,
    /// The collect's `package-id`, when it had one.
    pub package_id: Option<String>,
    /// What happened.
    pub kind: TargetEventKind,
}

/// The kinds of [`TargetEvent`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetEventKind {
    /// A collect arrived and was judged; `answer` is what the target will answer.
    CollectReceived {
        /// `GET` or `POST`.
        method: String,
        /// The `Content-Type` header, as sent.
        content_type: Option<String>,
        /// The collect as it came: the POST body (a form, or `multipart/form-data` as
        /// `content_type` says), or the query of a GET (everything after `?`, the
        /// target URL's own parameters included), byte for byte except that secret
        /// values are redacted. `pens_proto::CollectCommand::decode_post` reads a POST
        /// body again as the target read it.
        raw: Bytes,
        /// The decoded command's elements, `(name, value)`, secrets redacted and long
        /// values cut (see `pens_proto::CollectCommand::redacted_pairs`).
        pairs: Vec<(String, String)>,
        /// Whether a script registered for the key chose what happens; `false` for
        /// `/pens` and for keys nobody registered (the default script).
        scripted: bool,
        /// The code the target answers (differs from `expected` under a defect or a
        /// script's answer).
        answer: ErrorCode,
        /// The code a conformant target answers (CMI010 §6.3).
        expected: ErrorCode,
    },
    /// The answer to the collect has been handed to the connection. Missing when the
    /// client hung up before the answer was due (say during a script's answer delay)
    /// and the server dropped it; the background work runs all the same.
    CollectAnswered {
        /// The code answered.
        answer: ErrorCode,
    },
    /// The target started fetching `package-url` (CMI010 §5).
    FetchStarted {
        /// The package URL, password redacted.
        url: String,
        /// Whether HTTP basic credentials were presented.
        credentials: bool,
    },
    /// The fetch and the archive check ended.
    FetchFinished {
        /// The staging server's HTTP status, if one was received.
        http_status: Option<u16>,
        /// Body bytes received.
        bytes: u64,
        /// The outcome as a PENS code: 0, or 1310, 1312, 1432, ...
        result: ErrorCode,
        /// A human-readable explanation.
        detail: String,
    },
    /// A receipt or an alert was sent over HTTP (CMI010 §5.1).
    NotificationSent {
        /// Receipt or alert.
        kind: NotificationKind,
        /// POST (form body) or GET (query).
        method: DeliveryMethod,
        /// Where to (the receipt or alerts URL, without the message), password redacted.
        url: String,
        /// The `error` it carried.
        error: ErrorCode,
        /// The `package-id` it carried.
        package_id: Option<String>,
        /// The names of the fields it carried, in the order sent (all of the spec's
        /// examples, or only those of a minimal message, see
        /// [`super::NotificationContent`]).
        fields: Vec<String>,
        /// How the client answered.
        delivery: Delivery,
    },
    /// A receipt or alert mailed to a `mailto:` URL (CMI010 §5), through the SMTP relay.
    /// Nobody answers a mail; the relay's reply is what there is.
    NotificationMailed {
        /// Receipt or alert.
        kind: NotificationKind,
        /// Every recipient.
        to: Vec<String>,
        /// The `error` it carried.
        error: ErrorCode,
        /// The `package-id` it carried.
        package_id: Option<String>,
        /// The relay's reply, when it took the message.
        reply: Option<String>,
        /// Why the message could not be handed over, when it could not.
        failure: Option<String>,
    },
    /// A receipt or alert that could not be sent at all (no usable URL, or a
    /// `mailto:` URL while mail is not claimed).
    NotificationSkipped {
        /// Receipt or alert.
        kind: NotificationKind,
        /// Why not.
        reason: String,
    },
    /// A cap on what the implementation sent was reached ([`crate::PeerLimits`]): a
    /// package, a redirect chain or an archive too large, or a redirect elsewhere.
    /// Recorded before the event it ended (the fetch's `FetchFinished`).
    LimitReached {
        /// Which cap, and what was seen.
        breach: crate::LimitBreach,
    },
    /// A collect the target refused before reading it whole: its body or its request
    /// head was beyond what the target reads ([`super::MAX_COLLECT_BYTES`], the HTTP
    /// parser's buffer). Nothing was decoded or acted on; the client got an HTTP error
    /// (413, 431), not a PENS answer. The event's key is the one its path names, if it
    /// could be read.
    CollectRefused {
        /// What arrived and why it was refused.
        refusal: super::CollectRefusal,
    },
    /// Everything the target does for this collect is done: the answer is out and the
    /// background work (if any) has ended. Nothing more happens for this exchange.
    ExchangeFinished,
}

/// How the client answered a receipt or alert, exactly: client mode judges the answer
/// (CMI010 §6.3: a PENS response, CR LF lines, `error=0`). The reference target itself
/// never acts on it: CMI010 §5.1 asks nothing of a target whose receipt is refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    /// The HTTP status, if the request got an answer.
    pub http_status: Option<u16>,
    /// The `Content-Type` of the answer, as sent.
    pub content_type: Option<String>,
    /// The answer's body, its exact bytes (UTF-8 or not, line ends as sent), at most
    /// [`MAX_ANSWER_RAW_BYTES`] of it; `None` when no answer came. The collect's secret
    /// values are blanked.
    pub answer_raw: Option<Vec<u8>>,
    /// The `error` of the client's PENS response, if one could be read.
    pub pens_error: Option<ErrorCode>,
    /// Milliseconds from sending the message until the whole answer had been read;
    /// `None` when the request failed.
    pub latency_ms: Option<u64>,
    /// The transport error, if the request failed.
    pub failure: Option<String>,
    /// The cap on answers the client's answer broke ([`crate::AnswerLimits`]), when it
    /// broke one: reading stopped there and `answer_raw` is `None`.
    pub breach: Option<crate::LimitBreach>,
}

/// The most of a client's answer [`Delivery::answer_raw`] keeps: a PENS response is a
/// few lines; `pens-data` may carry more, but not this much.
pub const MAX_ANSWER_RAW_BYTES: usize = 16 * 1024;

/// Which exchange an event belongs to: its number, its key, its `package-id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExchangeRef {
    pub(crate) number: u64,
    pub(crate) key: Option<String>,
    pub(crate) package_id: Option<String>,
}

impl fmt::Display for TargetEvent {
    /// One log line: `+12ms #3 [key] urn:x:1 collect POST, answering 0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}ms #{}", self.elapsed_ms, self.exchange)?;
        if let Some(key) = &self.key {
            // Keys come from request paths: no control character reaches a log line.
            write!(f, " [{}]", key.escape_debug())?;
        }
        if let Some(id) = &self.package_id {
            write!(f, " {}", pens_proto::redact(id))?;
        }
        match &self.kind {
            TargetEventKind::CollectReceived { method, answer, expected, .. } if answer == expected => {
                write!(f, " collect {method}, answering {answer}")
            }
            TargetEventKind::CollectReceived { method, answer, expected, .. } => {
                write!(f, " collect {method}, answering {answer} (a conformant target answers {expected})")
            }
            TargetEventKind::CollectAnswered { answer } => write!(f, " answered {answer}"),
            TargetEventKind::FetchStarted { url, credentials } => {
                let with = if *credentials { " with credentials" } else { "" };
                write!(f, " fetching {url}{with}")
            }
            TargetEventKind::FetchFinished { http_status, bytes, result, detail } => {
                let status = http_status.map(|s| format!("HTTP {s}, ")).unwrap_or_default();
                write!(f, " fetched: {status}{bytes} bytes, result {result} ({detail})")
            }
            TargetEventKind::NotificationSent { kind, method, url, error, delivery, .. } => {
                write!(f, " {kind} error={error} sent by {method} to {url}: ")?;
                match (&delivery.failure, delivery.http_status, delivery.pens_error) {
                    (Some(failure), _, _) => write!(f, "failed ({failure})"),
                    (None, _, _) if delivery.breach.is_some() => {
                        write!(
                            f,
                            "answer not read ({})",
                            delivery.breach.as_ref().map(|b| b.message.as_str()).unwrap_or_default()
                        )
                    }
                    (None, Some(status), Some(code)) => write!(f, "HTTP {status}, error={code}"),
                    (None, Some(status), None) => write!(f, "HTTP {status}, no readable PENS response"),
                    (None, None, _) => f.write_str("no answer"),
                }?;
                match delivery.latency_ms {
                    Some(ms) => write!(f, " in {ms} ms"),
                    None => Ok(()),
                }
            }
            TargetEventKind::NotificationMailed { kind, to, error, reply, failure, .. } => {
                write!(f, " {kind} error={error} mailed to {}: ", to.join(", "))?;
                match (failure, reply) {
                    (Some(failure), _) => write!(f, "failed ({failure})"),
                    (None, Some(reply)) => write!(f, "relay answered {reply}"),
                    (None, None) => f.write_str("no reply"),
                }
            }
            TargetEventKind::NotificationSkipped { kind, reason } => write!(f, " {kind} not sent: {reason}"),
            TargetEventKind::LimitReached { breach } => write!(f, " limit reached: {breach}"),
            TargetEventKind::CollectRefused { refusal } => write!(f, " collect refused: {refusal}"),
            TargetEventKind::ExchangeFinished => f.write_str(" done"),
        }
    }
}

/// The shared, append-only event log; bounded when given a limit.
#[derive(Debug)]
pub(crate) struct ActivityLog {
    started: Instant,
    events: watch::Sender<Vec<TargetEvent>>,
    /// The most events kept ([`super::MockTargetOptions::activity_limit`]).
    limit: Option<usize>,
}

impl ActivityLog {
    /// A log that keeps every event.
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::bounded(None)
    }

    /// A log that keeps at most `limit` events, the most recent ones: once the limit is
    /// passed the older half goes at once, so a long run (`serve target` under load)
    /// costs bounded memory and little copying. `None` keeps everything.
    pub(crate) fn bounded(limit: Option<usize>) -> Self {
        ActivityLog { started: Instant::now(), events: watch::Sender::new(Vec::new()), limit }
    }

    /// Whether recording has any effect: the log keeps events, or the info log shows
    /// them. A log bounded to none (`serve target --keep-events 0`) with logging off
    /// skips the work of building them, which a load of thousands of publishes a
    /// second would otherwise pay for every collect (the redacted copy above all).
    pub(crate) fn is_observed(&self) -> bool {
        self.limit != Some(0) || tracing::enabled!(target: "pens_parties::mock_target", tracing::Level::INFO)
    }

    /// Appends an event, logs it, and wakes every waiter.
    pub(crate) fn record(&self, exchange: &ExchangeRef, kind: TargetEventKind) {
        if !self.is_observed() {
            return;
        }
        let at = Instant::now();
        let elapsed_ms = u64::try_from(at.duration_since(self.started).as_millis()).unwrap_or(u64::MAX);
        let event = TargetEvent {
            at,
            elapsed_ms,
            exchange: exchange.number,
            key: exchange.key.clone(),
            package_id: exchange.package_id.clone(),
            kind,
        };
        tracing::info!(target: "pens_parties::mock_target", "{event}");
        let limit = self.limit;
        self.events.send_modify(|events| {
            events.push(event);
            if let Some(limit) = limit
                && events.len() > limit
            {
                events.drain(..events.len() - limit.div_ceil(2));
            }
        });
    }

    pub(crate) fn snapshot(&self) -> Vec<TargetEvent> {
        self.events.borrow().clone()
    }

    /// Waits until `pred` holds for the events so far, or `deadline` passes.
    pub(crate) async fn wait_for(
        &self,
        pred: impl Fn(&[TargetEvent]) -> bool,
        deadline: Instant,
    ) -> Option<Vec<TargetEvent>> {
        let mut receiver = self.events.subscribe();
        let waited = tokio::time::timeout_at(deadline.into(), receiver.wait_for(|events| pred(events))).await;
        match waited {
            Ok(Ok(events)) => Some(events.clone()),
            // The sender lives as long as `self`: it cannot be closed while we borrow it.
            Ok(Err(_)) | Err(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn waiters_wake_on_the_event_that_satisfies_them() {
        let log = std::sync::Arc::new(ActivityLog::new());
        let writer = log.clone();
        let task = tokio::spawn(async move {
            let exchange = ExchangeRef { number: 1, key: Some("k".into()), package_id: Some("urn:x:1".into()) };
            writer.record(&exchange, TargetEventKind::CollectAnswered { answer: ErrorCode(0) });
            writer.record(&exchange, TargetEventKind::ExchangeFinished);
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        let events = log
            .wait_for(|events| events.iter().any(|e| e.kind == TargetEventKind::ExchangeFinished), deadline)
            .await
            .expect("finished");
        assert_eq!(events.len(), 2);
        assert!(events.iter().all(|e| e.key.as_deref() == Some("k") && e.exchange == 1));
        task.await.expect("writer");
    }

    #[test]
    fn a_bounded_log_keeps_the_most_recent_events() {
        for (limit, kept_after_ten) in [(0, 0), (1, 1), (3, 2), (4, 4), (10, 10)] {
            let log = ActivityLog::bounded(Some(limit));
            let mut kept = Vec::new();
            for number in 1..=10 {
                let exchange = ExchangeRef { number, key: None, package_id: None };
                log.record(&exchange, TargetEventKind::ExchangeFinished);
                kept = log.snapshot().iter().map(|e| e.exchange).collect::<Vec<_>>();
                assert!(kept.len() <= limit, "limit {limit}: {kept:?}");
            }
            let expected: Vec<u64> = (11 - kept_after_ten..=10).collect();
            assert_eq!(kept, expected, "limit {limit}");
        }
    }

    #[tokio::test]
    async fn a_passed_deadline_gives_none() {
        let log = ActivityLog::new();
        assert_eq!(log.wait_for(|events| !events.is_empty(), Instant::now()).await, None);
    }

    #[test]
    fn log_lines_name_the_exchange_and_what_happened() {
        let event = TargetEvent {
            at: Instant::now(),
            elapsed_ms: 12,
            exchange: 3,
            key: None,
            package_id: Some("urn:x:1".into()),
            kind: TargetEventKind::CollectReceived {
                method: "POST".into(),
                content_type: Some("application/x-www-form-urlencoded".into()),
                raw: Bytes::from_static(b"package-id=urn%3Ax%3A1"),
                pairs: vec![("package-id".into(), "urn:x:1".into())],
                scripted: false,
                answer: ErrorCode(2003),
                expected: ErrorCode(2011),
            },
        };
        assert_eq!(
            event.to_string(),
            "+12ms #3 urn:x:1 collect POST, answering 2003 (a conformant target answers 2011)"
        );
        let delivery = Delivery {
            http_status: Some(200),
            content_type: Some("text/plain".into()),
            answer_raw: Some(b"error=OK\n".to_vec()),
            latency_ms: Some(4),
            ..Delivery::default()
        };
        let sent = TargetEvent {
            key: Some("scenario\n7".into()),
            kind: TargetEventKind::NotificationSent {
                kind: NotificationKind::Receipt,
                method: DeliveryMethod::Get,
                url: "http://127.0.0.1:9/r".into(),
                error: ErrorCode(1310),
                package_id: Some("urn:x:1".into()),
                fields: vec!["command".into(), "package-id".into(), "error".into()],
                delivery,
            },
            ..event
        };
        assert_eq!(
            sent.to_string(),
            "+12ms #3 [scenario\\n7] urn:x:1 receipt error=1310 sent by GET to http://127.0.0.1:9/r: \
             HTTP 200, no readable PENS response in 4 ms"
        );
    }
}
