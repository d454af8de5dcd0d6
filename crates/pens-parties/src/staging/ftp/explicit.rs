//! What an explicit-FTPS client's TLS handshake shows from outside: enough to record a
//! failed one as a [`TlsFailure`], as the HTTPS listener and implicit FTPS do.
//!
//! After `AUTH TLS` libunftp runs the handshake itself and reports nothing, so a target
//! that does not trust the run's CA left no trace and its FTPS fetch failed as "never
//! requested". The session is therefore relayed (libunftp's `Server::service` takes only
//! a `TcpStream`, so it serves one end of a loopback pair, as for implicit FTPS) through
//! a [`Tap`] that reads along, without changing a byte, what the client sends:
//!
//! - the plain commands, until `AUTH TLS` or `AUTH SSL` (RFC 4217 §4; libunftp knows only
//!   these two), case-insensitive;
//! - then TLS record headers (RFC 5246 §6.2.1, RFC 8446 §5.1: type, version, 16-bit
//!   length), skipping the bodies, except a plain alert's two bytes.
//!
//! And of what the server sends, only the first byte after the ClientHello: a handshake
//! record (`0x16`) means the server answered with TLS; anything else is libunftp's race
//! (it read the ClientHello as a command, see the module doc of `ftp`), our fault, not
//! the client's, so nothing is recorded.
//!
//! A failed handshake shows as one of (checked against what rustls sends, in the tests):
//!
//! - an alert record in the clear (`0x15`, length 2: level, description; RFC 5246 §7.2,
//!   RFC 8446 §6): a TLS 1.2 client that rejects the certificate says why before any key
//!   is in use (`unknown_ca` for a CA it does not know);
//! - a TLS 1.3 client (RFC 8446 §4.4.2.4 / §6) encrypts its alert with the handshake keys:
//!   one short application-data record (`0x17`; alert 2 + content type 1 + AEAD tag 16 =
//!   19 bytes), maybe after a `0x14` ChangeCipherSpec, then the end of the connection.
//!   Its kind cannot be read. Its Finished would be at least 53 bytes (4 + a 32-byte
//!   hash + 1 + 16), so a shorter first record followed by nothing is not one;
//! - the connection closed after the server's answer, before the client's Finished,
//!   without an alert. Recorded too, as the HTTPS listener records a handshake cut off
//!   by an end of file, with a text that says the reason cannot be seen.
//!
//! A TLS 1.2 Finished (a handshake record after the client's ChangeCipherSpec) or a long
//! `0x17` record ends the watch: the handshake went on, and the rest of the session is
//! relayed with one comparison per read.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use crate::server::{TlsFailure, TlsFailures};

/// TLS record content types (RFC 8446 §5.1, RFC 5246 §6.2.1).
const CHANGE_CIPHER_SPEC: u8 = 0x14;
const ALERT: u8 = 0x15;
const HANDSHAKE: u8 = 0x16;
const APPLICATION_DATA: u8 = 0x17;

/// The shortest encrypted TLS 1.3 Finished: handshake header 4 + SHA-256 hash 32 + inner
/// content type 1 + AEAD tag 16. An encrypted alert is 19 bytes (2 + 1 + 16).
const SHORTEST_ENCRYPTED_FINISHED: u16 = 53;

/// Bytes of plain commands read before giving up on seeing `AUTH TLS`: the FTPS listener
/// refuses anything but AUTH before it, so a client still talking in the clear past this
/// is not starting TLS.
const COMMANDS_WATCHED: usize = 4096;

/// The longest command line kept: `AUTH TLS\r\n`, and room for spaces.
const LINE_KEPT: usize = 16;

/// How an explicit-FTPS handshake was seen to fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Failure {
    /// An alert in the clear: its level (1 warning, 2 fatal) and description.
    Alert { level: u8, description: u8 },
    /// A short encrypted record and then the end: TLS 1.3's encrypted alert.
    EncryptedAlert,
    /// The connection ended before the client's Finished, without an alert.
    Closed,
}

impl Failure {
    /// The error recorded, after `explicit FTPS: `.
    pub(super) fn describe(self) -> String {
        match self {
            Failure::Alert { level, description } => format!(
                "the client ended the TLS handshake after AUTH TLS with the {} alert {}, sent in the clear",
                if level == 2 { "fatal" } else { "warning" },
                alert_name(description),
            ),
            Failure::EncryptedAlert => "the client ended the TLS handshake after AUTH TLS with an encrypted alert \
                                        before its Finished; TLS 1.3 encrypts it, so its kind cannot be read, \
                                        but most often the certificate was not trusted"
                .to_owned(),
            Failure::Closed => "the client closed the connection after AUTH TLS before finishing the TLS handshake, \
                                without an alert; why cannot be seen: most often a client that rejects the \
                                certificate without saying so, or one that gave up"
                .to_owned(),
        }
    }
}

/// The alert's name as RFC 8446 §6 and RFC 5246 §7.2 spell it.
fn alert_name(description: u8) -> String {
    let name = match description {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        116 => "certificate_required",
        120 => "no_application_protocol",
        other => return format!("number {other}"),
    };
    name.to_owned()
}

/// Where the watch is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Plain commands, looking for `AUTH TLS`.
    Commands,
    /// `AUTH TLS` sent: a handshake record starts TLS, anything else is more commands.
    AfterAuth,
    /// Reading the client's TLS records.
    Handshake,
    /// Decided (or nothing more to learn): bytes pass unwatched.
    Done,
}

/// The state machine over the two directions of a control connection: no allocation,
/// a few bytes of state.
#[derive(Debug)]
pub(super) struct Watch {
    phase: Phase,
    /// Plain bytes read so far, against [`COMMANDS_WATCHED`].
    plain: usize,
    line: [u8; LINE_KEPT],
    line_len: usize,
    /// The record header being read, and how much of it is in.
    header: [u8; 5],
    header_len: usize,
    /// Body bytes of the current record still to skip.
    body_left: u16,
    /// The current record: its type and, for a plain alert, its two bytes.
    record_type: u8,
    alert: [u8; 2],
    alert_len: usize,
    /// The server's first byte after the ClientHello was a handshake record.
    server_answered: Option<bool>,
    /// Records the client sent after its ClientHello (once the server answered).
    after_hello: u32,
    client_ccs: bool,
    /// The client's first encrypted record was too short for a Finished.
    short_encrypted: bool,
}

impl Default for Watch {
    fn default() -> Self {
        Watch {
            phase: Phase::Commands,
            plain: 0,
            line: [0; LINE_KEPT],
            line_len: 0,
            header: [0; 5],
            header_len: 0,
            body_left: 0,
            record_type: 0,
            alert: [0; 2],
            alert_len: 0,
            server_answered: None,
            after_hello: 0,
            client_ccs: false,
            short_encrypted: false,
        }
    }
}

impl Watch {
    /// Whether there is still something to learn.
    pub(super) fn watching(&self) -> bool {
        self.phase != Phase::Done
    }

    /// Bytes the client sent; a failure once the handshake is seen to have failed.
    pub(super) fn client_sent(&mut self, mut bytes: &[u8]) -> Option<Failure> {
        while !bytes.is_empty() {
            match self.phase {
                Phase::Done => return None,
                Phase::Commands => {
                    bytes = self.command_bytes(bytes);
                }
                Phase::AfterAuth => {
                    if bytes[0] == HANDSHAKE {
                        self.phase = Phase::Handshake;
                    } else {
                        self.phase = Phase::Commands;
                    }
                }
                Phase::Handshake => {
                    let (rest, failure) = self.record_bytes(bytes);
                    if failure.is_some() {
                        self.phase = Phase::Done;
                        return failure;
                    }
                    bytes = rest;
                }
            }
        }
        None
    }

    /// Bytes the server sent: only the first after the ClientHello matters.
    pub(super) fn server_sent(&mut self, bytes: &[u8]) {
        if self.phase == Phase::Handshake
            && self.server_answered.is_none()
            && let Some(&first) = bytes.first()
        {
            self.server_answered = Some(first == HANDSHAKE);
            if first != HANDSHAKE {
                // libunftp answered the ClientHello in plain text: its race, not the
                // client's failure.
                self.phase = Phase::Done;
            }
        }
    }

    /// The connection ended (the client closed it, or it broke): a handshake the server
    /// answered and the client did not finish has failed.
    pub(super) fn ended(&mut self) -> Option<Failure> {
        let phase = std::mem::replace(&mut self.phase, Phase::Done);
        if phase != Phase::Handshake || self.server_answered != Some(true) {
            return None;
        }
        Some(if self.short_encrypted { Failure::EncryptedAlert } else { Failure::Closed })
    }

    /// Reads plain command bytes up to the end of `AUTH TLS`'s line, if it comes.
    fn command_bytes<'a>(&mut self, bytes: &'a [u8]) -> &'a [u8] {
        for (index, &byte) in bytes.iter().enumerate() {
            self.plain += 1;
            if byte == b'\n' {
                let auth = is_auth_tls(&self.line[..self.line_len]);
                self.line_len = 0;
                if auth {
                    self.phase = Phase::AfterAuth;
                    return &bytes[index + 1..];
                }
            } else if self.line_len < LINE_KEPT {
                self.line[self.line_len] = byte;
                self.line_len += 1;
            } else {
                // Too long to be AUTH TLS: marked so by a byte no command holds.
                self.line[LINE_KEPT - 1] = 0;
            }
            if self.plain > COMMANDS_WATCHED {
                self.phase = Phase::Done;
                return &[];
            }
        }
        &[]
    }

    /// Reads TLS record bytes: headers in full, bodies skipped (but a plain alert's).
    fn record_bytes<'a>(&mut self, mut bytes: &'a [u8]) -> (&'a [u8], Option<Failure>) {
        if self.header_len < 5 {
            let take = (5 - self.header_len).min(bytes.len());
            self.header[self.header_len..self.header_len + take].copy_from_slice(&bytes[..take]);
            self.header_len += take;
            bytes = &bytes[take..];
            if self.header_len < 5 {
                return (bytes, None);
            }
            self.record_type = self.header[0];
            self.body_left = u16::from_be_bytes([self.header[3], self.header[4]]);
            self.alert_len = 0;
            if let Some(failure) = self.record_started() {
                return (bytes, Some(failure));
            }
            if self.phase == Phase::Done {
                return (&[], None);
            }
        }
        let take = usize::from(self.body_left).min(bytes.len());
        if self.record_type == ALERT && self.alert_len < 2 {
            let kept = take.min(2 - self.alert_len);
            self.alert[self.alert_len..self.alert_len + kept].copy_from_slice(&bytes[..kept]);
            self.alert_len += kept;
        }
        self.body_left -= take as u16;
        bytes = &bytes[take..];
        if self.body_left == 0 {
            self.header_len = 0;
            if self.record_type == ALERT
                && u16::from_be_bytes([self.header[3], self.header[4]]) == 2
                && self.server_answered == Some(true)
            {
                let [level, description] = self.alert;
                return (bytes, Some(Failure::Alert { level, description }));
            }
        }
        (bytes, None)
    }

    /// A record header is in: what it says about the handshake.
    fn record_started(&mut self) -> Option<Failure> {
        let length = self.body_left;
        if self.server_answered != Some(true) {
            // The ClientHello (possibly in several records); anything but handshake
            // records before the server answered is not a handshake we can follow.
            if self.record_type != HANDSHAKE && self.record_type != ALERT {
                self.phase = Phase::Done;
            }
            return None;
        }
        self.after_hello += 1;
        match self.record_type {
            CHANGE_CIPHER_SPEC => self.client_ccs = true,
            // A TLS 1.2 Finished: encrypted, so after the client's ChangeCipherSpec.
            HANDSHAKE if self.client_ccs => self.phase = Phase::Done,
            // A TLS 1.2 ClientKeyExchange, or a second ClientHello after a
            // HelloRetryRequest: the handshake goes on.
            HANDSHAKE => {}
            // A plain alert is read when its body is in; a longer one is encrypted.
            ALERT if length == 2 => {}
            ALERT => return Some(Failure::EncryptedAlert),
            APPLICATION_DATA if self.short_encrypted || length >= SHORTEST_ENCRYPTED_FINISHED => {
                self.phase = Phase::Done;
            }
            APPLICATION_DATA => self.short_encrypted = true,
            _ => self.phase = Phase::Done,
        }
        None
    }
}

/// `AUTH TLS` or `AUTH SSL`, any case, with its line end.
fn is_auth_tls(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some(argument) = line.get(..5).filter(|verb| verb.eq_ignore_ascii_case(b"AUTH ")).map(|_| &line[5..]) else {
        return false;
    };
    let argument = argument.trim_ascii();
    argument.eq_ignore_ascii_case(b"TLS") || argument.eq_ignore_ascii_case(b"SSL")
}

/// The client's side of a relayed explicit-FTPS session: passes every byte through as it
/// is, and records a failed handshake the [`Watch`] sees.
pub(super) struct Tap {
    stream: TcpStream,
    watch: Watch,
    peer: SocketAddr,
    failures: TlsFailures,
    /// Told when the server's side is over (libunftp closed our end of the pair).
    server_closed: Option<oneshot::Sender<()>>,
}

impl Tap {
    pub(super) fn new(stream: TcpStream, peer: SocketAddr, failures: TlsFailures) -> Tap {
        Tap { stream, watch: Watch::default(), peer, failures, server_closed: None }
    }

    fn record(&self, failure: Option<Failure>) {
        if let Some(failure) = failure {
            let error = format!("explicit FTPS: {}", failure.describe());
            self.failures.record(TlsFailure { at: Instant::now(), peer: self.peer, error });
        }
    }

    /// The relay is over, however it ended.
    pub(super) fn ended(&mut self) {
        let failure = self.watch.ended();
        self.record(failure);
    }
}

impl AsyncRead for Tap {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if self.watch.watching() {
            let failure = match &polled {
                Poll::Ready(Ok(())) if buf.filled().len() == before => self.watch.ended(),
                Poll::Ready(Ok(())) => {
                    let this = &mut *self;
                    this.watch.client_sent(&buf.filled()[before..])
                }
                Poll::Ready(Err(_)) => self.watch.ended(),
                Poll::Pending => None,
            };
            self.record(failure);
        }
        polled
    }
}

impl AsyncWrite for Tap {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if self.watch.watching()
            && let Poll::Ready(Ok(written)) = polled
        {
            self.watch.server_sent(&buf[..written]);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Only called once the server's side has ended: nothing more will be written.
        if let Some(closed) = self.server_closed.take() {
            let _ = closed.send(());
        }
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// How long a client may keep its side open once libunftp has closed the session (after
/// `221`, an idle timeout or a failed handshake): before the relay, libunftp's close was
/// the end of the connection, and a client that never closes must not hold it forever.
const CLIENT_LINGER: Duration = Duration::from_secs(2);

/// Copies between the client (through the tap) and our end of the pair libunftp serves
/// until both sides have closed, or the client lingers past [`CLIENT_LINGER`] after
/// the server's side ended; then the watch hears that the connection ended.
pub(super) async fn relay(mut tap: Tap, mut ours: TcpStream) {
    let (closed, server_closed) = oneshot::channel();
    tap.server_closed = Some(closed);
    let linger = async {
        if server_closed.await.is_ok() {
            tokio::time::sleep(CLIENT_LINGER).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        copied = tokio::io::copy_bidirectional(&mut tap, &mut ours) => {
            if let Err(error) = copied {
                tracing::debug!(%error, "explicit FTPS relay ended with an error");
            }
        }
        () = linger => tracing::debug!("explicit FTPS client kept its side open after the session ended"),
    }
    tap.ended();
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A TLS record of `kind` with a body of `length` bytes.
    fn record(kind: u8, length: u16) -> Vec<u8> {
        let mut bytes = vec![kind, 3, 3];
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.resize(5 + usize::from(length), 0xAB);
        bytes
    }

    /// A watch that has seen `AUTH TLS`, a ClientHello and the server's answer.
    fn answered() -> Watch {
        let mut watch = Watch::default();
        assert_eq!(watch.client_sent(b"FEAT\r\nauth tls\r\n"), None);
        assert_eq!(watch.client_sent(&record(HANDSHAKE, 300)), None);
        watch.server_sent(&record(HANDSHAKE, 90));
        watch
    }

    /// Feeds `bytes` one at a time, as the slowest network would.
    fn byte_by_byte(watch: &mut Watch, bytes: &[u8]) -> Option<Failure> {
        bytes.iter().find_map(|byte| watch.client_sent(std::slice::from_ref(byte)))
    }

    #[test]
    fn a_plain_alert_after_the_server_answered_is_a_failure_with_its_name() {
        let mut alert = record(ALERT, 2);
        alert[5..7].copy_from_slice(&[2, 48]);
        let failure = answered().client_sent(&alert);
        assert_eq!(failure, Some(Failure::Alert { level: 2, description: 48 }));
        assert!(failure.unwrap().describe().ends_with("with the fatal alert unknown_ca, sent in the clear"));
        // Whatever the reads' sizes.
        assert_eq!(byte_by_byte(&mut answered(), &alert), Some(Failure::Alert { level: 2, description: 48 }));
    }

    #[test]
    fn a_short_encrypted_record_then_the_end_is_an_encrypted_alert() {
        let mut watch = answered();
        assert_eq!(watch.client_sent(&[record(CHANGE_CIPHER_SPEC, 1), record(APPLICATION_DATA, 19)].concat()), None);
        assert_eq!(watch.ended(), Some(Failure::EncryptedAlert));
        assert!(Failure::EncryptedAlert.describe().contains("its kind cannot be read"));
    }

    #[test]
    fn a_finished_ends_the_watch_without_a_failure() {
        // TLS 1.3: a Finished is at least 53 bytes encrypted.
        let mut watch = answered();
        assert_eq!(watch.client_sent(&[record(CHANGE_CIPHER_SPEC, 1), record(APPLICATION_DATA, 53)].concat()), None);
        assert!(!watch.watching());
        assert_eq!(watch.ended(), None);
        // TLS 1.2: ClientKeyExchange, ChangeCipherSpec, the encrypted Finished; then a
        // short record of application data is a command, not an alert.
        let mut watch = answered();
        let flight = [record(HANDSHAKE, 37), record(CHANGE_CIPHER_SPEC, 1), record(HANDSHAKE, 40)].concat();
        assert_eq!(byte_by_byte(&mut watch, &flight), None);
        assert!(!watch.watching());
        assert_eq!(watch.client_sent(&record(APPLICATION_DATA, 30)), None);
        assert_eq!(watch.ended(), None);
    }

    #[test]
    fn an_end_after_the_servers_answer_is_a_failure_and_before_it_is_not() {
        assert_eq!(answered().ended(), Some(Failure::Closed));
        let mut unanswered = Watch::default();
        unanswered.client_sent(b"AUTH TLS\r\n");
        unanswered.client_sent(&record(HANDSHAKE, 300));
        assert_eq!(unanswered.ended(), None);
    }

    #[test]
    fn a_plain_answer_to_the_client_hello_is_libunftps_race_not_a_failure() {
        let mut watch = Watch::default();
        watch.client_sent(b"AUTH SSL\r\n");
        watch.client_sent(&record(HANDSHAKE, 300));
        watch.server_sent(b"500 unknown command\r\n");
        let mut alert = record(ALERT, 2);
        alert[5..7].copy_from_slice(&[2, 50]);
        assert_eq!(watch.client_sent(&alert), None);
        assert_eq!(watch.ended(), None);
    }

    #[test]
    fn without_auth_tls_nothing_is_watched_as_tls() {
        let mut watch = Watch::default();
        let mut alert = record(ALERT, 2);
        alert[5..7].copy_from_slice(&[2, 48]);
        assert_eq!(watch.client_sent(&[b"USER x\r\nAUTH TLSX\r\n".as_slice(), &alert].concat()), None);
        watch.server_sent(&record(HANDSHAKE, 90));
        assert_eq!(watch.ended(), None);
        assert!(is_auth_tls(b"AUTH TLS\r") && is_auth_tls(b"auth  ssl ") && !is_auth_tls(b"AUTH TLS-C"));
    }

    /// A rustls client of `version` that trusts `ca` (no CA at all for `None`) does AUTH
    /// TLS through a tap to a rustls server with `server`'s certificate: what the tap
    /// recorded.
    async fn handshake_through_the_tap(
        version: &'static rustls::SupportedProtocolVersion,
        server: &crate::RunCa,
        ca: Option<&crate::RunCa>,
    ) -> Vec<TlsFailure> {
        let started = Instant::now();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let failures = TlsFailures::default();
        let served = {
            let failures = Arc::clone(&failures);
            let config = server.server_config();
            tokio::spawn(async move {
                let (stream, peer) = listener.accept().await.unwrap();
                let (ours, mut theirs) = super::super::implicit::loopback_pair(addr.ip()).await.unwrap();
                let relay = tokio::spawn(relay(Tap::new(stream, peer, failures), ours));
                let mut command = [0_u8; 10];
                theirs.read_exact(&mut command).await.unwrap();
                theirs.write_all(b"234 go\r\n").await.unwrap();
                let accepted = tokio_rustls::TlsAcceptor::from(config).accept(theirs).await;
                drop(accepted);
                relay.await.unwrap();
            })
        };
        let mut roots = rustls::RootCertStore::empty();
        let pem = ca.map(crate::RunCa::ca_pem).unwrap_or_default();
        for certificate in rustls::pki_types::pem::PemObject::pem_slice_iter(pem.as_bytes()) {
            roots.add(certificate.unwrap()).unwrap();
        }
        let config = rustls::ClientConfig::builder_with_provider(crate::crypto_provider())
            .with_protocol_versions(&[version])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(b"AUTH TLS\r\n").await.unwrap();
        let mut reply = [0_u8; 8];
        client.read_exact(&mut reply).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let connected = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, client).await;
        drop(connected);
        tokio::time::timeout(Duration::from_secs(10), served).await.unwrap().unwrap();
        failures.since(started)
    }

    /// The byte facts the watch relies on, checked against what rustls sends.
    #[tokio::test]
    async fn a_rustls_client_that_does_not_trust_the_ca_is_recorded_in_both_versions() {
        let server = crate::RunCa::generate(&[]).unwrap();
        let tls12 = handshake_through_the_tap(&rustls::version::TLS12, &server, None).await;
        assert_eq!(tls12.len(), 1, "{tls12:?}");
        let expected =
            "explicit FTPS: the client ended the TLS handshake after AUTH TLS with the fatal alert unknown_ca";
        assert!(tls12[0].error.starts_with(expected), "{tls12:?}");
        let tls13 = handshake_through_the_tap(&rustls::version::TLS13, &server, None).await;
        assert_eq!(tls13.len(), 1, "{tls13:?}");
        assert!(tls13[0].error.contains("with an encrypted alert before its Finished"), "{tls13:?}");
        // Another run's CA (same name, other key): rustls says decrypt_error, in the clear
        // in TLS 1.2; recorded all the same.
        let stranger = crate::RunCa::generate(&[]).unwrap();
        let tls12 = handshake_through_the_tap(&rustls::version::TLS12, &server, Some(&stranger)).await;
        assert!(tls12.len() == 1 && tls12[0].error.contains("with the fatal alert decrypt_error"), "{tls12:?}");
    }

    #[tokio::test]
    async fn a_rustls_client_that_trusts_the_ca_is_not_recorded_in_either_version() {
        let server = crate::RunCa::generate(&[]).unwrap();
        for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
            let failures = handshake_through_the_tap(version, &server, Some(&server)).await;
            assert_eq!(failures, [], "{version:?}");
        }
    }

    /// libunftp's close used to be the connection's end: a client that keeps its side
    /// open afterwards does not keep the relay (and its socket) forever.
    #[tokio::test]
    async fn the_relay_ends_when_the_server_closed_and_the_client_lingers() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, (stream, peer)) = tokio::try_join!(TcpStream::connect(addr), listener.accept()).unwrap();
        let (ours, theirs) = super::super::implicit::loopback_pair(addr.ip()).await.unwrap();
        drop(theirs);
        let relayed = tokio::time::timeout(
            CLIENT_LINGER + Duration::from_secs(10),
            relay(Tap::new(stream, peer, TlsFailures::default()), ours),
        )
        .await;
        assert!(relayed.is_ok(), "the relay outlived the server's side");
        drop(client);
    }
}
