//! Misbehaving peers on raw sockets: a tiny HTTP/1.1 server whose answers a test writes
//! byte by byte (endless bodies, redirect loops, floods), and a raw POST. No HTTP
//! library stands between the test and the bytes, so nothing tidies the misbehaviour.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the peer read it.
#[derive(Clone, Debug)]
pub(crate) struct RawRequest {
    /// `GET`, `POST`, ...
    pub(crate) method: String,
    /// The request target, query included.
    pub(crate) path: String,
    /// The body (by `Content-Length`).
    pub(crate) body: Vec<u8>,
}

/// Serves on a free loopback port: every connection's first request goes, with the
/// stream, to `respond`, which writes whatever it likes. Runs until the test's runtime
/// ends.
pub(crate) async fn serve<F, Fut>(respond: F) -> SocketAddr
where
    F: Fn(RawRequest, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("a free port");
    let addr = listener.local_addr().expect("its address");
    let respond = Arc::new(respond);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let respond = Arc::clone(&respond);
            tokio::spawn(async move {
                if let Some(request) = read_request(&mut stream).await {
                    respond(request, stream).await;
                }
            });
        }
    });
    addr
}

/// Reads a request head and its `Content-Length` body; `None` when the peer hangs up
/// first or takes more than 10 s.
pub(crate) async fn read_request(stream: &mut TcpStream) -> Option<RawRequest> {
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let read = stream.read(&mut chunk).await.ok()?;
            if read == 0 {
                return None;
            }
            buffer.extend_from_slice(&chunk[..read]);
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut first = lines.next()?.split(' ');
        let (method, path) = (first.next()?.to_owned(), first.next()?.to_owned());
        let length = lines
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = buffer[head_end..].to_vec();
        while body.len() < length {
            let read = stream.read(&mut chunk).await.ok()?;
            if read == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..read]);
        }
        Some(RawRequest { method, path, body })
    })
    .await
    .ok()
    .flatten()
}

/// Writes `head` (status line and headers, without the blank line), then zeros until
/// the reader goes away, counting the body bytes written in `written`.
pub(crate) async fn endless_body(mut stream: TcpStream, head: &str, written: Arc<AtomicU64>) {
    if stream.write_all(format!("{head}\r\n\r\n").as_bytes()).await.is_err() {
        return;
    }
    let zeros = vec![b'0'; 64 * 1024];
    // Bounded so that a reader that never stops cannot keep the test busy forever.
    for _ in 0..(1024 * 1024 * 1024 / zeros.len()) {
        if stream.write_all(&zeros).await.is_err() {
            return;
        }
        written.fetch_add(zeros.len() as u64, Ordering::Relaxed);
    }
}

/// Writes a whole answer: `status` line, `headers`, and `body` with its length.
pub(crate) async fn answer(mut stream: TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

/// A PENS success answer (`error=0`), as a client or target that behaves writes it.
pub(crate) async fn pens_success(stream: TcpStream) {
    let body = b"error=0\r\nerror-text=ok\r\nversion=1.0.0\r\npens-data=\r\n";
    answer(stream, "200 OK", &[("Content-Type", "text/plain")], body).await;
}

/// POSTs `body` as a form to `url` (`http://host:port/path`) and reads the answer to
/// its end; failures are ignored (the peer is the one misbehaving).
pub(crate) async fn post(url: &str, body: &str) {
    post_as(url, "application/x-www-form-urlencoded", body).await;
}

/// POSTs `body` with `content_type` to `url`, as [`post`] does.
pub(crate) async fn post_as(url: &str, content_type: &str, body: &str) {
    let Some(rest) = url.strip_prefix("http://") else { return };
    let (authority, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let Ok(mut stream) = TcpStream::connect(authority).await else { return };
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).await.is_ok() {
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    }
}
