//! Client mode: the hostile peer is the authoring tool. `client --trigger` runs a shell
//! command that writes `URL SCENARIO COPY` into a FIFO; the test reads it (no polling)
//! and sends the collect itself, with reqwest, its package-url pointing at a staging
//! server and its receipt URL at an endpoint of the test, either of which may
//! misbehave; or it sends the collect itself wrong, or too often. Each run also holds
//! the shipped `publish-valid` scenario, served well, which must still pass: the run
//! goes on.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::task::JoinSet;

use super::peers::{Answer, FtpNeverCompletes, HttpPeer, IdleFlood, SmtpDropsMidData, Tls};
use super::{MARGIN, Run, args, copy_shipped, run_harness};
use crate::cli::{TempDir, workspace_root};

/// The mock target's fixed waits (pens-mock's `DEFAULT_FETCH_TIMEOUT`, the runner's
/// answer deadline and quiet window in client mode; `client` has no profile to shorten
/// them).
const FETCH_TIMEOUT: Duration = Duration::from_secs(15);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
const QUIET: Duration = Duration::from_secs(1);

/// `--publish-timeout`, in seconds: the collect comes at once, so this only bounds a
/// trigger that fails.
const PUBLISH_TIMEOUT: u64 = 5;

/// How long a client run may take: one fetch that times out, one receipt and one alert
/// that time out, the quiet window, and the margin.
fn budget() -> Duration {
    FETCH_TIMEOUT + 2 * ANSWER_TIMEOUT + QUIET + MARGIN
}

/// The normal scenario of every run.
const NORMAL: &str = "publish-valid";

/// What the tool's collect for one scenario looks like.
#[derive(Clone)]
enum Collects {
    /// One valid collect.
    One,
    /// One collect whose values hold percent-encoded bytes that are not UTF-8.
    InvalidUtf8,
    /// One valid collect, then this many malformed ones for the same scenario.
    Flood(usize),
    /// This many idle connections to the mock target (connect, never a byte), then one
    /// valid collect on a connection of its own.
    IdleFlood(usize),
}

/// Where one scenario's collect points, and how it is sent.
#[derive(Clone)]
struct Plan {
    package_url: String,
    receipt: String,
    collects: Collects,
}

/// The hostile authoring tool: a good staging server and receipt endpoint (for the
/// normal scenario and wherever a case does not replace them), the FIFO its trigger
/// writes, and the task that publishes.
struct Tool {
    dir: TempDir,
    fifo: PathBuf,
    good_staging: HttpPeer,
    good_receipts: HttpPeer,
    plans: Arc<Mutex<HashMap<String, Plan>>>,
    publisher: tokio::task::JoinHandle<()>,
}

impl Tool {
    async fn start(label: &str) -> Tool {
        let dir = TempDir::new(&format!("hostile-client-{label}"));
        let fifo = dir.path().join("publish.fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
        assert!(made.success(), "mkfifo {}", fifo.display());
        let package = pens_mock::fixture_package(&workspace_root().join("fixtures/packages"), "scorm12-minimal.zip")
            .expect("the fixture package")
            .to_bytes(u64::MAX)
            .expect("a small package");
        let good_staging =
            HttpPeer::start(move |_| Answer::Ok { content_type: "application/zip", body: package.to_vec() }).await;
        let good_receipts = HttpPeer::start(|_| Answer::pens_success("received")).await;
        let plans: Arc<Mutex<HashMap<String, Plan>>> = Arc::new(Mutex::new(HashMap::new()));
        let normal = Plan {
            package_url: good_staging.url("/course.zip"),
            receipt: good_receipts.url("/receipt"),
            collects: Collects::One,
        };
        plans.lock().expect("plans").insert(NORMAL.to_owned(), normal);
        // Opened for reading and writing, so the open never waits for a writer and the
        // trigger's `> FIFO` never waits for a reader.
        let receiver =
            tokio::net::unix::pipe::OpenOptions::new().read_write(true).open_receiver(&fifo).expect("the FIFO opens");
        let publisher = tokio::spawn(publish_on_request(receiver, Arc::clone(&plans)));
        Tool { dir, fifo, good_staging, good_receipts, plans, publisher }
    }

    /// Scenario `id` publishes per `plan`.
    fn plan(&self, id: &str, plan: Plan) {
        self.plans.lock().expect("plans").insert(id.to_owned(), plan);
    }

    /// A plan with the good staging server and receipt endpoint.
    fn good_plan(&self) -> Plan {
        Plan {
            package_url: self.good_staging.url("/course.zip"),
            receipt: self.good_receipts.url("/receipt"),
            collects: Collects::One,
        }
    }

    /// The trigger: one line into the FIFO per publish.
    fn trigger(&self) -> String {
        format!(
            "printf '%s %s %s\\n' \"$PENS_TARGET_URL\" \"$PENS_SCENARIO_ID\" \"$PENS_COPY\" > '{}'",
            self.fifo.display()
        )
    }

    /// Runs `client` with the scenarios written into `scenarios` plus [`NORMAL`].
    async fn run(&self, label: &str, scenarios: &[(&str, String)], extra: &[&str]) -> Run {
        let scenario_dir = self.dir.path().join("client");
        std::fs::create_dir_all(&scenario_dir).expect("scenario folder");
        for (id, text) in scenarios {
            std::fs::write(scenario_dir.join(format!("{id}.toml")), text).expect("scenario file");
        }
        copy_shipped("client", NORMAL, &scenario_dir);
        let mut arguments = args(["client", "--trigger", &self.trigger(), "--jobs", "8"]);
        arguments.extend(args(["--publish-timeout".to_owned(), PUBLISH_TIMEOUT.to_string()]));
        arguments.extend(args(["--scenarios".into(), scenario_dir.into_os_string()]));
        arguments.extend(args(["--report-dir".into(), self.dir.path().join("reports").into_os_string()]));
        arguments.extend(args(extra.iter().copied()));
        run_harness(label, &arguments, &self.dir, budget() + Duration::from_secs(30)).await
    }
}

impl Drop for Tool {
    fn drop(&mut self) {
        self.publisher.abort();
    }
}

/// Reads `URL SCENARIO COPY` lines and publishes each as its scenario's plan says.
async fn publish_on_request(receiver: tokio::net::unix::pipe::Receiver, plans: Arc<Mutex<HashMap<String, Plan>>>) {
    let http = reqwest::Client::builder().no_proxy().build().expect("an HTTP client");
    let mut sending = JoinSet::new();
    let mut lines = BufReader::new(receiver).lines();
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let Ok(Some(line)) = line else { return };
                let mut parts = line.split_whitespace();
                let (Some(url), Some(id)) = (parts.next(), parts.next()) else { continue };
                let Some(plan) = plans.lock().expect("plans").get(id).cloned() else { continue };
                sending.spawn(publish(http.clone(), url.to_owned(), id.to_owned(), plan));
            }
            Some(_) = sending.join_next(), if !sending.is_empty() => {}
        }
    }
}

async fn publish(http: reqwest::Client, url: String, id: String, plan: Plan) {
    let expiry = pens_proto::format_expiry(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    let package_id = format!("urn:hostile-tool:{id}");
    let valid = pens_proto::encode_form([
        ("pens-version", "1.0.0"),
        ("command", "collect"),
        ("package-type", "scorm-pif"),
        ("package-type-version", "1.2"),
        ("package-format", "zip"),
        ("package-id", package_id.as_str()),
        ("package-url", plan.package_url.as_str()),
        ("package-url-expiry", expiry.as_str()),
        ("client", "hostile-tool"),
        ("receipt", plan.receipt.as_str()),
        ("alerts", plan.receipt.as_str()),
    ]);
    let send = async |body: String| {
        if let Ok(response) =
            http.post(&url).header("content-type", pens_proto::FORM_CONTENT_TYPE).body(body).send().await
        {
            let _ = response.bytes().await;
        }
    };
    match plan.collects {
        Collects::One => send(valid).await,
        Collects::InvalidUtf8 => {
            // Escapes of bytes that are no UTF-8: a lone 0xE9 (Latin-1 é), 0xFF 0xFE, a
            // truncated two-byte sequence, an encoded surrogate, an overlong form.
            let body = valid
                .replace(&format!("urn%3Ahostile-tool%3A{id}"), &format!("urn:hostile-tool:caf%E9-%FF%FE-{id}"))
                .replace("client=hostile-tool", "client=hostile%C3%28tool%ED%A0%80")
                + "&vendor-data=%C0%AF%F0%28%8C%BC";
            send(body).await;
        }
        Collects::Flood(extra) => {
            send(valid).await;
            // 64 at a time, each a collect that lacks nearly everything.
            let mut flood = JoinSet::new();
            let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            for _ in 0..64 {
                let (http, url, next) = (http.clone(), url.clone(), Arc::clone(&next));
                flood.spawn(async move {
                    while next.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < extra {
                        let sent = http
                            .post(&url)
                            .header("content-type", pens_proto::FORM_CONTENT_TYPE)
                            .body("command=collect&pens-version=1.0.0")
                            .send()
                            .await;
                        match sent {
                            Ok(response) => drop(response.bytes().await),
                            Err(_) => break,
                        }
                    }
                });
            }
            while flood.join_next().await.is_some() {}
        }
        Collects::IdleFlood(connections) => {
            let target = reqwest::Url::parse(&url).expect("the target URL");
            let addr = target.socket_addrs(|| None).expect("its address")[0];
            let _flood = IdleFlood::open(&[addr], connections, Duration::from_secs(5)).await;
            // A client of its own: no pooled connection that already holds a slot.
            let fresh = reqwest::Client::builder().no_proxy().build().expect("an HTTP client");
            if let Ok(response) =
                fresh.post(&url).header("content-type", pens_proto::FORM_CONTENT_TYPE).body(valid).send().await
            {
                let _ = response.bytes().await;
            }
        }
    }
}

/// A scenario judging the package the collect points at: it must be available and fit
/// its type.
fn staging_scenario(id: &str) -> String {
    format!(
        "id = \"{id}\"\ntitle = \"The tool's staging server: {id}\"\nrequirements = [\"client.staging.available\"]\n\n\
         [target]\nalerts = 0\n\n[expect.collect]\nfindings = \"lenient\"\n\n\
         [expect.package]\navailable = true\ncontents = true\n"
    )
}

/// A scenario judging the tool's answer to our receipt (no fetch, no alert).
fn receipt_scenario(id: &str) -> String {
    format!(
        "id = \"{id}\"\ntitle = \"The tool's receipt endpoint: {id}\"\nrequirements = [\"client.notification.response\"]\n\n\
         [target]\nfetch = false\nalerts = 0\n\n[expect.collect]\nfindings = \"lenient\"\n\n\
         [expect.answers]\nreceipt = true\n"
    )
}

/// A scenario judging the collects themselves, strictly.
fn collect_scenario(id: &str) -> String {
    format!(
        "id = \"{id}\"\ntitle = \"The tool's collects: {id}\"\nrequirements = [\"collect.package-id.uri\"]\n\n\
         [target]\nfetch = false\nalerts = 0\n\n[expect.collect]\nfindings = \"strict\"\n"
    )
}

/// The tool stages its package on `staging` (at `path`) for scenario `id`; the scenario
/// fails naming one of `words`, and the normal one passes.
async fn staging_case(id: &str, staging_url: String, words: &[&str]) -> Run {
    staging_case_judged(id, staging_url, &["fail"], words).await
}

async fn staging_case_judged(id: &str, staging_url: String, verdicts: &[&str], words: &[&str]) -> Run {
    let tool = Tool::start(id).await;
    tool.plan(id, Plan { package_url: staging_url, ..tool.good_plan() });
    let run = tool.run(id, &[(id, staging_scenario(id))], &[]).await;
    run.assert_ended(1, budget());
    run.assert_verdict(id, verdicts, words);
    run.assert_verdict(NORMAL, &["pass"], &["error=0"]);
    run
}

/// A staging server answering every request with `answer`.
async fn staging(answer: Answer) -> HttpPeer {
    HttpPeer::start(move |_| answer.clone()).await
}

/// Four staging servers that stall (never answering, stalling mid-body, slowloris
/// headers, an FTP server that never completes the transfer) in one run: each waits out
/// the mock target's fixed 15 s fetch timeout, so they share it; the normal scenario
/// shows the run goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_staging_servers_that_stall() {
    let tool = Tool::start("staging-stalls").await;
    let silent = staging(Answer::Silent).await;
    let stalls = staging(Answer::StallMidBody).await;
    let slowloris = staging(Answer::SlowlorisHeaders).await;
    let ftp = FtpNeverCompletes::start().await;
    let cases = [
        ("staging-never-answers", silent.url("/course.zip")),
        ("staging-stalls-mid-body", stalls.url("/course.zip")),
        ("staging-slowloris-headers", slowloris.url("/course.zip")),
        ("staging-ftp-never-completes", ftp.url("course.zip")),
    ];
    let mut scenarios = Vec::new();
    for (id, url) in &cases {
        tool.plan(id, Plan { package_url: url.clone(), ..tool.good_plan() });
        scenarios.push((*id, staging_scenario(id)));
    }
    let run = tool.run("staging-stalls", &scenarios, &[]).await;
    run.assert_ended(1, budget());
    for (id, _) in &cases {
        run.assert_verdict(id, &["fail"], &["did not deliver the package within"]);
    }
    run.assert_verdict(NORMAL, &["pass"], &["error=0"]);
}

/// An endless package: the mock target stops at the profile's `[limits] package-bytes`
/// (16 MiB here, below the memory bound; the default 256 MiB is for real courses), and
/// the scenario is inconclusive (the package may be fine, the harness did not take it
/// all), exit 3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_staging_endless_body() {
    let peer = staging(Answer::EndlessBody).await;
    let words = ["larger than", "package-bytes"];
    staging_case_over_package_limit("staging-endless-body", peer.url("/course.zip"), &words).await;
}

/// 100 MB of junk as the package: refused at the same limit, before it is all read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_staging_100_mb_body() {
    let peer = staging(Answer::HugeBody).await;
    let words = ["larger than", "package-bytes"];
    staging_case_over_package_limit("staging-100-mb-body", peer.url("/course.zip"), &words).await;
}

/// A staging case run with `[limits] package-bytes = "16MiB"` in a client profile.
async fn staging_case_over_package_limit(id: &str, staging_url: String, words: &[&str]) -> Run {
    let tool = Tool::start(id).await;
    tool.plan(id, Plan { package_url: staging_url, ..tool.good_plan() });
    let profile = tool.dir.path().join("limits.toml");
    std::fs::write(&profile, "[limits]\npackage-bytes = \"16MiB\"\n").expect("a profile");
    let profile = profile.to_string_lossy().into_owned();
    let run = tool.run(id, &[(id, staging_scenario(id))], &["--profile", &profile]).await;
    run.assert_ended(3, budget());
    run.assert_verdict(id, &["inconclusive"], words);
    run.assert_verdict(NORMAL, &["pass"], &["error=0"]);
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_staging_resets_mid_body() {
    let peer = staging(Answer::ResetMidBody).await;
    staging_case("staging-reset-mid-body", peer.url("/course.zip"), &["incomplete", "reset"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_staging_http09_garbage() {
    let peer = staging(Answer::Http09Garbage).await;
    staging_case("staging-http09-garbage", peer.url("/course.zip"), &["invalid", "parse", "http version"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_staging_10000_headers() {
    let peer = staging(Answer::ManyHeaders).await;
    staging_case("staging-10000-headers", peer.url("/course.zip"), &["header", "too large", "message head"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_staging_1_mib_header() {
    let peer = staging(Answer::HugeHeader).await;
    staging_case("staging-1-mib-header", peer.url("/course.zip"), &["header", "too large", "message head"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_staging_redirect_loop() {
    let peer = staging(Answer::RedirectLoop).await;
    staging_case("staging-redirect-loop", peer.url("/course.zip"), &["redirect"]).await;
}

/// A URL the harness must never connect to: a private address off this machine.
const NON_LOOPBACK: &str = "http://10.255.255.1/course.zip";

/// A staging redirect to another host is refused (`[limits] redirects`: same host
/// only). First to another loopback address (127.0.0.2), where a listener counts
/// connections; only when nothing connected there does a second run redirect to a
/// non-loopback address, whose refusal must come at once, well before the mock
/// target's 10 s connect timeout. The guard keeps a harness that follows redirects
/// anywhere (as today's does) from sending a packet off this machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_staging_redirect_to_another_host() {
    let guard = HttpPeer::start_with(
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
        |_| Tls::Plain,
        |_| Answer::Ok { content_type: "application/zip", body: Vec::new() },
    )
    .await;
    let id = "staging-redirect-elsewhere-guard";
    let tool = Tool::start(id).await;
    let peer = staging(Answer::RedirectTo(guard.url("/course.zip"))).await;
    tool.plan(id, Plan { package_url: peer.url("/course.zip"), ..tool.good_plan() });
    let run = tool.run(id, &[(id, staging_scenario(id))], &[]).await;
    assert_eq!(guard.connections(), 0, "the harness followed a redirect to another host\n{}", run.describe());
    // Not followed, and not judged either (the package may be fine where it points):
    // inconclusive, exit 3, saying which redirect was refused.
    run.assert_ended(3, budget());
    run.assert_verdict(id, &["inconclusive"], &["redirect"]);

    let id = "staging-redirect-elsewhere";
    let tool = Tool::start(id).await;
    let peer = staging(Answer::RedirectTo(NON_LOOPBACK.to_owned())).await;
    tool.plan(id, Plan { package_url: peer.url("/course.zip"), ..tool.good_plan() });
    let run = tool.run(id, &[(id, staging_scenario(id))], &[]).await;
    run.assert_ended(3, budget());
    run.assert_verdict(id, &["inconclusive"], &["redirect"]);
    let fetch = run.scenario(id)["exchanges"]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["kind"] == "staging-fetch"))
        .and_then(|fetch| fetch["latency_ms"].as_u64());
    assert!(
        fetch.is_some_and(|ms| ms < 3000),
        "the fetch took {fetch:?} ms: did the harness try {NON_LOOPBACK}?\n{}",
        run.describe()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_staging_tls_garbage() {
    let peer = HttpPeer::start_with(IpAddr::V4(Ipv4Addr::LOCALHOST), |_| Tls::Garbage, |_| Answer::Silent).await;
    let url = peer.url("/course.zip").replace("http://", "https://");
    staging_case("staging-tls-garbage", url, &["tls", "corrupt", "invalid", "handshake"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_staging_tls_certificate_nobody_trusts() {
    let untrusted = pens_mock::RunCa::generate(&[]).expect("a CA").server_config();
    let peer = HttpPeer::start_with(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        move |_| Tls::Handshake(Arc::clone(&untrusted)),
        |_| Answer::Silent,
    )
    .await;
    let url = peer.url("/course.zip").replace("http://", "https://");
    staging_case("staging-tls-untrusted", url, &["certificate", "unknownissuer", "issuer"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_staging_wrong_content_length() {
    let peer = staging(Answer::WrongContentLength).await;
    staging_case("staging-wrong-content-length", peer.url("/course.zip"), &["incomplete"]).await;
}

/// The tool's receipt endpoint answers our receipt so; the scenario fails naming one of
/// `words`.
async fn receipt_case(id: &str, answer: Answer, words: &[&str]) {
    let tool = Tool::start(id).await;
    let endpoint = HttpPeer::start(move |_| answer.clone()).await;
    tool.plan(id, Plan { receipt: endpoint.url("/receipt"), ..tool.good_plan() });
    let run = tool.run(id, &[(id, receipt_scenario(id))], &[]).await;
    run.assert_ended(1, budget());
    run.assert_verdict(id, &["fail"], words);
    run.assert_verdict(NORMAL, &["pass"], &["error=0"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_receipt_endpoint_never_answers() {
    receipt_case("receipt-never-answers", Answer::Silent, &["no answer to receipt", "timed out", "not answered"]).await;
}

/// The mock target reads at most 64 KiB of an answer (and keeps 16 KiB of it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_receipt_endpoint_100_mb_answer() {
    receipt_case("receipt-100-mb-answer", Answer::HugeBody, &["no numeric error", "error"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_receipt_endpoint_http09_garbage() {
    receipt_case("receipt-http09-garbage", Answer::Http09Garbage, &["invalid", "parse", "http version"]).await;
}

/// Values whose percent-escapes decode to bytes that are not UTF-8: each value named,
/// with the undecodable bytes shown as U+FFFD, never a crash. UTF-8 is a `should`
/// (binding.charset.utf8, CMI010 §5), so the scenario warns and the run exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_collect_with_invalid_utf8() {
    let id = "collect-invalid-utf8";
    let tool = Tool::start(id).await;
    tool.plan(id, Plan { collects: Collects::InvalidUtf8, ..tool.good_plan() });
    let run = tool.run(id, &[(id, collect_scenario(id))], &[]).await;
    run.assert_ended(0, budget());
    run.assert_verdict(id, &["warn"], &["decoded bytes are not utf-8"]);
    run.assert_verdict(NORMAL, &["pass"], &["error=0"]);
}

/// One publish triggered, then 1000 malformed collects more for the same scenario, 64
/// at a time: those that arrive before the scenario's quiet window closes are judged
/// (the window ends at the first unexpected collect), the rest are answered by a mock
/// target that is shutting down; in bounded time and memory either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_collect_flood() {
    let id = "collect-flood";
    let tool = Tool::start(id).await;
    tool.plan(id, Plan { collects: Collects::Flood(1000), ..tool.good_plan() });
    let run = tool.run(id, &[(id, collect_scenario(id))], &[]).await;
    run.assert_ended(1, budget());
    run.assert_verdict(id, &["fail"], &["collects arrived where 1 were triggered", "collects arrived"]);
    run.assert_verdict(NORMAL, &["pass"], &["error=0"]);
}

/// Issue 16, client mode: the tool opens 5000 idle connections to the mock target, then
/// sends its collect on a connection of its own. The mock target closes the oldest idle
/// connections to make room, so the collect is served and judged: pass (before, the
/// idle connections held all 256 slots for the 30 s header-read timeout and the collect
/// waited in the backlog: "no collect arrived"). The counts are in the harness notes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_idle_flood_on_the_mock_target() {
    let id = "collect-after-idle-flood";
    let tool = Tool::start(id).await;
    tool.plan(id, Plan { collects: Collects::IdleFlood(5000), ..tool.good_plan() });
    let run = tool.run(id, &[(id, collect_scenario(id))], &[]).await;
    // Alone it passes (3.3 s); on two cores shared with the rest of the suite the flood
    // may still be opening at the collect deadline: then it is inconclusive, naming the
    // full mock target. Never a failure.
    assert!(matches!(run.code, Some(0 | 3)), "{}", run.describe());
    run.assert_ended(run.code.unwrap_or(-1), budget());
    run.assert_verdict(id, &["pass", "inconclusive"], &["collect"]);
    if run.scenario(id)["verdict"] == "inconclusive" {
        run.assert_verdict(id, &["inconclusive"], &["the mock target had all its 256 connection slots taken"]);
    }
    run.assert_verdict(NORMAL, &["pass"], &["error=0"]);
    let notes = run.report["harness_notes"].as_array().cloned().unwrap_or_default();
    let queued = notes.iter().find(|n| n["kind"] == "connections-queued" && n["party"] == "mock-target");
    assert!(queued.and_then(|n| n["count"].as_u64()).is_some_and(|c| c >= 1000), "{notes:#?}");
}

/// The tool asks for a `mailto:` receipt and its mail relay (`--smtp-relay`) drops the
/// connection mid-DATA: the receipt could not be delivered, which is our set-up's
/// problem as much as the tool's, so the answer check is inconclusive (exit 3), and
/// says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tool_smtp_relay_drops_mid_data() {
    let id = "receipt-relay-drops";
    let tool = Tool::start(id).await;
    let relay = SmtpDropsMidData::start().await;
    tool.plan(id, Plan { receipt: "mailto:receipts@authoring-tool.test".to_owned(), ..tool.good_plan() });
    let relay_addr = relay.addr().to_string();
    let run = tool.run(id, &[(id, receipt_scenario(id))], &["--smtp-relay", &relay_addr]).await;
    run.assert_ended(3, budget());
    run.assert_verdict(id, &["inconclusive"], &["could not be mailed"]);
    run.assert_verdict(NORMAL, &["pass"], &["error=0"]);
}
