//! Receiving a collect command (CMI010 §5, §6.2) and answering it (§6.3).
//!
//! The target decodes GET queries and POST bodies alike with pens-proto, tolerating
//! elements it does not know (a target URL's own query, vendor extensions: CMI010
//! §4.3). The answer is the code pens-proto says a conformant target owes, with the
//! target's claims as context: the highest applicable error (§6.3). It leaves at once;
//! only an answer of 0 starts the background job (fetch, receipt, alert). The key of
//! `/pens/<key>` picks the [`super::TargetScript`] that may override the answer and
//! hold it back.
//!
//! At most [`crate::PeerLimits::notifications`] collects per key are taken; beyond that a
//! collect is answered 1440 (insufficient host storage) at once and only counted
//! ([`super::MockTargetState::overflow`]).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::response::Response;
use pens_proto::{CheckContext, CollectCommand, ErrorCode, assess_decoded_collect};
use time::OffsetDateTime;
use tokio::sync::oneshot;

use super::activity::{ExchangeRef, TargetEventKind};
use super::answer::{BrowserEcho, render};
use super::behaviour::{AckTiming, BodyStyle};
use super::job::Job;
use super::redaction::{Secrets, redact_body};
use super::refusal::{CollectRefusal, MAX_COLLECT_BYTES};
use super::state::{COLLECT_PATH, MockTargetState};
use crate::path::segments_after;

/// The handler for `GET` and `POST` at `/pens` and `/pens/<key>`.
pub(crate) async fn collect(
    State(state): State<MockTargetState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let inner = state.inner;
    let key = key_of(&uri);
    let cap = inner.options.limits.notifications.max(1);
    // Only a scenario's own URL (client mode) is capped: a URL without a key is the
    // standalone reference target's (`serve target`, a load run), whose activity log
    // is bounded on its own.
    if let Some(key) = key.as_deref()
        && !inner.collects.admit(key, cap, std::time::Instant::now())
    {
        // A flood of collects for one key: answered, counted, neither recorded nor acted
        // on (no fetch, no receipt), so memory and work stay bounded.
        let (answered, _) = oneshot::channel();
        return render(ErrorCode::INSUFFICIENT_STORAGE, inner.behaviour.body, None, answered);
    }
    // A POST body is read with a bound (a GET's is ignored): a collect too large to
    // read is refused with 413 and recorded as such, never held whole.
    let body = if method == Method::GET {
        Bytes::new()
    } else {
        let declared =
            headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
        match read_bounded(body, declared, MAX_COLLECT_BYTES).await {
            Ok(body) => body,
            Err(BodyProblem::TooLarge { seen }) => {
                let refusal = CollectRefusal::body_too_large(method.as_str(), uri.path(), seen, declared);
                let exchange = ExchangeRef { number: inner.next_exchange(), key, package_id: None };
                inner.record(&exchange, TargetEventKind::CollectRefused { refusal });
                return too_large(format!("a collect is at most {MAX_COLLECT_BYTES} bytes\r\n"));
            }
            // A body that broke off or never ended: no collect to judge, and no
            // answer the client will read.
            Err(BodyProblem::Broken) => return (StatusCode::BAD_REQUEST, "the body broke off\r\n").into_response(),
        }
    };
    let (script, scripted) = inner.scripts.for_key(key.as_deref());
    // GET carries the elements in the query, POST in the body (CMI010 §5): a form, or
    // multipart/form-data, read all the same (one finding names the media type).
    let content_type = headers.get(CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let input: &[u8] = if method == Method::GET { uri.query().unwrap_or_default().as_bytes() } else { &body };
    let decoded = if method == Method::GET {
        CollectCommand::decode(input)
    } else {
        CollectCommand::decode_post(content_type.as_deref(), input)
    };
    let context = CheckContext { now: OffsetDateTime::now_utc(), target: inner.capabilities.clone() };
    let expected = assess_decoded_collect(&decoded, &context).expected;
    // An explicit answer of the script wins over a defect's answer rule.
    let answer = script.answer.unwrap_or_else(|| inner.behaviour.answer.code(&expected));
    let secrets = Secrets::of(&decoded);
    let exchange = ExchangeRef { number: inner.next_exchange(), key, package_id: decoded.command.package_id.clone() };
    if inner.log.is_observed() {
        inner.record(
            &exchange,
            TargetEventKind::CollectReceived {
                method: method.to_string(),
                raw: Bytes::from(secrets.scrub_bytes(&redact_body(&method, content_type.as_deref(), input))),
                content_type,
                pairs: decoded
                    .command
                    .redacted_pairs()
                    .into_iter()
                    .map(|(name, value)| (name, secrets.scrub(&value)))
                    .collect(),
                scripted,
                answer,
                expected: expected.code,
            },
        );
    }

    // Browser mode (CMI010 §5) is GET: what an echoing page would show.
    let browser = (method == Method::GET && inner.behaviour.body == BodyStyle::EchoingHtml).then(|| BrowserEcho {
        client: decoded.command.client.clone().unwrap_or_default(),
        vendor_data: decoded.command.vendor_data.clone().unwrap_or_default(),
    });
    let answer_delay = script.answer_delay;
    let mut job = answer.is_success().then(|| Job {
        inner: inner.clone(),
        exchange: exchange.clone(),
        command: decoded.command,
        script,
        secrets,
    });
    let ack = inner.behaviour.ack;
    let (job_done, wait_for_job) = oneshot::channel::<()>();
    let (answered, wait_for_answer) = oneshot::channel::<()>();
    let background = inner.clone();
    let before_answer = if ack == AckTiming::AfterJob { job.take() } else { None };
    inner.spawn(async move {
        if let Some(job) = before_answer {
            job.run().await;
        }
        // Dropping the sender is the signal: the job (if any) is done.
        drop(job_done);
        if wait_for_answer.await.is_ok() {
            background.record(&exchange, TargetEventKind::CollectAnswered { answer });
        }
        if let Some(job) = job {
            job.run().await;
        }
        background.record(&exchange, TargetEventKind::ExchangeFinished);
    });

    if ack == AckTiming::AfterJob {
        // `slow-ack`: the answer waits for the job (run in the spawned task, so that a
        // client giving up on the answer does not cancel the fetch and the receipt).
        let _ = wait_for_job.await;
        tokio::time::sleep(inner.options.slow_ack_extra_delay).await;
    }
    if !answer_delay.is_zero() {
        // A script's late answer; the job waits for the answer, so it starts late too.
        tokio::time::sleep(answer_delay).await;
    }
    render(answer, inner.behaviour.body, browser.as_ref(), answered)
}

/// The key of a request at `/pens/<key>`, decoded; `None` at `/pens`.
pub(crate) fn key_of(uri: &Uri) -> Option<String> {
    key_of_path(uri.path())
}

/// The key of a request path `/pens/<key>`, decoded; `None` at `/pens` or elsewhere.
pub(crate) fn key_of_path(path: &str) -> Option<String> {
    let prefix = format!("{COLLECT_PATH}/");
    segments_after(path, &prefix).and_then(|segments| segments.into_iter().next())
}

/// Why a collect's body was not read.
pub enum BodyProblem {
    /// Beyond the limit: `Content-Length` said so (`seen` is 0), or the bytes did.
    TooLarge {
        /// The bytes read before it stopped (0 when Content-Length said so).
        seen: u64,
    },
    /// It broke off, or did not arrive within [`crate::collector::BODY_READ_TIMEOUT`].
    Broken,
}

/// Reads `body` whole if it is at most `limit` bytes; stops at once (before reading
/// anything) when `Content-Length` declares more, and as soon as the bytes pass it.
/// A body that dribbles gets [`crate::collector::BODY_READ_TIMEOUT`] in all.
pub async fn read_bounded(mut body: Body, declared: Option<u64>, limit: u64) -> Result<Bytes, BodyProblem> {
    use hyper::body::Body as _;
    if declared.is_some_and(|declared| declared > limit) {
        return Err(BodyProblem::TooLarge { seen: 0 });
    }
    let read = async {
        let mut kept = bytes::BytesMut::new();
        let mut seen: u64 = 0;
        loop {
            match std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
                None => return Ok(kept.freeze()),
                Some(Err(_)) => return Err(BodyProblem::Broken),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        seen = seen.saturating_add(data.len() as u64);
                        if seen > limit {
                            return Err(BodyProblem::TooLarge { seen });
                        }
                        kept.extend_from_slice(&data);
                    }
                }
            }
        }
    };
    tokio::time::timeout(crate::collector::BODY_READ_TIMEOUT, read).await.unwrap_or(Err(BodyProblem::Broken))
}

/// A 413 that closes the connection: the rest of the body is not read.
fn too_large(text: String) -> Response {
    let mut response = (StatusCode::PAYLOAD_TOO_LARGE, text).into_response();
    response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The handler for `HEAD /pens` and `HEAD /pens/<key>`: 405, naming the methods a collect may use.
pub(crate) async fn head_refused() -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, [(ALLOW, HeaderValue::from_static("GET, POST"))]).into_response()
}
