//! The passive data listeners of the FTP server (PASV, RFC 959 §4.1.1; EPSV, RFC 2428),
//! held to a few descriptors whatever the client sends.
//!
//! libunftp opens a fresh listener for every PASV or EPSV and keeps it for 15 s waiting
//! for a connection, so a client that sends PASV over and over (60 control connections ×
//! 400 PASV were seen) makes the harness hold thousands of descriptors: under a 1024
//! open-file limit every listener of the harness then fails to accept, and every
//! scenario, HTTP ones too, waits in vain. libunftp lets us bind the passive socket
//! ourselves (its `Binder`), which is where the descriptors are bounded:
//!
//! - **one live passive listener per control connection**: a new PASV or EPSV closes
//!   the previous one, used or not, as vsftpd and proftpd do (a client can only use the
//!   last address it was given; a transfer already running on the old one goes on, its
//!   data connection is a socket of its own);
//! - **a short deadline**: a listener nobody connected to is closed after
//!   [`PASSIVE_CONNECT_DEADLINE`];
//! - **listeners die with their control connection** ([`ControlPassive`], closed when
//!   the session ends);
//! - **a cap in total** over the FTP and FTPS listeners of one staging server (`[limits]
//!   passive-listeners`): beyond it the bind fails, which libunftp answers `425 No data
//!   connection established` (RFC 959's "can't open data connection"; the text is
//!   libunftp's), and the refusal is counted ([`PassiveListeners::capped`]) for the
//!   report's `passive-listeners-capped` note.
//!
//! Closing a listener libunftp owns: we keep a duplicate of its descriptor and shut it
//! down (`shutdown(2)` on a listening socket makes Linux stop listening and wakes the
//! pending `accept`, which then fails and ends libunftp's wait, dropping its copy). A
//! refused connection gets a reset, as from a port nobody listens on.

use std::fmt;
use std::io;
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::ops::RangeInclusive;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use libunftp::options::Binder;
use tokio::net::TcpSocket;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::AbortHandle;

/// How long a passive listener waits for the client's data connection before it is
/// closed. A client connects right after the 227/229 reply (or right after sending the
/// transfer command); libunftp itself gives up after 15 s, and vsftpd after 60 s. Ten
/// seconds is far more than any real client needs and frees the slot soon.
pub(crate) const PASSIVE_CONNECT_DEADLINE: Duration = Duration::from_secs(10);

/// The party name the report gives the FTP server.
pub(crate) const PARTY: &str = "ftp-staging";

/// Every passive listener of one staging server (its FTP and FTPS listeners together):
/// the slots under the cap, and the count of PASV/EPSV refused for want of one.
pub(crate) struct PassiveListeners {
    slots: Arc<Semaphore>,
    cap: usize,
    capped: AtomicU64,
    next_id: AtomicU64,
}

impl fmt::Debug for PassiveListeners {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PassiveListeners").field("cap", &self.cap).field("capped", &self.capped()).finish()
    }
}

impl PassiveListeners {
    /// At most `cap` passive listeners at once (at least one).
    pub(crate) fn new(cap: usize) -> Arc<PassiveListeners> {
        let cap = cap.clamp(1, Semaphore::MAX_PERMITS);
        Arc::new(PassiveListeners {
            slots: Arc::new(Semaphore::new(cap)),
            cap,
            capped: AtomicU64::new(0),
            next_id: AtomicU64::new(0),
        })
    }

    /// How many PASV/EPSV found every slot taken and were answered 425.
    pub(crate) fn capped(&self) -> u64 {
        self.capped.load(Ordering::Relaxed)
    }

    /// How many are open now.
    #[cfg(test)]
    pub(crate) fn live(&self) -> usize {
        self.cap - self.slots.available_permits()
    }

    /// The binder libunftp uses for one control connection, and the handle that closes
    /// that connection's listener when the session ends.
    pub(crate) fn control(self: &Arc<Self>) -> (ControlBinder, ControlPassive) {
        let live = ControlPassive::default();
        (ControlBinder { pool: Arc::clone(self), live: live.clone() }, live)
    }

    fn refuse(&self) -> io::Error {
        let count = self.capped.fetch_add(1, Ordering::Relaxed) + 1;
        if count == 1 {
            tracing::warn!(
                "{} passive FTP listeners are open, the most allowed ([limits] passive-listeners): \
                 the next PASV/EPSV are answered 425 until one closes",
                self.cap
            );
        }
        io::Error::other("every passive listener slot is taken ([limits] passive-listeners)")
    }
}

/// The live passive listener of one control connection, if any; shared by the binder
/// libunftp holds and the session task, which closes it when the session ends.
#[derive(Clone, Default)]
pub(crate) struct ControlPassive(Arc<Mutex<Option<Live>>>);

impl ControlPassive {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Live>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes the live listener, if any.
    pub(crate) fn close(&self) {
        let live = self.slot().take();
        drop(live);
    }

    /// Closes the listener `id` if it is still the live one (its deadline passed).
    fn expire(&self, id: u64) {
        let live = {
            let mut slot = self.slot();
            if slot.as_ref().is_some_and(|l| l.id == id) { slot.take() } else { None }
        };
        drop(live);
    }
}

/// Closes the session's listener when dropped: when the session ends, and also when
/// the session task is aborted with the FTP listener.
pub(crate) struct CloseOnDrop(pub(crate) ControlPassive);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// One open passive listener: our duplicate of its descriptor, its slot under the cap
/// and its deadline. Dropping it closes the listener.
struct Live {
    id: u64,
    socket: socket2::Socket,
    _slot: OwnedSemaphorePermit,
    deadline: AbortHandle,
}

impl Drop for Live {
    fn drop(&mut self) {
        // Stops the listening (libunftp's pending accept fails and drops its copy); an
        // already accepted data connection is a socket of its own and goes on.
        let _ = self.socket.shutdown(Shutdown::Both);
        self.deadline.abort();
    }
}

/// libunftp's [`Binder`] for one control connection: closes that connection's previous
/// listener, takes a slot under the cap, binds a fresh port and keeps a handle on it.
pub(crate) struct ControlBinder {
    pool: Arc<PassiveListeners>,
    live: ControlPassive,
}

impl fmt::Debug for ControlBinder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControlBinder").field("pool", &self.pool).finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Binder for ControlBinder {
    /// `_passive_ports` is libunftp's default range (the harness sets none); port 0 lets
    /// the kernel pick a free port at once instead of libunftp's ten random tries.
    async fn bind(&mut self, local_addr: IpAddr, _passive_ports: RangeInclusive<u16>) -> io::Result<TcpSocket> {
        // A new PASV/EPSV replaces the previous listener of this connection.
        self.live.close();
        let slot = Arc::clone(&self.pool.slots).try_acquire_owned().map_err(|_| self.pool.refuse())?;
        let exhausted = |error: io::Error| {
            crate::descriptors::note(PARTY, &error);
            error
        };
        let socket = match local_addr {
            IpAddr::V4(_) => TcpSocket::new_v4(),
            IpAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(exhausted)?;
        socket.bind(SocketAddr::new(local_addr, 0))?;
        let duplicate = socket.as_fd().try_clone_to_owned().map_err(exhausted)?;
        let id = self.pool.next_id.fetch_add(1, Ordering::Relaxed);
        let deadline = {
            let live = self.live.clone();
            tokio::spawn(async move {
                tokio::time::sleep(PASSIVE_CONNECT_DEADLINE).await;
                live.expire(id);
            })
            .abort_handle()
        };
        *self.live.slot() = Some(Live { id, socket: socket2::Socket::from(duplicate), _slot: slot, deadline });
        Ok(socket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    /// What libunftp does with the socket: listen, then wait for a connection.
    fn listen(socket: TcpSocket) -> (SocketAddr, tokio::task::JoinHandle<io::Result<()>>) {
        let listener = socket.listen(16).expect("listens");
        let addr = listener.local_addr().expect("address");
        (addr, tokio::spawn(async move { listener.accept().await.map(drop) }))
    }

    #[tokio::test]
    async fn a_second_pasv_closes_the_first_listener() {
        let pool = PassiveListeners::new(8);
        let (mut binder, _live) = pool.control();
        let (first, first_wait) = listen(binder.bind(LOOPBACK, 49152..=65535).await.expect("first"));
        let (second, _second_wait) = listen(binder.bind(LOOPBACK, 49152..=65535).await.expect("second"));
        assert_ne!(first, second);
        // libunftp's wait on the first ends at once (with an error), dropping its copy.
        let ended = tokio::time::timeout(Duration::from_secs(5), first_wait).await.expect("the first wait ends");
        assert!(ended.expect("joined").is_err(), "the first listener accepted nothing");
        let refused = tokio::net::TcpStream::connect(first).await;
        assert_eq!(refused.expect_err("the first port is closed").kind(), io::ErrorKind::ConnectionRefused);
        tokio::net::TcpStream::connect(second).await.expect("the second port listens");
        assert_eq!(pool.live(), 1);
    }

    #[tokio::test]
    async fn listeners_close_with_their_control_connection_and_the_cap_refuses_more() {
        let pool = PassiveListeners::new(2);
        let (mut one, one_live) = pool.control();
        let (mut two, _two_live) = pool.control();
        let (mut three, _three_live) = pool.control();
        let (addr, _wait) = listen(one.bind(LOOPBACK, 1..=1).await.expect("one"));
        let _two = two.bind(LOOPBACK, 1..=1).await.expect("two");
        let refused = three.bind(LOOPBACK, 1..=1).await.expect_err("over the cap");
        assert!(refused.to_string().contains("passive-listeners"), "{refused}");
        assert_eq!(pool.capped(), 1);
        drop(CloseOnDrop(one_live));
        assert_eq!(pool.live(), 1);
        let refused = tokio::net::TcpStream::connect(addr).await;
        assert_eq!(refused.expect_err("closed with its session").kind(), io::ErrorKind::ConnectionRefused);
        let _three = three.bind(LOOPBACK, 1..=1).await.expect("a slot freed");
    }

    #[tokio::test(start_paused = true)]
    async fn a_listener_nobody_connects_to_closes_at_its_deadline() {
        let pool = PassiveListeners::new(4);
        let (mut binder, _live) = pool.control();
        let _socket = binder.bind(LOOPBACK, 1..=1).await.expect("bound");
        assert_eq!(pool.live(), 1);
        tokio::time::sleep(PASSIVE_CONNECT_DEADLINE + Duration::from_millis(1)).await;
        // The deadline task has run (paused time runs every ready timer first).
        tokio::task::yield_now().await;
        assert_eq!(pool.live(), 0);
    }
}
