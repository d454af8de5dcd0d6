//! The staging relay: where the target fetches the package of a rewritten collect
//! (`/s/<key>/<file name>`). Each request is passed to the client's real package URL
//! (CMI010 §5: the target retrieves the package from the client's staging server) with
//! the credentials the target presented, and the answer streams back to the target as
//! it arrives: status and headers as the client's server sent them, the body chunk by
//! chunk through a small channel, so memory stays bounded whatever the package's size.
//! A copy of a whole download is kept (memory, then a temp file, as the mock target
//! keeps what it fetches) for the package checks, up to
//! [`pens_parties::PeerLimits::package_bytes`].
//!
//! The credentials passed on are the ones the target presented (its `Authorization`
//! header, as it came), not the collect's: a target that ignores
//! `package-url-user-id` and `-password` (CMI010 §6.2) meets the client's 401 as it
//! would without the relay, and the staging event says what it presented, judged
//! against the collect's credentials. The client's query likewise: the target's, as
//! it sent the relay's URL back.
//!
//! The target's side is recorded as the staging server records its requests
//! ([`StagingEvent`]), the client's as the mock target records its own fetch
//! (`FetchStarted`, `FetchFinished`), and each download as a [`RelayedFetch`] that
//! says who ended it.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RANGE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use pens_proto::{ErrorCode, redact};
use tokio::sync::mpsc;

use super::record::{FetchEnd, Leg, RelayedFetch};
use super::{Publish, Shared};
use pens_parties::StagingEvent;
use pens_parties::internals::Scheme;
use pens_parties::internals::Spool;
use pens_parties::internals::bytes_text;
use pens_parties::internals::judge_credentials;
use pens_parties::internals::redirect_breach;
use pens_parties::path::segments_after;
use pens_parties::{KeptPackage, TargetEventKind};
use pens_parties::{Limit, LimitBreach};

/// Where relayed packages live: `/s/<key>/<file_name>`.
const STAGING_PREFIX: &str = "/s/";

/// Chunks in flight between the client's staging server and the target: the relay
/// holds at most this many (each at most what one read returns) for a download.
const CHANNEL_CHUNKS: usize = 4;

/// The largest refusal (an answer other than 2xx with a `Content-Length`) the relay reads
/// whole before answering the target, so that it goes out in one piece.
const ONE_PIECE_BYTES: u64 = 64 * 1024;

/// The router of the staging relay (HTTP and HTTPS): every path to one handler.
pub(crate) fn app(shared: Arc<Shared>) -> Router {
    super::fallback_router(shared, handle)
}

async fn handle(State(shared): State<Arc<Shared>>, scheme: axum::Extension<Scheme>, request: Request) -> Response {
    let axum::Extension(scheme) = scheme;
    let at = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let key = segments_after(&path, STAGING_PREFIX).and_then(|s| s.into_iter().next()).unwrap_or_default();
    let Some(publish) = shared.publish(&key) else {
        let example = match &query {
            Some(query) => format!("{path}?{query}"),
            None => path.clone(),
        };
        shared.unsolicited.record(&example, 0);
        return plain(StatusCode::NOT_FOUND, "pens-conform relay: nothing is relayed here\r\n");
    };
    let credentials = judge_credentials(request.headers(), publish.credentials.as_ref());
    let event = StagingEvent {
        key: key.clone(),
        at,
        elapsed_ms: shared.elapsed_ms(at),
        finished_at: at,
        duration_ms: 0,
        protocol: scheme.as_str().to_owned(),
        method: method.to_string(),
        path,
        query,
        credentials,
        status: 0,
        bytes_sent: 0,
        body_bytes: 0,
        completed: false,
        ftps_mode: None,
    };
    let pending = Pending { shared: Arc::clone(&shared), event: Some(event) };
    if method != Method::GET && method != Method::HEAD {
        let response = plain(StatusCode::METHOD_NOT_ALLOWED, "pens-conform relay: a package is fetched with GET\r\n");
        pending.finish(405, 0, 0, true);
        return response;
    }
    let url = match publish.package_url.as_deref().map(reqwest::Url::parse) {
        Some(Ok(url)) if matches!(url.scheme(), "http" | "https") => url,
        other => {
            let reason = match other {
                Some(Ok(url)) => format!("the relay fetches packages over http and https only, not {}", url.scheme()),
                _ => "the collect named no package url the relay can fetch".to_owned(),
            };
            return not_relayed(&shared, &key, &method, &publish, pending, reason);
        }
    };
    // The relay's URL carried the client's query: the target's, as it sent it back,
    // goes to the client's server.
    let mut url = url;
    url.set_query(request.uri().query());
    relay(shared, key, method, url, request.headers().clone(), publish, pending).await
}

/// Passes the request on to the client's package URL and streams the answer back.
async fn relay(
    shared: Arc<Shared>,
    key: String,
    method: Method,
    url: reqwest::Url,
    headers: axum::http::HeaderMap,
    publish: Arc<Publish>,
    pending: Pending,
) -> Response {
    let get = method == Method::GET;
    let presented = headers.contains_key(AUTHORIZATION);
    let shown_url = publish.secrets.scrub(&redact(url.as_str()));
    if get {
        let kind = TargetEventKind::FetchStarted { url: shown_url.clone(), credentials: presented };
        shared.records.update(&key, |record| record.client_event(shared.started, kind));
    }
    let mut upstream = shared.upstream.request(method.clone(), url);
    for name in [AUTHORIZATION, RANGE] {
        if let Some(value) = headers.get(&name) {
            upstream = upstream.header(name, value.clone());
        }
    }
    let idle = shared.options.fetch_idle_timeout;
    let arrived = pending.arrived();
    let fetch = |status: Option<u16>, received: u64, sent: u64, end: FetchEnd| RelayedFetch {
        at: arrived,
        method: method.to_string(),
        url: shown_url.clone(),
        credentials: presented,
        upstream_status: status,
        bytes_received: received,
        bytes_to_target: sent,
        end,
    };
    let response = match tokio::time::timeout(idle, upstream.send()).await {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => {
            let breach = redirect_breach(&error);
            let reason = match &breach {
                Some(breach) => breach.message.clone(),
                None => format!(
                    "cannot fetch the package from the client's staging server: {}",
                    pens_parties::internals::chain(&error.without_url())
                ),
            };
            let reason = publish.secrets.scrub(&reason);
            let fetched = fetch(None, 0, 0, FetchEnd::ClientSide(reason.clone()));
            return failed(&shared, &key, get, pending, fetched, breach, StatusCode::BAD_GATEWAY, reason);
        }
        Err(_) => {
            let reason = format!("the client's staging server did not answer within {} ms", idle.as_millis());
            let fetched = fetch(None, 0, 0, FetchEnd::ClientSide(reason.clone()));
            return failed(&shared, &key, get, pending, fetched, None, StatusCode::GATEWAY_TIMEOUT, reason);
        }
    };
    let status = response.status();
    // The length the client's server announced, as it said it (a HEAD's body is
    // empty, but its Content-Length names the package's).
    let announced = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    let mut builder = Response::builder().status(status.as_u16());
    for (name, value) in response.headers() {
        // Not the connection's headers (RFC 9110 §7.6.1); Content-Length goes on: the
        // package streams through as announced.
        if !crate::headers::is_hop_by_hop(name.as_str()) {
            builder = builder.header(name, value);
        }
    }
    if !get {
        // A HEAD: the head is the whole answer.
        pending.finish(status.as_u16(), 0, announced.unwrap_or(0), false);
        shared.records.update(&key, |record| {
            record.fetches.push(fetch(Some(status.as_u16()), 0, 0, FetchEnd::Complete));
        });
        return builder.body(Body::empty()).unwrap_or_else(|_| plain(StatusCode::BAD_GATEWAY, "unreadable head\r\n"));
    }
    let (sender, receiver) = mpsc::channel(CHANNEL_CHUNKS);
    let body = RelayedBody::new(receiver, announced, status.as_u16(), pending);
    let pump = Pump {
        shared: Arc::clone(&shared),
        key,
        status: status.as_u16(),
        announced,
        idle,
        // Only a 200 is the package whole: a 206 answers the target's `Range` (a resumed
        // download, a segment, the zip's central directory read after the full GET),
        // and a fragment kept as the package would be judged as a corrupt one.
        keep: status.as_u16() == 200,
        template: fetch(Some(status.as_u16()), 0, 0, FetchEnd::Complete),
    };
    // A refusal of known, small length goes to the target in one piece, head and body
    // together, as a staging server's own refusal does: a target may close the
    // connection on the status alone (after a 401, say), and a body streamed after the
    // head would then show as an answer the target broke off.
    if !status.is_success() && announced.is_some_and(|length| length <= ONE_PIECE_BYTES) {
        pump.run_whole(response, sender).await;
    } else {
        shared.spawn(pump.run(response, sender));
    }
    builder.body(Body::new(body)).unwrap_or_else(|_| plain(StatusCode::BAD_GATEWAY, "unreadable head\r\n"))
}

/// Reads the client's staging server's body, keeps a copy, and hands each chunk to the
/// target's response.
struct Pump {
    shared: Arc<Shared>,
    key: String,
    status: u16,
    announced: Option<u64>,
    /// How long either side may leave the download without a byte moving.
    idle: std::time::Duration,
    /// Whether a copy is kept: a 200 answer (the package whole, not a range), within the
    /// package cap.
    keep: bool,
    template: RelayedFetch,
}

impl Pump {
    /// Reads the whole (small) answer first, then hands it over as one chunk: nothing is
    /// kept, since only a 200 is the package.
    async fn run_whole(mut self, response: reqwest::Response, sender: mpsc::Sender<Result<Bytes, io::Error>>) {
        let (end, received) = match tokio::time::timeout(self.idle, response.bytes()).await {
            Ok(Ok(body)) => {
                let received = body.len() as u64;
                // The channel is new and empty: the one chunk fits.
                let _ = sender.try_send(Ok(body));
                (FetchEnd::Complete, received)
            }
            Ok(Err(error)) => {
                let reason = format!(
                    "the staging server's {} answer arrived incomplete: {}",
                    self.status,
                    pens_parties::internals::chain(&error.without_url())
                );
                let _ = sender.try_send(Err(io::Error::other(reason.clone())));
                (FetchEnd::ClientSide(reason), 0)
            }
            Err(_) => {
                let reason = format!(
                    "the staging server's {} answer was not all there within {} ms",
                    self.status,
                    self.idle.as_millis()
                );
                let _ = sender.try_send(Err(io::Error::other(reason.clone())));
                (FetchEnd::ClientSide(reason), 0)
            }
        };
        self.record(end, received, None, None, None);
    }

    async fn run(mut self, mut response: reqwest::Response, sender: mpsc::Sender<Result<Bytes, io::Error>>) {
        let limit = self.shared.options.limits.package_bytes;
        let mut spool = self.keep.then(|| Spool::new(Arc::from(self.shared.options.download_dir.as_path())));
        let mut received: u64 = 0;
        let mut breach = None;
        let mut spool_failure = None;
        let mut stalled = false;
        if self.announced.is_some_and(|length| length > limit) && spool.take().is_some() {
            breach = Some(too_large(limit, self.announced));
        }
        let end = loop {
            // Each wait is bounded on its own: a slow but steady download goes on as long
            // as it moves, a stalled one ends after `idle`.
            let chunk = match tokio::time::timeout(self.idle, response.chunk()).await {
                Ok(Ok(Some(chunk))) => chunk,
                Ok(Ok(None)) => break FetchEnd::Complete,
                Ok(Err(error)) => {
                    let reason = format!(
                        "the package arrived incomplete after {received} bytes: {}",
                        pens_parties::internals::chain(&error.without_url())
                    );
                    let _ = tokio::time::timeout(self.idle, sender.send(Err(io::Error::other(reason.clone())))).await;
                    break FetchEnd::ClientSide(reason);
                }
                Err(_) => {
                    let reason = format!(
                        "the client's staging server sent no byte of the package for {} ms: {received} bytes had \
                         arrived",
                        self.idle.as_millis()
                    );
                    // The target gets the break, if it still reads at all.
                    let _ = sender.try_send(Err(io::Error::other(reason.clone())));
                    break FetchEnd::ClientSide(reason);
                }
            };
            received += chunk.len() as u64;
            if received > limit && spool.take().is_some() {
                breach = Some(too_large(limit, self.announced));
            }
            if let Some(kept) = spool.as_mut()
                && let Err(failure) = kept.write(&chunk).await
            {
                spool_failure = Some(failure.text);
                spool = None;
            }
            // A target that stops reading holds the pump no longer than `idle`.
            match tokio::time::timeout(self.idle, sender.send(Ok(chunk))).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => break FetchEnd::TargetLeft,
                Err(_) => {
                    stalled = true;
                    break FetchEnd::TargetLeft;
                }
            }
        };
        drop(sender);
        let whole = end == FetchEnd::Complete && self.status == 200;
        let package = match spool {
            Some(spool) if whole => match spool.finish().await {
                Ok(package) => Some(KeptPackage::new(package)),
                Err(failure) => {
                    spool_failure = Some(failure.text);
                    None
                }
            },
            _ => None,
        };
        if stalled {
            let note = format!(
                "the target stopped reading the package: it read nothing for {} ms, and the relay gave up",
                self.idle.as_millis()
            );
            self.shared.records.update(&self.key, |record| record.not_relayed(Leg::Package, None, note));
        }
        self.record(end, received, breach, spool_failure, package);
    }

    fn record(
        &mut self,
        end: FetchEnd,
        received: u64,
        breach: Option<LimitBreach>,
        spool_failure: Option<String>,
        package: Option<KeptPackage>,
    ) {
        let status = self.status;
        let (result, detail) = match &end {
            FetchEnd::Complete if status == 200 => {
                (ErrorCode::SUCCESS, format!("the package was relayed whole ({received} bytes)"))
            }
            // The staging server served what was asked (a range, say): the download
            // worked, but it is not the package whole and no copy of it is kept.
            FetchEnd::Complete if (200..300).contains(&status) => (
                ErrorCode::SUCCESS,
                format!("the staging server answered {status}: {received} bytes relayed, not the package whole"),
            ),
            FetchEnd::Complete => {
                let code = match status {
                    401 | 403 => ErrorCode::INVALID_CREDENTIALS,
                    _ => ErrorCode::INVALID_PACKAGE_URL,
                };
                (code, format!("the staging server answered {status}"))
            }
            FetchEnd::ClientSide(reason) => (ErrorCode::INTERNAL_PACKAGE_ERROR, reason.clone()),
            FetchEnd::TargetLeft => (
                ErrorCode::INTERNAL_PACKAGE_ERROR,
                format!(
                    "not judged: the target broke off the download after {received} bytes had arrived, and the relay \
                     stopped reading the client's staging server there"
                ),
            ),
            FetchEnd::NotRelayed(reason) => (ErrorCode::INVALID_PACKAGE_URL, reason.clone()),
        };
        let started = self.shared.started;
        let mut fetched = self.template.clone();
        fetched.bytes_received = received;
        fetched.end = end.clone();
        self.shared.records.update(&self.key, |record| {
            // The target's side may have ended first: its event says what it took.
            if let Some(event) = record.staging.iter().rev().find(|e| e.at == fetched.at) {
                fetched.bytes_to_target = event.bytes_sent;
            }
            if let Some(breach) = breach {
                record.client_event(started, TargetEventKind::LimitReached { breach });
            }
            record.client_event(
                started,
                TargetEventKind::FetchFinished { http_status: Some(status), bytes: received, result, detail },
            );
            if let Some(failure) = spool_failure {
                record.not_relayed(Leg::Package, None, format!("no copy of the package was kept: {failure}"));
            }
            if let FetchEnd::ClientSide(reason) = &end {
                record.not_relayed(Leg::Package, None, reason.clone());
            }
            if package.is_some() {
                record.package = package;
            }
            record.fetches.push(fetched);
        });
    }
}

/// The breach of a package beyond the copy's cap: the download goes on to the target,
/// only the copy stops.
fn too_large(limit: u64, announced: Option<u64>) -> LimitBreach {
    let said = announced.map(|n| format!("; the staging server announced {n} bytes")).unwrap_or_default();
    LimitBreach::new(
        Limit::PackageBytes,
        format!(
            "the package was larger than the {} limit ([limits] {}): the relay passed it on whole but kept no copy \
             to judge{said}",
            bytes_text(limit),
            Limit::PackageBytes.key()
        ),
    )
}

/// A package URL the relay does not pass on: answered 502, recorded.
fn not_relayed(
    shared: &Arc<Shared>,
    key: &str,
    method: &Method,
    publish: &Publish,
    pending: Pending,
    reason: String,
) -> Response {
    let shown_url = publish.package_url.as_deref().map(|url| publish.secrets.scrub(&redact(url))).unwrap_or_default();
    let fetched = RelayedFetch {
        at: pending.arrived(),
        method: method.to_string(),
        url: shown_url,
        credentials: false,
        upstream_status: None,
        bytes_received: 0,
        bytes_to_target: 0,
        end: FetchEnd::NotRelayed(reason.clone()),
    };
    let text = format!("pens-conform relay: not relayed: {reason}\r\n");
    let response = plain_owned(StatusCode::BAD_GATEWAY, text.clone());
    pending.finish(502, text.len() as u64, text.len() as u64, true);
    shared.records.update(key, |record| {
        record.fetches.push(fetched);
        record.not_relayed(Leg::Package, Some(502), reason);
    });
    response
}

/// The client's staging server could not be had: the target gets 502 or 504.
#[allow(clippy::too_many_arguments)]
fn failed(
    shared: &Arc<Shared>,
    key: &str,
    get: bool,
    pending: Pending,
    fetched: RelayedFetch,
    breach: Option<LimitBreach>,
    status: StatusCode,
    reason: String,
) -> Response {
    let text = format!("pens-conform relay: not relayed: {reason}\r\n");
    let response = plain_owned(status, text.clone());
    pending.finish(status.as_u16(), text.len() as u64, text.len() as u64, true);
    let started = shared.started;
    shared.records.update(key, |record| {
        if get {
            if let Some(breach) = breach {
                record.client_event(started, TargetEventKind::LimitReached { breach });
            }
            record.client_event(
                started,
                TargetEventKind::FetchFinished {
                    http_status: None,
                    bytes: 0,
                    result: ErrorCode::INVALID_PACKAGE_URL,
                    detail: reason.clone(),
                },
            );
        }
        record.fetches.push(fetched);
        record.not_relayed(Leg::Package, Some(status.as_u16()), reason);
    });
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    plain_owned(status, text.to_owned())
}

fn plain_owned(status: StatusCode, text: String) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// A staging event waiting for its answer to end; recorded into the publish when
/// finished or dropped (a target that leaves mid-answer is recorded too).
struct Pending {
    shared: Arc<Shared>,
    event: Option<StagingEvent>,
}

impl Pending {
    fn arrived(&self) -> Instant {
        self.event.as_ref().map_or_else(Instant::now, |e| e.at)
    }

    /// Records the event with its status, bytes sent and announced, and completion.
    fn finish(mut self, status: u16, sent: u64, announced: u64, completed: bool) {
        if let Some(event) = self.event.as_mut() {
            event.status = status;
            event.bytes_sent = sent;
            event.body_bytes = announced;
            event.completed = completed;
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        let Some(mut event) = self.event.take() else { return };
        event.finished_at = Instant::now();
        event.duration_ms =
            u64::try_from(event.finished_at.saturating_duration_since(event.at).as_millis()).unwrap_or(u64::MAX);
        let key = event.key.clone();
        let sent = event.bytes_sent;
        self.shared.records.update(&key, |record| {
            if let Some(last) = record.fetches.last_mut().filter(|f| f.at == event.at) {
                last.bytes_to_target = sent;
            }
            record.staging.push(event);
        });
    }
}

/// The body the target reads: the chunks the pump hands over, counted; an error from
/// the pump breaks the connection off, as the client's staging server broke off. When
/// dropped it records the staging event: bytes handed over, and whether the whole
/// answer went.
struct RelayedBody {
    chunks: mpsc::Receiver<Result<Bytes, io::Error>>,
    announced: Option<u64>,
    status: u16,
    sent: u64,
    ended: bool,
    pending: Option<Pending>,
}

impl RelayedBody {
    fn new(
        chunks: mpsc::Receiver<Result<Bytes, io::Error>>,
        announced: Option<u64>,
        status: u16,
        pending: Pending,
    ) -> Self {
        RelayedBody { chunks, announced, status, sent: 0, ended: false, pending: Some(pending) }
    }
}

impl hyper::body::Body for RelayedBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        match this.chunks.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(chunk))) => {
                this.sent += chunk.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error))),
            Poll::Ready(None) => {
                this.ended = true;
                Poll::Ready(None)
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self.announced {
            Some(length) => SizeHint::with_exact(length),
            None => SizeHint::default(),
        }
    }
}

impl Drop for RelayedBody {
    fn drop(&mut self) {
        if let Some(pending) = self.pending.take() {
            // With a length announced, hyper stops polling once it has gone out: the
            // whole answer went when every announced byte did.
            let completed = match self.announced {
                Some(announced) => self.sent == announced,
                None => self.ended,
            };
            let announced = self.announced.unwrap_or(self.sent);
            pending.finish(self.status, self.sent, announced, completed);
        }
    }
}
