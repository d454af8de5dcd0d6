//! The client's receipt and alert URLs (CMI010 §5.1, App. A §2 steps 5-12): the target
//! reports back here, and the client answers every message with a PENS response.
//!
//! Each publication has its own pair, `/r/publication-<n>/receipt` and
//! `/r/publication-<n>/alerts`, so messages about different publications never mix,
//! even for the same course. Anything arriving elsewhere is answered too and recorded
//! without a publication: a receipt sent to the wrong URL is a finding, not a lost
//! message. Messages are read as a form POST (what the spec's examples use), a
//! `multipart/form-data` POST (`pens_proto::decode_body`) or a GET query; the answer is
//! the same either way.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;
use pens_proto::{Notification, PensResponse, RESPONSE_CONTENT_TYPE, decode_body};

use super::activity::{ActivityLog, ClientEventKind, ReceivedNotification};
use super::defect::Behaviour;
use pens_parties::Endpoint;
use pens_parties::path::{encode_segment, segments_after};

/// Where notifications live: `/r/<key>/receipt`, `/r/<key>/alerts`.
const NOTIFICATION_PREFIX: &str = "/r/";

/// The key of publication `n` in staging and notification paths: `publication-<n>`.
pub(crate) fn publication_key(number: u64) -> String {
    format!("publication-{number}")
}

/// The state the client's parts share: its behaviour, its log, and how many
/// publications it has begun.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) behaviour: Behaviour,
    pub(crate) log: ActivityLog,
    publications: AtomicU64,
}

impl Shared {
    pub(crate) fn new(behaviour: Behaviour) -> Self {
        Shared { behaviour, log: ActivityLog::new(), publications: AtomicU64::new(0) }
    }

    /// The number of the next publication (1, 2, ...).
    pub(crate) fn next_publication(&self) -> u64 {
        self.publications.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The publication a path key names, if the client handed it out.
    fn publication_of(&self, key: &str) -> Option<u64> {
        let number: u64 = key.strip_prefix("publication-")?.parse().ok()?;
        let issued = self.publications.load(Ordering::Relaxed);
        (number >= 1 && number <= issued && publication_key(number) == key).then_some(number)
    }
}

/// The receipt and alert URLs of publication `number` under `base` (`http://host:port`).
pub(crate) fn notification_urls(base: &str, number: u64) -> (String, String) {
    let prefix = format!("{base}{NOTIFICATION_PREFIX}{}", encode_segment(&publication_key(number)));
    (format!("{prefix}/receipt"), format!("{prefix}/alerts"))
}

/// The router of the receipt listener: one handler for every path and method, so that
/// nothing goes unrecorded.
pub(crate) fn notification_app(shared: Arc<Shared>) -> Router {
    Router::new().fallback(receive).with_state(shared)
}

async fn receive(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let segments = segments_after(uri.path(), NOTIFICATION_PREFIX).unwrap_or_default();
    let publication = segments.first().and_then(|key| shared.publication_of(key));
    let endpoint = match segments.get(1..) {
        Some([name]) if name == "receipt" => Endpoint::Receipt,
        Some([name]) if name == "alerts" => Endpoint::Alerts,
        _ => Endpoint::Other,
    };
    let query = uri.query().unwrap_or_default().as_bytes();
    let content_type = headers.get(CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    // A GET carries the message in its query; so may a POST with an empty body. A POST
    // body is a form or multipart/form-data (as php-pens's target posts its receipts).
    let decoded = if method == Method::GET || body.is_empty() {
        Notification::decode(query).notification
    } else {
        Notification::from_pairs(&decode_body(content_type.as_deref(), &body).pairs).notification
    };
    let answer = match shared.behaviour.acceptance.refusal(&decoded) {
        Some((code, text)) => Bytes::from(PensResponse::error(code, text).encode()),
        None => shared.behaviour.answer.render(endpoint),
    };
    let notification = ReceivedNotification::without_secrets(decoded);
    shared.log.record(
        at,
        publication,
        ClientEventKind::NotificationReceived(Box::new(ReceivedNotification {
            endpoint,
            method: method.to_string(),
            content_type,
            notification,
            answer_status: StatusCode::OK.as_u16(),
            answer: answer.clone(),
        })),
    );
    let mut response = Response::new(Body::from(answer));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(RESPONSE_CONTENT_TYPE));
    response
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use pens_proto::{ErrorCode, NotificationKind, parse_response};
    use tower::ServiceExt;

    use super::super::activity::ClientEvent;
    use super::super::defect::ClientDefect;
    use super::*;

    async fn send(shared: &Arc<Shared>, request: axum::http::Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
        let response = notification_app(Arc::clone(shared)).oneshot(request).await.expect("infallible");
        let (parts, body) = response.into_parts();
        (parts.status, parts.headers, axum::body::to_bytes(body, usize::MAX).await.expect("body"))
    }

    fn received(events: &[ClientEvent]) -> Vec<(Option<u64>, ReceivedNotification)> {
        events
            .iter()
            .filter_map(|e| match &e.kind {
                ClientEventKind::NotificationReceived(r) => Some((e.publication, (**r).clone())),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn receipts_and_alerts_are_answered_and_recorded_under_their_publication() {
        let shared = Arc::new(Shared::new(Behaviour::of(None)));
        assert_eq!(shared.next_publication(), 1);
        let receipt = Notification::receipt("urn:x:1", "LMS", ErrorCode(0), "package retrieved").to_form();
        let post = axum::http::Request::post("/r/publication-1/receipt")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("{receipt}&system-password=s3cret")))
            .expect("request");
        let (status, headers, body) = send(&shared, post).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[CONTENT_TYPE], "text/plain");
        let parsed = parse_response(&body);
        assert!(parsed.findings.is_empty() && parsed.error == Some(ErrorCode(0)), "{body:?}");

        let multipart = axum::http::Request::post("/r/publication-1/receipt")
            .header(CONTENT_TYPE, "multipart/form-data; boundary=b")
            .body(Body::from(
                "--b\r\nContent-Disposition: form-data; name=\"command\"\r\n\r\nreceipt\r\n\
                 --b\r\nContent-Disposition: form-data; name=\"error\"\r\n\r\n1432\r\n--b--\r\n",
            ))
            .expect("request");
        send(&shared, multipart).await;
        let get = axum::http::Request::get("/r/publication-1/alerts?command=alert&error=0").body(Body::empty());
        send(&shared, get.expect("request")).await;
        for path in ["/r/publication-2/receipt", "/r/publication-01/receipt", "/elsewhere"] {
            let request = axum::http::Request::post(path).body(Body::from("command=receipt&error=0"));
            let (status, _, _) = send(&shared, request.expect("request")).await;
            assert_eq!(status, StatusCode::OK, "{path}");
        }

        let events = shared.log.snapshot(|_| true);
        let mut all = received(&events);
        assert_eq!(all.len(), 6);
        // The multipart receipt is read like a form.
        let (_, multipart) = all.remove(1);
        assert_eq!(multipart.notification.error_code(), Some(ErrorCode(1432)), "{multipart:?}");
        let (publication, first) = &all[0];
        assert_eq!(*publication, Some(1));
        assert_eq!(first.endpoint, Endpoint::Receipt);
        assert_eq!(first.notification.kind(), Some(NotificationKind::Receipt));
        assert_eq!(first.answer, body);
        assert!(!format!("{events:?}").contains("s3cret"));
        let (publication, alert) = &all[1];
        assert_eq!((*publication, alert.endpoint, alert.method.as_str()), (Some(1), Endpoint::Alerts, "GET"));
        assert_eq!(alert.notification.kind(), Some(NotificationKind::Alert));
        // Publication 2 was never begun, `01` is not how keys are written, and the last
        // path is no notification URL at all.
        let strays: Vec<(Option<u64>, Endpoint)> = all[2..].iter().map(|(p, r)| (*p, r.endpoint)).collect();
        assert_eq!(strays, [(None, Endpoint::Receipt), (None, Endpoint::Receipt), (None, Endpoint::Other)]);
    }

    #[tokio::test]
    async fn the_bad_answer_is_lf_only_and_recorded_as_sent() {
        let shared = Arc::new(Shared::new(Behaviour::of(Some(ClientDefect::BadReceiptAnswer))));
        shared.next_publication();
        let request = axum::http::Request::post("/r/publication-1/receipt").body(Body::from("command=receipt"));
        let (_, _, body) = send(&shared, request.expect("request")).await;
        assert!(body.starts_with(b"error=OK\n") && !body.contains(&b'\r'), "{body:?}");
        let deadline = Instant::now() + Duration::from_secs(5);
        let events = shared.log.wait_for(|_| true, |events| !events.is_empty(), deadline).await;
        let all = received(&events.expect("recorded"));
        assert_eq!(all[0].1.answer, body);
    }

    #[test]
    fn urls_name_the_publication() {
        let (receipt, alerts) = notification_urls("http://127.0.0.1:9", 4);
        assert_eq!(receipt, "http://127.0.0.1:9/r/publication-4/receipt");
        assert_eq!(alerts, "http://127.0.0.1:9/r/publication-4/alerts");
    }
}
