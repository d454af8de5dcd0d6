//! Small misbehaving servers and clients, on raw tokio sockets: each binds
//! `127.0.0.1:0` (or another loopback address), reports where it listens, and stops,
//! with every connection it holds, when dropped.
//!
//! [`Answer`] is one way of answering an HTTP request, right or wrong; an [`HttpPeer`]
//! answers every request with what its route picks, so the same misbehaviour serves
//! as an LMS's answer to the harness's collect (target mode), as an authoring tool's
//! staging server or receipt endpoint (client mode). Raw sockets rather than wiremock:
//! most of these answers are not HTTP any server library would agree to send.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::rustls::ServerConfig;

/// The longest request head a peer reads, and the largest request body.
const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// `Content-Length: 104857600`: the "100 MB body".
pub(crate) const HUGE_BODY_BYTES: usize = 100 * 1024 * 1024;

/// An endless body stops growing here and then stalls, never ending: a harness that
/// buffers it fails the memory bound without taking the whole machine down with it.
const ENDLESS_CAP_BYTES: usize = 512 * 1024 * 1024;

/// Slowloris pace: one byte of header per 100 ms.
pub(crate) const SLOWLORIS_PAUSE: Duration = Duration::from_millis(100);

/// How many headers [`Answer::ManyHeaders`] sends, and how long [`Answer::HugeHeader`]'s one is.
const MANY_HEADERS: usize = 10_000;
const HUGE_HEADER_BYTES: usize = 1024 * 1024;

/// One request as a peer read it.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub(crate) method: String,
    /// The request target: path and query.
    pub(crate) target: String,
    pub(crate) body: Vec<u8>,
}

impl Request {
    /// The PENS elements: a POST's form body, a GET's query.
    pub(crate) fn elements(&self) -> pens_proto::CollectCommand {
        let input = if self.method == "GET" {
            self.target.split_once('?').map_or("", |(_, query)| query).as_bytes()
        } else {
            &self.body
        };
        pens_proto::CollectCommand::decode(input).command
    }
}

/// How a peer answers one request.
#[derive(Clone, Debug)]
pub(crate) enum Answer {
    /// A well-formed `200` with this body.
    Ok { content_type: &'static str, body: Vec<u8> },
    /// Reads the request and never writes a byte; holds the connection.
    Silent,
    /// Status line, headers promising 1000 bytes, 100 of them, then nothing: it stalls.
    StallMidBody,
    /// A header of one byte every [`SLOWLORIS_PAUSE`], never ending.
    SlowlorisHeaders,
    /// A chunked body that never ends (it stalls after [`ENDLESS_CAP_BYTES`]).
    EndlessBody,
    /// `Content-Length: 104857600`, and all of it, streamed.
    HugeBody,
    /// Headers promising 1000 bytes, 100 of them, then a TCP reset (SO_LINGER 0).
    ResetMidBody,
    /// No status line at all, as an HTTP/0.9 server answers: bare text and binary junk.
    Http09Garbage,
    /// A 200 whose PENS lines hold bytes that are not UTF-8.
    InvalidUtf8,
    /// 10 000 headers.
    ManyHeaders,
    /// One header of 1 MiB.
    HugeHeader,
    /// `302` to the very URL asked for.
    RedirectLoop,
    /// `302` to this URL.
    RedirectTo(String),
    /// `Content-Length: 500`, 20 bytes, and the connection closed.
    WrongContentLength,
}

impl Answer {
    /// A correct PENS response, `error=0`.
    pub(crate) fn pens_success(text: &str) -> Answer {
        let body = pens_proto::PensResponse::success(text).encode().into_bytes();
        Answer::Ok { content_type: pens_proto::RESPONSE_CONTENT_TYPE, body }
    }
}

/// How a connection ends after the answer.
enum Ending {
    /// FIN.
    Close,
    /// RST: SO_LINGER 0, then close.
    Reset,
    /// Kept open, sending nothing, until the other side hangs up or the peer is dropped.
    Hold,
}

/// Which TLS a connection gets, by its number (0 for the first).
#[derive(Clone)]
pub(crate) enum Tls {
    /// No TLS: plain HTTP.
    Plain,
    /// A TLS handshake with this configuration (a certificate the harness may or may
    /// not trust).
    Handshake(Arc<ServerConfig>),
    /// Bytes that are no TLS record instead of a ServerHello.
    Garbage,
}

/// What a peer does with each request.
pub(crate) type Route = Arc<dyn Fn(&Request) -> Answer + Send + Sync>;

/// A listener that answers every request as its route says, over plain TCP or TLS.
pub(crate) struct HttpPeer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl HttpPeer {
    /// A plain HTTP peer on `127.0.0.1:0`.
    pub(crate) async fn start(route: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> HttpPeer {
        HttpPeer::start_with(IpAddr::V4(Ipv4Addr::LOCALHOST), |_| Tls::Plain, route).await
    }

    /// A peer on `ip`, port 0, whose connection number `n` gets `tls(n)`.
    pub(crate) async fn start_with(
        ip: IpAddr,
        tls: impl Fn(usize) -> Tls + Send + Sync + 'static,
        route: impl Fn(&Request) -> Answer + Send + Sync + 'static,
    ) -> HttpPeer {
        let listener = TcpListener::bind(SocketAddr::new(ip, 0)).await.expect("a peer binds");
        let addr = listener.local_addr().expect("its address");
        let accepted = Arc::new(AtomicUsize::new(0));
        let route: Route = Arc::new(route);
        let counter = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let number = counter.fetch_add(1, Ordering::SeqCst);
                        connections.spawn(serve(stream, tls(number), Arc::clone(&route)));
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        HttpPeer { addr, accepted, task }
    }

    /// `http://ADDR{path}`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// How many connections it has accepted.
    pub(crate) fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for HttpPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One connection: TLS as told, then request after request until one ends it.
async fn serve(stream: TcpStream, tls: Tls, route: Route) {
    let _ = stream.set_nodelay(true);
    match tls {
        Tls::Plain => {
            let mut stream = stream;
            let ending = exchange(&mut stream, &route).await;
            finish(stream, ending).await;
        }
        Tls::Garbage => {
            let mut stream = stream;
            // Wait for the ClientHello, then answer with something that is no TLS record.
            let mut hello = [0_u8; 512];
            let _ = stream.read(&mut hello).await;
            let _ = stream.write_all(b"\x00\x01\x02 this is not TLS \xff\xfe\r\n\r\n").await;
            finish(stream, Ending::Close).await;
        }
        Tls::Handshake(config) => {
            let Ok(mut tls) = tokio_rustls::TlsAcceptor::from(config).accept(stream).await else { return };
            let ending = exchange(&mut tls, &route).await;
            match ending {
                Ending::Reset => {
                    let (tcp, _) = tls.into_inner();
                    finish(tcp, Ending::Reset).await;
                }
                Ending::Hold => hold(&mut tls).await,
                Ending::Close => {
                    let _ = tls.shutdown().await;
                }
            }
        }
    }
}

/// Reads one request and answers it. Every answer closes the connection
/// (`Connection: close` where it is HTTP at all), so each request of the harness comes
/// on a connection of its own.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, route: &Route) -> Ending {
    let Some(request) = read_request(stream).await else { return Ending::Close };
    let answer = route(&request);
    match write_answer(stream, &answer, &request).await {
        Ok(ending) => ending,
        // The harness hung up on us: what it should do with a hostile answer.
        Err(_) => Ending::Close,
    }
}

async fn finish(mut stream: TcpStream, ending: Ending) {
    match ending {
        Ending::Close => {
            let _ = stream.shutdown().await;
        }
        Ending::Reset => {
            let _ = stream.set_zero_linger();
            drop(stream);
        }
        Ending::Hold => hold(&mut stream).await,
    }
}

/// Keeps a connection open, sending nothing, until the other side closes it.
async fn hold<S: AsyncRead + Unpin>(stream: &mut S) {
    let mut buffer = [0_u8; 4096];
    while let Ok(read) = stream.read(&mut buffer).await {
        if read == 0 {
            break;
        }
    }
}

/// A request head and its `Content-Length` body; `None` when the client hung up first.
pub(crate) async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Request> {
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD_BYTES || stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let length = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0_u8; length.min(MAX_BODY_BYTES)];
    stream.read_exact(&mut body).await.ok()?;
    Some(Request { method, target, body })
}

/// Writes `answer`; says how the connection ends.
async fn write_answer<S: AsyncWrite + Unpin>(stream: &mut S, answer: &Answer, request: &Request) -> io::Result<Ending> {
    const OCTETS: &str = "application/octet-stream";
    match answer {
        Answer::Ok { content_type, body } => {
            write_head(
                stream,
                "200 OK",
                &[("Content-Type", content_type), ("Content-Length", &body.len().to_string())],
            )
            .await?;
            stream.write_all(body).await?;
            stream.flush().await?;
            Ok(Ending::Close)
        }
        Answer::Silent => Ok(Ending::Hold),
        Answer::StallMidBody => {
            write_head(stream, "200 OK", &[("Content-Type", OCTETS), ("Content-Length", "1000")]).await?;
            stream.write_all(&[b'x'; 100]).await?;
            stream.flush().await?;
            Ok(Ending::Hold)
        }
        Answer::SlowlorisHeaders => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nX-Slow: ").await?;
            stream.flush().await?;
            // Pacing is the misbehaviour itself; the loop ends when the harness hangs up.
            loop {
                tokio::time::sleep(SLOWLORIS_PAUSE).await;
                stream.write_all(b"a").await?;
                stream.flush().await?;
            }
        }
        Answer::EndlessBody => {
            write_head(stream, "200 OK", &[("Content-Type", OCTETS), ("Transfer-Encoding", "chunked")]).await?;
            let chunk = vec![b'x'; 64 * 1024];
            let mut sent = 0;
            while sent < ENDLESS_CAP_BYTES {
                stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await?;
                stream.write_all(&chunk).await?;
                stream.write_all(b"\r\n").await?;
                sent += chunk.len();
            }
            stream.flush().await?;
            Ok(Ending::Hold)
        }
        Answer::HugeBody => {
            let length = HUGE_BODY_BYTES.to_string();
            write_head(stream, "200 OK", &[("Content-Type", OCTETS), ("Content-Length", &length)]).await?;
            let chunk = vec![b'x'; 64 * 1024];
            let mut sent = 0;
            while sent < HUGE_BODY_BYTES {
                let part = chunk.len().min(HUGE_BODY_BYTES - sent);
                stream.write_all(&chunk[..part]).await?;
                sent += part;
            }
            stream.flush().await?;
            Ok(Ending::Close)
        }
        Answer::ResetMidBody => {
            write_head(stream, "200 OK", &[("Content-Type", OCTETS), ("Content-Length", "1000")]).await?;
            stream.write_all(&[b'x'; 100]).await?;
            stream.flush().await?;
            Ok(Ending::Reset)
        }
        Answer::Http09Garbage => {
            stream.write_all(b"error=0\r\nerror-text=no status line here\r\n\x00\x01\x02\xff\xfe garbage\r\n").await?;
            stream.flush().await?;
            Ok(Ending::Close)
        }
        Answer::InvalidUtf8 => {
            let body: &[u8] =
                b"error=0\xff\xfe\r\nerror-text=caf\xe9 \xc3\x28 \xed\xa0\x80\r\nversion=1.0.0\r\npens-data=\xff\r\n";
            write_head(
                stream,
                "200 OK",
                &[("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", &body.len().to_string())],
            )
            .await?;
            stream.write_all(body).await?;
            stream.flush().await?;
            Ok(Ending::Close)
        }
        Answer::ManyHeaders => {
            let mut head = String::from("HTTP/1.1 200 OK\r\n");
            for n in 0..MANY_HEADERS {
                head.push_str(&format!("X-Many-{n}: {n}\r\n"));
            }
            head.push_str("Content-Length: 0\r\nConnection: close\r\n\r\n");
            stream.write_all(head.as_bytes()).await?;
            stream.flush().await?;
            Ok(Ending::Close)
        }
        Answer::HugeHeader => {
            let value = "a".repeat(HUGE_HEADER_BYTES);
            write_head(stream, "200 OK", &[("X-Huge", &value), ("Content-Length", "0")]).await?;
            stream.flush().await?;
            Ok(Ending::Close)
        }
        Answer::RedirectLoop => {
            write_head(stream, "302 Found", &[("Location", &request.target), ("Content-Length", "0")]).await?;
            stream.flush().await?;
            Ok(Ending::Close)
        }
        Answer::RedirectTo(url) => {
            write_head(stream, "302 Found", &[("Location", url), ("Content-Length", "0")]).await?;
            stream.flush().await?;
            Ok(Ending::Close)
        }
        Answer::WrongContentLength => {
            write_head(stream, "200 OK", &[("Content-Type", OCTETS), ("Content-Length", "500")]).await?;
            stream.write_all(b"only twenty bytes..\n").await?;
            stream.flush().await?;
            Ok(Ending::Close)
        }
    }
}

async fn write_head<S: AsyncWrite + Unpin>(stream: &mut S, status: &str, headers: &[(&str, &str)]) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await
}

/// An FTP server that logs anyone in and hands out a passive data port, then answers
/// `RETR` with `150` and never sends a byte nor completes the transfer.
pub(crate) struct FtpNeverCompletes {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl FtpNeverCompletes {
    pub(crate) async fn start() -> FtpNeverCompletes {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("binds");
        let addr = listener.local_addr().expect("its address");
        let task = tokio::spawn(async move {
            let mut sessions = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((stream, _)) = accepted {
                            sessions.spawn(ftp_session(stream));
                        }
                    }
                    Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
                }
            }
        });
        FtpNeverCompletes { addr, task }
    }

    /// `ftp://ADDR/{file}`.
    pub(crate) fn url(&self, file: &str) -> String {
        format!("ftp://{}/{file}", self.addr)
    }
}

impl Drop for FtpNeverCompletes {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn ftp_session(stream: TcpStream) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).take(64 * 1024);
    let mut data: Option<TcpListener> = None;
    // The data connections the session accepted, held open and silent.
    let mut held: Vec<TcpStream> = Vec::new();
    let _ = write.write_all(b"220 hostile FTP ready\r\n").await;
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        let reply: Vec<u8> = match verb.as_str() {
            "USER" => b"331 any password will do\r\n".to_vec(),
            "PASS" => b"230 logged in\r\n".to_vec(),
            "TYPE" => b"200 type set\r\n".to_vec(),
            "SYST" => b"215 UNIX Type: L8\r\n".to_vec(),
            "PWD" => b"257 \"/\"\r\n".to_vec(),
            "CWD" => b"250 ok\r\n".to_vec(),
            "PASV" | "EPSV" => {
                let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("a data port");
                let port = listener.local_addr().expect("its address").port();
                data = Some(listener);
                if verb == "PASV" {
                    format!("227 Entering Passive Mode (127,0,0,1,{},{})\r\n", port >> 8, port & 0xff).into_bytes()
                } else {
                    format!("229 Entering Extended Passive Mode (|||{port}|)\r\n").into_bytes()
                }
            }
            "RETR" => {
                let _ = write.write_all(b"150 opening data connection\r\n").await;
                if let Some(listener) = data.take()
                    && let Ok((stream, _)) = listener.accept().await
                {
                    held.push(stream);
                }
                // And never a byte more, nor 226.
                Vec::new()
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"502 not implemented\r\n".to_vec(),
        };
        if !reply.is_empty() && write.write_all(&reply).await.is_err() {
            return;
        }
    }
}

/// An SMTP relay that greets, takes the envelope, says `354` to `DATA`, reads a few
/// lines of the message and then drops the connection (a reset) before its end.
pub(crate) struct SmtpDropsMidData {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl SmtpDropsMidData {
    pub(crate) async fn start() -> SmtpDropsMidData {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("binds");
        let addr = listener.local_addr().expect("its address");
        let task = tokio::spawn(async move {
            let mut sessions = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((stream, _)) = accepted {
                            sessions.spawn(smtp_relay_session(stream));
                        }
                    }
                    Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
                }
            }
        });
        SmtpDropsMidData { addr, task }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for SmtpDropsMidData {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn smtp_relay_session(mut stream: TcpStream) {
    let _ = stream.write_all(b"220 hostile.test ESMTP\r\n").await;
    let mut reader = BufReader::new(&mut stream);
    let mut line = String::new();
    let mut in_data = 0;
    loop {
        line.clear();
        match reader.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if in_data > 0 {
            in_data += 1;
            if in_data > 3 {
                break;
            }
            continue;
        }
        let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-hostile.test\r\n250 8BITMIME\r\n",
            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 ok\r\n",
            "DATA" => {
                in_data = 1;
                b"354 go ahead\r\n"
            }
            _ => b"502 not implemented\r\n",
        };
        if reader.get_mut().write_all(reply).await.is_err() {
            return;
        }
    }
    // Mid-message: a reset, not a goodbye.
    let _ = stream.set_zero_linger();
}

/// Mails the harness's sink at `smtp` as far as `DATA` and a few lines of the message,
/// then drops the connection (a reset) before the final `.`: an LMS's mailer that dies
/// mid-message.
pub(crate) async fn mail_and_drop_mid_data(smtp: SocketAddr, recipient: &str) -> Result<(), String> {
    let stream = TcpStream::connect(smtp).await.map_err(|e| format!("connect {smtp}: {e}"))?;
    let mut session = BufReader::new(stream);
    expect_reply(&mut session, "220").await?;
    for (command, code) in [
        ("EHLO lms.hostile.test\r\n".to_owned(), "250"),
        ("MAIL FROM:<lms@hostile.test>\r\n".to_owned(), "250"),
        (format!("RCPT TO:<{recipient}>\r\n"), "250"),
        ("DATA\r\n".to_owned(), "354"),
    ] {
        session.get_mut().write_all(command.as_bytes()).await.map_err(|e| e.to_string())?;
        expect_reply(&mut session, code).await?;
    }
    let stream = session.get_mut();
    stream
        .write_all(b"Subject: PENS receipt\r\n\r\ncommand=receipt\r\npens-version=1.0.0\r\nerr")
        .await
        .map_err(|e| e.to_string())?;
    stream.flush().await.map_err(|e| e.to_string())?;
    let _ = stream.set_zero_linger();
    Ok(())
}

/// Reads one SMTP reply, which must have `code`; multi-line replies (`250-...`) end with
/// the line `CODE text`.
async fn expect_reply(session: &mut BufReader<TcpStream>, code: &str) -> Result<(), String> {
    loop {
        let mut line = String::new();
        session.read_line(&mut line).await.map_err(|e| e.to_string())?;
        if line.is_empty() {
            return Err(format!("the sink closed the connection while {code} was awaited"));
        }
        if line.starts_with(&format!("{code} ")) {
            return Ok(());
        }
        if !line.starts_with(&format!("{code}-")) {
            return Err(format!("awaited {code}, got {line:?}"));
        }
    }
}

/// A flood of slowloris connections to `addr`: each sends the start of a request and
/// then one header byte a second, for as long as the flood lives (dropping it closes
/// them all).
pub(crate) struct SlowlorisFlood {
    tasks: JoinSet<()>,
    /// How many connections were opened and had their first bytes accepted.
    pub(crate) established: usize,
}

impl SlowlorisFlood {
    /// Opens `connections` connections to `addr`, each with a request head begun for
    /// `path`; returns once every one is open (or refused).
    pub(crate) async fn open(addr: SocketAddr, path: &str, connections: usize) -> SlowlorisFlood {
        let head = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ");
        let (tasks, established) = dribble(addr, &head, connections).await;
        SlowlorisFlood { tasks, established }
    }
}

/// Opens `connections` connections to `addr`, writes `start` on each, then one more
/// byte a second for as long as the returned tasks live; returns them with how many
/// connected, once every one is open (or refused).
async fn dribble(addr: SocketAddr, start: &str, connections: usize) -> (JoinSet<()>, usize) {
    let mut opening = JoinSet::new();
    for _ in 0..connections {
        let start = start.to_owned();
        opening.spawn(async move {
            let mut stream = TcpStream::connect(addr).await.ok()?;
            stream.write_all(start.as_bytes()).await.ok()?;
            Some(stream)
        });
    }
    let mut tasks = JoinSet::new();
    let mut established = 0;
    while let Some(opened) = opening.join_next().await {
        let Ok(Some(mut stream)) = opened else { continue };
        established += 1;
        tasks.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if stream.write_all(b"a").await.is_err() {
                    break;
                }
            }
        });
    }
    (tasks, established)
}

impl Drop for SlowlorisFlood {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

/// What a mail flood's sessions were answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MailFlood {
    /// Messages taken (`250` at the end of DATA).
    pub(crate) taken: usize,
    /// Recipients refused at `RCPT TO` (a `5xx`); no message was sent to them.
    pub(crate) refused: usize,
}

/// Mails `count` messages of about `bytes` each to the sink at `smtp`, one recipient
/// each, from `recipient(n)`, over `sessions` sessions at once. A client that keeps to
/// RFC 5321: a refused recipient gets no DATA (`RSET` instead).
pub(crate) async fn mail_flood(
    smtp: SocketAddr,
    count: usize,
    bytes: usize,
    sessions: usize,
    recipient: impl Fn(usize) -> String + Send + Sync + 'static,
) -> Result<MailFlood, String> {
    let recipient = Arc::new(recipient);
    let next = Arc::new(AtomicUsize::new(0));
    // Lines of 998 characters, the most RFC 5322 allows.
    let line = format!("{}\r\n", "x".repeat(998));
    let body = Arc::new(format!(
        "Subject: PENS receipt\r\n\r\ncommand=receipt\r\nerror=0\r\n{}.\r\n",
        line.repeat(bytes / line.len() + 1)
    ));
    let mut workers = JoinSet::new();
    for _ in 0..sessions {
        let (recipient, next, body) = (Arc::clone(&recipient), Arc::clone(&next), Arc::clone(&body));
        workers.spawn(async move {
            let stream = TcpStream::connect(smtp).await.map_err(|e| format!("connect {smtp}: {e}"))?;
            let mut session = BufReader::new(stream);
            let mut answered = MailFlood::default();
            reply_code(&mut session).await?;
            command(&mut session, "EHLO lms.hostile.test\r\n").await?;
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= count {
                    break;
                }
                command(&mut session, "MAIL FROM:<lms@hostile.test>\r\n").await?;
                let to = recipient(n);
                if command(&mut session, &format!("RCPT TO:<{to}>\r\n")).await?.starts_with('5') {
                    answered.refused += 1;
                    command(&mut session, "RSET\r\n").await?;
                    continue;
                }
                command(&mut session, "DATA\r\n").await?;
                if command(&mut session, &body).await? == "250" {
                    answered.taken += 1;
                }
            }
            let _ = command(&mut session, "QUIT\r\n").await;
            Ok::<_, String>(answered)
        });
    }
    let mut total = MailFlood::default();
    while let Some(joined) = workers.join_next().await {
        let answered = joined.map_err(|e| e.to_string())??;
        total.taken += answered.taken;
        total.refused += answered.refused;
    }
    Ok(total)
}

/// Sends `text` and returns the code of the reply.
async fn command(session: &mut BufReader<TcpStream>, text: &str) -> Result<String, String> {
    session.get_mut().write_all(text.as_bytes()).await.map_err(|e| e.to_string())?;
    reply_code(session).await
}

/// Reads one SMTP reply, all its lines, and returns its code.
async fn reply_code(session: &mut BufReader<TcpStream>) -> Result<String, String> {
    loop {
        let mut line = String::new();
        session.read_line(&mut line).await.map_err(|e| e.to_string())?;
        if line.len() < 4 {
            return Err(format!("no SMTP reply: {line:?}"));
        }
        if line.as_bytes()[3] != b'-' {
            return Ok(line[..3].to_owned());
        }
    }
}

/// A flood of idle connections: each connects and never sends a byte, held for as long
/// as the flood lives (dropping it closes them all).
pub(crate) struct IdleFlood {
    _held: Vec<TcpStream>,
    /// How many connected.
    pub(crate) established: usize,
}

impl IdleFlood {
    /// Opens `per_addr` connections to each of `addrs`; returns once every one is open
    /// (or refused), or at `within`, whichever comes first: a listener that keeps its
    /// backlog full makes late connects retry their SYN for seconds.
    pub(crate) async fn open(addrs: &[SocketAddr], per_addr: usize, within: Duration) -> IdleFlood {
        let mut opening = JoinSet::new();
        for &addr in addrs {
            for _ in 0..per_addr {
                opening.spawn(async move { TcpStream::connect(addr).await.ok() });
            }
        }
        let mut held = Vec::new();
        let _ = tokio::time::timeout(within, async {
            while let Some(opened) = opening.join_next().await {
                if let Ok(Some(stream)) = opened {
                    held.push(stream);
                }
            }
        })
        .await;
        let established = held.len();
        IdleFlood { _held: held, established }
    }
}

/// A flood of receipts whose bodies never end: each connection sends a complete
/// request head with `Content-Length: 1000` and the start of a receipt, then one body
/// byte a second, for as long as the flood lives. Each is inside a request, so the
/// harness cannot close it to make room before its body-read timeout.
pub(crate) struct SlowReceiptFlood {
    tasks: JoinSet<()>,
    /// How many connections were opened and had their head accepted.
    pub(crate) established: usize,
}

impl SlowReceiptFlood {
    pub(crate) async fn open(addr: SocketAddr, path: &str, connections: usize) -> SlowReceiptFlood {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: 1000\r\n\r\ncommand=receipt&error=0&vendor-data="
        );
        let (tasks, established) = dribble(addr, &head, connections).await;
        SlowReceiptFlood { tasks, established }
    }
}

impl Drop for SlowReceiptFlood {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}
