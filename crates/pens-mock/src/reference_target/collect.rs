//! Receiving a collect command (CMI010 §5, §6.2) and answering it (§6.3).
//!
//! The target decodes GET queries and POST bodies alike with pens-proto, tolerating
//! elements it does not know (a target URL's own query, vendor extensions: CMI010
//! §4.3). The answer is the code pens-proto says a conformant target owes, with the
//! target's claims as context: the highest applicable error (§6.3). It leaves at once;
//! only an answer of 0 starts the background job (fetch, receipt, alert).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::ALLOW;
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::response::Response;
use pens_proto::{CheckContext, CollectCommand, assess_decoded_collect};
use time::OffsetDateTime;
use tokio::sync::oneshot;

use super::activity::TargetEventKind;
use super::answer::render;
use super::defect::AckTiming;
use super::job::Job;
use super::state::ReferenceTargetState;

/// The handler for `GET /pens` and `POST /pens`.
pub(crate) async fn collect(
    State(state): State<ReferenceTargetState>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let inner = state.inner;
    let exchange = inner.next_exchange();
    // GET carries the elements in the query, POST in the form body (CMI010 §5).
    let input: &[u8] = if method == Method::GET { uri.query().unwrap_or_default().as_bytes() } else { &body };
    let decoded = CollectCommand::decode(input);
    let context = CheckContext { now: OffsetDateTime::now_utc(), target: inner.capabilities.clone() };
    let expected = assess_decoded_collect(&decoded, &context).expected;
    let answer = inner.behaviour.answer.code(&expected);
    let command = decoded.command;
    let package_id = command.package_id.clone();
    inner.record(
        exchange,
        package_id.as_deref(),
        TargetEventKind::CollectReceived { method: method.to_string(), answer, expected: expected.code },
    );

    let mut job = answer.is_success().then(|| Job { inner: inner.clone(), exchange, command });
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
            background.record(exchange, package_id.as_deref(), TargetEventKind::CollectAnswered { answer });
        }
        if let Some(job) = job {
            job.run().await;
        }
        background.record(exchange, package_id.as_deref(), TargetEventKind::ExchangeFinished);
    });

    if ack == AckTiming::AfterJob {
        // `slow-ack`: the answer waits for the job (run in the spawned task, so that a
        // client giving up on the answer does not cancel the fetch and the receipt).
        let _ = wait_for_job.await;
        tokio::time::sleep(inner.options.slow_ack_extra_delay).await;
    }
    render(answer, inner.behaviour.body, answered)
}

/// The handler for `HEAD /pens`: 405, naming the methods a collect may use.
pub(crate) async fn head_refused() -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, [(ALLOW, HeaderValue::from_static("GET, POST"))]).into_response()
}
