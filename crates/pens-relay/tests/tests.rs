//! Integration tests of pens-relay: observe mode's relay between a fake authoring tool's side (its staging server and
//! receipt URL, an axum server) and a fake LMS (an axum server that answers the
//! collect, fetches the package URL it was given and posts a receipt to the receipt
//! URL it was given), all on real sockets. Waits end on what the parties record.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use pens_parties::{
    Collector, CredentialsPresented, Endpoint, HttpListener, RunCa, StagingPlan, StagingServer, TargetEventKind,
};
use pens_proto::{CollectCommand, ErrorCode};
use pens_relay::{FetchEnd, Leg, PublishRecord, Relay, RelayOptions};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

/// A generous deadline: waits end on the event, so this only bounds a broken test.
fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

const LOOPBACK: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

/// The target's answer to every collect: not our own reference's wording or media
/// type, so that passing it on unchanged shows.
const TARGET_ANSWER: &str = "error=0\r\nerror-text=collect taken by the fake LMS\r\nversion=1.0.0\r\npens-data=\r\n";
const TARGET_CONTENT_TYPE: &str = "text/plain;charset=US-ASCII";

/// The client's answer to every receipt and alert.
const CLIENT_ANSWER: &str = "error=0\r\nerror-text=noted by the fake tool\r\nversion=1.0.0\r\npens-data=x\r\n";
const CLIENT_CONTENT_TYPE: &str = "text/plain; charset=iso-8859-1";

/// The package credentials the client's staging server asks for.
const USER: &str = "author";
const PASSWORD: &str = "s3cr3t-package-pw";

/// What one side saw, with a signal on every arrival.
struct Log<T> {
    items: Mutex<Vec<T>>,
    added: watch::Sender<usize>,
}

impl<T: Clone> Log<T> {
    fn new() -> Self {
        Log { items: Mutex::new(Vec::new()), added: watch::Sender::new(0) }
    }

    fn push(&self, item: T) {
        self.items.lock().unwrap().push(item);
        self.added.send_modify(|n| *n += 1);
    }

    fn all(&self) -> Vec<T> {
        self.items.lock().unwrap().clone()
    }

    /// Waits until `n` items are in, within the test deadline.
    async fn wait_for(&self, n: usize) -> Vec<T> {
        let mut added = self.added.subscribe();
        let deadline = tokio::time::Instant::from_std(deadline());
        loop {
            let all = self.all();
            if all.len() >= n {
                return all;
            }
            tokio::time::timeout_at(deadline, added.changed()).await.expect("in time").expect("open");
        }
    }
}

/// A request as a fake party saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    query: Option<String>,
    content_type: Option<String>,
    authorization: Option<String>,
    body: Bytes,
}

async fn seen(method: Method, uri: Uri, headers: HeaderMap, body: Body) -> Seen {
    let header = |name| headers.get(name).map(|v: &axum::http::HeaderValue| v.to_str().unwrap().to_owned());
    Seen {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        content_type: header(CONTENT_TYPE),
        authorization: header(AUTHORIZATION),
        body: axum::body::to_bytes(body, usize::MAX).await.unwrap(),
    }
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// `len` bytes that compress badly and repeat nowhere near a buffer size.
fn generated(len: usize) -> Bytes {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    Bytes::from(bytes)
}

/// The authoring tool's side: its staging server (`/staging/<file>`, basic credentials
/// required) and its receipt and alerts URLs.
struct ClientSide {
    package: Bytes,
    fetches: Log<Seen>,
    notifications: Log<Seen>,
}

async fn client_package(State(side): State<Arc<ClientSide>>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let request = seen(method, uri, headers.clone(), Body::empty()).await;
    side.fetches.push(request.clone());
    if request.authorization.as_deref() != Some(basic(USER, PASSWORD).as_str()) {
        return (StatusCode::UNAUTHORIZED, [("www-authenticate", "Basic realm=\"tool\"")], "who are you?")
            .into_response();
    }
    // A resumed download (`Range: bytes=N-`) gets the rest of the package, as a 206.
    let from = headers
        .get(axum::http::header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes=")?.strip_suffix('-')?.parse::<usize>().ok());
    if let Some(from) = from.filter(|from| *from < side.package.len()) {
        let range = format!("bytes {from}-{}/{}", side.package.len() - 1, side.package.len());
        return (
            StatusCode::PARTIAL_CONTENT,
            [(CONTENT_TYPE, "application/zip".to_owned()), (axum::http::header::CONTENT_RANGE, range)],
            side.package.slice(from..),
        )
            .into_response();
    }
    ([(CONTENT_TYPE, "application/zip")], side.package.clone()).into_response()
}

async fn client_notification(
    State(side): State<Arc<ClientSide>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    side.notifications.push(seen(method, uri, headers, body).await);
    ([(CONTENT_TYPE, CLIENT_CONTENT_TYPE)], CLIENT_ANSWER).into_response()
}

/// The LMS: answers a collect at once, then in the background fetches its package URL
/// with its credentials (hashing the body as it streams) and posts a receipt.
struct TargetSide {
    collects: Log<Seen>,
    /// Status, body length and SHA-256 of each fetch.
    fetched: Log<(u16, u64, Vec<u8>)>,
    /// Status, content type and body of the client's answer to each receipt, as the
    /// target got it.
    receipt_answers: Log<(u16, Option<String>, Bytes)>,
    /// The headers of each of those answers, as the target got them.
    receipt_answer_headers: Log<reqwest::header::HeaderMap>,
    http: reqwest::Client,
    /// Whether it fetches and notifies at all (on unless a test turns it off).
    works: std::sync::atomic::AtomicBool,
}

async fn target_collect(
    State(side): State<Arc<TargetSide>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request = seen(method, uri, headers, body).await;
    side.collects.push(request.clone());
    let decoded = match request.method.as_str() {
        "GET" => CollectCommand::decode(request.query.clone().unwrap_or_default().as_bytes()),
        _ => CollectCommand::decode_post(request.content_type.as_deref(), &request.body),
    };
    if side.works.load(std::sync::atomic::Ordering::SeqCst) {
        let worker = Arc::clone(&side);
        tokio::spawn(async move { worker.work(decoded.command).await });
    }
    ([(CONTENT_TYPE, TARGET_CONTENT_TYPE)], TARGET_ANSWER).into_response()
}

impl TargetSide {
    async fn work(&self, command: CollectCommand) {
        let Some(url) = command.package_url.as_deref() else { return };
        let mut fetch = self.http.get(url);
        if let Some(user) = command.package_url_user_id.as_deref() {
            fetch = fetch.basic_auth(user, command.package_url_password.as_deref());
        }
        let Ok(mut response) = fetch.send().await else { return };
        let status = response.status().as_u16();
        let mut hasher = Sha256::new();
        let mut len = 0u64;
        while let Ok(Some(chunk)) = response.chunk().await {
            len += chunk.len() as u64;
            hasher.update(&chunk);
        }
        self.fetched.push((status, len, hasher.finalize().to_vec()));
        let Some(receipt) = command.receipt.as_deref() else { return };
        let form = format!(
            "command=receipt&package-id={}&error=0&error-text=package+retrieved",
            command.package_id.as_deref().unwrap_or_default().replace(':', "%3A")
        );
        let sent =
            self.http.post(receipt).header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(form).send().await;
        if let Ok(answer) = sent {
            let status = answer.status().as_u16();
            let content_type = answer.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned());
            self.receipt_answer_headers.push(answer.headers().clone());
            self.receipt_answers.push((status, content_type, answer.bytes().await.unwrap()));
        }
    }
}

/// Both fake parties and the relay between them.
struct Setup {
    client: Arc<ClientSide>,
    target: Arc<TargetSide>,
    client_listener: HttpListener,
    _target_listener: HttpListener,
    relay: Relay,
}

impl Setup {
    async fn start(package: Bytes, configure: impl FnOnce(&mut RelayOptions)) -> Setup {
        let client = Arc::new(ClientSide { package, fetches: Log::new(), notifications: Log::new() });
        let router = Router::new()
            .route("/staging/{file}", axum::routing::get(client_package))
            .route("/receipt", axum::routing::any(client_notification))
            .route("/alerts", axum::routing::any(client_notification))
            .with_state(Arc::clone(&client));
        let client_listener = HttpListener::serve(LOOPBACK, router, "the fake tool").await.unwrap();
        // The LMS trusts the CA the relay serves HTTPS packages with.
        let relay_ca = Arc::new(RunCa::generate(&[]).unwrap());
        let target = Arc::new(TargetSide {
            collects: Log::new(),
            fetched: Log::new(),
            receipt_answers: Log::new(),
            receipt_answer_headers: Log::new(),
            http: reqwest::Client::builder()
                .no_proxy()
                .add_root_certificate(relay_ca.reqwest_certificate())
                .build()
                .unwrap(),
            works: std::sync::atomic::AtomicBool::new(true),
        });
        let router =
            Router::new().route("/lms/pens", axum::routing::any(target_collect)).with_state(Arc::clone(&target));
        let target_listener = HttpListener::serve(LOOPBACK, router, "the fake lms").await.unwrap();
        let mut options = RelayOptions::new(LOOPBACK, format!("http://{}/lms/pens", target_listener.local_addr()));
        options.ca = Some(relay_ca);
        configure(&mut options);
        let relay = Relay::start(options).await.unwrap();
        Setup { client, target, client_listener, _target_listener: target_listener, relay }
    }

    fn client_base(&self) -> String {
        format!("http://{}", self.client_listener.local_addr())
    }

    /// A collect of the tool's package with every element, some encoded unusually.
    fn collect_body(&self) -> String {
        let base = self.client_base().replace(':', "%3A").replace('/', "%2F");
        [
            "command=collect".to_owned(),
            "pens-version=1.0.0".to_owned(),
            "package-type=aicc-pkg".to_owned(),
            "package-type-version=1.0".to_owned(),
            "package-format=zip".to_owned(),
            "package-id=urn%3Apens-conform%3Arelay%3A1".to_owned(),
            format!("package-url={base}%2Fstaging%2Fcourse.zip"),
            format!("package-url-user-id={USER}"),
            format!("package-url-password={PASSWORD}"),
            "package-url-expiry=2099-01-01T00%3a00%3a00Z".to_owned(),
            "client=Tool+X%2F1.0".to_owned(),
            "system-user-id=lms-user".to_owned(),
            "system-password=sys-s3cret-pw".to_owned(),
            format!("receipt={base}%2Freceipt"),
            format!("alerts={base}%2Falerts"),
            "vendor-data=a%20b+c%2f%7E".to_owned(),
        ]
        .join("&")
    }

    async fn publish(&self, body: &str) -> reqwest::Response {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(self.relay.collect_url())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded; charset=utf-8")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    /// A form POST of [`Setup::collect_body`] to `url`, to send as it is or with more
    /// headers.
    fn collect_request(&self, url: &str) -> reqwest::RequestBuilder {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(self.collect_body())
    }

    /// Publishes `body` with the fake LMS idle, so that the test itself plays the LMS
    /// (fetches, leaves, sends receipts): the publish's key.
    async fn publish_as_the_lms(&self, body: &str) -> String {
        self.target.works.store(false, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(self.publish(body).await.status(), 200);
        self.key().await
    }

    /// The relay's HTTP URL for the package of publish `key`.
    fn package_url(&self, key: &str) -> String {
        format!("{}/s/{key}/course.zip", self.relay.staging_http_base())
    }

    async fn key(&self) -> String {
        tokio::time::timeout(Duration::from_secs(10), self.relay.next_publish()).await.unwrap().unwrap()
    }

    async fn record_when(&self, key: &str, pred: impl Fn(&PublishRecord) -> bool) -> PublishRecord {
        let record = self.relay.wait_for(key, deadline(), &pred).await.expect("a record");
        assert!(pred(&record), "not in time: {record:#?}");
        record
    }
}

fn value_of<'a>(body: &'a str, name: &str) -> &'a str {
    body.split('&').find_map(|pair| pair.strip_prefix(&format!("{name}="))).unwrap_or_default()
}

fn decoded(value: &str) -> String {
    percent_encoding::percent_decode_str(&value.replace('+', " ")).decode_utf8().unwrap().into_owned()
}

#[tokio::test]
async fn the_collect_reaches_the_target_rewritten_and_its_answer_comes_back_unchanged() {
    let setup = Setup::start(Bytes::from_static(b"PK small"), |_| ()).await;
    let body = setup.collect_body();
    let answer = setup.publish(&body).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()[CONTENT_TYPE], TARGET_CONTENT_TYPE);
    assert_eq!(answer.text().await.unwrap(), TARGET_ANSWER);

    let key = setup.key().await;
    let collects = setup.target.collects.wait_for(1).await;
    let forwarded = &collects[0];
    assert_eq!(forwarded.method, "POST");
    assert_eq!(forwarded.content_type.as_deref(), Some("application/x-www-form-urlencoded; charset=utf-8"));
    let sent = std::str::from_utf8(&forwarded.body).unwrap();
    let (ours, theirs): (Vec<&str>, Vec<&str>) = (sent.split('&').collect(), body.split('&').collect());
    assert_eq!(ours.len(), theirs.len());
    for (out, came) in ours.iter().zip(&theirs) {
        let name = came.split('=').next().unwrap();
        assert_eq!(out.split('=').next().unwrap(), name, "names and order kept");
        if !["package-url", "receipt", "alerts"].contains(&name) {
            assert_eq!(out, came, "every other pair byte for byte");
        }
    }
    let package_url = decoded(value_of(sent, "package-url"));
    assert_eq!(package_url, setup.package_url(&key));
    let urls = setup.relay.collector().urls(&key);
    assert_eq!(decoded(value_of(sent, "receipt")), urls.receipt);
    assert_eq!(decoded(value_of(sent, "alerts")), urls.alerts);

    let record = setup.record_when(&key, |r| r.answer.is_some()).await;
    let exchange = record.collect.as_ref().expect("the exchange");
    assert_eq!(exchange.outcome.as_ref().expect("an answer").body, TARGET_ANSWER.as_bytes());
    let rewritten: Vec<&str> = record.rewrites.iter().filter(|r| r.rewritten.is_some()).map(|r| r.element).collect();
    assert_eq!(rewritten, ["package-url", "receipt", "alerts"]);
    assert!(record.answer.as_ref().is_some_and(|a| a.from_target && a.status == 200));
    // Nothing shown holds a password: the collect's, as received and as forwarded.
    let shown = format!("{record:?}");
    for secret in [PASSWORD, "sys-s3cret-pw"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(!String::from_utf8_lossy(&record.received.raw).contains(PASSWORD));
    assert!(!exchange.request_body.contains(PASSWORD));
}

#[tokio::test]
async fn without_rewriting_the_collect_goes_out_byte_for_byte() {
    let setup = Setup::start(Bytes::from_static(b"PK small"), |options| options.rewrite = false).await;
    let body = setup.collect_body();
    let answer = setup.publish(&body).await;
    assert_eq!(answer.text().await.unwrap(), TARGET_ANSWER);
    let collects = setup.target.collects.wait_for(1).await;
    assert_eq!(collects[0].body, body.as_bytes());
    // The target fetched from the tool itself: the relay saw none of it.
    let fetched = setup.target.fetched.wait_for(1).await;
    assert_eq!(fetched[0].0, 200);
    let key = setup.key().await;
    let record = setup.relay.record(&key).unwrap();
    assert!(record.staging.is_empty() && record.rewrites.iter().all(|r| r.rewritten.is_none()), "{record:#?}");
}

#[tokio::test]
async fn a_get_collect_is_rewritten_in_its_query() {
    let setup = Setup::start(Bytes::from_static(b"PK small"), |_| ()).await;
    let query = setup.collect_body();
    let url = format!("{}?{query}", setup.relay.collect_url());
    let answer = reqwest::Client::builder().no_proxy().build().unwrap().get(url).send().await.unwrap();
    assert_eq!(answer.text().await.unwrap(), TARGET_ANSWER);
    let key = setup.key().await;
    let collects = setup.target.collects.wait_for(1).await;
    assert_eq!(collects[0].method, "GET");
    let sent = collects[0].query.clone().unwrap();
    assert_eq!(value_of(&sent, "vendor-data"), "a%20b+c%2f%7E");
    assert_eq!(decoded(value_of(&sent, "package-url")), setup.package_url(&key));
}

#[tokio::test]
async fn a_large_package_streams_through_intact_with_its_credentials_and_a_copy_on_disk() {
    let package = generated(8 * 1024 * 1024 + 17);
    let download_dir = tempfile::tempdir().unwrap();
    let dir = download_dir.path().to_owned();
    let setup = Setup::start(package.clone(), move |options| options.download_dir = dir).await;
    setup.publish(&setup.collect_body()).await;
    let key = setup.key().await;
    let fetched = setup.target.fetched.wait_for(1).await;
    assert_eq!(fetched[0], (200, package.len() as u64, sha256(&package)));
    // The credentials the target presented reached the tool's staging server.
    let at_client = setup.client.fetches.all();
    assert_eq!(at_client.len(), 1);
    assert_eq!(at_client[0].authorization.as_deref(), Some(basic(USER, PASSWORD).as_str()));
    assert_eq!(at_client[0].path, "/staging/course.zip");

    let record = setup.record_when(&key, |r| r.package.is_some() && !r.staging.is_empty()).await;
    let kept = record.package.clone().unwrap();
    assert_eq!(kept.len(), package.len() as u64);
    assert!(!kept.is_in_memory(), "a package of 8 MiB is kept in a temp file");
    let copy = tokio::task::spawn_blocking(move || kept.to_bytes().unwrap()).await.unwrap();
    assert_eq!(sha256(&copy), sha256(&package));
    let staged = &record.staging[0];
    assert_eq!((staged.method.as_str(), staged.status), ("GET", 200));
    assert!(staged.completed && staged.bytes_sent == package.len() as u64, "{staged:?}");
    assert_eq!(staged.credentials, CredentialsPresented::Valid);
    assert!(!format!("{record:?}").contains(PASSWORD));
}

#[tokio::test]
async fn a_receipt_reaches_the_tool_and_its_answer_reaches_the_lms_unchanged() {
    let setup = Setup::start(Bytes::from_static(b"PK small"), |_| ()).await;
    setup.publish(&setup.collect_body()).await;
    let key = setup.key().await;
    let answers = setup.target.receipt_answers.wait_for(1).await;
    assert_eq!(answers[0], (200, Some(CLIENT_CONTENT_TYPE.to_owned()), Bytes::from_static(CLIENT_ANSWER.as_bytes())));
    let at_client = setup.client.notifications.all();
    assert_eq!(at_client.len(), 1);
    let receipt = &at_client[0];
    assert_eq!((receipt.method.as_str(), receipt.path.as_str()), ("POST", "/receipt"));
    assert_eq!(receipt.content_type.as_deref(), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        receipt.body,
        "command=receipt&package-id=urn%3Apens-conform%3Arelay%3A1&error=0&error-text=package+retrieved"
    );
    let record = setup
        .record_when(&key, |r| {
            r.client_side.iter().any(|e| matches!(e.kind, TargetEventKind::NotificationSent { .. }))
                && !r.notifications.is_empty()
        })
        .await;
    assert_eq!(record.notifications[0].endpoint, Endpoint::Receipt);
    let delivery = record
        .client_side
        .iter()
        .find_map(|e| match &e.kind {
            TargetEventKind::NotificationSent { delivery, error, .. } => Some((delivery.clone(), *error)),
            _ => None,
        })
        .unwrap();
    assert_eq!(delivery.1, ErrorCode::SUCCESS);
    assert_eq!(delivery.0.http_status, Some(200));
    assert_eq!(delivery.0.answer_raw.as_deref(), Some(CLIENT_ANSWER.as_bytes()));
}

#[tokio::test]
async fn the_record_holds_the_events_of_both_sides_in_order() {
    let setup = Setup::start(Bytes::from_static(b"PK small"), |_| ()).await;
    setup.publish(&setup.collect_body()).await;
    let key = setup.key().await;
    setup.target.receipt_answers.wait_for(1).await;
    let record = setup
        .record_when(&key, |r| {
            r.client_side.iter().any(|e| matches!(e.kind, TargetEventKind::NotificationSent { .. }))
                && !r.staging.is_empty()
                && !r.fetches.is_empty()
        })
        .await;
    let kinds: Vec<&str> = record
        .client_side
        .iter()
        .map(|e| match &e.kind {
            TargetEventKind::CollectReceived { .. } => "collect",
            TargetEventKind::CollectAnswered { .. } => "answered",
            TargetEventKind::FetchStarted { .. } => "fetch",
            TargetEventKind::FetchFinished { .. } => "fetched",
            TargetEventKind::NotificationSent { .. } => "receipt",
            _ => "other",
        })
        .collect();
    // The target may fetch before its answer has reached the relay: the answer's place
    // among the target's steps is the target's, as it happened.
    assert_eq!(kinds[0], "collect");
    assert_eq!(kinds.iter().filter(|k| **k == "answered").count(), 1, "{kinds:?}");
    let steps: Vec<&str> = kinds[1..].iter().copied().filter(|k| *k != "answered").collect();
    assert_eq!(steps, ["fetch", "fetched", "receipt"]);
    assert!(record.client_side.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(record.client_side.iter().all(|e| e.exchange == record.number && e.key.as_deref() == Some(key.as_str())));
    let TargetEventKind::CollectReceived { answer, expected, .. } = &record.client_side[0].kind else { panic!() };
    assert_eq!((*answer, *expected), (ErrorCode::SUCCESS, ErrorCode::SUCCESS));
    let TargetEventKind::FetchFinished { http_status, result, bytes, .. } = &record.client_side[3].kind else {
        panic!()
    };
    assert_eq!((*http_status, *result, *bytes), (Some(200), ErrorCode::SUCCESS, 8));
    assert_eq!(record.fetches.len(), 1);
    assert_eq!(record.fetches[0].end, FetchEnd::Complete);
    assert_eq!(record.staging.len(), 1);
    assert_eq!(record.notifications.len(), 1);
    assert!(record.not_relayed.is_empty(), "{:?}", record.not_relayed);
}

#[tokio::test]
async fn an_unreachable_target_gives_the_client_a_502_and_a_record_that_says_why() {
    // A port nothing listens on: bound, then released.
    let closed = std::net::TcpListener::bind(LOOPBACK).unwrap().local_addr().unwrap();
    let setup = Setup::start(Bytes::from_static(b"PK"), |options| {
        options.target_url = format!("http://{closed}/lms/pens");
    })
    .await;
    let answer = setup.publish(&setup.collect_body()).await;
    assert_eq!(answer.status(), 502);
    assert!(answer.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
    let text = answer.text().await.unwrap();
    assert!(text.starts_with("pens-conform relay: not relayed: the target could not be reached"), "{text}");
    let key = setup.key().await;
    let record = setup.record_when(&key, |r| !r.not_relayed.is_empty()).await;
    let failure = &record.not_relayed[0];
    assert_eq!((failure.leg, failure.status), (Leg::Collect, Some(502)));
    assert!(record.collect.as_ref().is_some_and(|c| c.refused), "{record:#?}");
    assert!(record.answer.as_ref().is_some_and(|a| !a.from_target));
    assert!(setup.target.collects.all().is_empty());
}

#[tokio::test]
async fn a_target_too_slow_to_answer_gives_the_client_a_504() {
    // A listener that takes the connection and never answers.
    let silent = tokio::net::TcpListener::bind(LOOPBACK).await.unwrap();
    let addr = silent.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            open.push(stream);
        }
    });
    let setup = Setup::start(Bytes::from_static(b"PK"), |options| {
        options.target_url = format!("http://{addr}/lms/pens");
        options.collect_timeout = Duration::from_millis(300);
    })
    .await;
    let started = Instant::now();
    let answer = setup.publish(&setup.collect_body()).await;
    assert_eq!(answer.status(), 504);
    assert!(started.elapsed() < Duration::from_secs(5));
    let key = setup.key().await;
    let record = setup.record_when(&key, |r| !r.not_relayed.is_empty()).await;
    assert!(record.collect.as_ref().is_some_and(|c| c.timed_out));
    held.abort();
}

/// An ftp package URL is not the relay's to carry (it stages over http and https only):
/// it goes on untouched, so the pair works as without the relay, and the record says
/// that fetch was not observed.
#[tokio::test]
async fn an_ftp_package_url_goes_on_untouched_and_is_recorded_as_not_observed() {
    let setup = Setup::start(Bytes::from_static(b"PK"), |_| ()).await;
    let ftp = "package-url=ftp%3A%2F%2F127.0.0.1%3A1%2Fcourse.zip";
    let body = setup.collect_body().replace(
        &format!("package-url={}%2Fstaging%2Fcourse.zip", setup.client_base().replace(':', "%3A").replace('/', "%2F")),
        ftp,
    );
    assert!(body.contains(ftp), "the test's collect names the ftp URL: {body}");
    setup.publish(&body).await;
    let key = setup.key().await;
    let collects = setup.target.collects.wait_for(1).await;
    let sent = std::str::from_utf8(&collects[0].body).unwrap();
    assert!(sent.split('&').any(|pair| pair == ftp), "the package URL went on byte for byte: {sent}");
    let record = setup.record_when(&key, |r| r.answer.is_some()).await;
    let rewrite = record.rewrites.iter().find(|r| r.element == "package-url").expect("the package URL's entry");
    assert!(rewrite.rewritten.is_none(), "{rewrite:?}");
    assert!(rewrite.note.as_deref().is_some_and(|n| n.contains("not observed")), "{rewrite:?}");
    assert!(record.staging.is_empty() && record.fetches.is_empty(), "{record:#?}");
}

/// The form encoding of a URL, as a collect carries it.
fn encoded(url: &str) -> String {
    pens_proto::encode_form([("", url)]).trim_start_matches('=').to_owned()
}

#[tokio::test]
async fn an_https_package_is_relayed_over_https_with_the_relay_ca() {
    // The tool stages on a real HTTPS staging server with its own CA.
    let tool_ca = RunCa::generate(&[]).unwrap();
    let staging = StagingServer::start(std::net::IpAddr::from([127, 0, 0, 1]), "", &tool_ca).await.unwrap();
    let package = generated(100_000);
    let staged = staging.stage("tool", StagingPlan::new("course.zip", package.clone()).credentials(USER, PASSWORD));
    let trusted = tool_ca.ca_pem().to_owned();
    let setup = Setup::start(Bytes::new(), move |options| options.trust_pem = vec![trusted]).await;
    let original = format!("package-url={}", encoded(&format!("{}/staging/course.zip", setup.client_base())));
    let body = setup.collect_body().replace(&original, &format!("package-url={}", encoded(&staged.https_url)));
    setup.publish(&body).await;
    let key = setup.key().await;
    let collects = setup.target.collects.wait_for(1).await;
    let sent = std::str::from_utf8(&collects[0].body).unwrap().to_owned();
    assert_eq!(
        decoded(value_of(&sent, "package-url")),
        format!("{}/s/{key}/course.zip", setup.relay.staging_https_base())
    );
    let fetched = setup.target.fetched.wait_for(1).await;
    assert_eq!(fetched[0], (200, package.len() as u64, sha256(&package)));
    let at_tool = staging.wait_for("tool", deadline(), |e| e.is_whole_download()).await.expect("a download");
    assert_eq!((at_tool.protocol.as_str(), at_tool.credentials.clone()), ("https", CredentialsPresented::Valid));
    let record = setup.record_when(&key, |r| !r.staging.is_empty() && r.package.is_some()).await;
    assert_eq!(record.staging[0].protocol, "https");
}

#[tokio::test]
async fn a_mailed_receipt_is_passed_on_to_the_tools_mail_server() {
    // The tool's mail server: a collector's mail sink that takes the tool's address.
    let tool_mail = Collector::start(std::net::IpAddr::from([127, 0, 0, 1]), "").await.unwrap();
    let tool_receipt = tool_mail.mailto("tool").receipt;
    let relay_to = tool_mail.smtp_addr();
    let setup = Setup::start(Bytes::from_static(b"PK"), move |options| {
        options.smtp_listen = Some(LOOPBACK);
        options.smtp_relay = Some(relay_to);
    })
    .await;
    let original = format!("receipt={}", encoded(&format!("{}/receipt", setup.client_base())));
    let body = setup.collect_body().replace(&original, &format!("receipt={}", encoded(&tool_receipt)));
    setup.publish(&body).await;
    let key = setup.key().await;
    let collects = setup.target.collects.wait_for(1).await;
    let sent = std::str::from_utf8(&collects[0].body).unwrap().to_owned();
    let ours = decoded(value_of(&sent, "receipt"));
    assert_eq!(ours, setup.relay.collector().mailto(&key).receipt);

    // The LMS mails its receipt to the relay's sink.
    let message = lettre::Message::builder()
        .from("Fake LMS <lms@lms.example>".parse().unwrap())
        .to(ours.trim_start_matches("mailto:").parse().unwrap())
        .subject("PENS receipt")
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body("Retrieved.\r\n\r\ncommand=receipt\r\nerror=0\r\nerror-text=package retrieved\r\n".to_owned())
        .unwrap();
    let sink = setup.relay.collector().smtp_addr();
    let transport =
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1").port(sink.port()).build();
    lettre::AsyncTransport::send(&transport, message).await.unwrap();

    let passed_on = tool_mail.wait_for("tool", deadline(), |events| !events.is_empty()).await;
    assert_eq!(passed_on.len(), 1, "{passed_on:?}");
    let raw = String::from_utf8_lossy(&passed_on[0].raw).into_owned();
    assert!(raw.contains("command=receipt\r\nerror=0\r\n") && raw.contains("Subject: PENS receipt"), "{raw}");
    let record = setup
        .record_when(&key, |r| {
            r.client_side.iter().any(|e| matches!(e.kind, TargetEventKind::NotificationMailed { .. }))
        })
        .await;
    let mailed = record
        .client_side
        .iter()
        .find_map(|e| match &e.kind {
            TargetEventKind::NotificationMailed { to, reply, failure, .. } => {
                Some((to.clone(), reply.clone(), failure.clone()))
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(mailed.0, [tool_receipt.trim_start_matches("mailto:")]);
    assert!(mailed.1.as_deref().is_some_and(|reply| reply.starts_with("250")) && mailed.2.is_none(), "{mailed:?}");
    assert_eq!(record.notifications.len(), 1);
    assert_eq!(record.notifications[0].method, "SMTP");
}

/// A staging server written by hand, for answers no well-behaved server gives: the
/// request head of each connection is read, then `answer` writes what it will.
async fn raw_staging_server<F, Fut>(answer: F) -> (SocketAddr, tokio::task::JoinHandle<()>)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind(LOOPBACK).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = Arc::new(answer);
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let answer = Arc::clone(&answer);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).await.is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                answer(stream).await;
            });
        }
    });
    (addr, task)
}

/// A staging server that announces `announced` bytes, sends `sent`, and hangs up.
async fn breaking_staging_server(announced: usize, sent: usize) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    use tokio::io::AsyncWriteExt;
    raw_staging_server(move |mut stream| async move {
        let answer = format!("HTTP/1.1 200 OK\r\ncontent-type: application/zip\r\ncontent-length: {announced}\r\n\r\n");
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.write_all(&vec![b'P'; sent]).await;
        let _ = stream.shutdown().await;
    })
    .await
}

#[tokio::test]
async fn a_package_broken_off_by_the_tools_server_is_the_tools_side() {
    let (addr, server) = breaking_staging_server(100_000, 1_000).await;
    let setup = Setup::start(Bytes::new(), |_| ()).await;
    setup.publish(&collect_body_staged_at(&setup, addr)).await;
    let key = setup.key().await;
    let record = setup.record_when(&key, |r| !r.fetches.is_empty() && !r.staging.is_empty()).await;
    assert!(
        matches!(&record.fetches[0].end, FetchEnd::ClientSide(why) if why.contains("incomplete after 1000 bytes")),
        "{record:#?}"
    );
    assert!(record.package.is_none());
    assert!(!record.staging[0].completed && record.staging[0].bytes_sent == 1_000, "{:?}", record.staging[0]);
    let finished = record.client_side.iter().find_map(|e| match &e.kind {
        TargetEventKind::FetchFinished { result, bytes, .. } => Some((*result, *bytes)),
        _ => None,
    });
    assert_eq!(finished, Some((ErrorCode::INTERNAL_PACKAGE_ERROR, 1_000)));
    assert!(record.not_relayed.iter().any(|n| n.leg == Leg::Package), "{:?}", record.not_relayed);
    server.abort();
}

#[tokio::test]
async fn a_target_that_leaves_mid_download_is_the_targets_side() {
    // Larger than what the kernel's socket buffers on loopback absorb, so the relay
    // sees the LMS leave before the package is all out.
    const SIZE: usize = 32 * 1024 * 1024;
    let setup = Setup::start(Bytes::from(vec![b'P'; SIZE]), |_| ()).await;
    // The test itself is the LMS: it leaves after the first chunk.
    let key = setup.publish_as_the_lms(&setup.collect_body()).await;
    let package_url = setup.package_url(&key);
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut response = http.get(&package_url).basic_auth(USER, Some(PASSWORD)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.chunk().await.unwrap().is_some());
    drop(response);
    let record = setup
        .record_when(&key, |r| r.fetches.iter().any(|f| f.end == FetchEnd::TargetLeft) && !r.staging.is_empty())
        .await;
    let left = record.fetches.iter().find(|f| f.end == FetchEnd::TargetLeft).unwrap();
    assert!(left.bytes_to_target < SIZE as u64, "{left:?}");
    let detail = record.client_side.iter().find_map(|e| match &e.kind {
        TargetEventKind::FetchFinished { detail, .. } if detail.starts_with("not judged") => Some(detail.clone()),
        _ => None,
    });
    assert!(detail.is_some(), "{:#?}", record.client_side);
}

#[tokio::test]
async fn a_ranged_download_after_the_whole_one_leaves_the_whole_package_in_the_record() {
    let package = generated(100_000);
    let setup = Setup::start(package.clone(), |_| ()).await;
    // The test itself is the LMS: a full GET, then the tail again by range (as an LMS
    // reading the zip's central directory, or resuming, does).
    let key = setup.publish_as_the_lms(&setup.collect_body()).await;
    let package_url = setup.package_url(&key);
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let whole = http.get(&package_url).basic_auth(USER, Some(PASSWORD)).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.bytes().await.unwrap(), package);
    let ranged = http
        .get(&package_url)
        .basic_auth(USER, Some(PASSWORD))
        .header(axum::http::header::RANGE, "bytes=90000-")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.unwrap(), package.slice(90_000..));

    let record = setup.record_when(&key, |r| r.fetches.len() == 2 && r.staging.len() == 2).await;
    assert_eq!(record.fetches[1].upstream_status, Some(206), "{:#?}", record.fetches);
    let kept = record.package.clone().expect("the whole package is kept");
    assert_eq!(kept.len(), package.len() as u64);
    let copy = tokio::task::spawn_blocking(move || kept.to_bytes().unwrap()).await.unwrap();
    assert_eq!(sha256(&copy), sha256(&package));
    // The range is not reported as the package whole.
    let details: Vec<String> = record
        .client_side
        .iter()
        .filter_map(|e| match &e.kind {
            TargetEventKind::FetchFinished { detail, .. } => Some(detail.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(details[0].contains("relayed whole") && !details[1].contains("relayed whole"), "{details:?}");
}

#[tokio::test]
async fn a_ranged_download_alone_keeps_no_package() {
    let package = generated(50_000);
    let setup = Setup::start(package.clone(), |_| ()).await;
    let key = setup.publish_as_the_lms(&setup.collect_body()).await;
    let package_url = setup.package_url(&key);
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let ranged = http
        .get(&package_url)
        .basic_auth(USER, Some(PASSWORD))
        .header(axum::http::header::RANGE, "bytes=1000-")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.unwrap().len(), 49_000);
    let record = setup.record_when(&key, |r| r.fetches.len() == 1 && !r.staging.is_empty()).await;
    assert_eq!(record.fetches[0].upstream_status, Some(206));
    assert!(record.package.is_none(), "a range is not the package: {:?}", record.package);
}

#[tokio::test]
async fn a_receipt_that_echoes_the_collects_passwords_is_recorded_without_them() {
    let setup = Setup::start(Bytes::from_static(b"PK small"), |_| ()).await;
    // The test itself is the LMS: its receipt repeats both passwords of the collect.
    let key = setup.publish_as_the_lms(&setup.collect_body()).await;
    let collect = setup.target.collects.wait_for(1).await.remove(0);
    let body = String::from_utf8(collect.body.to_vec()).unwrap();
    let receipt_url = decoded(value_of(&body, "receipt"));
    let form = format!(
        "command=receipt&package-id=urn%3Apens-conform%3Arelay%3A1&error=1310&error-text=login+sys-s3cret-pw+\
         failed+for+{PASSWORD}&echo={PASSWORD}"
    );
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let sent = http.post(&receipt_url).header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(form);
    assert_eq!(sent.send().await.unwrap().status(), 200);
    // The tool gets the receipt as the LMS sent it: the relay changes nothing it carries.
    let at_client = setup.client.notifications.wait_for(1).await;
    assert!(String::from_utf8_lossy(&at_client[0].body).contains("sys-s3cret-pw"), "{:?}", at_client[0].body);

    let record = setup.record_when(&key, |r| !r.notifications.is_empty()).await;
    let notification = &record.notifications[0];
    assert_eq!(notification.notification.error.as_deref(), Some("1310"));
    assert!(notification.notification.error_text.as_deref().unwrap().contains(pens_proto::REDACTED));
    let shown = format!("{record:?}");
    for secret in ["sys-s3cret-pw", PASSWORD] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
        assert!(!String::from_utf8_lossy(&notification.raw).contains(secret), "{secret} in the raw receipt");
    }
}

async fn never_answer() -> Response {
    std::future::pending().await
}

#[tokio::test]
async fn a_tool_that_never_answers_a_receipt_gives_the_lms_a_504() {
    let client =
        Arc::new(ClientSide { package: Bytes::from_static(b"PK"), fetches: Log::new(), notifications: Log::new() });
    let router = Router::new()
        .route("/staging/{file}", axum::routing::get(client_package))
        .route("/receipt", axum::routing::any(never_answer))
        .with_state(Arc::clone(&client));
    let silent_tool = HttpListener::serve(LOOPBACK, router, "a silent tool").await.unwrap();
    let setup =
        Setup::start(Bytes::from_static(b"PK"), |options| options.notify_timeout = Duration::from_millis(300)).await;
    let silent = format!("http://{}", silent_tool.local_addr());
    let body = setup.collect_body().replace(&encoded(&setup.client_base()), &encoded(&silent));
    setup.publish(&body).await;
    let key = setup.key().await;
    let answers = setup.target.receipt_answers.wait_for(1).await;
    assert_eq!(answers[0].0, 504);
    assert!(
        String::from_utf8_lossy(&answers[0].2)
            .starts_with("pens-conform relay: not relayed: the client did not answer")
    );
    let record = setup.record_when(&key, |r| r.not_relayed.iter().any(|n| n.leg == Leg::Receipt)).await;
    let sent = record.client_side.iter().find_map(|e| match &e.kind {
        TargetEventKind::NotificationSent { delivery, .. } => Some(delivery.clone()),
        _ => None,
    });
    assert!(sent.is_some_and(|d| d.failure.is_some() && d.http_status.is_none()), "{:#?}", record.client_side);
}

/// Headers of a hop, which the relay must not pass on (RFC 9110 §7.6.1).
const HOP_HEADERS: [(&str, &str); 2] = [("keep-alive", "timeout=7"), ("proxy-authenticate", "Basic realm=\"proxy\"")];

async fn lms_asking_for_credentials() -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        [("www-authenticate", "Basic realm=\"lms\""), ("x-lms-trace", "trace-17")],
        "who are you?",
    )
        .into_response();
    // Repeated, as a web server sends two cookies (a header array would keep one).
    for cookie in ["a=1", "b=2"] {
        response.headers_mut().append("set-cookie", axum::http::HeaderValue::from_static(cookie));
    }
    for (name, value) in HOP_HEADERS {
        response.headers_mut().insert(name, axum::http::HeaderValue::from_static(value));
    }
    response
}

#[tokio::test]
async fn an_lms_401_reaches_the_tool_with_every_header_but_the_hops() {
    let router = Router::new().route("/lms/pens", axum::routing::any(lms_asking_for_credentials));
    let lms = HttpListener::serve(LOOPBACK, router, "an lms asking for credentials").await.unwrap();
    let url = format!("http://{}/lms/pens", lms.local_addr());
    let setup = Setup::start(Bytes::from_static(b"PK"), |options| options.target_url = url).await;
    let answer = setup.publish(&setup.collect_body()).await;
    assert_eq!(answer.status(), 401);
    let headers = answer.headers().clone();
    assert_eq!(headers["www-authenticate"], "Basic realm=\"lms\"");
    assert_eq!(headers["x-lms-trace"], "trace-17");
    let cookies: Vec<_> = headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    for (name, _) in HOP_HEADERS {
        assert!(!headers.contains_key(name), "{name} passed on: {headers:?}");
    }
    assert_eq!(headers[axum::http::header::CONTENT_LENGTH], "12", "the body framed as it goes on");
    assert_eq!(answer.text().await.unwrap(), "who are you?");
}

async fn tool_answering_with_headers() -> Response {
    let mut response =
        ([(CONTENT_TYPE, CLIENT_CONTENT_TYPE), ("x-tool-trace".parse().unwrap(), "tool-9")], CLIENT_ANSWER)
            .into_response();
    for (name, value) in HOP_HEADERS {
        response.headers_mut().insert(name, axum::http::HeaderValue::from_static(value));
    }
    response
}

#[tokio::test]
async fn a_tool_answering_a_receipt_with_headers_reaches_the_lms_with_them_but_the_hops() {
    let client =
        Arc::new(ClientSide { package: Bytes::from_static(b"PK"), fetches: Log::new(), notifications: Log::new() });
    let router = Router::new()
        .route("/staging/{file}", axum::routing::get(client_package))
        .route("/receipt", axum::routing::any(tool_answering_with_headers))
        .with_state(Arc::clone(&client));
    let tool = HttpListener::serve(LOOPBACK, router, "a tool with headers").await.unwrap();
    let setup = Setup::start(Bytes::from_static(b"PK"), |_| ()).await;
    let tool_base = format!("http://{}", tool.local_addr());
    let body = setup.collect_body().replace(&encoded(&setup.client_base()), &encoded(&tool_base));
    setup.publish(&body).await;
    let answers = setup.target.receipt_answers.wait_for(1).await;
    assert_eq!(answers[0], (200, Some(CLIENT_CONTENT_TYPE.to_owned()), Bytes::from_static(CLIENT_ANSWER.as_bytes())));
    let headers = setup.target.receipt_answer_headers.wait_for(1).await.remove(0);
    assert_eq!(headers["x-tool-trace"], "tool-9");
    assert_eq!(headers.get_all(CONTENT_TYPE).iter().count(), 1, "one media type: {headers:?}");
    for (name, _) in HOP_HEADERS {
        assert!(!headers.contains_key(name), "{name} passed on: {headers:?}");
    }
}

/// Beyond `[limits] notifications` the collector keeps no more, but each receipt still
/// reaches the tool and the LMS gets the tool's answer: never a made-up `error=0`.
#[tokio::test]
async fn receipts_beyond_the_cap_still_reach_the_tool() {
    let setup = Setup::start(Bytes::from_static(b"PK"), |options| options.limits.notifications = 1).await;
    setup.publish(&setup.collect_body()).await;
    let key = setup.key().await;
    setup.target.receipt_answers.wait_for(1).await;
    let receipt = setup.relay.collector().urls(&key).receipt;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for n in 2..=3 {
        let answer = http
            .post(&receipt)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("command=receipt&package-id=again-{n}&error=0"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.headers()[CONTENT_TYPE], CLIENT_CONTENT_TYPE);
        assert_eq!(answer.text().await.unwrap(), CLIENT_ANSWER, "the tool's answer, not the collector's");
    }
    let at_tool = setup.client.notifications.wait_for(3).await;
    assert_eq!(at_tool[2].body, "command=receipt&package-id=again-3&error=0");
    assert_eq!(setup.relay.collector().events(&key).len(), 1, "the collector kept its cap");
}

/// A path under a publish's collector key that the relay never handed out has no tool
/// URL to go to: the relay's 503, recorded, never a PENS answer.
#[tokio::test]
async fn a_path_the_relay_never_handed_out_gets_a_503_recorded_as_not_relayed() {
    let setup = Setup::start(Bytes::from_static(b"PK"), |_| ()).await;
    setup.publish(&setup.collect_body()).await;
    let key = setup.key().await;
    let other = setup.relay.collector().urls(&key).receipt.replace("/receipt", "/elsewhere");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let answer = http.post(&other).body("command=receipt&error=0").send().await.unwrap();
    assert_eq!(answer.status(), 503);
    let text = answer.text().await.unwrap();
    assert!(text.starts_with("pens-conform relay: not relayed: "), "{text}");
    let record = setup.record_when(&key, |r| r.not_relayed.iter().any(|n| n.leg == Leg::OtherPath)).await;
    let refused = record.not_relayed.iter().find(|n| n.leg == Leg::OtherPath).unwrap();
    assert_eq!(refused.status, Some(503));
    assert!(setup.client.notifications.all().iter().all(|seen| seen.path != "/elsewhere"));
}

#[tokio::test]
async fn credentials_in_the_package_url_reach_the_tool_and_show_nowhere() {
    let setup = Setup::start(Bytes::from_static(b"PK userinfo"), |_| ()).await;
    let with_userinfo = setup.client_base().replace("http://", &format!("http://{USER}:{PASSWORD}@"));
    let body = setup
        .collect_body()
        .replace(&format!("&package-url-user-id={USER}&package-url-password={PASSWORD}"), "")
        .replacen(&encoded(&setup.client_base()), &encoded(&with_userinfo), 1);
    assert!(body.contains("%40") && !body.contains("package-url-password"), "{body}");
    setup.publish(&body).await;
    let key = setup.key().await;
    let fetched = setup.target.fetched.wait_for(1).await;
    assert_eq!(fetched[0].0, 200, "the LMS presented the userinfo, the relay passed it on");
    assert_eq!(setup.client.fetches.all()[0].authorization.as_deref(), Some(basic(USER, PASSWORD).as_str()));
    let record = setup.record_when(&key, |r| !r.staging.is_empty() && !r.fetches.is_empty()).await;
    assert_eq!(record.staging[0].credentials, CredentialsPresented::Valid);
    let shown = format!("{record:?}");
    assert!(!shown.contains(PASSWORD), "{shown}");
}

#[tokio::test]
async fn a_collect_head_too_large_to_read_is_recorded_as_refused() {
    let setup = Setup::start(Bytes::from_static(b"PK"), |_| ()).await;
    // By hand: no HTTP client sends a request line this long.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(setup.relay.addr()).await.unwrap();
    let head = format!("GET /pens?command=collect&vendor-data={} HTTP/1.1\r\nHost: relay\r\n\r\n", "x".repeat(500_000));
    // The relay may stop reading and answer before every byte is written.
    let _ = stream.write_all(head.as_bytes()).await;
    let mut answer = vec![0u8; 12];
    stream.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 431");
    let key = setup.key().await;
    let record = setup.relay.record(&key).unwrap();
    let refused = record.client_side.iter().find_map(|e| match &e.kind {
        TargetEventKind::CollectRefused { refusal } => Some(refusal.clone()),
        _ => None,
    });
    let refused = refused.expect("a refused collect");
    assert_eq!((refused.method.as_str(), refused.path.as_str(), refused.status), ("GET", "/pens", 431));
    assert_eq!(record.not_relayed[0].leg, Leg::Collect);
    assert!(setup.target.collects.all().is_empty());
}

#[tokio::test]
async fn an_lms_that_does_not_trust_the_relay_ca_shows_as_a_failed_handshake() {
    let setup = Setup::start(Bytes::from_static(b"PK"), |_| ()).await;
    let since = Instant::now();
    let untrusting = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("{}/s/p1/course.zip", setup.relay.staging_https_base());
    assert!(untrusting.get(url).send().await.is_err());
    let failures = setup.relay.wait_for_tls_failure(since, deadline()).await;
    assert_eq!(failures.len(), 1, "{failures:?}");
}

#[tokio::test]
async fn publishes_beyond_the_cap_are_answered_503_and_counted() {
    let setup = Setup::start(Bytes::from_static(b"PK"), |options| options.max_publishes = 1).await;
    assert_eq!(setup.publish(&setup.collect_body()).await.status(), 200);
    let refused = setup.publish(&setup.collect_body()).await;
    assert_eq!(refused.status(), 503);
    assert!(refused.text().await.unwrap().contains("not passed on"));
    assert_eq!(setup.relay.overflow(), 1);
    assert_eq!(setup.relay.publishes(), ["p1"]);
    assert_eq!(setup.target.collects.all().len(), 1);
}

/// The fixture packages of the repository.
fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/packages")
}

#[tokio::test]
async fn the_reference_client_publishes_to_the_reference_target_through_the_relay() {
    use pens_reference::{
        PublishRequest, ReferenceClient, ReferenceClientOptions, ReferenceTarget, ReferenceTargetOptions,
    };

    // Each side trusts only the CA of the one it talks to: the client's staging server
    // is HTTPS with the client's CA, the relay serves the package with its own.
    let loopback = std::net::IpAddr::from([127, 0, 0, 1]);
    let client_options = ReferenceClientOptions::builder().https(true).credentials("pens-author", PASSWORD).build();
    let client = ReferenceClient::start(loopback, client_options).await.unwrap();
    let relay_ca = Arc::new(RunCa::generate(&[]).unwrap());
    let target_options = ReferenceTargetOptions::builder().extra_root_pem(relay_ca.ca_pem()).build();
    let target = ReferenceTarget::start(LOOPBACK, target_options).unwrap();
    let mut options = RelayOptions::new(LOOPBACK, target.url());
    options.ca = Some(relay_ca);
    options.trust_pem = vec![client.ca_pem().to_owned()];
    let relay = Relay::start(options).await.unwrap();

    let request = PublishRequest::from_fixture(&fixtures(), "scorm12-minimal.zip", "course-1").unwrap();
    let published = request.package.to_bytes(u64::MAX).unwrap();
    let publication = client.publish(&relay.collect_url(), request).await;
    assert_eq!(publication.answer_code(), Some(ErrorCode::SUCCESS), "{:?}", publication.exchange());
    let receipt = publication.wait_for_receipt(deadline()).await.expect("the receipt reached the client");
    assert_eq!(receipt.notification.error_code(), Some(ErrorCode::SUCCESS));
    assert!(publication.wait_for_alerts(1, deadline()).await.is_some(), "the alert reached the client");

    // The target fetched the package whole, over HTTPS from the relay.
    let key = tokio::time::timeout(Duration::from_secs(10), relay.next_publish()).await.unwrap().unwrap();
    let record = relay
        .wait_for(&key, deadline(), |r| {
            r.client_side.iter().filter(|e| matches!(e.kind, TargetEventKind::NotificationSent { .. })).count() == 2
                && r.package.is_some()
                && !r.staging.is_empty()
        })
        .await
        .unwrap();
    let kept = record.package.clone().expect("a copy");
    assert_eq!(kept.to_bytes().unwrap(), published);
    assert!(record.staging.iter().any(|e| e.is_whole_download() && e.protocol == "https"), "{:#?}", record.staging);
    assert_eq!(record.staging[0].credentials, CredentialsPresented::Valid);
    assert_eq!(record.notifications.len(), 2, "a receipt and an alert");
    assert!(record.not_relayed.is_empty(), "{:?}", record.not_relayed);
    for event in &record.client_side {
        if let TargetEventKind::NotificationSent { delivery, .. } = &event.kind {
            assert_eq!(delivery.pens_error, Some(ErrorCode::SUCCESS), "{delivery:?}");
        }
    }
    let exchange = record.collect.as_ref().unwrap();
    assert_eq!(exchange.outcome.as_ref().unwrap().body, publication.exchange().outcome.as_ref().unwrap().body);
    assert!(!format!("{record:?}").contains(PASSWORD));
}

#[tokio::test]
async fn the_reference_pair_mailing_its_receipts_is_relayed_too() {
    use pens_reference::{
        PublishRequest, ReferenceClient, ReferenceClientOptions, ReferenceTarget, ReferenceTargetOptions,
    };

    let loopback = std::net::IpAddr::from([127, 0, 0, 1]);
    let client =
        ReferenceClient::start(loopback, ReferenceClientOptions::builder().mailto(true).build()).await.unwrap();
    let target_options = ReferenceTargetOptions::builder().capabilities(pens_parties::full_capabilities()).build();
    let target = ReferenceTarget::start(LOOPBACK, target_options).unwrap();
    let mut options = RelayOptions::new(LOOPBACK, target.url());
    options.smtp_listen = Some(LOOPBACK);
    options.smtp_relay = client.smtp_addr();
    let relay = Relay::start(options).await.unwrap();
    // The LMS's outgoing mail goes to the relay's sink.
    target.set_smtp_relay(relay.collector().smtp_addr());

    let request = PublishRequest::from_fixture(&fixtures(), "scorm12-minimal.zip", "course-2").unwrap();
    let publication = client.publish(&relay.collect_url(), request).await;
    assert_eq!(publication.answer_code(), Some(ErrorCode::SUCCESS), "{:?}", publication.exchange());
    let receipt = publication.wait_for_receipt(deadline()).await.expect("the mailed receipt reached the client");
    assert_eq!(receipt.notification.error_code(), Some(ErrorCode::SUCCESS));
    let key = tokio::time::timeout(Duration::from_secs(10), relay.next_publish()).await.unwrap().unwrap();
    let record = relay
        .wait_for(&key, deadline(), |r| {
            r.client_side.iter().any(|e| matches!(e.kind, TargetEventKind::NotificationMailed { .. }))
        })
        .await
        .unwrap();
    let rewritten: Vec<_> =
        record.rewrites.iter().map(|r| (r.element, r.rewritten.clone().unwrap_or_default())).collect();
    assert!(rewritten.iter().any(|(e, to)| *e == "receipt" && to.starts_with("mailto:receipt.")), "{rewritten:?}");
    assert_eq!(record.notifications[0].method, "SMTP");
}

#[tokio::test]
async fn a_forgotten_publish_makes_room_and_its_urls_keep_relaying() {
    let setup = Setup::start(Bytes::from_static(b"PK"), |options| options.max_publishes = 1).await;
    let key = setup.publish_as_the_lms(&setup.collect_body()).await;
    assert!(setup.relay.forget(&key));
    assert!(setup.relay.record(&key).is_none());
    // A late fetch of the forgotten publish still reaches the tool.
    let late = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(setup.package_url(&key))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(late.bytes().await.unwrap(), Bytes::from_static(b"PK"));
    // So does a late receipt, and the collector keeps nothing of it.
    let receipt = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(setup.relay.collector().urls(&key).receipt)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("command=receipt&package-id=late&error=0")
        .send()
        .await
        .unwrap();
    assert_eq!(receipt.status(), 200);
    assert_eq!(receipt.text().await.unwrap(), CLIENT_ANSWER, "the tool's answer");
    assert_eq!(setup.client.notifications.wait_for(1).await[0].body, "command=receipt&package-id=late&error=0");
    assert!(setup.relay.collector().events(&key).is_empty(), "a forgotten publish's receipts are not kept");
    assert_eq!(setup.publish(&setup.collect_body()).await.status(), 200, "room for the next publish");
    assert_eq!(setup.relay.overflow(), 0);
}

#[tokio::test]
async fn the_tools_own_credentials_for_the_lms_go_on_with_its_collect() {
    let setup = Setup::start(Bytes::from_static(b"PK"), |_| ()).await;
    setup.target.works.store(false, std::sync::atomic::Ordering::SeqCst);
    let credentials = basic("tool", "lms-s3cret");
    let answer = setup
        .collect_request(&setup.relay.collect_url())
        .header(AUTHORIZATION, credentials.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let collects = setup.target.collects.wait_for(1).await;
    assert_eq!(collects[0].authorization.as_deref(), Some(credentials.as_str()));
}

#[tokio::test]
async fn a_post_collects_query_goes_on_with_it_and_is_recorded_without_its_secrets() {
    let setup = Setup::start(Bytes::from_static(b"PK"), |_| ()).await;
    setup.target.works.store(false, std::sync::atomic::Ordering::SeqCst);
    let url = format!("{}?tenant=t1&system-password=q-s3cret", setup.relay.collect_url());
    let answer = setup.collect_request(&url).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let collects = setup.target.collects.wait_for(1).await;
    assert_eq!(collects[0].query.as_deref(), Some("tenant=t1&system-password=q-s3cret"), "passed on as it came");
    let key = setup.key().await;
    let record = setup.record_when(&key, |r| r.forwarded.is_some()).await;
    let forwarded = record.forwarded.as_ref().unwrap();
    assert!(forwarded.url.contains("tenant=t1"), "{}", forwarded.url);
    assert!(!forwarded.url.contains("q-s3cret"), "{}", forwarded.url);
    assert!(!record.received.url.contains("q-s3cret"), "{}", record.received.url);
    assert!(!format!("{record:?}").contains("q-s3cret"));
}

/// A staging server that announces `chunks + stalled` kilobytes and sends `chunks` of
/// them, one every `gap`, then holds the connection open without sending more.
async fn pacing_staging_server(
    chunks: usize,
    stalled: usize,
    gap: Duration,
) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    raw_staging_server(move |mut stream| async move {
        let announced = (chunks + stalled) * 1000;
        let answer = format!("HTTP/1.1 200 OK\r\ncontent-type: application/zip\r\ncontent-length: {announced}\r\n\r\n");
        let _ = stream.write_all(answer.as_bytes()).await;
        for _ in 0..chunks {
            // The pace of a slow link, not a wait for an event.
            tokio::time::sleep(gap).await;
            let _ = stream.write_all(&[b'P'; 1000]).await;
        }
        // Held open, silent, until the relay gives up.
        let _ = stream.read(&mut [0u8; 1]).await;
    })
    .await
}

/// The collect body of `setup`, with the package URL pointing at `addr`.
fn collect_body_staged_at(setup: &Setup, addr: SocketAddr) -> String {
    let original = format!("package-url={}", encoded(&format!("{}/staging/course.zip", setup.client_base())));
    setup.collect_body().replace(&original, &format!("package-url={}", encoded(&format!("http://{addr}/course.zip"))))
}

/// The relay's fetch limit is on a stall, not on the whole download: a large course over
/// a slow but steady link goes through, however long it takes in all.
#[tokio::test]
async fn a_slow_but_steady_package_is_relayed_whole_past_the_idle_timeout() {
    let (addr, server) = pacing_staging_server(8, 0, Duration::from_millis(250)).await;
    let setup = Setup::start(Bytes::new(), |options| options.fetch_idle_timeout = Duration::from_secs(1)).await;
    setup.publish(&collect_body_staged_at(&setup, addr)).await;
    let key = setup.key().await;
    let record = setup.record_when(&key, |r| !r.fetches.is_empty() && !r.staging.is_empty()).await;
    assert_eq!(record.fetches[0].end, FetchEnd::Complete, "{record:#?}");
    assert_eq!(record.fetches[0].bytes_to_target, 8000);
    assert_eq!(record.package.as_ref().map(|p| p.len()), Some(8000));
    server.abort();
}

#[tokio::test]
async fn a_staging_server_that_stalls_is_cut_off_after_the_idle_timeout_on_the_tools_side() {
    let (addr, server) = pacing_staging_server(1, 5, Duration::ZERO).await;
    let setup = Setup::start(Bytes::new(), |options| options.fetch_idle_timeout = Duration::from_millis(300)).await;
    setup.publish(&collect_body_staged_at(&setup, addr)).await;
    let key = setup.key().await;
    let record = setup.record_when(&key, |r| !r.fetches.is_empty() && !r.staging.is_empty()).await;
    assert!(
        matches!(&record.fetches[0].end, FetchEnd::ClientSide(why)
            if why.contains("sent no byte of the package for 300 ms") && why.contains("1000 bytes had arrived")),
        "{record:#?}"
    );
    assert!(record.package.is_none());
    server.abort();
}

/// A staging server that refuses every request with a 401 whose body follows its head
/// after `pause`, as a slow application behind a web server may send it.
async fn refusing_staging_server(body: &'static str, pause: Duration) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    raw_staging_server(move |mut stream| async move {
        let answer = format!(
            "HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Basic realm=\"staging\"\r\ncontent-type: \
             text/plain\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.flush().await;
        tokio::time::sleep(pause).await;
        let _ = stream.write_all(body.as_bytes()).await;
        let _ = stream.read(&mut [0u8; 1]).await;
    })
    .await
}

/// A refusal goes to the target in one piece, as the staging server's own would, so a
/// target that closes on the status line alone (as many do after a 401) has read the
/// whole answer: it did not break the download off.
#[tokio::test]
async fn a_small_refusal_reaches_the_target_in_one_piece_even_when_its_body_came_late() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    const REFUSAL: &str = "credentials required\r\n";
    let (addr, server) = refusing_staging_server(REFUSAL, Duration::from_millis(200)).await;
    let setup = Setup::start(Bytes::new(), |_| ()).await;
    // The test itself is the LMS.
    let key = setup.publish_as_the_lms(&collect_body_staged_at(&setup, addr)).await;
    let staging = setup.relay.staging_http_base();
    let mut lms = tokio::net::TcpStream::connect(staging.trim_start_matches("http://")).await.unwrap();
    let request =
        format!("GET /s/{key}/course.zip HTTP/1.1\r\nhost: {}\r\n\r\n", staging.trim_start_matches("http://"));
    lms.write_all(request.as_bytes()).await.unwrap();
    let mut status_line = String::new();
    tokio::io::BufReader::new(&mut lms).read_line(&mut status_line).await.unwrap();
    assert!(status_line.starts_with("HTTP/1.1 401"), "{status_line}");
    drop(lms);
    let record = setup.record_when(&key, |r| !r.staging.is_empty() && !r.fetches.is_empty()).await;
    let event = &record.staging[0];
    assert_eq!(event.status, 401);
    assert!(event.completed && event.bytes_sent == REFUSAL.len() as u64, "{event:?}");
    assert_eq!((record.fetches[0].upstream_status, &record.fetches[0].end), (Some(401), &FetchEnd::Complete));
    server.abort();
}
