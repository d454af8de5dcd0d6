//! Implicit FTPS on the FTPS listener, next to explicit FTPS (AUTH TLS).
//!
//! CMI010 §5 names `ftps://` package URLs but not which FTPS it means. RFC 4217's
//! explicit FTPS starts in plain text and upgrades with `AUTH TLS`; the older implicit
//! FTPS speaks TLS from the first byte. curl, which PHP and so most LMSs fetch with,
//! reads an `ftps://` URL as implicit, so a listener that spoke only one of them would
//! fail a correct target for the other (and the failure would look like a CA that is
//! not trusted). The listener therefore serves both:
//!
//! - an implicit client sends its TLS ClientHello as soon as it is connected: a TLS
//!   handshake record starts with byte `0x16`;
//! - an explicit client sends nothing before the server's `220` greeting (RFC 959).
//!
//! So the first bytes decide ([`opening`]): a handshake record within
//! [`CLIENT_HELLO_WAIT`] means implicit, silence or anything else means explicit, and
//! libunftp greets. For an implicit session we finish the handshake ourselves
//! ([`unwrap_tls`]) and hand libunftp the plain side of a loopback TCP pair, since its
//! `Server::service` takes only a `TcpStream`; the data connections still go straight to
//! libunftp's passive ports and use TLS there after `PROT P`, as both modes do.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::server::{TlsFailure, TlsFailures};

/// The first byte of a TLS record of type handshake: a ClientHello starts with it.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// How long the listener waits for a ClientHello before it greets in plain text. An
/// implicit client sends its ClientHello the moment the connection is up, so this only
/// has to cover scheduling on a busy machine; an explicit client pays it once per
/// control connection, as a slower greeting.
pub(super) const CLIENT_HELLO_WAIT: Duration = Duration::from_millis(1000);

/// How long an implicit client has to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the first bytes of an FTPS control connection say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Opening {
    /// A TLS handshake record: implicit FTPS.
    Implicit,
    /// Silence (waiting for the greeting) or a plain command: explicit FTPS.
    Explicit,
    /// The client closed or the socket failed before anything was decided.
    Gone,
}

/// Peeks at the first byte of `stream` (nothing is consumed) for at most `wait`.
pub(super) async fn opening(stream: &TcpStream, wait: Duration) -> Opening {
    let mut first = [0_u8; 1];
    match tokio::time::timeout(wait, stream.peek(&mut first)).await {
        Err(_) => Opening::Explicit,
        Ok(Ok(0) | Err(_)) => Opening::Gone,
        Ok(Ok(_)) if first[0] == TLS_HANDSHAKE_RECORD => Opening::Implicit,
        Ok(Ok(_)) => Opening::Explicit,
    }
}

/// An implicit session with its TLS finished: `tls` is the client's connection,
/// `ours` and `theirs` the two ends of a loopback TCP pair. libunftp serves `theirs`;
/// [`relay`] copies between `tls` and `ours`.
pub(super) struct Unwrapped {
    pub(super) tls: TlsStream<TcpStream>,
    pub(super) ours: TcpStream,
    pub(super) theirs: TcpStream,
}

/// Finishes the TLS handshake of an implicit client and opens the pair libunftp will
/// serve. The pair is bound on the address the client reached us on, so libunftp's
/// `PASV` (which names the control connection's local address) names an address the
/// client can reach. A failed handshake is recorded in `failures`, like an HTTPS one.
pub(super) async fn unwrap_tls(
    stream: TcpStream,
    peer: SocketAddr,
    config: Arc<rustls::ServerConfig>,
    failures: &TlsFailures,
) -> io::Result<Unwrapped> {
    let local_ip = stream.local_addr()?.ip();
    let acceptor = TlsAcceptor::from(config);
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(error)) => {
            failures.record(TlsFailure { at: Instant::now(), peer, error: format!("implicit FTPS: {error}") });
            return Err(error);
        }
        Err(_) => return Err(io::Error::new(io::ErrorKind::TimedOut, "implicit FTPS handshake timed out")),
    };
    let (ours, theirs) = loopback_pair(local_ip).await?;
    Ok(Unwrapped { tls, ours, theirs })
}

/// Two connected TCP streams on `ip`, through a listener that accepts exactly one
/// connection and then closes; a connection from anyone else in that instant is refused.
pub(super) async fn loopback_pair(ip: std::net::IpAddr) -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind(SocketAddr::new(ip, 0)).await?;
    let addr = listener.local_addr()?;
    let (ours, (theirs, peer)) = tokio::try_join!(TcpStream::connect(addr), listener.accept())?;
    if peer != ours.local_addr()? {
        return Err(io::Error::new(io::ErrorKind::ConnectionRefused, "a stranger took the implicit FTPS pair"));
    }
    let _ = ours.set_nodelay(true);
    let _ = theirs.set_nodelay(true);
    Ok((ours, theirs))
}

/// Copies between the client's TLS connection and our end of the pair until both sides
/// have closed; a reset on either side ends it.
pub(super) async fn relay(mut tls: TlsStream<TcpStream>, mut ours: TcpStream) {
    if let Err(error) = tokio::io::copy_bidirectional(&mut tls, &mut ours).await {
        tracing::debug!(%error, "implicit FTPS relay ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;

    use super::*;

    async fn connected() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, (server, _)) = tokio::try_join!(TcpStream::connect(addr), listener.accept()).unwrap();
        (client, server)
    }

    #[tokio::test]
    async fn the_first_byte_tells_implicit_from_explicit() {
        let (mut client, server) = connected().await;
        client.write_all(&[0x16, 0x03, 0x01]).await.unwrap();
        assert_eq!(opening(&server, Duration::from_secs(10)).await, Opening::Implicit);

        let (mut client, server) = connected().await;
        client.write_all(b"AUTH TLS\r\n").await.unwrap();
        assert_eq!(opening(&server, Duration::from_secs(10)).await, Opening::Explicit);

        let (client, server) = connected().await;
        drop(client);
        assert_eq!(opening(&server, Duration::from_secs(10)).await, Opening::Gone);
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_client_waits_for_the_greeting_and_is_explicit() {
        let (_client, server) = connected().await;
        assert_eq!(opening(&server, CLIENT_HELLO_WAIT).await, Opening::Explicit);
    }

    #[tokio::test]
    async fn the_pair_is_connected_both_ways() {
        use tokio::io::AsyncReadExt;
        let (mut ours, mut theirs) = loopback_pair("127.0.0.1".parse().unwrap()).await.unwrap();
        ours.write_all(b"USER x\r\n").await.unwrap();
        let mut read = [0_u8; 8];
        theirs.read_exact(&mut read).await.unwrap();
        assert_eq!(&read, b"USER x\r\n");
        assert_eq!(theirs.local_addr().unwrap().ip(), ours.peer_addr().unwrap().ip());
    }
}
