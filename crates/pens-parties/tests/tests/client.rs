//! The mock client on real sockets: verbatim bodies and queries, exact answers, and
//! the ways an exchange fails without hanging (silence, refusal, a bad URL).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use pens_parties::{
    CollectClient, CollectExchange, CollectRequest, Collector, Method, RunCa, StagingServer, send_collect,
};
use tokio::net::TcpListener;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const TIMEOUT: Duration = Duration::from_secs(10);
const ACK: &str = "error=0\r\nerror-text=collect command received and understood\r\nversion=1.0.0\r\npens-data=\r\n";

/// What the echo target saw of one request.
#[derive(Clone, Debug, Default)]
struct Seen {
    method: String,
    path_and_query: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// A target that records the request and answers `ACK` (or 302 on `/moved`).
async fn echo_target() -> (SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let app = Router::new().fallback(move |request: Request| {
        let record = Arc::clone(&record);
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            record.lock().unwrap().push(Seen {
                method: parts.method.to_string(),
                path_and_query: parts.uri.path_and_query().map(ToString::to_string).unwrap_or_default(),
                content_type: parts.headers.get("content-type").map(|v| v.to_str().unwrap().to_owned()),
                body: body.to_vec(),
            });
            if parts.uri.path() == "/moved" {
                return (StatusCode::FOUND, [("location", "/elsewhere")], Bytes::new()).into_response();
            }
            (StatusCode::OK, [("content-type", "text/plain"), ("x-target", "echo")], ACK).into_response()
        }
    });
    let listener = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

fn answer(exchange: &CollectExchange) -> &pens_parties::HttpAnswer {
    exchange.outcome.as_ref().unwrap_or_else(|error| panic!("no answer: {error}"))
}

#[tokio::test]
async fn a_post_sends_the_body_verbatim_and_records_the_answer() {
    let (addr, seen) = echo_target().await;
    // Deliberately mis-encoded: a raw space, an invalid escape, a lone `%`.
    let body = "command=collect&package-id=urn:x:1&vendor-data=50%&client=raw space&x=%zz";
    let request = CollectRequest { method: Method::Post, url: format!("http://{addr}/pens"), body: body.into() };
    let exchange = send_collect(&request, TIMEOUT).await;

    let answer = answer(&exchange);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, ACK.as_bytes());
    assert_eq!(answer.header("Content-Type"), Some("text/plain"));
    assert_eq!(answer.header("x-target"), Some("echo"));
    assert!(exchange.latency_ms.is_some());
    assert_eq!(exchange.request_line, format!("POST http://{addr}/pens"));
    assert_eq!(exchange.request_body, body);

    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path_and_query, "/pens");
    assert_eq!(seen.content_type.as_deref(), Some("application/x-www-form-urlencoded"));
    assert_eq!(seen.body, body.as_bytes());
}

#[tokio::test]
async fn a_get_appends_the_query_to_an_existing_one_without_re_encoding() {
    let (addr, seen) = echo_target().await;
    let query = "command=collect&package-url=http%3A%2F%2Fh%2Fp.zip&vendor-data=50%&bad=%zz";
    let request =
        CollectRequest { method: Method::Get, url: format!("http://{addr}/pens?tenant=7"), body: query.into() };
    let exchange = send_collect(&request, TIMEOUT).await;

    assert_eq!(answer(&exchange).status, 200);
    assert_eq!(exchange.request_line, format!("GET http://{addr}/pens?tenant=7&{query}"));
    assert_eq!(exchange.request_body, "");
    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.path_and_query, format!("/pens?tenant=7&{query}"));
    assert!(seen.body.is_empty());
}

#[tokio::test]
async fn redirects_are_answers_not_followed() {
    let (addr, seen) = echo_target().await;
    let request = CollectRequest { method: Method::Post, url: format!("http://{addr}/moved"), body: "a=1".into() };
    let exchange = send_collect(&request, TIMEOUT).await;
    let answer = answer(&exchange);
    assert_eq!(answer.status, 302);
    assert_eq!(answer.header("location"), Some("/elsewhere"));
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_silent_target_times_out_with_a_clear_message() {
    let listener = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts and keeps every connection open without a byte of answer.
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    for method in [Method::Post, Method::Get] {
        let request = CollectRequest { method, url: format!("http://{addr}/pens"), body: "a=1".into() };
        let exchange = send_collect(&request, timeout).await;
        assert_eq!(exchange.outcome, Err("no answer within 300 ms".to_owned()));
        assert_eq!(exchange.latency_ms, None);
    }
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    silent.abort();
}

#[tokio::test]
async fn a_refused_connection_is_an_error_naming_the_address() {
    let listener = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let request = CollectRequest { method: Method::Post, url: format!("http://{addr}/pens"), body: "a=1".into() };
    let exchange = send_collect(&request, TIMEOUT).await;
    let error = exchange.outcome.unwrap_err();
    assert!(error.starts_with(&format!("cannot connect to {addr}: ")), "{error}");
    assert!(error.to_lowercase().contains("refused"), "{error}");
}

#[tokio::test]
async fn an_invalid_url_is_an_error_not_a_panic() {
    for url in ["not a url", "ftp://127.0.0.1/pens", ""] {
        let request = CollectRequest { method: Method::Post, url: url.into(), body: "a=1".into() };
        let exchange = send_collect(&request, TIMEOUT).await;
        assert!(exchange.outcome.is_err(), "{url}: {exchange:?}");
    }
}

#[tokio::test]
async fn https_needs_the_run_ca_and_works_with_it() {
    let ca = RunCa::generate(&[]).unwrap();
    let staging = StagingServer::start(LOOPBACK, "", &ca).await.unwrap();
    let request = CollectRequest {
        method: Method::Get,
        url: format!("{}/s/none/x.zip", staging.https_base()),
        body: "a=1".into(),
    };

    let stranger = send_collect(&request, TIMEOUT).await;
    let error = stranger.outcome.unwrap_err();
    assert!(error.starts_with("cannot connect to 127.0.0.1:"), "{error}");

    let trusting = CollectClient::new(Some(ca.reqwest_certificate())).unwrap();
    let exchange = trusting.send(&request, TIMEOUT).await;
    assert_eq!(answer(&exchange).status, 404);
}

#[tokio::test]
async fn a_receipt_sent_to_the_collector_gets_the_pens_answer() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let request = CollectRequest {
        method: Method::Post,
        url: collector.urls("roundtrip").receipt,
        body: "command=receipt&error=0&error-text=ok".into(),
    };
    let exchange = send_collect(&request, TIMEOUT).await;
    let parsed = pens_proto::parse_response(&answer(&exchange).body);
    assert!(parsed.findings.is_empty(), "{:?}", parsed.findings);
    assert_eq!(parsed.error, Some(pens_proto::ErrorCode(0)));
    let events = collector.wait_for("roundtrip", Instant::now() + TIMEOUT, |events| !events.is_empty()).await;
    assert_eq!(events[0].raw, "command=receipt&error=0&error-text=ok".as_bytes());
}

#[tokio::test]
async fn bytes_chosen_elsewhere_go_out_with_their_own_media_type_byte_for_byte() {
    let (addr, seen) = echo_target().await;
    let client = CollectClient::new(None).unwrap();
    let body =
        Bytes::from_static(b"--b\r\ncontent-disposition: form-data; name=\"client\"\r\n\r\ncaf\xe9\r\n--b--\r\n");
    let url = format!("http://{addr}/pens?session=1");
    let multipart = Some("multipart/form-data; boundary=b");
    let exchange = client.send_bytes(Method::Post, &url, body.clone(), multipart, None, TIMEOUT).await;
    assert_eq!(answer(&exchange).status, 200);
    let credentials = Some(reqwest::header::HeaderValue::from_static("Basic dTpw"));
    let exchange = client.send_bytes(Method::Post, &url, Bytes::from_static(b"a=1"), None, credentials, TIMEOUT).await;
    assert_eq!(answer(&exchange).status, 200);
    let query = Bytes::from_static(b"command=collect");
    let exchange = client.send_bytes(Method::Get, &url, query, None, None, TIMEOUT).await;
    assert_eq!(exchange.request_line, format!("GET http://{addr}/pens?session=1&command=collect"));

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0].content_type.as_deref(), Some("multipart/form-data; boundary=b"));
    assert_eq!(seen[0].body, body);
    assert_eq!(seen[0].path_and_query, "/pens?session=1");
    assert_eq!((seen[1].content_type.as_deref(), seen[1].body.as_slice()), (None, &b"a=1"[..]));
    assert_eq!((seen[2].method.as_str(), seen[2].path_and_query.as_str()), ("GET", "/pens?session=1&command=collect"));
}
