//! What the reference client did and saw, as a list of timestamped events.
//!
//! Tests and the harness's self-test need the client's side of an exchange: what was
//! staged, what the collect said and what the target answered, who fetched the package
//! with which credentials, which receipts and alerts came and what the client answered.
//! The log is shared by [`super::ReferenceClient::publish`], the receipt listener and
//! the task that copies the staging server's records; waiters are woken on every new
//! event (a `watch` channel), so a test waits for a condition with a deadline instead
//! of sleeping.
//!
//! Events are kept in the order they *happened* (`at`), which is not always the order
//! they were recorded: the answer to a collect is recorded once it has arrived but
//! dated when sending began, and a fetch is recorded once the staging server's answer
//! is over but dated when the request arrived. Wait for each event you need by what it
//! is, not by its position. No event holds a password: the collect is recorded with
//! secrets redacted, and secret fields of a notification are dropped.

use std::fmt;
use std::time::Instant;

use bytes::Bytes;
use pens_proto::{ErrorCode, Notification, is_secret_name};
use tokio::sync::watch;

use pens_parties::CredentialsPresented;
use pens_parties::Endpoint;
use pens_parties::Method;

/// One thing the client did or saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientEvent {
    /// When it happened.
    pub at: Instant,
    /// Milliseconds since the client started (for logs, where instants mean nothing).
    pub elapsed_ms: u64,
    /// Which publication it belongs to: 1 for the first [`super::ReferenceClient::publish`],
    /// and so on; `None` for a request at a path the client never handed out.
    pub publication: Option<u64>,
    /// What happened.
    pub kind: ClientEventKind,
}

/// The kinds of [`ClientEvent`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEventKind {
    /// The package was put on the staging server (CMI010 App. A §2 step 1), or, under
    /// `package-not-staged`, its path was reserved and left empty.
    Staged {
        /// The package URL (HTTP or HTTPS, as configured).
        url: String,
        /// Package bytes.
        bytes: u64,
        /// The user the staging server asks for, if it checks credentials.
        user: Option<String>,
        /// Whether the package is actually served there.
        served: bool,
    },
    /// The collect was sent and its answer read, or the exchange failed (CMI010 §5, §6.3).
    CollectSent {
        /// POST or GET.
        method: Method,
        /// `METHOD URL` as sent, secrets in a GET query redacted.
        request_line: String,
        /// The POST body as sent, secrets redacted; empty for GET.
        body: String,
        /// The answer, or what went wrong on the way, in words.
        outcome: Result<CollectAnswer, String>,
        /// Milliseconds until the whole answer was read.
        latency_ms: Option<u64>,
    },
    /// Someone asked the staging server for this publication's package.
    PackageRequested(PackageRequest),
    /// A receipt or an alert arrived, and was answered (CMI010 §5.1). Boxed: it is by
    /// far the largest kind.
    NotificationReceived(Box<ReceivedNotification>),
}

/// The target's answer to a collect, as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `error` of the PENS response, when one could be read.
    pub error: Option<ErrorCode>,
    /// The body, byte for byte.
    pub body: Bytes,
}

/// One request for a package, as the staging server recorded it once its answer was
/// over. The staging server does not record the peer's address: the fetcher is known
/// by the credentials it presented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageRequest {
    /// `"http"` or `"https"`.
    pub protocol: String,
    /// The request method.
    pub method: String,
    /// The request path.
    pub path: String,
    /// The credentials presented, judged against the staging plan (never the password).
    pub credentials: CredentialsPresented,
    /// The status answered.
    pub status: u16,
    /// Body bytes handed to the connection.
    pub bytes_sent: u64,
    /// Whether the whole body went out.
    pub completed: bool,
    /// When the answer was over.
    pub finished_at: Instant,
}

/// A receipt or alert as it arrived, and the client's answer to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedNotification {
    /// Which URL it arrived at.
    pub endpoint: Endpoint,
    /// The request method.
    pub method: String,
    /// The `Content-Type` header, as sent.
    pub content_type: Option<String>,
    /// The message as far as it could be read; fields with secret names are dropped.
    pub notification: Notification,
    /// The HTTP status of the client's answer.
    pub answer_status: u16,
    /// The body of the client's answer, byte for byte.
    pub answer: Bytes,
}

impl ReceivedNotification {
    /// The notification with every field whose name looks secret removed, so that a
    /// target echoing a password back does not put it in the log.
    pub(crate) fn without_secrets(mut notification: Notification) -> Notification {
        notification.extra.retain(|(name, _)| !is_secret_name(name));
        notification
    }
}

impl fmt::Display for ClientEvent {
    /// One log line: `+12ms #3 collect POST http://127.0.0.1:4000/pens: HTTP 200, error=0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}ms", self.elapsed_ms)?;
        match self.publication {
            Some(number) => write!(f, " #{number}")?,
            None => f.write_str(" (no publication)")?,
        }
        match &self.kind {
            ClientEventKind::Staged { url, bytes, user, served } => {
                write!(f, " staged {url} ({bytes} bytes")?;
                if let Some(user) = user {
                    write!(f, ", for user {user}")?;
                }
                if !served {
                    f.write_str(", not served")?;
                }
                f.write_str(")")
            }
            ClientEventKind::CollectSent { request_line, outcome, .. } => {
                write!(f, " collect {request_line}: ")?;
                match outcome {
                    Ok(CollectAnswer { status, error: Some(code), .. }) => write!(f, "HTTP {status}, error={code}"),
                    Ok(CollectAnswer { status, error: None, .. }) => {
                        write!(f, "HTTP {status}, no readable PENS response")
                    }
                    Err(failure) => write!(f, "failed ({failure})"),
                }
            }
            ClientEventKind::PackageRequested(request) => {
                let PackageRequest { protocol, method, path, credentials, status, bytes_sent, completed, .. } = request;
                let credentials = match credentials {
                    CredentialsPresented::None => "no credentials".to_owned(),
                    CredentialsPresented::Valid => "valid credentials".to_owned(),
                    CredentialsPresented::Wrong { user } => format!("wrong credentials for user `{user}`"),
                    CredentialsPresented::Unrequested { user } => format!("unrequested credentials of `{user}`"),
                };
                let whole = if *completed { "complete" } else { "incomplete" };
                write!(
                    f,
                    " package {method} {path} over {protocol} with {credentials}: {status}, {bytes_sent} bytes, {whole}"
                )
            }
            ClientEventKind::NotificationReceived(received) => {
                let what = received.notification.command.as_deref().unwrap_or("notification without command");
                let error = received.notification.error.as_deref().unwrap_or("?");
                let answer = String::from_utf8_lossy(&received.answer);
                let first = answer.lines().next().unwrap_or_default();
                write!(
                    f,
                    " {what} error={error} by {} at the {:?} url, answered {} {first}",
                    received.method, received.endpoint, received.answer_status
                )
            }
        }
    }
}

/// The shared event log, ordered by `at`.
#[derive(Debug)]
pub(crate) struct ActivityLog {
    started: Instant,
    events: watch::Sender<Vec<ClientEvent>>,
}

impl ActivityLog {
    pub(crate) fn new() -> Self {
        ActivityLog { started: Instant::now(), events: watch::Sender::new(Vec::new()) }
    }

    /// Records an event that happened `at`, logs it, and wakes every waiter.
    pub(crate) fn record(&self, at: Instant, publication: Option<u64>, kind: ClientEventKind) {
        let elapsed_ms = u64::try_from(at.saturating_duration_since(self.started).as_millis()).unwrap_or(u64::MAX);
        let event = ClientEvent { at, elapsed_ms, publication, kind };
        tracing::info!(target: "pens_reference::client", "{event}");
        self.events.send_modify(|events| {
            let position = events.partition_point(|e| e.at <= at);
            events.insert(position, event);
        });
    }

    /// The events `select` keeps, oldest first.
    pub(crate) fn snapshot(&self, select: impl Fn(&ClientEvent) -> bool) -> Vec<ClientEvent> {
        self.events.borrow().iter().filter(|e| select(e)).cloned().collect()
    }

    /// Waits until `pred` holds for the events `select` keeps (checked at once and
    /// after every new event), or `deadline` passes; returns those events, or `None`
    /// at the deadline.
    pub(crate) async fn wait_for(
        &self,
        select: impl Fn(&ClientEvent) -> bool,
        pred: impl Fn(&[ClientEvent]) -> bool,
        deadline: Instant,
    ) -> Option<Vec<ClientEvent>> {
        let kept = |events: &Vec<ClientEvent>| events.iter().filter(|e| select(e)).cloned().collect::<Vec<_>>();
        let mut receiver = self.events.subscribe();
        let waited = tokio::time::timeout_at(deadline.into(), receiver.wait_for(|events| pred(&kept(events)))).await;
        match waited {
            Ok(Ok(events)) => Some(kept(&events)),
            // The sender lives as long as `self`: it cannot be closed while we borrow it.
            Ok(Err(_)) | Err(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    fn staged(url: &str) -> ClientEventKind {
        ClientEventKind::Staged { url: url.into(), bytes: 3, user: None, served: true }
    }

    #[tokio::test]
    async fn waiters_wake_on_the_event_that_satisfies_them() {
        let log = Arc::new(ActivityLog::new());
        let writer = Arc::clone(&log);
        let task = tokio::spawn(async move {
            writer.record(Instant::now(), Some(2), staged("http://h/other"));
            writer.record(Instant::now(), Some(1), staged("http://h/mine"));
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        let mine = log.wait_for(|e| e.publication == Some(1), |events| !events.is_empty(), deadline).await;
        let mine = mine.expect("recorded");
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].kind, staged("http://h/mine"));
        task.await.expect("writer");
    }

    #[tokio::test]
    async fn a_passed_deadline_gives_none() {
        let log = ActivityLog::new();
        assert_eq!(log.wait_for(|_| true, |events| !events.is_empty(), Instant::now()).await, None);
    }

    #[test]
    fn events_are_ordered_by_when_they_happened() {
        let log = ActivityLog::new();
        let earlier = Instant::now();
        let later = earlier + Duration::from_millis(5);
        log.record(later, Some(1), staged("http://h/later"));
        log.record(earlier, Some(1), staged("http://h/earlier"));
        let urls: Vec<ClientEventKind> = log.snapshot(|_| true).into_iter().map(|e| e.kind).collect();
        assert_eq!(urls, [staged("http://h/earlier"), staged("http://h/later")]);
    }

    #[test]
    fn secret_fields_of_a_notification_are_dropped() {
        let mut notification = Notification::receipt("urn:x:1", "LMS", ErrorCode(0), "ok");
        notification.extra = vec![("package-url-password".into(), "s3cret".into()), ("note".into(), "hi".into())];
        let kept = ReceivedNotification::without_secrets(notification);
        assert_eq!(kept.extra, [("note".to_owned(), "hi".to_owned())]);
    }

    #[test]
    fn log_lines_say_what_happened() {
        let event = ClientEvent {
            at: Instant::now(),
            elapsed_ms: 12,
            publication: Some(3),
            kind: ClientEventKind::PackageRequested(PackageRequest {
                protocol: "https".into(),
                method: "GET".into(),
                path: "/s/publication-3/course.zip".into(),
                credentials: CredentialsPresented::Wrong { user: "pens".into() },
                status: 401,
                bytes_sent: 21,
                completed: true,
                finished_at: Instant::now(),
            }),
        };
        assert_eq!(
            event.to_string(),
            "+12ms #3 package GET /s/publication-3/course.zip over https with wrong credentials for user `pens`: \
             401, 21 bytes, complete"
        );
    }
}
