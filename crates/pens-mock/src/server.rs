//! Serving an axum router on one socket, plain or over TLS, until dropped.
//!
//! Our own accept loop rather than `axum::serve`: the HTTPS listener needs a TLS
//! handshake before HTTP, both listeners share one router, and every connection task
//! lives in a `JoinSet` owned by the loop, so dropping the [`ServerTask`] ends the
//! listener *and* every open connection (a dribbling download included). Connections
//! speak HTTP/1.1 (no listener offers HTTP/2 by ALPN, and none detects cleartext h2).
//!
//! Each listener serves at most [`ListenerLimits::connections`] connections at once: a
//! flood of connections from the implementation waits in the kernel's backlog instead
//! of costing the harness a task and buffers each, and every connection must send its
//! request heads within [`ListenerLimits::header_read_timeout`], so a slowloris peer
//! cannot keep a slot forever. Connections that found every slot taken are counted
//! ([`ServerTask::held_back`]) and the first is logged as a warning.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::error::MockError;
use crate::head_tap::{HeadHook, HeadTap, MAX_REQUEST_HEAD_BYTES, is_head_too_large};
use crate::limits::ListenerLimits;
use crate::reference_target::KEPT_START_BYTES;

/// How long a client may take over the TLS handshake before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Back-off after a failed `accept` (for instance too many open files), so that a
/// persistent failure does not spin a core.
pub(crate) const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);

/// Which scheme a request came in on; inserted into every request's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A running listener; dropping it stops the listener and its connections.
#[derive(Debug)]
pub(crate) struct ServerTask {
    addr: SocketAddr,
    task: JoinHandle<()>,
    held_back: Arc<AtomicU64>,
}

impl ServerTask {
    /// Wraps the task of another kind of listener (the SMTP sink), so that it too stops
    /// when dropped.
    pub(crate) fn new(addr: SocketAddr, task: JoinHandle<()>) -> Self {
        ServerTask { addr, task, held_back: Arc::default() }
    }

    /// Where the listener is bound.
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections found every slot taken and waited for one to free.
    pub(crate) fn held_back(&self) -> u64 {
        self.held_back.load(Ordering::Relaxed)
    }
}

impl Drop for ServerTask {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A bound listener and the address it got.
pub(crate) struct Bound {
    pub(crate) listener: TcpListener,
    pub(crate) addr: SocketAddr,
}

impl Bound {
    /// The socket itself, for listeners that run their own accept loop (FTP).
    pub(crate) fn into_listener(self) -> TcpListener {
        self.listener
    }
}

/// Binds `addr` (port 0 for any free port).
pub(crate) async fn bind(addr: SocketAddr) -> Result<Bound, MockError> {
    let error = |source| MockError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(error)?;
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

/// Where failed handshakes are written down, with a signal for those waiting on one.
#[derive(Default)]
pub(crate) struct TlsFailureLog {
    failures: Mutex<Vec<TlsFailure>>,
    added: tokio::sync::Notify,
}

impl TlsFailureLog {
    pub(crate) fn record(&self, failure: TlsFailure) {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(failure);
        self.added.notify_waiters();
    }

    /// The failures since `since`.
    pub(crate) fn since(&self, since: Instant) -> Vec<TlsFailure> {
        let failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        failures.iter().filter(|f| f.at >= since).cloned().collect()
    }

    /// Waits until a failure since `since` is on record, or the deadline passes.
    pub(crate) async fn wait_since(&self, since: Instant, deadline: Instant) -> Vec<TlsFailure> {
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
pub(crate) type TlsFailures = Arc<TlsFailureLog>;

/// The TLS side of a listener: its configuration and where to note failed handshakes.
pub(crate) struct Tls {
    pub(crate) config: Arc<rustls::ServerConfig>,
    pub(crate) failures: TlsFailures,
}

/// Serves `router` on `bound`, over TLS when `tls` is given, within `limits`. Each
/// request carries the [`Scheme`] in its extensions. `name` says which listener this is
/// in the warning about held-back connections ("the collector").
pub(crate) fn spawn(
    bound: Bound,
    router: Router,
    tls: Option<Tls>,
    limits: ListenerLimits,
    name: &'static str,
) -> ServerTask {
    spawn_watching_heads(bound, router, tls, limits, name, None)
}

/// Like [`spawn`], and every request head the HTTP layer refuses as too large (431) on
/// a plain connection goes to `on_refused_head` (see [`crate::head_tap`]): the mock
/// target records it as the refused collect it was.
pub(crate) fn spawn_watching_heads(
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
    let held_back = Arc::new(AtomicU64::new(0));
    let gate = Gate {
        slots: Arc::new(Semaphore::new(limits.connections.max(1))),
        limits,
        held_back: held_back.clone(),
        name,
        on_refused_head,
    };
    let task = tokio::spawn(accept_loop(bound.listener, router, acceptor, gate));
    ServerTask { addr: bound.addr, task, held_back }
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

/// The connection slots of one listener and the count of connections that waited.
struct Gate {
    slots: Arc<Semaphore>,
    limits: ListenerLimits,
    held_back: Arc<AtomicU64>,
    name: &'static str,
    on_refused_head: Option<HeadHook>,
}

async fn accept_loop(listener: TcpListener, router: Router, acceptor: Option<(TlsAcceptor, TlsFailures)>, gate: Gate) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let slot = match Arc::clone(&gate.slots).try_acquire_owned() {
                        Ok(slot) => slot,
                        Err(_) => {
                            let waited = gate.held_back.fetch_add(1, Ordering::Relaxed) + 1;
                            if waited == 1 {
                                tracing::warn!(
                                    listener = gate.name,
                                    %peer,
                                    "{} connections to {} are open, the most allowed ([limits] connections): \
                                     the next waits until one ends",
                                    gate.limits.connections,
                                    gate.name
                                );
                            }
                            // No accept until a slot frees; finished connections are
                            // reaped meanwhile (their slots are already back).
                            loop {
                                tokio::select! {
                                    slot = Arc::clone(&gate.slots).acquire_owned() => match slot {
                                        Ok(slot) => break slot,
                                        // The semaphore is never closed.
                                        Err(_) => return,
                                    },
                                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                                }
                            }
                        }
                    };
                    let timeout = gate.limits.header_read_timeout;
                    let hook = gate.on_refused_head.clone();
                    connections.spawn(serve_connection(stream, peer, router.clone(), acceptor.clone(), slot, timeout, hook));
                }
                Err(error) => {
                    // Out of descriptors, the connection waits in the backlog: said and
                    // counted, so that no scenario is blamed for what it costs.
                    crate::descriptors::note(party_of(gate.name), &error);
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    acceptor: Option<(TlsAcceptor, TlsFailures)>,
    // Held until the connection ends: that frees its slot.
    _slot: OwnedSemaphorePermit,
    header_read_timeout: Duration,
    on_refused_head: Option<HeadHook>,
) {
    // Paced bodies (dribble) must leave in their own segments, not wait for Nagle.
    let _ = stream.set_nodelay(true);
    let service = TowerToHyperService::new(router);
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
        (Some((acceptor, failures)), _) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
        {
            Ok(Ok(tls)) => builder.serve_connection(TokioIo::new(tls), service).await,
            Ok(Err(error)) => {
                tracing::debug!(%peer, %error, "tls handshake failed");
                failures.record(TlsFailure { at: Instant::now(), peer, error: error.to_string() });
                return;
            }
            Err(_) => {
                tracing::debug!(%peer, "tls handshake timed out");
                return;
            }
        },
    };
    if let Err(error) = result {
        // Expected for truncated bodies and clients that hang up: not an error of ours.
        tracing::debug!(%peer, %error, "connection ended with an error");
    }
}
