//! Serving an axum router on one socket, plain or over TLS, until dropped.
//!
//! Our own accept loop rather than `axum::serve`: the HTTPS listener needs a TLS
//! handshake before HTTP, both listeners share one router, and every connection task
//! lives in a `JoinSet` owned by the loop, so dropping the [`ServerTask`] ends the
//! listener *and* every open connection (a dribbling download included). Connections
//! speak HTTP/1.1 (no listener offers HTTP/2 by ALPN, and none detects cleartext h2).
//!
//! Each listener serves at most [`ListenerLimits::connections`] connections at once: a
//! flood of connections from the implementation waits in the kernel's backlog
//! ([`BACKLOG`]) instead of costing the harness a task and buffers each. Every
//! connection must send its request heads (and finish its TLS handshake) within
//! [`ListenerLimits::header_read_timeout`], so an idle or slowloris peer cannot keep a
//! slot for long; and when every slot is taken, the oldest connection that is not inside
//! a request is closed at once to make room ([`OpenConnections`]), so a flood cannot
//! starve the connection that carries a receipt. What happened at the cap, and when, is
//! written down ([`ServerTask::saturation`]): a scenario whose evidence may have been
//! among the connections that waited or were closed is judged inconclusive, not failed.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::error::MockError;
use crate::head_tap::{HeadHook, HeadTap, MAX_REQUEST_HEAD_BYTES, is_head_too_large};
use crate::limits::ListenerLimits;
use crate::mock_target::KEPT_START_BYTES;
use crate::saturation::{Saturation, SaturationLog};

/// Back-off after a failed `accept` (for instance too many open files), so that a
/// persistent failure does not spin a core.
pub(crate) const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);

/// Which scheme a request came in on; inserted into every request's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A running listener; dropping it stops the listener and its connections.
#[derive(Debug)]
pub struct ServerTask {
    addr: SocketAddr,
    task: JoinHandle<()>,
    saturation: Arc<SaturationLog>,
}

impl ServerTask {
    /// Wraps the task of another kind of listener (the SMTP sink), so that it too stops
    /// when dropped.
    pub(crate) fn new(addr: SocketAddr, task: JoinHandle<()>) -> Self {
        ServerTask { addr, task, saturation: Arc::default() }
    }

    /// Where the listener is bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections found every slot taken and waited for one to free.
    pub(crate) fn held_back(&self) -> u64 {
        self.saturation.snapshot().queued
    }

    /// The listener's account of its cap so far.
    pub(crate) fn saturation(&self) -> Saturation {
        self.saturation.snapshot()
    }
}

impl Drop for ServerTask {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A bound listener and the address it got.
pub struct Bound {
    /// The socket.
    pub listener: TcpListener,
    /// The address it got (the port chosen when port 0 was asked for).
    pub addr: SocketAddr,
}

impl Bound {
    /// The socket itself, for listeners that run their own accept loop (FTP).
    pub(crate) fn into_listener(self) -> TcpListener {
        self.listener
    }
}

/// The listen backlog of every listener: how many connections the kernel completes and
/// holds while the accept loop waits for a free slot. Set explicitly because the
/// default is not ours to rely on: mio 1.2 (under tokio's `TcpListener::bind`) lowered
/// it from 1024 to 128, the standard library's value, and from then on a flood of
/// twice the 256-slot cap had its 385th connection's SYN dropped. The peer's `connect`
/// then retries for seconds (1 s, 3 s, 7 s, ...), so the hostile LMS of
/// `hostile_lms_slowloris_flood_of_twice_the_cap_on_the_collector` never finished
/// opening its flood and never sent the normal scenario's receipt. The kernel caps the
/// value at `net.core.somaxconn` (4096 since Linux 5.4).
pub(crate) const BACKLOG: u32 = 1024;

/// A listener on `addr` with [`BACKLOG`]; must be called inside a Tokio runtime.
pub(crate) fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Binds `addr` (port 0 for any free port).
pub async fn bind(addr: SocketAddr) -> Result<Bound, MockError> {
    let error = |source| MockError::Bind { addr, source };
    let listener = listen(addr).map_err(error)?;
    let addr = listener.local_addr().map_err(error)?;
    Ok(Bound { listener, addr })
}

/// A TLS handshake that did not complete: most often a client that does not trust the
/// run CA, which explains an HTTPS fetch that never arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFailure {
    /// When it happened.
    pub at: Instant,
    /// Who tried.
    pub peer: SocketAddr,
    /// What went wrong, e.g. the alert the client sent (`UnknownCA`).
    pub error: String,
}

/// How many failed handshakes a log keeps: the most recent. A listener that runs for
/// hours (observe mode, `serve staging`) open to a scanner or to an LMS that keeps
/// refusing the CA would otherwise grow without end; a run reads only those since its
/// scenarios started, far fewer.
pub const MAX_TLS_FAILURES_KEPT: usize = 1024;

/// Where failed handshakes are written down, with a signal for those waiting on one.
#[derive(Default)]
pub struct TlsFailureLog {
    failures: Mutex<std::collections::VecDeque<TlsFailure>>,
    added: tokio::sync::Notify,
}

impl TlsFailureLog {
    pub(crate) fn record(&self, failure: TlsFailure) {
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if failures.len() == MAX_TLS_FAILURES_KEPT {
            failures.pop_front();
        }
        failures.push_back(failure);
        drop(failures);
        self.added.notify_waiters();
    }

    /// The failures since `since`.
    pub fn since(&self, since: Instant) -> Vec<TlsFailure> {
        let failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        failures.iter().filter(|f| f.at >= since).cloned().collect()
    }

    /// Waits until a failure since `since` is on record, or the deadline passes.
    pub async fn wait_since(&self, since: Instant, deadline: Instant) -> Vec<TlsFailure> {
        loop {
            let added = self.added.notified();
            let found = self.since(since);
            if !found.is_empty() || Instant::now() >= deadline {
                return found;
            }
            if tokio::time::timeout_at(deadline.into(), added).await.is_err() {
                return self.since(since);
            }
        }
    }
}

/// Shared by the listener and whoever reads the failures.
pub type TlsFailures = Arc<TlsFailureLog>;

/// The TLS side of a listener: its configuration and where to note failed handshakes.
pub struct Tls {
    /// The certificate and key served.
    pub config: Arc<rustls::ServerConfig>,
    /// Where failed handshakes are noted.
    pub failures: TlsFailures,
}

/// Serves `router` on `bound`, over TLS when `tls` is given, within `limits`. Each
/// request carries the [`Scheme`] in its extensions. `name` says which listener this is
/// in the warning about held-back connections ("the collector").
pub fn spawn(bound: Bound, router: Router, tls: Option<Tls>, limits: ListenerLimits, name: &'static str) -> ServerTask {
    spawn_watching_heads(bound, router, tls, limits, name, None)
}

/// Like [`spawn`], and every request head the HTTP layer refuses as too large (431) on
/// a plain connection goes to `on_refused_head` (see [`crate::head_tap`]): the mock
/// target records it as the refused collect it was.
pub fn spawn_watching_heads(
    bound: Bound,
    router: Router,
    tls: Option<Tls>,
    limits: ListenerLimits,
    name: &'static str,
    on_refused_head: Option<HeadHook>,
) -> ServerTask {
    let scheme = if tls.is_some() { Scheme::Https } else { Scheme::Http };
    let router = router.layer(axum::Extension(scheme));
    let acceptor = tls.map(|tls| (TlsAcceptor::from(tls.config), tls.failures));
    let connections = limits.connections.max(1);
    let saturation = Arc::new(SaturationLog::new(connections));
    let gate = Gate {
        slots: Arc::new(Semaphore::new(connections)),
        limits,
        saturation: Arc::clone(&saturation),
        open: Arc::default(),
        name,
        on_refused_head,
    };
    let task = tokio::spawn(accept_loop(bound.listener, router, acceptor, gate));
    ServerTask { addr: bound.addr, task, saturation }
}

/// The party a listener belongs to, as the report's harness notes name it, from the
/// name its warnings use.
pub(crate) fn party_of(name: &str) -> &'static str {
    match name {
        "the collector" => "collector",
        "the mock target" => "mock-target",
        name if name.starts_with("the staging server") => "staging",
        name if name.contains("client") => "reference-client",
        _ => "internal",
    }
}

/// The connection slots of one listener, the connections holding them, and its account.
struct Gate {
    slots: Arc<Semaphore>,
    limits: ListenerLimits,
    saturation: Arc<SaturationLog>,
    open: Arc<OpenConnections>,
    name: &'static str,
    on_refused_head: Option<HeadHook>,
}

/// The open connections of a listener in the order they were accepted, each with
/// whether it is inside a request: when every slot is taken, the oldest one that is not
/// (it has sent no complete request head yet, or idles between requests) is closed to
/// make room for the waiting one.
///
/// Why evict rather than only wait for the header-read deadline: a peer that opens
/// connections faster than the deadline frees them (thousands of idle ones, a
/// slowloris flood) would otherwise hold every slot for as long as it likes, and the
/// connection carrying a receipt would wait behind it in the kernel's queue past its
/// scenario's deadline (issue 16: 5000 idle connections made an innocent scenario fail
/// "no receipt arrived"). A connection inside a request (a download being served, a
/// receipt being read) is never evicted; an honest client sends its request head as
/// soon as it has connected, so it is evicted only when more connections than the cap
/// arrive before its head does, and then the scenario is inconclusive, not failed
/// (the eviction is counted in its period of saturation).
#[derive(Default)]
struct OpenConnections {
    inner: Mutex<OpenInner>,
    /// A request ended: its connection may now be evicted.
    idle_again: tokio::sync::Notify,
}

#[derive(Default)]
struct OpenInner {
    next: u64,
    by_age: BTreeMap<u64, Arc<Connection>>,
}

/// One open connection, as its listener sees it.
#[derive(Default)]
struct Connection {
    /// Requests being served (their response bodies not yet sent).
    in_request: AtomicUsize,
    /// Whether a request head ever came: a kept-alive connection that idles out after
    /// its requests is an honest client's pool, not an idle peer, and is not counted.
    served: AtomicBool,
    /// Set once it was chosen to make room; its task then closes it.
    evicted: AtomicBool,
    evict: tokio::sync::Notify,
}

impl OpenConnections {
    fn lock(&self) -> std::sync::MutexGuard<'_, OpenInner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a new connection; it leaves with [`OpenConnections::remove`].
    fn add(&self) -> (u64, Arc<Connection>) {
        let mut inner = self.lock();
        let id = inner.next;
        inner.next += 1;
        let connection = Arc::new(Connection::default());
        inner.by_age.insert(id, Arc::clone(&connection));
        (id, connection)
    }

    fn remove(&self, id: u64) {
        self.lock().by_age.remove(&id);
    }

    /// Tells the oldest connection outside any request to close; `false` when every
    /// connection is inside one.
    fn evict_oldest_idle(&self) -> bool {
        let inner = self.lock();
        let chosen = inner
            .by_age
            .values()
            .find(|c| c.in_request.load(Ordering::SeqCst) == 0 && !c.evicted.load(Ordering::SeqCst));
        match chosen {
            Some(connection) => {
                connection.evicted.store(true, Ordering::SeqCst);
                connection.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

async fn accept_loop(listener: TcpListener, router: Router, acceptor: Option<(TlsAcceptor, TlsFailures)>, gate: Gate) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let slot = match Arc::clone(&gate.slots).try_acquire_owned() {
                        Ok(slot) => slot,
                        Err(_) => match wait_for_slot(&gate, &mut connections, peer).await {
                            Some(slot) => slot,
                            // The semaphore is never closed.
                            None => return,
                        },
                    };
                    let (id, connection) = gate.open.add();
                    let served = Served {
                        router: router.clone(),
                        acceptor: acceptor.clone(),
                        header_read_timeout: gate.limits.header_read_timeout,
                        saturation: Arc::clone(&gate.saturation),
                        open: Arc::clone(&gate.open),
                        on_refused_head: gate.on_refused_head.clone(),
                    };
                    connections.spawn(serve_connection(stream, peer, served, slot, id, connection));
                }
                Err(error) => {
                    // Out of descriptors, the connection waits in the backlog: said and
                    // counted, so that no scenario is blamed for what it costs.
                    crate::descriptors::note(party_of(gate.name), &error);
                    let now = Instant::now();
                    let refused = gate.saturation.refused(now, now + ACCEPT_BACKOFF);
                    if refused == 1 {
                        tracing::warn!(listener = gate.name, %error, "{} could not accept a connection", gate.name);
                    }
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Every slot is taken: makes room by evicting the oldest connection outside a request
/// (at most one per waiting connection), and waits for a slot. No accept happens
/// meanwhile; finished connections are reaped (their slots are already back).
async fn wait_for_slot(gate: &Gate, connections: &mut JoinSet<()>, peer: SocketAddr) -> Option<OwnedSemaphorePermit> {
    let waited = gate.saturation.queued(Instant::now());
    if waited == 1 {
        tracing::warn!(
            listener = gate.name,
            %peer,
            "{} connections to {} are open, the most allowed ([limits] connections): the oldest without a request \
             is closed to make room, or the next waits until one ends",
            gate.limits.connections,
            gate.name
        );
    }
    let mut evicted = gate.open.evict_oldest_idle();
    if evicted {
        gate.saturation.evicted(Instant::now());
    }
    let slot = loop {
        tokio::select! {
            slot = Arc::clone(&gate.slots).acquire_owned() => break slot.ok(),
            () = gate.open.idle_again.notified(), if !evicted => {
                evicted = gate.open.evict_oldest_idle();
                if evicted {
                    gate.saturation.evicted(Instant::now());
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    };
    gate.saturation.slot_found(Instant::now());
    slot
}

/// What a connection's task needs of its listener.
struct Served {
    router: Router,
    acceptor: Option<(TlsAcceptor, TlsFailures)>,
    header_read_timeout: Duration,
    saturation: Arc<SaturationLog>,
    open: Arc<OpenConnections>,
    on_refused_head: Option<HeadHook>,
}

/// Takes the connection out of its listener's list when its task ends, however it ends.
struct Registered {
    open: Arc<OpenConnections>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.open.remove(self.id);
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    served: Served,
    // Held until the connection ends: that frees its slot.
    _slot: OwnedSemaphorePermit,
    id: u64,
    connection: Arc<Connection>,
) {
    let _registered = Registered { open: Arc::clone(&served.open), id };
    tokio::select! {
        () = serve(stream, peer, served, Arc::clone(&connection)) => {}
        () = connection.evict.notified() => {
            tracing::debug!(%peer, "connection without a request closed to make room");
        }
    }
}

async fn serve(stream: TcpStream, peer: SocketAddr, served: Served, connection: Arc<Connection>) {
    // Paced bodies (dribble) must leave in their own segments, not wait for Nagle.
    let _ = stream.set_nodelay(true);
    let Served { router, acceptor, header_read_timeout, saturation, open, on_refused_head } = served;
    let this = Arc::clone(&connection);
    let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
        let busy = Busy::enter(Arc::clone(&this), Arc::clone(&open));
        let response = tower::ServiceExt::oneshot(router.clone(), request);
        async move {
            let response = response.await?;
            Ok::<_, std::convert::Infallible>(response.map(|body| Guarded { body, _busy: busy }))
        }
    });
    // HTTP/1 only: every party that talks to the harness speaks it (no listener offers h2
    // by ALPN), and without the HTTP/2 detection hyper's header-read timer runs from the
    // connection's first moment, so a peer that connects and sends nothing is closed too.
    let mut builder = auto::Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .max_buf_size(MAX_REQUEST_HEAD_BYTES);
    let result = match (acceptor, on_refused_head) {
        (None, Some(hook)) => {
            let (tapped, seen) = HeadTap::new(stream, KEPT_START_BYTES);
            let result = builder.serve_connection(TokioIo::new(tapped), service).await;
            if let Err(error) = &result
                && is_head_too_large(error.as_ref())
            {
                let refused = seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).refused();
                hook(refused);
            }
            result
        }
        (None, None) => builder.serve_connection(TokioIo::new(stream), service).await,
        // The handshake gets the header-read deadline too: a peer that connects and
        // never says hello holds a slot no longer than one that never sends a head.
        (Some((acceptor, failures)), _) => {
            match tokio::time::timeout(header_read_timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => builder.serve_connection(TokioIo::new(tls), service).await,
                Ok(Err(error)) => {
                    tracing::debug!(%peer, %error, "tls handshake failed");
                    failures.record(TlsFailure { at: Instant::now(), peer, error: error.to_string() });
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "tls handshake timed out");
                    saturation.idle_closed();
                    return;
                }
            }
        }
    };
    if let Err(error) = result {
        let timed_out = error.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_timeout);
        if timed_out && !connection.served.load(Ordering::SeqCst) {
            saturation.idle_closed();
        }
        // Expected for truncated bodies and clients that hang up: not an error of ours.
        tracing::debug!(%peer, %error, "connection ended with an error");
    }
}

/// A request being served on a connection: while one is, the connection is never
/// evicted. Ends when the response body has been sent (or dropped).
struct Busy {
    connection: Arc<Connection>,
    open: Arc<OpenConnections>,
}

impl Busy {
    fn enter(connection: Arc<Connection>, open: Arc<OpenConnections>) -> Busy {
        connection.in_request.fetch_add(1, Ordering::SeqCst);
        connection.served.store(true, Ordering::SeqCst);
        Busy { connection, open }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.connection.in_request.fetch_sub(1, Ordering::SeqCst);
        self.open.idle_again.notify_one();
    }
}

/// A response body that keeps its request [`Busy`] until it is sent.
struct Guarded {
    body: axum::body::Body,
    _busy: Busy,
}

impl hyper::body::Body for Guarded {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_TLS_FAILURES_KEPT, TlsFailure, TlsFailureLog};
    use std::time::Instant;

    #[test]
    fn a_tls_failure_log_keeps_the_most_recent_only() {
        let log = TlsFailureLog::default();
        let start = Instant::now();
        for n in 0..MAX_TLS_FAILURES_KEPT + 10 {
            log.record(TlsFailure { at: Instant::now(), peer: ([127, 0, 0, 1], 1).into(), error: format!("#{n}") });
        }
        let kept = log.since(start);
        assert_eq!(kept.len(), MAX_TLS_FAILURES_KEPT);
        assert_eq!(kept.first().map(|f| f.error.as_str()), Some("#10"));
        assert_eq!(kept.last().map(|f| f.error.clone()), Some(format!("#{}", MAX_TLS_FAILURES_KEPT + 9)));
    }
}
