//! Target mode: the hostile peer is the LMS under test. It behaves as a correct PENS
//! target for the preflight and for any normal scenario of the run (answers 0, fetches
//! the package, posts a receipt and an alert), and misbehaves for one scenario: in its
//! answer to the collect, or in what it sends the harness's collector and mail sink
//! afterwards.

use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pens_proto::{CollectCommand, Notification};
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::peers::{
    Answer, HUGE_BODY_BYTES, HttpPeer, IdleFlood, MailFlood, SlowReceiptFlood, SlowlorisFlood, Tls,
    mail_and_drop_mid_data, mail_flood,
};
use super::{MARGIN, Run, args, copy_shipped, run_harness, run_harness_wrapped};
use crate::cli::TempDir;

/// The deadlines every target case runs with: short, so a case ends in a few seconds.
const DEADLINES: Deadlines = Deadlines { ack: 1500, fetch: 1000, receipt: 2000, quiet: 300 };

/// The scenario the LMS misbehaves for, and the normal one that shows the run goes on.
const HOSTILE: &str = "collect-post-valid";
const NORMAL: &str = "elements-reordered";

/// A case's deadlines (ms), written into its profile.
#[derive(Clone, Copy)]
pub(super) struct Deadlines {
    pub(super) ack: u64,
    pub(super) fetch: u64,
    pub(super) receipt: u64,
    pub(super) quiet: u64,
}

impl Deadlines {
    /// The profile, claiming mailed receipts for the mail sink case.
    fn profile(self) -> String {
        self.profile_with("mailto-receipt = \"yes\"", "")
    }

    /// The profile with these `[claims]` lines and `[limits]` lines.
    pub(super) fn profile_with(self, claims: &str, limits: &str) -> String {
        format!(
            "[claims]\n{claims}\n\n[deadlines]\nack = {}\nfetch = {}\nreceipt = {}\nquiet = {}\n\n[limits]\n{limits}",
            self.ack, self.fetch, self.receipt, self.quiet
        )
    }

    /// How long a run may take: the preflight's and a scenario's waits, plus the margin.
    pub(super) fn budget(self) -> Duration {
        Duration::from_millis(2 * (self.ack + self.fetch + self.receipt + self.quiet)) + MARGIN
    }
}

/// What the LMS does wrong for [`HOSTILE`].
#[derive(Clone)]
enum Misbehaviour {
    /// Answers the collect so.
    Answer(Answer),
    /// Answers the collect so, and fetches the package all the same (then sends
    /// nothing more).
    AnswerThenFetch(Answer),
    /// Answers 0, never fetches nor receipts, and posts this many alerts.
    Alerts(usize),
    /// Answers 0, fetches, and sends its receipt with a package-id nobody used, plus
    /// one to a collector URL that belongs to no scenario.
    UnknownReceipts,
    /// Answers 0, fetches, and posts a receipt of 100 MB.
    HugeReceipt,
    /// Answers 0, fetches, and mails its receipt to the harness's sink at this address,
    /// dropping the connection mid-DATA.
    MailDropsMidData(SocketAddr),
    /// Answers 0 and opens this many slowloris connections on the collector instead of
    /// a receipt; the normal scenario's receipt goes out once they are open.
    CollectorFlood(usize),
    /// Answers 0 and fetches; then, before its own receipt and alert (sent correctly),
    /// posts this many receipts and alerts of [`FLOOD_BODY_BYTES`] each to collector
    /// paths of no scenario (`/r/flood-N/receipt`, `/r/flood-N/alerts`).
    CollectorPathFlood(usize),
    /// The same by mail: this many messages of [`FLOOD_BODY_BYTES`] each, to mailboxes
    /// of no scenario (`receipt.flood-N@pens-conform.test`) at the harness's sink here.
    MailboxFlood(SocketAddr, usize),
    /// Answers 0 and opens this many idle connections (connect, never a byte) to the
    /// staging server and as many to the collector, instead of a fetch and a receipt;
    /// the normal scenario's work starts once they are open.
    IdleFlood(usize),
    /// Answers 0, opens this many receipts whose bodies never end on the collector (at
    /// a URL of no scenario), then fetches and receipts as a correct target does; the
    /// normal scenario's work starts once they are open: every collect meets the flood.
    SlowReceiptFlood(usize),
}

/// The size of each message of a flood to keys of no scenario: a receipt with 1 MB of
/// vendor-data, under the collector's 1 MiB cap per notification, so that a harness
/// that kept what came for any key would keep every byte.
const FLOOD_BODY_BYTES: usize = 1_000_000;

/// How many such messages: 200 MB in all, twice the memory bound, in a few seconds on
/// loopback.
const FLOOD_COUNT: usize = 200;

/// The deadlines of the floods to keys of no scenario: the hostile scenario's receipt
/// comes after its flood, so its deadline leaves room for 200 MB on two busy cores.
const FLOOD_DEADLINES: Deadlines = Deadlines { receipt: 30_000, ..DEADLINES };

/// What the LMS's route and the work it starts share.
struct Shared {
    http: reqwest::Client,
    /// Alerts the collector took (HTTP 200), for the 10 000 alerts case.
    alerts_taken: AtomicUsize,
    /// The slowloris flood, kept open while the LMS lives.
    flood: Mutex<Option<SlowlorisFlood>>,
    /// The idle flood, likewise.
    idle: Mutex<Option<IdleFlood>>,
    /// The flood of endless receipts, likewise.
    slow_receipts: Mutex<Option<SlowReceiptFlood>>,
    /// Whether the flood is open (always, without one): the normal scenario's work waits
    /// for it.
    flood_open: watch::Sender<bool>,
    /// How the collector answered a flood to paths of no scenario: by HTTP status.
    flood_statuses: Mutex<Vec<u16>>,
    /// How the mail sink answered a flood to mailboxes of no scenario.
    mail_flood: Mutex<Option<Result<MailFlood, String>>>,
}

/// The hostile LMS: an [`HttpPeer`] whose route answers collects and starts the work
/// that follows (aborted when the LMS is dropped).
struct Lms {
    peer: HttpPeer,
    shared: Arc<Shared>,
    _work: Arc<Mutex<JoinSet<()>>>,
}

impl Lms {
    async fn start(misbehaviour: Misbehaviour) -> Lms {
        Lms::start_with(misbehaviour, |_| Tls::Plain).await
    }

    async fn start_with(misbehaviour: Misbehaviour, tls: impl Fn(usize) -> Tls + Send + Sync + 'static) -> Lms {
        let shared = Arc::new(Shared {
            http: reqwest::Client::builder().no_proxy().build().expect("an HTTP client"),
            alerts_taken: AtomicUsize::new(0),
            flood: Mutex::new(None),
            flood_statuses: Mutex::new(Vec::new()),
            mail_flood: Mutex::new(None),
            idle: Mutex::new(None),
            slow_receipts: Mutex::new(None),
            flood_open: watch::Sender::new(!matches!(
                misbehaviour,
                Misbehaviour::CollectorFlood(_) | Misbehaviour::IdleFlood(_) | Misbehaviour::SlowReceiptFlood(_)
            )),
        });
        let work = Arc::new(Mutex::new(JoinSet::new()));
        let route = {
            let (shared, work) = (Arc::clone(&shared), Arc::clone(&work));
            move |request: &super::peers::Request| {
                let collect = request.elements();
                let key = key_of(&collect);
                let mut work = work.lock().expect("work");
                match (&misbehaviour, key == HOSTILE) {
                    (Misbehaviour::Answer(answer), true) => return answer.clone(),
                    (Misbehaviour::AnswerThenFetch(answer), true) => {
                        let shared = Arc::clone(&shared);
                        work.spawn(async move { fetch(&shared.http, &collect).await });
                        return answer.clone();
                    }
                    (_, true) => work.spawn(misbehave(Arc::clone(&shared), misbehaviour.clone(), collect)),
                    // The preflight never waits: the flood starts after it.
                    (_, false) => work.spawn(behave_well(Arc::clone(&shared), collect, key != "preflight")),
                };
                accepted()
            }
        };
        let peer = HttpPeer::start_with(IpAddr::V4(Ipv4Addr::LOCALHOST), tls, route).await;
        Lms { peer, shared, _work: work }
    }

    fn url(&self) -> String {
        self.peer.url("/pens")
    }
}

/// What the LMS does for [`HOSTILE`] after answering 0.
async fn misbehave(shared: Arc<Shared>, misbehaviour: Misbehaviour, collect: CollectCommand) {
    let http = &shared.http;
    match misbehaviour {
        Misbehaviour::Answer(_) | Misbehaviour::AnswerThenFetch(_) => {}
        Misbehaviour::Alerts(count) => post_alerts(http, &collect, count, &shared).await,
        Misbehaviour::UnknownReceipts => unknown_receipts(http, &collect).await,
        Misbehaviour::HugeReceipt => {
            fetch(http, &collect).await;
            huge_receipt(&collect).await;
        }
        Misbehaviour::MailDropsMidData(smtp) => {
            fetch(http, &collect).await;
            let mailbox = collect.receipt.as_deref().unwrap_or_default().trim_start_matches("mailto:");
            let _ = mail_and_drop_mid_data(smtp, mailbox).await;
        }
        Misbehaviour::CollectorFlood(connections) => {
            let receipt = collect.receipt.as_deref().unwrap_or_default();
            let url = reqwest::Url::parse(receipt).expect("an http receipt url");
            let addr = url.socket_addrs(|| None).expect("its address")[0];
            let opened = SlowlorisFlood::open(addr, url.path(), connections).await;
            *shared.flood.lock().expect("flood") = Some(opened);
            shared.flood_open.send_replace(true);
        }
        Misbehaviour::CollectorPathFlood(count) => {
            fetch(http, &collect).await;
            let statuses = flood_collector_paths(http, &collect, count).await;
            *shared.flood_statuses.lock().expect("statuses") = statuses;
            receipt_and_alert(http, &collect).await;
        }
        Misbehaviour::MailboxFlood(smtp, count) => {
            fetch(http, &collect).await;
            let mailbox = |n: usize| format!("receipt.flood-{n}@pens-conform.test");
            let answered = mail_flood(smtp, count, FLOOD_BODY_BYTES, 4, mailbox).await;
            *shared.mail_flood.lock().expect("mail flood") = Some(answered);
            receipt_and_alert(http, &collect).await;
        }
        Misbehaviour::IdleFlood(connections) => {
            let addr_of = |url: Option<&str>| {
                let url = reqwest::Url::parse(url.unwrap_or_default()).expect("an http url");
                url.socket_addrs(|| None).expect("its address")[0]
            };
            let addrs = [addr_of(collect.package_url.as_deref()), addr_of(collect.receipt.as_deref())];
            let opened = IdleFlood::open(&addrs, connections, Duration::from_secs(5)).await;
            *shared.idle.lock().expect("flood") = Some(opened);
            shared.flood_open.send_replace(true);
        }
        Misbehaviour::SlowReceiptFlood(connections) => {
            let receipt = collect.receipt.as_deref().unwrap_or_default();
            let url = reqwest::Url::parse(receipt).expect("an http receipt url");
            let addr = url.socket_addrs(|| None).expect("its address")[0];
            let opened = SlowReceiptFlood::open(addr, "/r/no-such-scenario/receipt", connections).await;
            *shared.slow_receipts.lock().expect("flood") = Some(opened);
            shared.flood_open.send_replace(true);
            behave_well(Arc::clone(&shared), collect, false).await;
        }
    }
}

/// `count` receipts and alerts of [`FLOOD_BODY_BYTES`] to collector paths of no
/// scenario, eight at a time; returns the status of each answer (0: none).
async fn flood_collector_paths(http: &reqwest::Client, collect: &CollectCommand, count: usize) -> Vec<u16> {
    let Some((base, _)) = collect.receipt.as_deref().and_then(|receipt| receipt.split_once("/r/")) else {
        return Vec::new();
    };
    let mut form = notification("receipt", collect, collect.package_id.clone(), "package retrieved").to_form();
    form.push_str("&vendor-data=");
    let body = Arc::new(format!("{form}{}", "x".repeat(FLOOD_BODY_BYTES.saturating_sub(form.len()))));
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for _ in 0..8 {
        let (http, next, body, base) = (http.clone(), Arc::clone(&next), Arc::clone(&body), base.to_owned());
        workers.spawn(async move {
            let mut statuses = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= count {
                    return statuses;
                }
                let endpoint = if n % 2 == 0 { "receipt" } else { "alerts" };
                let url = format!("{base}/r/flood-{n}/{endpoint}");
                let sent = http
                    .post(url)
                    .header("content-type", pens_proto::FORM_CONTENT_TYPE)
                    .body(body.as_bytes().to_vec())
                    .send()
                    .await;
                statuses.push(match sent {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let _ = response.bytes().await;
                        status
                    }
                    Err(_) => 0,
                });
            }
        });
    }
    let mut statuses = Vec::new();
    while let Some(joined) = workers.join_next().await {
        statuses.extend(joined.unwrap_or_default());
    }
    statuses
}

/// The scenario key of a collect: its package-id is `urn:pens-conform:<run>:<key>`.
fn key_of(collect: &CollectCommand) -> String {
    collect.package_id.as_deref().and_then(|id| id.rsplit(':').next()).unwrap_or_default().to_owned()
}

fn accepted() -> Answer {
    Answer::pens_success("collect command received and understood")
}

/// A receipt or alert about `collect`, as a correct target sends it.
fn notification(kind: &str, collect: &CollectCommand, package_id: Option<String>, text: &str) -> Notification {
    Notification {
        command: Some(kind.to_owned()),
        pens_version: Some("1.0.0".to_owned()),
        package_type: collect.package_type.clone(),
        package_type_version: collect.package_type_version.clone(),
        package_format: collect.package_format.clone(),
        package_id,
        package_url: collect.package_url.clone(),
        package_url_expiry: collect.package_url_expiry.clone(),
        client: Some("hostile-lms".to_owned()),
        error: Some("0".to_owned()),
        error_text: Some(text.to_owned()),
        extra: Vec::new(),
    }
}

async fn fetch(http: &reqwest::Client, collect: &CollectCommand) {
    if let Some(url) = &collect.package_url
        && let Ok(response) = http.get(url).send().await
    {
        let _ = response.bytes().await;
    }
}

async fn post(http: &reqwest::Client, url: Option<&str>, notification: &Notification) -> Option<u16> {
    let response = http
        .post(url?)
        .header("content-type", pens_proto::FORM_CONTENT_TYPE)
        .body(notification.to_form())
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    let _ = response.bytes().await;
    Some(status)
}

/// What a correct target does after answering 0 (once the flood is open, if `wait`).
async fn behave_well(shared: Arc<Shared>, collect: CollectCommand, wait: bool) {
    if wait {
        let _ = shared.flood_open.subscribe().wait_for(|open| *open).await;
    }
    let http = &shared.http;
    fetch(http, &collect).await;
    receipt_and_alert(http, &collect).await;
}

/// A correct receipt, then a correct alert, to the collect's own URLs.
async fn receipt_and_alert(http: &reqwest::Client, collect: &CollectCommand) {
    let id = collect.package_id.clone();
    post(http, collect.receipt.as_deref(), &notification("receipt", collect, id.clone(), "package retrieved")).await;
    post(http, collect.alerts.as_deref(), &notification("alert", collect, id, "package imported")).await;
}

/// `count` alerts for one package, eight at a time, no receipt.
async fn post_alerts(http: &reqwest::Client, collect: &CollectCommand, count: usize, shared: &Arc<Shared>) {
    let next = Arc::new(AtomicUsize::new(0));
    let alert = Arc::new(notification("alert", collect, collect.package_id.clone(), "still importing"));
    let url = collect.alerts.clone();
    let mut workers = JoinSet::new();
    for _ in 0..8 {
        let (http, next, alert, url, shared) =
            (http.clone(), Arc::clone(&next), Arc::clone(&alert), url.clone(), Arc::clone(shared));
        workers.spawn(async move {
            while next.fetch_add(1, Ordering::SeqCst) < count {
                match post(&http, url.as_deref(), &alert).await {
                    Some(200) => {
                        shared.alerts_taken.fetch_add(1, Ordering::SeqCst);
                    }
                    Some(_) => {}
                    // Refused or cut off: the harness stopped listening to us.
                    None => break,
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
}

async fn unknown_receipts(http: &reqwest::Client, collect: &CollectCommand) {
    fetch(http, collect).await;
    let unknown = Some("urn:hostile-lms:no-such-package".to_owned());
    post(http, collect.receipt.as_deref(), &notification("receipt", collect, unknown, "package retrieved")).await;
    // The same receipt at a collector URL the harness never handed out.
    if let Some(receipt) = collect.receipt.as_deref()
        && let Some((base, _)) = receipt.split_once("/r/")
    {
        let stray = format!("{base}/r/no-such-scenario/receipt");
        let receipt = notification("receipt", collect, collect.package_id.clone(), "package retrieved");
        post(http, Some(&stray), &receipt).await;
    }
}

/// A receipt whose body is 100 MB, written raw until the collector stops reading.
async fn huge_receipt(collect: &CollectCommand) {
    let Some(url) = collect.receipt.as_deref().and_then(|r| reqwest::Url::parse(r).ok()) else { return };
    let Some(addr) = url.socket_addrs(|| None).ok().and_then(|a| a.first().copied()) else { return };
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else { return };
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {}\r\nContent-Length: {HUGE_BODY_BYTES}\r\n\r\n",
        url.path(),
        pens_proto::FORM_CONTENT_TYPE
    );
    let start = format!(
        "command=receipt&pens-version=1.0.0&package-id={}&error=0&vendor-data=",
        collect.package_id.as_deref().unwrap_or_default()
    );
    if stream.write_all(head.as_bytes()).await.is_err() || stream.write_all(start.as_bytes()).await.is_err() {
        return;
    }
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = start.len();
    while sent < HUGE_BODY_BYTES {
        let part = chunk.len().min(HUGE_BODY_BYTES - sent);
        if stream.write_all(&chunk[..part]).await.is_err() {
            return;
        }
        sent += part;
    }
}

/// One target run: `scenarios` copied from the shipped set, the LMS at `url`.
async fn run_target(label: &str, url: &str, scenarios: &[&str], deadlines: Deadlines, extra: &[OsString]) -> Run {
    run_target_wrapped(label, &[], url, scenarios, deadlines, extra).await
}

/// [`run_target`], the harness started through `wrapper` ([`super::run_harness_wrapped`]).
async fn run_target_wrapped(
    label: &str,
    wrapper: &[OsString],
    url: &str,
    scenarios: &[&str],
    deadlines: Deadlines,
    extra: &[OsString],
) -> Run {
    let dir = TempDir::new(&format!("hostile-target-{label}"));
    let scenario_dir = dir.path().join("target");
    for id in scenarios {
        copy_shipped("target", id, &scenario_dir);
    }
    let profile = dir.write("profile.toml", &deadlines.profile());
    let mut arguments = args(["target", "--url", url, "--jobs", "8", "--profile"]);
    arguments.push(profile.into());
    arguments.extend(args(["--scenarios".into(), scenario_dir.into_os_string()]));
    arguments.extend(args(["--report-dir".into(), dir.path().join("reports").into_os_string()]));
    arguments.extend(extra.iter().cloned());
    run_harness_wrapped(label, wrapper, &arguments, &dir, deadlines.budget() + Duration::from_secs(30)).await
}

/// The LMS misbehaves for [`HOSTILE`] and serves [`NORMAL`] well, in one run: the
/// hostile scenario fails naming one of `words`, the normal one still passes.
async fn lms_case(label: &str, misbehaviour: Misbehaviour, words: &[&str]) -> Run {
    lms_case_judged(label, misbehaviour, (1, "fail"), words).await
}

/// [`lms_case`] where the right outcome is `(exit status, verdict)`.
async fn lms_case_judged(label: &str, misbehaviour: Misbehaviour, outcome: (i32, &str), words: &[&str]) -> Run {
    let lms = Lms::start(misbehaviour).await;
    let run = run_target(label, &lms.url(), &[HOSTILE, NORMAL], DEADLINES, &[]).await;
    run.assert_ended(outcome.0, DEADLINES.budget());
    run.assert_verdict(HOSTILE, &[outcome.1], words);
    run.assert_verdict(NORMAL, &["pass"], &["answered 0"]);
    run
}

async fn answer_case(label: &str, answer: Answer, words: &[&str]) {
    lms_case(label, Misbehaviour::Answer(answer), words).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_never_answers() {
    answer_case("lms-never-answers", Answer::Silent, &["no answer within 1500 ms"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_stalls_mid_answer() {
    answer_case("lms-stalls", Answer::StallMidBody, &["no answer within 1500 ms"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_slowloris_headers() {
    answer_case("lms-slowloris", Answer::SlowlorisHeaders, &["no answer within 1500 ms"]).await;
}

/// Today the mock client reads the whole answer into memory until the ack deadline
/// (548 MiB measured: all the 512 MiB the peer sends before it stalls).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_endless_body() {
    answer_case("lms-endless", Answer::EndlessBody, &["too large", "larger than", "limit", "no answer within"]).await;
}

/// Today the mock client reads all 100 MB into memory (332 MiB peak measured).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_100_mb_answer() {
    answer_case("lms-huge-body", Answer::HugeBody, &["too large", "larger than", "limit"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_resets_mid_answer() {
    answer_case("lms-reset", Answer::ResetMidBody, &["broke off", "reset", "connection"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_http09_garbage() {
    answer_case("lms-http09", Answer::Http09Garbage, &["invalid", "parse", "http version"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_invalid_utf8_answer() {
    answer_case("lms-invalid-utf8", Answer::InvalidUtf8, &["not valid utf-8"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_10000_headers() {
    answer_case("lms-many-headers", Answer::ManyHeaders, &["header", "too large", "message head"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_1_mib_header() {
    answer_case("lms-huge-header", Answer::HugeHeader, &["header", "too large", "message head"]).await;
}

/// A redirect is an answer to judge, never followed (the collect goes to the LMS and
/// nowhere else).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_redirect_loop() {
    answer_case("lms-redirect-loop", Answer::RedirectLoop, &["302"]).await;
}

/// A redirect to another host is not followed: first to another loopback address
/// (127.0.0.2), where a listener counts connections; only when nothing connected there
/// (so the harness does not follow cross-host redirects) a second run redirects to a
/// non-loopback address, and its verdict must come at once, not after a connect
/// attempt. The guard keeps a harness that follows redirects from ever sending a
/// packet off this machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_redirect_to_another_host() {
    let guard = HttpPeer::start_with(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), |_| Tls::Plain, |_| accepted()).await;
    let lms = Lms::start(Misbehaviour::Answer(Answer::RedirectTo(guard.url("/pens")))).await;
    let run = run_target("lms-redirect-elsewhere-guard", &lms.url(), &[HOSTILE], DEADLINES, &[]).await;
    assert_eq!(guard.connections(), 0, "the harness followed a redirect to another host\n{}", run.describe());
    run.assert_ended(1, DEADLINES.budget());
    run.assert_verdict(HOSTILE, &["fail"], &["302"]);

    let slow = Deadlines { ack: 6000, ..DEADLINES };
    let lms = Lms::start(Misbehaviour::Answer(Answer::RedirectTo(NON_LOOPBACK.to_owned()))).await;
    let run = run_target("lms-redirect-elsewhere", &lms.url(), &[HOSTILE], slow, &[]).await;
    run.assert_ended(1, slow.budget());
    run.assert_verdict(HOSTILE, &["fail"], &["302"]);
    let latency = run.scenario(HOSTILE)["exchanges"]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["kind"] == "collect"))
        .and_then(|collect| collect["latency_ms"].as_u64());
    assert!(
        latency.is_some_and(|ms| ms < slow.ack / 3),
        "the answer took {latency:?} ms: did the harness try {NON_LOOPBACK}?\n{}",
        run.describe()
    );
}

/// A URL the harness must never connect to: a private address off this machine.
const NON_LOOPBACK: &str = "http://10.255.255.1/pens";

/// The LMS's endpoint is https. The preflight's connection gets a certificate of the
/// run CA (`--ca-dir`, made here), so the run starts; every later connection gets
/// `later`: the scenario's collect meets a failed handshake.
async fn tls_case(label: &str, later: Tls, words: &[&str]) {
    let dir = TempDir::new(&format!("hostile-ca-{label}"));
    let ca = pens_parties::RunCa::load_or_create(dir.path(), &[]).expect("a CA");
    let trusted = ca.server_config();
    let tls = move |n: usize| if n == 0 { Tls::Handshake(Arc::clone(&trusted)) } else { later.clone() };
    let lms = Lms::start_with(Misbehaviour::Answer(accepted()), tls).await;
    let url = lms.url().replace("http://", "https://");
    let run =
        run_target(label, &url, &[HOSTILE], DEADLINES, &args(["--ca-dir".into(), dir.path().as_os_str().to_owned()]))
            .await;
    run.assert_ended(1, DEADLINES.budget());
    run.assert_verdict(HOSTILE, &["fail"], words);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_tls_garbage_instead_of_a_handshake() {
    tls_case("lms-tls-garbage", Tls::Garbage, &["tls", "corrupt", "invalid", "handshake"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_tls_certificate_nobody_trusts() {
    let untrusted = pens_parties::RunCa::generate(&[]).expect("another CA").server_config();
    tls_case("lms-tls-untrusted", Tls::Handshake(untrusted), &["certificate", "unknownissuer", "issuer"]).await;
}

/// A certificate nobody trusts from the first connection on: the preflight cannot talk
/// to the LMS, so the run stops at once with one explanation naming the certificate,
/// every scenario inconclusive and exit 3 (run incomplete), as for any LMS the harness
/// cannot reach.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_tls_untrusted_from_the_start_stops_the_run() {
    let untrusted = pens_parties::RunCa::generate(&[]).expect("a CA").server_config();
    let lms = Lms::start_with(Misbehaviour::Answer(accepted()), move |_| Tls::Handshake(Arc::clone(&untrusted))).await;
    let url = lms.url().replace("http://", "https://");
    let run = run_target("lms-tls-untrusted-everywhere", &url, &[HOSTILE, NORMAL], DEADLINES, &[]).await;
    run.assert_ended(3, DEADLINES.budget());
    // The explanation is the run's, once; each scenario only says it did not run.
    let aborted = run.report["aborted"].as_str().unwrap_or_default().to_lowercase();
    assert!(aborted.contains("certificate") || aborted.contains("unknownissuer"), "{}", run.describe());
    for id in [HOSTILE, NORMAL] {
        let scenario = run.report["scenarios"]
            .as_array()
            .and_then(|all| all.iter().find(|s| s["id"] == id))
            .unwrap_or_else(|| panic!("{id} missing: {}", run.describe()));
        assert_eq!(scenario["verdict"], "inconclusive", "{}", run.describe());
        assert_eq!(scenario["note"], pens_report::NOT_RUN_NOTE, "{}", run.describe());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_wrong_content_length() {
    answer_case("lms-wrong-length", Answer::WrongContentLength, &["broke off", "incomplete", "body"]).await;
}

/// 10 000 alerts for one package and no receipt. The scenario fails (no receipt, alerts
/// before any receipt); the harness keeps a bounded number of them (the profile's
/// `[limits] notifications`, 100 per scenario by default), not all 10 000.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_10000_alerts() {
    let lms = Lms::start(Misbehaviour::Alerts(10_000)).await;
    // A longer quiet window, so that the flood is under way when the scenario is judged.
    let deadlines = Deadlines { quiet: 3000, ..DEADLINES };
    let run = run_target("lms-alerts", &lms.url(), &[HOSTILE, NORMAL], deadlines, &[]).await;
    run.assert_ended(1, deadlines.budget());
    run.assert_verdict(HOSTILE, &["fail", "inconclusive"], &["alert"]);
    run.assert_verdict(NORMAL, &["pass"], &["answered 0"]);
    let kept = run.scenario(HOSTILE)["exchanges"]
        .as_array()
        .map_or(0, |all| all.iter().filter(|e| e["kind"] == "alert").count());
    let taken = lms.shared.alerts_taken.load(Ordering::SeqCst);
    assert!(kept <= 100, "the report keeps {kept} alerts (the collector took {taken} of 10 000)\n{}", run.describe());
}

/// A receipt naming a package-id the harness never sent, and another at a collector
/// URL no scenario has. The receipt is judged at the scenario's own URL, where its
/// package-id is a `should` (notification.package-id.matches, CMI010 §5.1): a warning,
/// exit 0, as for the reference target's `receipt-wrong-package-id` defect; the stray
/// one is answered 404, counted in the run's harness notes, and harms nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_receipt_for_an_unknown_package_id() {
    let words = ["urn:hostile-lms:no-such-package"];
    let run = lms_case_judged("lms-unknown-receipt", Misbehaviour::UnknownReceipts, (0, "warn"), &words).await;
    let note = run.harness_note("unsolicited-traffic", "collector");
    assert_eq!(note["count"], 1, "{note:#}");
    assert!(note["message"].as_str().is_some_and(|m| m.contains("/r/no-such-scenario/receipt")), "{note:#}");
}

/// 200 receipts and alerts of 1 MB each, posted to collector paths of no scenario
/// (`/r/flood-N/receipt`, `/r/flood-N/alerts`; once 1500 of them took the harness to
/// 2.9 GB, every verdict a pass and nothing reported). Each is answered 404 once its
/// body is read and dropped, counted in the run's harness notes and kept nowhere; the
/// LMS's own receipt and alert, sent after the flood, and the innocent scenario pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_floods_collector_paths_of_no_scenario() {
    let lms = Lms::start(Misbehaviour::CollectorPathFlood(FLOOD_COUNT)).await;
    let run = run_target("lms-unknown-paths", &lms.url(), &[HOSTILE, NORMAL], FLOOD_DEADLINES, &[]).await;
    let statuses = lms.shared.flood_statuses.lock().expect("statuses").clone();
    run.assert_ended(0, FLOOD_DEADLINES.budget());
    assert_eq!(statuses.len(), FLOOD_COUNT, "{}", run.describe());
    assert!(statuses.iter().all(|s| *s == 404), "{statuses:?}");
    run.assert_verdict(HOSTILE, &["pass"], &["answered 0"]);
    run.assert_verdict(NORMAL, &["pass"], &["answered 0"]);
    let note = run.harness_note("unsolicited-traffic", "collector");
    assert_eq!(note["count"], FLOOD_COUNT as u64, "{note:#}");
    assert!(note["bytes"].as_u64().is_some_and(|b| b >= (FLOOD_COUNT * FLOOD_BODY_BYTES) as u64), "{note:#}");
    assert!(note["message"].as_str().is_some_and(|m| m.contains("/r/flood-")), "{note:#}");
    // Said on the console too, once, before the totals.
    assert!(run.stdout.contains("\nHarness notes ("), "{}", run.describe());
    assert!(run.stdout.contains("  [collector · unsolicited-traffic · 200 times · 200."), "{}", run.describe());
}

/// 200 mails of 1 MB each to mailboxes of no scenario at the harness's sink (once 500 of
/// them took it to 497 MB). Each recipient is refused at `RCPT TO` with 550, before a
/// byte of its message, and counted in the run's harness notes; the LMS's own receipt
/// (over HTTP) and the innocent scenario pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_mails_mailboxes_of_no_scenario() {
    let smtp = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), crate::cli::closed_port());
    let lms = Lms::start(Misbehaviour::MailboxFlood(smtp, FLOOD_COUNT)).await;
    let extra = args(["--smtp-listen".to_owned(), smtp.to_string()]);
    let run = run_target("lms-unknown-mailboxes", &lms.url(), &[HOSTILE, NORMAL], FLOOD_DEADLINES, &extra).await;
    let answered = lms.shared.mail_flood.lock().expect("mail flood").clone();
    run.assert_ended(0, FLOOD_DEADLINES.budget());
    assert_eq!(answered, Some(Ok(MailFlood { taken: 0, refused: FLOOD_COUNT })), "{}", run.describe());
    run.assert_verdict(HOSTILE, &["pass"], &["answered 0"]);
    run.assert_verdict(NORMAL, &["pass"], &["answered 0"]);
    let note = run.harness_note("unsolicited-traffic", "smtp-sink");
    assert_eq!(note["count"], FLOOD_COUNT as u64, "{note:#}");
    assert!(note["message"].as_str().is_some_and(|m| m.contains("receipt.flood-")), "{note:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_100_mb_receipt() {
    lms_case("lms-huge-receipt", Misbehaviour::HugeReceipt, &["413", "too large", "larger than"]).await;
}

/// The LMS's mailer drops its connection to the harness's mail sink mid-DATA: no
/// receipt came (fail), and the sink and the run go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_mailer_drops_mid_data() {
    let smtp = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), crate::cli::closed_port());
    let lms = Lms::start(Misbehaviour::MailDropsMidData(smtp)).await;
    let extra = args(["--smtp-listen".to_owned(), smtp.to_string()]);
    let run = run_target("lms-mail-drop", &lms.url(), &["mailto-receipt", NORMAL], DEADLINES, &extra).await;
    run.assert_ended(1, DEADLINES.budget());
    run.assert_verdict("mailto-receipt", &["fail"], &["no receipt"]);
    run.assert_verdict(NORMAL, &["pass"], &["answered 0"]);
}

/// 300 slowloris connections on the collector, more than its 256 slots (`[limits]
/// connections`), opened before the normal scenario's receipt is sent: that receipt must
/// still get through (the collector closes the oldest connections without a request to
/// make room). The hostile scenario fails: its package was never requested, while the
/// staging server had room. Its receipt never comes either, but the collector was full
/// while it waited, so the harness cannot tell it from one lost among the flood: that
/// check is inconclusive, saying so, never a failure (issue 16).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_slowloris_flood_on_the_collector() {
    collector_flood(300).await;
}

/// The same with 512 connections, twice the cap. It failed once the connection cap
/// merged (ignored as "not yet understood"): mio 1.2 had lowered the listen backlog of
/// tokio's `TcpListener::bind` from 1024 to 128, and the accept loop stopped accepting
/// at the cap, so the 385th connection's SYN was dropped and its `connect` retried for
/// seconds; the LMS never finished opening its flood and never sent the normal
/// scenario's receipt, which then failed "no receipt arrived". The listeners now set
/// their own backlog and make room by closing the oldest connection without a request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_slowloris_flood_of_twice_the_cap_on_the_collector() {
    collector_flood(512).await;
}

async fn collector_flood(connections: usize) {
    let lms = Lms::start(Misbehaviour::CollectorFlood(connections)).await;
    let run = run_target("lms-collector-flood", &lms.url(), &[HOSTILE, NORMAL], DEADLINES, &[]).await;
    let established = lms.shared.flood.lock().expect("flood").as_ref().map_or(0, |flood| flood.established);
    println!("  lms-collector-flood: {established} slowloris connections open");
    assert_eq!(established, connections, "the flood did not open\n{}", run.describe());
    // The normal scenario passes, or (when its receipt still met a full collector on two
    // busy cores) is inconclusive naming it, and the run's exit is then 3: never a fail.
    let innocent_inconclusive = run.scenario(NORMAL)["verdict"] == "inconclusive";
    run.assert_ended(if innocent_inconclusive { 3 } else { 1 }, DEADLINES.budget());
    run.assert_verdict(HOSTILE, &["fail"], &["never requested"]);
    let receipt = run.scenario(HOSTILE)["checks"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["requirement"] == "target.receipt.sent"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(receipt["verdict"], "inconclusive", "{receipt:#}\n{}", run.describe());
    assert!(receipt["message"].as_str().is_some_and(|m| m.contains("the collector had all its 256")), "{receipt:#}");
    assert_innocent(&run, NORMAL);
    assert_note(&run, "connections-queued", "collector", 1);
}

/// The run's harness note of `kind` for `party`, with at least `count`.
fn assert_note(run: &Run, kind: &str, party: &str, count: u64) {
    let notes = run.report["harness_notes"].as_array().cloned().unwrap_or_default();
    let found = notes.iter().find(|n| n["kind"] == kind && n["party"] == party);
    let counted = found.and_then(|n| n["count"].as_u64()).unwrap_or(0);
    assert!(counted >= count, "no {kind} note for {party} counting at least {count}: {notes:#?}\n{}", run.describe());
}

/// Issue 16: 5000 idle connections each to the staging server and the collector (they
/// connect and never send a byte), opened by the LMS when it gets the hostile collect.
/// The normal scenario's fetch and receipt, sent once the flood is open, must get
/// through: the listeners close the oldest connections without a request to make room
/// (and any that is left goes at the header-read deadline). The hostile scenario has no
/// fetch and no receipt, while both listeners were full: inconclusive, never fail. The
/// true counts are in the report's harness notes (thousands, however the flood's timing
/// falls; the log once said "1 connection waited"). The harness runs under an open-file
/// limit of 1024 (util-linux `prlimit`), a tenth of the connections the flood opens:
/// its listeners hold at most their 256 slots each, so it never runs out (no
/// `connections-refused` note, which an `accept` failing for lack of descriptors gives).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_idle_flood_on_staging_and_collector() {
    let lms = Lms::start(Misbehaviour::IdleFlood(5000)).await;
    let nofile = args(["prlimit", "--nofile=1024:1024", "--"]);
    let run = run_target_wrapped("lms-idle-flood", &nofile, &lms.url(), &[HOSTILE, NORMAL], DEADLINES, &[]).await;
    run.assert_ended(3, DEADLINES.budget());
    run.assert_verdict(HOSTILE, &["inconclusive"], &["connection slots taken"]);
    // It passes (about 3.5 s, alone); on two cores shared with the rest of the suite the
    // flood may still be opening when its receipt is due: then, and only then, it is
    // inconclusive, naming the full listener. Never a failure.
    assert_innocent(&run, NORMAL);
    let established = lms.shared.idle.lock().expect("flood").as_ref().map_or(0, |flood| flood.established);
    println!("  lms-idle-flood: {established} idle connections opened");
    // All 10 000 connect within a second alone; under load some SYNs beyond the
    // backlog retry past the LMS's 5 s wait. Four times both caps is a flood all the same.
    assert!(established >= 2048, "the flood did not open ({established})\n{}", run.describe());
    assert_note(&run, "connections-queued", "collector", 1000);
    assert_note(&run, "connections-queued", "staging", 1000);
    let notes = run.report["harness_notes"].as_array().cloned().unwrap_or_default();
    assert!(notes.iter().all(|n| n["kind"] != "connections-refused"), "out of descriptors: {notes:#?}");
}

/// Issue 16: every collect meets a flood of 300 receipts whose bodies never end, more
/// than the collector's 256 slots. Each is inside a request, so none can be closed to
/// make room: the scenarios' own receipts wait behind them past their deadline. Both
/// scenarios are served correctly otherwise; neither may fail for a receipt the
/// harness could not take: pass, or inconclusive naming the full collector.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_receipt_flood_on_every_collect() {
    let lms = Lms::start(Misbehaviour::SlowReceiptFlood(300)).await;
    let run = run_target("lms-receipt-flood", &lms.url(), &[HOSTILE, NORMAL], DEADLINES, &[]).await;
    let established = lms.shared.slow_receipts.lock().expect("flood").as_ref().map_or(0, |flood| flood.established);
    println!("  lms-receipt-flood: {established} endless receipts open");
    assert_eq!(established, 300, "the flood did not open\n{}", run.describe());
    assert!(matches!(run.code, Some(0 | 3)), "{}", run.describe());
    run.assert_ended(run.code.unwrap_or(-1), DEADLINES.budget());
    for id in [HOSTILE, NORMAL] {
        assert_innocent(&run, id);
    }
    assert_note(&run, "connections-queued", "collector", 1);
}

/// A scenario the LMS served correctly, but during a flood: it passes (or is `info`,
/// an optional alert that did not come in time), or is inconclusive naming the full
/// listener; never a failure.
fn assert_innocent(run: &Run, id: &str) {
    run.assert_verdict(id, &["pass", "info", "inconclusive"], &["answered 0"]);
    if run.scenario(id)["verdict"] == "inconclusive" {
        run.assert_verdict(id, &["inconclusive"], &["had all its 256 connection slots taken"]);
    }
}

/// Every "N ms" a text presents as waited ("within N ms", "waited N ms", "in the N ms
/// watched"): deadlines are written "the … deadline is N ms" or "deadline of N ms" and
/// are not claims of a wait.
fn claimed_waits(text: &str) -> Vec<u64> {
    let mut claims = Vec::new();
    for lead in ["within ", "waited ", "in the "] {
        for (at, _) in text.match_indices(lead) {
            let rest = &text[at + lead.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if !digits.is_empty() && rest[digits.len()..].starts_with(" ms") {
                claims.push(digits.parse().expect("digits"));
            }
        }
    }
    claims
}

/// Issue 16, point 4: an answer that is garbage (or reset mid-body), after which the
/// LMS fetches anyway. The harness stops watching at once (nothing follows a broken
/// answer), so its texts must not claim the deadlines were waited ("no receipt arrived
/// within 2000 ms" from a scenario over in a few hundred): every wait a check or note
/// states is at most the scenario's real duration, and the deadlines appear only as
/// deadlines.
async fn broken_answer_then_fetch(label: &str, answer: Answer, words: &[&str]) {
    let run = lms_case(label, Misbehaviour::AnswerThenFetch(answer), words).await;
    let scenario = run.scenario(HOSTILE);
    let duration = scenario["duration_ms"].as_u64().expect("the scenario's duration");
    let mut texts: Vec<String> = scenario["note"].as_str().map(str::to_owned).into_iter().collect();
    for check in scenario["checks"].as_array().map(Vec::as_slice).unwrap_or_default() {
        for field in ["message", "actual", "expected"] {
            texts.extend(check[field].as_str().map(str::to_owned));
        }
    }
    let all = texts.join("\n");
    let claims = claimed_waits(&all);
    assert!(!claims.is_empty(), "no text states how long was watched:\n{all}");
    for claim in claims {
        assert!(claim <= duration, "a text claims a wait of {claim} ms in a scenario of {duration} ms:\n{all}");
    }
    assert!(all.contains("was not waited out"), "the deadlines are not said to be cut short:\n{all}");
    assert!(run.wall < Duration::from_millis(DEADLINES.receipt) + MARGIN, "{}", run.describe());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_garbage_answer_then_fetch_claims_no_wait_it_did_not_make() {
    broken_answer_then_fetch("lms-garbage-then-fetch", Answer::Http09Garbage, &["invalid", "parse", "http version"])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_reset_answer_then_fetch_claims_no_wait_it_did_not_make() {
    broken_answer_then_fetch("lms-reset-then-fetch", Answer::ResetMidBody, &["broke off", "reset", "connection"]).await;
}

#[test]
fn claimed_waits_are_read_and_deadlines_are_not() {
    let text = "no receipt arrived in the 612 ms watched after the collect (the receipt deadline of 5000 ms was not \
                waited out); no answer within 1500 ms; waited 3000 ms; the fetch deadline is 2000 ms; within the ack";
    assert_eq!(claimed_waits(text), [1500, 3000, 612]);
}

/// The harness's own secrets, given as they are in real set-ups (a password in the
/// target URL's userinfo, `system-password` in the profile, one in a `--trigger`-like
/// argument), and an LMS that echoes them back in every form it could have seen them:
/// the `Basic` credentials its server got for the URL's userinfo, the password decoded
/// and as written in the URL, the URL itself, the system password. None of them may
/// reach the console (at `-v`), any report, or any entry of the bundle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_echoes_the_harness_secrets_and_they_are_nowhere_shown() {
    use base64::Engine as _;
    const URL_PASSWORD: &str = "Url-Pw@9f3e";
    const URL_PASSWORD_AS_WRITTEN: &str = "Url-Pw%409f3e";
    const SYSTEM_PASSWORD: &str = "Sys-Pw-51c2";
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("alice:{URL_PASSWORD}"));
    let echo = format!(
        "seen Authorization: Basic {basic}, i.e. {URL_PASSWORD}; you are http://alice:{URL_PASSWORD_AS_WRITTEN}@lms/pens; \
         system-password {SYSTEM_PASSWORD}"
    );
    let lms = Lms::start(Misbehaviour::Answer(Answer::pens_success(&echo))).await;
    let url = lms.url().replacen("http://", &format!("http://alice:{URL_PASSWORD_AS_WRITTEN}@"), 1);

    let dir = TempDir::new("hostile-target-echoes-secrets");
    let scenario_dir = dir.path().join("target");
    for id in [HOSTILE, NORMAL] {
        copy_shipped("target", id, &scenario_dir);
    }
    let profile = dir
        .write("profile.toml", &format!("[target]\nsystem-password = \"{SYSTEM_PASSWORD}\"\n{}", DEADLINES.profile()));
    let mut arguments = args(["target", "-v", "--url", url.as_str(), "--jobs", "8", "--profile"]);
    arguments.push(profile.clone().into());
    arguments.extend(args(["--scenarios".into(), scenario_dir.into_os_string()]));
    arguments.extend(args(["--report-dir".into(), dir.path().join("reports").into_os_string()]));
    arguments.extend(args(["--bundle".into(), dir.path().join("cert.zip").into_os_string()]));
    let run = run_harness("lms-echoes-secrets", &arguments, &dir, DEADLINES.budget() + Duration::from_secs(30)).await;

    run.assert_ended(1, DEADLINES.budget());
    run.assert_verdict(NORMAL, &["pass"], &["answered 0"]);
    assert!(dir.path().join("cert.zip").is_file(), "no bundle\n{}", run.describe());
    // The URL is still shown, its user too: only the password is hidden.
    assert!(run.stdout.contains("http://alice:[redacted]@127.0.0.1:"), "{}", run.describe());
    assert!(run.report["target"]["url"].as_str().is_some_and(|u| u.starts_with("http://alice:[redacted]@")));
    super::assert_no_secret_anywhere(
        &run,
        dir.path(),
        &profile,
        &[URL_PASSWORD, URL_PASSWORD_AS_WRITTEN, &basic, SYSTEM_PASSWORD],
    );
}
