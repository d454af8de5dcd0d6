//! Collects too large to read (issue 16, point 5): the reference target stops early,
//! answers an HTTP error, and records what arrived under the key its path names, so
//! client mode can say so instead of "no collect arrived". Raw sockets: the peers
//! misbehave below what an HTTP client library lets one send.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use pens_parties::{
    CollectRefusal, MAX_COLLECT_BYTES, MockTarget, MockTargetOptions, RefusedPart, TargetEvent, TargetEventKind,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(20)
}

fn start() -> MockTarget {
    MockTarget::start(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0), MockTargetOptions::default())
        .expect("the target starts")
}

/// Sends `head`, then up to `body_bytes` of body in 64 KiB pieces while the target
/// takes them (a write that fails means it stopped reading), then reads the answer's
/// status line.
async fn send(target: &MockTarget, head: &[u8], body_bytes: u64) -> String {
    let mut stream = TcpStream::connect(target.addr()).await.expect("connect");
    let piece = vec![b'a'; 64 * 1024];
    let mut sent = 0;
    // The head may itself be refused part way: a failed write is the refusal.
    if stream.write_all(head).await.is_ok() {
        while sent < body_bytes {
            if stream.write_all(&piece).await.is_err() {
                break;
            }
            sent += piece.len() as u64;
        }
    }
    let mut answer = vec![0; 512];
    let read =
        tokio::time::timeout(Duration::from_secs(20), stream.read(&mut answer)).await.expect("an answer in time");
    let read = read.unwrap_or(0);
    String::from_utf8_lossy(&answer[..read]).lines().next().unwrap_or_default().to_owned()
}

async fn refusal_of(target: &MockTarget, key: Option<&str>) -> (TargetEvent, CollectRefusal) {
    let refused = |e: &TargetEvent| e.key.as_deref() == key && matches!(e.kind, TargetEventKind::CollectRefused { .. });
    let events = target.wait_for(|events| events.iter().any(refused), deadline()).await.expect("a refusal on record");
    let event = events.into_iter().find(refused).expect("found");
    let TargetEventKind::CollectRefused { refusal } = &event.kind else { unreachable!() };
    let refusal = refusal.clone();
    (event, refusal)
}

#[tokio::test]
async fn a_body_declared_over_the_limit_is_refused_unread_and_recorded() {
    let target = start();
    let head = b"POST /pens/big-post HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                 Content-Length: 1073741824\r\n\r\n";
    let status = send(&target, head, 4 << 20).await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
    let (_, refusal) = refusal_of(&target, Some("big-post")).await;
    assert_eq!(
        (refusal.part, refusal.declared, refusal.seen, refusal.limit, refusal.status),
        (RefusedPart::Body, Some(1 << 30), 0, MAX_COLLECT_BYTES, 413)
    );
    assert_eq!((refusal.method.as_str(), refusal.path.as_str()), ("POST", "/pens/big-post"));
    assert!(refusal.describe().contains("Content-Length declared 1 GiB"), "{}", refusal.describe());
}

#[tokio::test]
async fn a_chunked_body_is_read_only_up_to_the_limit() {
    let target = start();
    let mut request = b"POST /pens/chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..40 {
        request.extend_from_slice(b"10000\r\n");
        request.extend_from_slice(&[b'a'; 0x10000]);
        request.extend_from_slice(b"\r\n");
    }
    let status = send(&target, &request, 0).await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
    let (_, refusal) = refusal_of(&target, Some("chunked")).await;
    assert_eq!((refusal.part, refusal.declared), (RefusedPart::Body, None));
    assert!(refusal.seen > MAX_COLLECT_BYTES && refusal.seen <= MAX_COLLECT_BYTES + 0x10000, "{}", refusal.seen);
}

#[tokio::test]
async fn a_url_of_a_megabyte_is_refused_431_and_recorded_under_its_key() {
    let target = start();
    let mut head = b"GET /pens/long-get?vendor-data=".to_vec();
    head.extend(std::iter::repeat_n(b'v', 1 << 20));
    head.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\n\r\n");
    let status = send(&target, &head, 0).await;
    assert!(status.starts_with("HTTP/1.1 431"), "{status}");
    let (_, refusal) = refusal_of(&target, Some("long-get")).await;
    assert_eq!((refusal.part, refusal.status, refusal.method.as_str()), (RefusedPart::Head, 431, "GET"));
    assert!(refusal.seen >= refusal.limit && refusal.seen < 1 << 20, "{refusal:?}");
}

#[tokio::test]
async fn a_path_too_long_to_name_its_key_is_recorded_without_one() {
    let target = start();
    let mut head = b"GET /pens/".to_vec();
    head.extend(std::iter::repeat_n(b'k', 1 << 20));
    head.extend_from_slice(b" HTTP/1.1\r\n\r\n");
    let status = send(&target, &head, 0).await;
    assert!(status.starts_with("HTTP/1.1 431"), "{status}");
    let (event, refusal) = refusal_of(&target, None).await;
    assert_eq!(event.key, None);
    assert!(refusal.path.starts_with("/pens/kkk") && refusal.path.len() <= 300, "{}", refusal.path);
}

/// The limit is not a cut: a collect just under it is read and judged as usual.
#[tokio::test]
async fn a_large_collect_within_the_limit_is_read() {
    let target = start();
    let vendor = "v".repeat(usize::try_from(MAX_COLLECT_BYTES).expect("fits") - 200);
    let body = format!("pens-version=1.0.0&command=collect&vendor-data={vendor}");
    let head = format!(
        "POST /pens/within HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let status = send(&target, head.as_bytes(), 0).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    let received = target
        .wait_for(
            |events| {
                events.iter().any(|e| {
                    e.key.as_deref() == Some("within") && matches!(e.kind, TargetEventKind::CollectReceived { .. })
                })
            },
            deadline(),
        )
        .await;
    assert!(received.is_some());
}
