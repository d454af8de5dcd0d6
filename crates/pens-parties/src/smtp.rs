//! A small SMTP server that accepts every message and hands it to a [`MailSink`]: the
//! receiving end of `mailto:` receipts and alerts (CMI010 §5, Appendix A).
//!
//! The protocol state machine is `mailin`'s; the accept loop, line reading and limits
//! are ours, so that the listener binds port 0, and dropping its [`ServerTask`] ends the
//! listener and every open session, like the HTTP listeners of `server.rs`. Whoever
//! sends us mail is an LMS under test and may misbehave, so nothing it does can hang or
//! exhaust us: lines and messages are capped, an idle session is closed, sessions are
//! counted. No TLS (STARTTLS is not offered) and no AUTH: this is a sink on loopback or
//! a test network, not a relay.

mod lines;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use mailin::{Action, Handler, Response, SessionBuilder};
use tokio::io::{AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use self::lines::{LineRead, envelope_sender, read_line, tidy_command, tidy_data};
use crate::server::{Bound, ServerTask};

/// The longest command line read whole; RFC 5321 §4.5.3.1.4 asks for 512 octets, we
/// allow more for clients with long addresses.
const MAX_COMMAND_LINE: usize = 2048;

/// The most recipients of one message; more are refused with 452 (RFC 5321 §4.5.3.1.8
/// asks a server to take at least 100).
const MAX_RECIPIENTS: usize = 100;

/// How long a session may last in all, however busy: a client dribbling a byte a
/// minute must not hold a session slot for ever.
const MAX_SESSION_TIME: Duration = Duration::from_secs(600);

/// How long writing a reply may take before the session is given up.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Back-off after a failed `accept`, as in `server.rs`.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);

/// How the SMTP listener behaves.
#[derive(Clone, Debug)]
pub(crate) struct SmtpConfig {
    /// The name in the greeting and the EHLO answer.
    pub(crate) name: String,
    /// The largest message taken; a larger one is answered 552 and still delivered to
    /// the sink, cut at this size, with status 552.
    pub(crate) max_message_bytes: usize,
    /// How long one line may take to arrive (in practice: how long a client may stay
    /// silent) before the session is closed with 421.
    pub(crate) idle_timeout: Duration,
    /// How many sessions may be open at once; one more is answered 421 and closed.
    pub(crate) max_sessions: usize,
}

/// One message as it arrived at the end of DATA. No `Debug`: the raw message may carry
/// a password a target echoed back.
#[derive(Clone)]
pub(crate) struct ReceivedMail {
    /// When the end of DATA arrived.
    pub(crate) at: Instant,
    /// The envelope sender (`MAIL FROM`), empty for the null sender.
    pub(crate) envelope_from: String,
    /// The envelope recipients (`RCPT TO`), in order.
    pub(crate) recipients: Vec<String>,
    /// The message as received (dot-stuffing undone), cut at the size limit.
    pub(crate) raw: Bytes,
    /// The reply code we gave to the end of DATA: 250, or 552 when over the limit.
    pub(crate) status: u16,
}

/// Where received messages go. Called on the session's task: keep it quick.
pub(crate) trait MailSink: Send + Sync + 'static {
    /// Whether mail for `recipient` (as given in `RCPT TO`) is taken; a recipient it
    /// refuses is answered 550 and never reaches [`MailSink::deliver`]. Every one by
    /// default.
    fn accepts(&self, _recipient: &str) -> bool {
        true
    }

    /// Takes one message, accepted or refused for its size.
    fn deliver(&self, mail: ReceivedMail);
}

/// Serves SMTP on `bound` until the returned task is dropped.
pub(crate) fn spawn(bound: Bound, config: SmtpConfig, sink: Arc<dyn MailSink>) -> ServerTask {
    let addr = bound.addr;
    let task = tokio::spawn(accept_loop(bound, Arc::new(config), sink));
    ServerTask::new(addr, task)
}

async fn accept_loop(bound: Bound, config: Arc<SmtpConfig>, sink: Arc<dyn MailSink>) {
    let sessions = Arc::new(Semaphore::new(config.max_sessions));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = bound.listener.accept() => match accepted {
                Ok((stream, peer)) => match Arc::clone(&sessions).try_acquire_owned() {
                    Ok(permit) => {
                        connections.spawn(serve(stream, peer, Arc::clone(&config), Arc::clone(&sink), permit));
                    }
                    Err(_) => {
                        connections.spawn(refuse(stream, peer, Arc::clone(&config)));
                    }
                },
                Err(error) => {
                    crate::descriptors::note("smtp-sink", &error);
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Turns a client away when every session slot is taken (RFC 5321 §3.1: 421 instead
/// of the greeting).
async fn refuse(mut stream: TcpStream, peer: SocketAddr, config: Arc<SmtpConfig>) {
    tracing::debug!(%peer, "smtp session refused: too many sessions");
    let reply = format!("421 4.3.2 {} too many sessions, try again later\r\n", config.name);
    let _ = tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(reply.as_bytes())).await;
}

/// The state of one session that `mailin` leaves to its handler: the transaction in
/// progress and the message being received.
struct Transaction {
    sink: Arc<dyn MailSink>,
    max_message_bytes: usize,
    /// The name the client gave in HELO or EHLO.
    helo: String,
    envelope_from: String,
    /// How many `RCPT TO` were taken since `MAIL FROM`.
    accepted_recipients: usize,
    /// The recipients of the message being received, as `mailin` hands them over.
    recipients: Vec<String>,
    data: Vec<u8>,
    over_limit: bool,
}

impl Handler for &mut Transaction {
    fn helo(&mut self, _ip: std::net::IpAddr, domain: &str) -> Response {
        domain.clone_into(&mut self.helo);
        mailin::response::OK
    }

    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, from: &str) -> Response {
        self.envelope_from = envelope_sender(from);
        self.accepted_recipients = 0;
        mailin::response::OK
    }

    /// A recipient is taken whatever its domain (the LMS's relay decides where mail
    /// goes) when the sink accepts its mailbox; one it does not is refused with 550
    /// (RFC 5321 §3.3: mailbox unavailable), before a byte of the message is sent,
    /// as a real mail server refuses a mailbox it does not have.
    fn rcpt(&mut self, to: &str) -> Response {
        if self.accepted_recipients >= MAX_RECIPIENTS {
            return Response::custom(452, "4.5.3 too many recipients".to_owned());
        }
        if !self.sink.accepts(to) {
            return Response::custom(550, "5.1.1 no scenario of this run has this mailbox".to_owned());
        }
        self.accepted_recipients += 1;
        mailin::response::OK
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.envelope_from = envelope_sender(from);
        to.clone_into(&mut self.recipients);
        self.data.clear();
        self.over_limit = false;
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        let room = self.max_message_bytes.saturating_sub(self.data.len());
        if buf.len() > room {
            self.over_limit = true;
        }
        self.data.extend_from_slice(&buf[..buf.len().min(room)]);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let status = if self.over_limit { 552 } else { 250 };
        let mail = ReceivedMail {
            at: Instant::now(),
            envelope_from: std::mem::take(&mut self.envelope_from),
            recipients: std::mem::take(&mut self.recipients),
            raw: Bytes::from(std::mem::take(&mut self.data)),
            status,
        };
        self.sink.deliver(mail);
        if self.over_limit {
            Response::custom(552, format!("5.3.4 a message is at most {} bytes", self.max_message_bytes))
        } else {
            Response::custom(250, "2.0.0 message accepted".to_owned())
        }
    }
}

/// How one `mailin` session ended.
enum SessionEnd {
    /// The connection is over.
    Closed,
    /// A message was refused at the end of DATA. `mailin` 0.6 keeps its DATA state after
    /// an error reply there (it only moves on after a success), so the session must be
    /// rebuilt to take the client's next command.
    Refused,
}

async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    config: Arc<SmtpConfig>,
    sink: Arc<dyn MailSink>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut transaction = Transaction {
        sink,
        max_message_bytes: config.max_message_bytes,
        helo: String::new(),
        envelope_from: String::new(),
        accepted_recipients: 0,
        recipients: Vec::new(),
        data: Vec::new(),
        over_limit: false,
    };
    let builder = SessionBuilder::new(config.name.clone());
    let ends_at = tokio::time::Instant::now() + MAX_SESSION_TIME;
    let mut rebuilt = false;
    loop {
        let helo = transaction.helo.clone();
        let end = {
            let mut session = builder.build(peer.ip(), &mut transaction);
            if rebuilt {
                // The only way into the state after HELO is through HELO; a client
                // only reaches DATA after one, so the name is known and parses.
                let _ = session.process(format!("HELO {helo}\r\n").as_bytes());
            } else if reply(&mut write, &session.greeting()).await.is_err() {
                return;
            }
            converse(&mut session, &mut reader, &mut write, &config, ends_at).await
        };
        match end {
            SessionEnd::Closed => return,
            SessionEnd::Refused => rebuilt = true,
        }
    }
}

/// Reads lines and answers them until the client quits, goes away, stays silent too
/// long, or a message is refused (see [`SessionEnd::Refused`]).
async fn converse<H: Handler>(
    session: &mut mailin::Session<H>,
    reader: &mut BufReader<OwnedReadHalf>,
    write: &mut (impl AsyncWrite + Unpin),
    config: &SmtpConfig,
    ends_at: tokio::time::Instant,
) -> SessionEnd {
    let mut line = Vec::new();
    let mut in_data = false;
    loop {
        // In DATA a line may be as long as a whole message: a longer one cannot fit,
        // and its first part is enough to mark the message as over the limit.
        let limit = if in_data { config.max_message_bytes.saturating_add(2) } else { MAX_COMMAND_LINE };
        let deadline = ends_at.min(tokio::time::Instant::now() + config.idle_timeout);
        let read = match tokio::time::timeout_at(deadline, read_line(reader, limit, &mut line)).await {
            Ok(Ok(LineRead::Closed) | Err(_)) => return SessionEnd::Closed,
            Ok(Ok(read)) => read,
            Err(_) => {
                let text = format!("421 4.4.2 {} timeout, closing connection\r\n", config.name);
                let _ = write_all(write, text.as_bytes()).await;
                return SessionEnd::Closed;
            }
        };
        if in_data {
            tidy_data(&mut line);
        } else if read == LineRead::TooLong {
            if write_all(write, b"500 5.5.2 line too long\r\n").await.is_err() {
                return SessionEnd::Closed;
            }
            continue;
        } else {
            tidy_command(&mut line);
        }
        let ends_data = in_data && line == b".\r\n";
        let response = session.process(&line);
        if response.code == mailin::response::START_DATA.code {
            in_data = true;
        }
        if ends_data {
            in_data = false;
        }
        match response.action {
            Action::NoReply => {}
            Action::Reply => {
                if reply(write, &response).await.is_err() {
                    return SessionEnd::Closed;
                }
            }
            // STARTTLS is never offered, so an upgrade cannot be asked for; close if it is.
            Action::Close | Action::UpgradeTls => {
                let _ = reply(write, &response).await;
                return SessionEnd::Closed;
            }
        }
        if ends_data && response.is_error {
            return SessionEnd::Refused;
        }
    }
}

async fn reply(write: &mut (impl AsyncWrite + Unpin), response: &Response) -> io::Result<()> {
    let mut bytes = Vec::new();
    response.write_to(&mut bytes)?;
    write_all(write, &bytes).await
}

/// Writes within [`WRITE_TIMEOUT`]: a client that stops reading must not hold us.
async fn write_all(write: &mut (impl AsyncWrite + Unpin), bytes: &[u8]) -> io::Result<()> {
    match tokio::time::timeout(WRITE_TIMEOUT, write.write_all(bytes)).await {
        Ok(result) => result,
        Err(_) => Err(io::ErrorKind::TimedOut.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    use tokio::net::tcp::OwnedWriteHalf;

    use super::*;

    #[derive(Default)]
    struct Kept(Mutex<Vec<ReceivedMail>>);

    impl MailSink for Kept {
        fn deliver(&self, mail: ReceivedMail) {
            self.0.lock().expect("not poisoned").push(mail);
        }
    }

    impl Kept {
        fn all(&self) -> Vec<ReceivedMail> {
            self.0.lock().expect("not poisoned").clone()
        }
    }

    fn config() -> SmtpConfig {
        SmtpConfig {
            name: "sink.test".into(),
            max_message_bytes: 64,
            idle_timeout: Duration::from_secs(30),
            max_sessions: 4,
        }
    }

    async fn start(config: SmtpConfig) -> (ServerTask, Arc<Kept>) {
        let bound = crate::server::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bound");
        let kept = Arc::new(Kept::default());
        let sink: Arc<dyn MailSink> = Arc::clone(&kept) as Arc<dyn MailSink>;
        (spawn(bound, config, sink), kept)
    }

    /// A client speaking SMTP by hand.
    struct Client {
        reader: BufReader<OwnedReadHalf>,
        writer: OwnedWriteHalf,
    }

    impl Client {
        async fn connect(addr: SocketAddr) -> Client {
            let (read, writer) = TcpStream::connect(addr).await.expect("connected").into_split();
            Client { reader: BufReader::new(read), writer }
        }

        /// Reads one reply, all its lines; returns the last line.
        async fn reply(&mut self) -> String {
            let mut line = String::new();
            loop {
                line.clear();
                self.reader.read_line(&mut line).await.expect("read");
                if line.len() < 4 || line.as_bytes()[3] != b'-' {
                    return line;
                }
            }
        }

        async fn send(&mut self, text: &str) {
            self.writer.write_all(text.as_bytes()).await.expect("written");
        }

        /// Sends a command and returns the reply's code.
        async fn command(&mut self, text: &str) -> String {
            self.send(text).await;
            self.reply().await[..3].to_owned()
        }
    }

    async fn message(client: &mut Client, body: &str) -> String {
        assert_eq!(client.command("MAIL FROM:<lms@lms.test>\r\n").await, "250");
        assert_eq!(client.command("RCPT TO:<receipt.k@sink.test>\r\n").await, "250");
        assert_eq!(client.command("DATA\r\n").await, "354");
        client.send(body).await;
        client.command(".\r\n").await
    }

    #[tokio::test]
    async fn a_refused_message_leaves_the_session_usable() {
        let (server, kept) = start(config()).await;
        let mut client = Client::connect(server.local_addr()).await;
        assert!(client.reply().await.starts_with("220 sink.test"));
        assert_eq!(client.command("EHLO lms.test\r\n").await, "250");
        let big = format!("Subject: big\r\n\r\n{}\r\n", "x".repeat(100));
        assert_eq!(message(&mut client, &big).await, "552");
        assert_eq!(message(&mut client, "Subject: small\r\n\r\nok\r\n").await, "250");
        assert_eq!(client.command("QUIT\r\n").await, "221");

        let mail = kept.all();
        assert_eq!(mail.iter().map(|m| m.status).collect::<Vec<_>>(), [552, 250]);
        assert_eq!(mail[0].raw.len(), 64, "cut at the limit");
        assert_eq!(mail[1].raw, "Subject: small\r\n\r\nok\r\n");
        assert_eq!(mail[1].envelope_from, "lms@lms.test");
        assert_eq!(mail[1].recipients, ["receipt.k@sink.test"]);
    }

    #[tokio::test]
    async fn a_line_longer_than_a_command_is_answered_500() {
        let (server, _) = start(config()).await;
        let mut client = Client::connect(server.local_addr()).await;
        client.reply().await;
        let long = format!("HELO {}\r\n", "a".repeat(MAX_COMMAND_LINE));
        assert_eq!(client.command(&long).await, "500");
        assert_eq!(client.command("HELO lms.test\r\n").await, "250");
    }

    #[tokio::test]
    async fn a_null_sender_and_bare_lf_commands_are_accepted() {
        let (server, kept) = start(config()).await;
        let mut client = Client::connect(server.local_addr()).await;
        client.reply().await;
        assert_eq!(client.command("HELO lms.test\n").await, "250");
        assert_eq!(client.command("MAIL FROM: <>\n").await, "250");
        assert_eq!(client.command("RCPT TO: <receipt.k@sink.test>\n").await, "250");
        assert_eq!(client.command("DATA\n").await, "354");
        assert_eq!(client.command("Subject: x\n\nok\n.\n").await, "250");
        let mail = kept.all();
        assert_eq!(mail.len(), 1);
        assert_eq!(mail[0].envelope_from, "");
        assert_eq!(mail[0].raw, "Subject: x\n\nok\n");
    }

    #[tokio::test]
    async fn a_silent_session_is_closed_after_the_idle_timeout() {
        let (server, _) = start(SmtpConfig { idle_timeout: Duration::from_millis(50), ..config() }).await;
        let mut client = Client::connect(server.local_addr()).await;
        client.reply().await;
        assert!(client.reply().await.starts_with("421 4.4.2"));
        let mut rest = Vec::new();
        assert_eq!(client.reader.read_to_end(&mut rest).await.expect("read"), 0, "closed");
    }

    #[tokio::test]
    async fn sessions_beyond_the_limit_are_turned_away() {
        let (server, _) = start(SmtpConfig { max_sessions: 1, ..config() }).await;
        let mut first = Client::connect(server.local_addr()).await;
        assert!(first.reply().await.starts_with("220"));
        let mut second = Client::connect(server.local_addr()).await;
        assert!(second.reply().await.starts_with("421 4.3.2"));
        // The first session is still served.
        assert_eq!(first.command("NOOP\r\n").await, "250");
    }

    #[tokio::test]
    async fn too_many_recipients_are_refused() {
        let (server, _) = start(config()).await;
        let mut client = Client::connect(server.local_addr()).await;
        client.reply().await;
        client.command("HELO lms.test\r\n").await;
        client.command("MAIL FROM:<lms@lms.test>\r\n").await;
        for _ in 0..MAX_RECIPIENTS {
            assert_eq!(client.command("RCPT TO:<a@sink.test>\r\n").await, "250");
        }
        assert_eq!(client.command("RCPT TO:<a@sink.test>\r\n").await, "452");
    }

    /// Takes mail for `receipt.k@…` only.
    struct OnlyK(Kept);

    impl MailSink for OnlyK {
        fn accepts(&self, recipient: &str) -> bool {
            recipient.starts_with("receipt.k@")
        }

        fn deliver(&self, mail: ReceivedMail) {
            self.0.deliver(mail);
        }
    }

    #[tokio::test]
    async fn a_recipient_the_sink_does_not_accept_is_refused_before_any_data() {
        let bound = crate::server::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bound");
        let sink = Arc::new(OnlyK(Kept::default()));
        let server = spawn(bound, config(), Arc::clone(&sink) as Arc<dyn MailSink>);
        let mut client = Client::connect(server.local_addr()).await;
        client.reply().await;
        client.command("HELO lms.test\r\n").await;
        assert_eq!(client.command("MAIL FROM:<lms@lms.test>\r\n").await, "250");
        assert_eq!(client.command("RCPT TO:<receipt.flood-1@sink.test>\r\n").await, "550");
        // With no recipient taken there is no message to send.
        assert!(client.command("DATA\r\n").await.starts_with('5'));
        assert_eq!(client.command("RSET\r\n").await, "250");
        // A known recipient beside an unknown one gets the message alone.
        assert_eq!(message(&mut client, "Subject: x\r\n\r\nok\r\n").await, "250");
        client.command("MAIL FROM:<lms@lms.test>\r\n").await;
        assert_eq!(client.command("RCPT TO:<receipt.k@sink.test>\r\n").await, "250");
        assert_eq!(client.command("RCPT TO:<other@sink.test>\r\n").await, "550");
        assert_eq!(client.command("DATA\r\n").await, "354");
        assert_eq!(client.command("Subject: y\r\n\r\nok\r\n.\r\n").await, "250");
        let mail = sink.0.all();
        assert_eq!(mail.len(), 2);
        assert_eq!(mail[1].recipients, ["receipt.k@sink.test"]);
    }
}
