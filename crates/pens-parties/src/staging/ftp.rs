//! The FTP and FTPS listeners of the staging server (CMI010 §5: a target *may* fetch
//! `ftp://` and `ftps://` package URLs; one that cannot owes 1304/1306, §6.3). The FTPS
//! listener speaks explicit FTPS (AUTH TLS) and implicit FTPS (TLS from the first byte)
//! on the same port, told apart by the client's first bytes ([`implicit`]).
//!
//! libunftp speaks the protocol; we supply what it asks for: a read-only file system
//! over the staged plans ([`files`]), a login check ([`login`]) and the transfer that
//! plays the plan's behaviour ([`transfer`]). We run our own accept loop rather than
//! `Server::listen`, which takes an address string and cannot report the port it got
//! for port 0: each connection gets its own `Server`, built by [`server`], and is handed
//! over with `Server::service`.
//!
//! Shutdown: libunftp spawns the control loop of a connection on its own task and ends
//! it when the `Server::service` future that spawned it is dropped (its shutdown
//! notifier goes with it). Our connection tasks live in a `JoinSet` owned by the accept
//! loop, so aborting the loop drops them all. Transfers run on libunftp's data-channel
//! tasks, which nothing of ours owns: they watch a stop signal that goes with the
//! listener ([`files::StagedFiles`]).
//!
//! Passive data listeners are bound by us ([`passive`], through libunftp's `Binder`),
//! so that whatever a client sends the harness holds few descriptors: one live listener
//! per control connection, closed at the next PASV/EPSV, after 10 s unused and with its
//! session, and a cap on them in total (`[limits] passive-listeners`, 425 beyond).
//! Control connections are held to `[limits] connections` per listener, like every
//! listener of the harness; a failed accept for want of a descriptor is recorded
//! ([`crate::descriptors`]).
//!
//! Known limits, both libunftp's: `package-url-account` cannot be required (libunftp
//! answers `ACCT` with 530), and the FTPS listener insists on PROT P for PASV but not for
//! EPSV, so a client that skips PROT P and uses EPSV gets its data in the clear. The TLS
//! handshake after AUTH TLS happens inside libunftp, which reports nothing of it: an
//! explicit session is therefore relayed through a tap that reads the client's TLS
//! records and records a failed handshake as a [`crate::TlsFailure`] ([`explicit`]); a
//! failed handshake on a data connection (after `PROT P`) is still not recorded. And a
//! race (libunftp 0.24): after answering `234` to AUTH TLS it switches to TLS from a
//! task it spawns, so a ClientHello that arrives before that task has run is read as a
//! command and the handshake fails. Seen about once in 60 FTPS sessions with three
//! harnesses at once on two busy cores, never on an idle one; the reference target
//! retries once, a target under test would see a failed fetch. The tap does not record
//! that one as the client's failure (the server answered the ClientHello in plain
//! text).

mod explicit;
mod files;
mod implicit;
mod login;
mod passive;
mod place;
mod transfer;

use std::net::SocketAddr;
use std::sync::Arc;

use libunftp::options::{FtpsRequired, PassiveHost};
use libunftp::{Server, ServerBuilder, ServerError};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

use self::files::StagedFiles;
use self::login::{FtpUser, Logins};
use self::passive::{CloseOnDrop, ControlBinder};
use super::Shared;
use crate::error::MockError;
use crate::server::{ACCEPT_BACKOFF, Bound};

pub use self::login::FtpLoginFailure;
pub(crate) use self::login::LoginFailures;
pub(crate) use self::passive::PassiveListeners;

/// The greeting (220) every connection gets.
const GREETING: &str = "pens-conform staging server";

/// Seconds an idle control connection stays open: long enough for a slow target, short
/// enough that an abandoned session does not hold a passive port for the whole run.
const IDLE_SESSION_SECS: u64 = 120;

/// How a session came in: on the FTP listener, or on the FTPS listener in one of its
/// two modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FtpProtocol {
    /// Plain FTP.
    Ftp,
    /// Explicit FTPS: AUTH TLS on the control connection, PROT P on the data connection.
    Ftps,
    /// Implicit FTPS: TLS from the first byte of the control connection (ended by
    /// [`implicit`]), PROT P on the data connection.
    FtpsImplicit,
}

impl FtpProtocol {
    /// The protocol as recorded in [`super::StagingEvent::protocol`].
    fn as_str(self) -> &'static str {
        match self {
            FtpProtocol::Ftp => "ftp",
            FtpProtocol::Ftps | FtpProtocol::FtpsImplicit => "ftps",
        }
    }

    /// The FTPS mode, as recorded in [`super::StagingEvent::ftps_mode`].
    fn ftps_mode(self) -> Option<super::FtpsMode> {
        match self {
            FtpProtocol::Ftp => None,
            FtpProtocol::Ftps => Some(super::FtpsMode::Explicit),
            FtpProtocol::FtpsImplicit => Some(super::FtpsMode::Implicit),
        }
    }
}

/// What every connection's `Server` is built from.
#[derive(Clone)]
struct ListenerConfig {
    shared: Arc<Shared>,
    /// `Ftp`, or `Ftps` for the FTPS listener (whose implicit sessions are served as
    /// `FtpsImplicit`).
    protocol: FtpProtocol,
    tls: Option<Arc<rustls::ServerConfig>>,
    /// Closed when the listener is dropped: ends transfers still running.
    stop: watch::Receiver<()>,
    /// The passive listeners of the whole staging server, under their cap.
    passive: Arc<PassiveListeners>,
}

/// A running FTP listener; dropping it stops the listener, its sessions and transfers.
#[derive(Debug)]
pub(crate) struct FtpListener {
    addr: SocketAddr,
    task: JoinHandle<()>,
    /// Dropped with the listener, which tells running transfers to stop.
    _stop: watch::Sender<()>,
}

impl FtpListener {
    /// Serves the staged plans on `bound`: FTPS (explicit or implicit, as each client
    /// opens) with TLS required on control and data connections when `tls` is given,
    /// plain FTP otherwise.
    ///
    /// At most `connections` control connections are served at once (`[limits]
    /// connections`, as every listener of the harness); the next wait in the kernel's
    /// backlog. Passive listeners come from `passive`, shared with the other FTP
    /// listener of the staging server.
    pub(crate) fn spawn(
        bound: Bound,
        shared: Arc<Shared>,
        tls: Option<Arc<rustls::ServerConfig>>,
        connections: usize,
        passive: Arc<PassiveListeners>,
    ) -> Result<FtpListener, MockError> {
        let protocol = if tls.is_some() { FtpProtocol::Ftps } else { FtpProtocol::Ftp };
        let (stop_sender, stop) = watch::channel(());
        let config = ListenerConfig { shared, protocol, tls, stop, passive };
        // Built once here so that a configuration libunftp refuses fails the start, not
        // every connection later.
        server(&config, protocol, None)
            .map_err(|source| MockError::FtpServer { protocol: protocol.as_str(), source })?;
        let addr = bound.addr;
        let slots = Arc::new(Semaphore::new(connections.clamp(1, Semaphore::MAX_PERMITS)));
        let task = tokio::spawn(accept_loop(bound.into_listener(), config, slots));
        Ok(FtpListener { addr, task, _stop: stop_sender })
    }

    /// Where the listener is bound.
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for FtpListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A libunftp server for one connection: our files and logins, passive mode on the
/// control connection's address, no log output, TLS when configured. An implicit
/// session's control connection reaches libunftp in plain text (its TLS ended in
/// [`implicit`]), so only its data connections must be TLS. Passive listeners are bound
/// by `binder` ([`passive`]), one per connection.
fn server(
    config: &ListenerConfig,
    protocol: FtpProtocol,
    binder: Option<ControlBinder>,
) -> Result<Server<StagedFiles, FtpUser>, ServerError> {
    let files = StagedFiles::new(Arc::clone(&config.shared), protocol, config.stop.clone());
    let logins = Arc::new(Logins::new(Arc::clone(&config.shared), protocol));
    let builder = ServerBuilder::<StagedFiles, FtpUser>::with_user_detail_provider::<FtpUser>(
        Box::new(move || files.clone()),
        Arc::clone(&logins) as Arc<_>,
    )
    .authenticator(logins)
    .greeting(GREETING)
    .idle_session_timeout(IDLE_SESSION_SECS)
    // PASV names the address the client reached us on, which works on loopback and
    // behind no NAT; EPSV names only the port anyway.
    .passive_host(PassiveHost::FromConnection)
    // libunftp logs through slog (to the `log` facade by default); what matters to a run
    // is in the staging events, so its own lines are dropped.
    .logger(slog::Logger::root(slog::Discard, slog::o!()));
    let builder = match binder {
        Some(binder) => builder.binder(binder),
        None => builder,
    };
    let control = match protocol {
        FtpProtocol::FtpsImplicit => FtpsRequired::None,
        FtpProtocol::Ftp | FtpProtocol::Ftps => FtpsRequired::All,
    };
    let builder = match &config.tls {
        Some(tls) => {
            builder.ftps_manual::<std::path::PathBuf>(Arc::clone(tls)).ftps_required(control, FtpsRequired::All)
        }
        None => builder,
    };
    builder.build()
}

/// Serves one control connection: on the FTPS listener, first tells implicit from
/// explicit FTPS by the client's first bytes.
async fn session(stream: TcpStream, peer: SocketAddr, config: ListenerConfig) {
    let protocol = match (&config.tls, config.protocol) {
        (Some(_), FtpProtocol::Ftps) => match implicit::opening(&stream, implicit::CLIENT_HELLO_WAIT).await {
            implicit::Opening::Implicit => FtpProtocol::FtpsImplicit,
            implicit::Opening::Explicit => FtpProtocol::Ftps,
            implicit::Opening::Gone => return,
        },
        (_, protocol) => protocol,
    };
    // The session's passive listener closes when the session ends, or is aborted.
    let (binder, live) = config.passive.control();
    let _live = CloseOnDrop(live);
    let server = match server(&config, protocol, Some(binder)) {
        Ok(server) => server,
        Err(error) => {
            tracing::debug!(%peer, %error, "cannot build the ftp server");
            return;
        }
    };
    // `service` reports its failures through the (discarded) logger and returns Ok; the
    // session's outcome is in the events.
    match (protocol, &config.tls) {
        (FtpProtocol::FtpsImplicit, Some(tls)) => {
            let unwrapped = match implicit::unwrap_tls(stream, peer, Arc::clone(tls), &config.shared.tls_failures).await
            {
                Ok(unwrapped) => unwrapped,
                Err(error) => {
                    tracing::debug!(%peer, %error, "implicit ftps session not started");
                    return;
                }
            };
            let implicit::Unwrapped { tls, ours, theirs } = unwrapped;
            // Both to their end: libunftp's last reply (221) is still to be relayed
            // when its session is over.
            let (_, served) = tokio::join!(implicit::relay(tls, ours), server.service(theirs));
            if served.is_err() {
                tracing::debug!(%peer, "implicit ftps session ended with an error");
            }
        }
        (FtpProtocol::Ftps, Some(_)) => {
            // Relayed through a tap that sees a failed handshake after AUTH TLS, which
            // libunftp runs and does not report ([`explicit`]).
            let pair = match stream.local_addr() {
                Ok(local) => implicit::loopback_pair(local.ip()).await,
                Err(error) => Err(error),
            };
            let (ours, theirs) = match pair {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::debug!(%peer, %error, "explicit ftps session not started");
                    return;
                }
            };
            let tap = explicit::Tap::new(stream, peer, Arc::clone(&config.shared.tls_failures));
            let (_, served) = tokio::join!(explicit::relay(tap, ours), server.service(theirs));
            if served.is_err() {
                tracing::debug!(%peer, "explicit ftps session ended with an error");
            }
        }
        _ => {
            if server.service(stream).await.is_err() {
                tracing::debug!(%peer, "ftp session ended with an error");
            }
        }
    }
}

/// Accepts control connections while a slot is free (`slots`), each served until it
/// ends with its slot.
async fn accept_loop(listener: TcpListener, config: ListenerConfig, slots: Arc<Semaphore>) {
    let mut connections = JoinSet::new();
    loop {
        // No accept until a slot frees: a flood of control connections waits in the
        // kernel's backlog, costing no descriptor; finished sessions are reaped meanwhile.
        let slot = loop {
            tokio::select! {
                slot = Arc::clone(&slots).acquire_owned() => match slot {
                    Ok(slot) => break slot,
                    // The semaphore is never closed.
                    Err(_) => return,
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    // The control connection carries short replies, two in a row with
                    // nothing from the client between (`150` before a transfer, `226`
                    // after it): with Nagle's algorithm on, the second waits for the
                    // client's delayed acknowledgement of the first, 40 ms on Linux, on
                    // every retrieval.
                    let _ = stream.set_nodelay(true);
                    let config = config.clone();
                    connections.spawn(async move {
                        session(stream, peer, config).await;
                        drop(slot);
                    });
                }
                Err(error) => {
                    crate::descriptors::note(passive::PARTY, &error);
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}
