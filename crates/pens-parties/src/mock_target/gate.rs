//! Client mode's gate in front of the collect handler: only a collect that belongs to a
//! scenario in progress reaches the target.
//!
//! Each client-mode scenario registers a script for its key before it triggers the
//! publish and forgets it when it ends ([`super::MockTargetState::script`],
//! [`super::MockTargetState::forget`]). A collect at `/pens/<key>` of any other key,
//! or at `/pens` itself, belongs to no scenario: nobody will judge it, so the target
//! neither records it, nor fetches its package, nor sends a receipt or alert for it (a
//! tool sending 2000 collects to `/pens/<random>` once made it fetch and receipt each,
//! and hold each in memory). It is answered `404 Not Found` at once, after its body (at
//! most [`MAX_UNSOLICITED_COLLECT_BYTES`]) has been read and dropped, and counted
//! ([`super::MockTargetState::unsolicited`]) for the report's harness notes.
//!
//! Why 404 and not a PENS error code: CMI010 §6.3 has no code for "no such endpoint",
//! and lets an implementation use the underlying protocol's codes where they fit; a web
//! server answers a path it does not serve with 404, which every HTTP client reads as
//! final. The body says why in plain text.
//!
//! A target on its own ([`super::MockTargetOptions::scenario_keys_only`] off, the
//! default: `pens-conform serve target`, in-process tests) serves every key as before.

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::collect::key_of;
use super::state::MockTargetState;
use crate::unsolicited::drain;

/// The most of a collect of no scenario read before it is answered: axum's default
/// body limit, the most the collect handler itself reads.
pub const MAX_UNSOLICITED_COLLECT_BYTES: u64 = 2 * 1024 * 1024;

/// How long the body of a collect of no scenario may take to arrive before the answer
/// goes anyway (and the connection closes): a dribbling peer holds a slot no longer.
const UNSOLICITED_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The middleware: a collect of a scenario in progress goes on to the handler; any
/// other is counted and answered 404 (see the module's documentation).
pub(crate) async fn scenarios_only(State(state): State<MockTargetState>, request: Request, next: Next) -> Response {
    let inner = &state.inner;
    if !inner.options.scenario_keys_only {
        return next.run(request).await;
    }
    let key = key_of(request.uri());
    if key.as_deref().is_some_and(|key| inner.scripts.contains(key)) {
        return next.run(request).await;
    }
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map_or(0, str::len) as u64;
    let read = drain(request.into_body(), MAX_UNSOLICITED_COLLECT_BYTES, UNSOLICITED_BODY_TIMEOUT).await;
    inner.unsolicited.record(&path, read.saturating_add(query));
    let mut response = Response::new(axum::body::Body::from(
        "no scenario of this run is waiting for a collect at this URL: it was counted, not acted on\r\n",
    ));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}
