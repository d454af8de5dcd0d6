//! Descriptors: the harness runs under a low open-file limit (`prlimit`) while the LMS
//! under test makes it open connections and passive FTP listeners. The harness's
//! descriptors must stay bounded whatever the LMS sends (one live passive listener per
//! FTP control connection, a cap on them in total), and when they do run out, no
//! scenario may be blamed for it: what ran meanwhile is inconclusive, and the report
//! says why once, in its harness notes.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pens_proto::{CollectCommand, Notification};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::peers::{Answer, HttpPeer};
use super::target_mode::Deadlines;
use super::{Run, args, copy_shipped, run_harness_within};
use crate::cli::TempDir;

/// The open-file limit of the flood case: a common default (`ulimit -n` on many
/// systems), which 60 × 400 PASV went far past before passive listeners were bounded.
const NOFILE: u64 = 1024;
/// The PASV flood: control connections, and PASV commands on each.
const CONTROL_CONNECTIONS: usize = 60;
const PASV_EACH: usize = 400;
/// The profile's cap on passive listeners for the flood case.
const PASSIVE_CAP: usize = 16;

/// The normal scenario, served well, that must not be blamed.
const NORMAL: &str = "elements-reordered";

/// What the LMS does beyond serving the preflight and [`NORMAL`] well.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// For `ftp-fetch`: answers 0, then opens [`CONTROL_CONNECTIONS`] FTP control
    /// connections to the package URL's server and sends [`PASV_EACH`] PASV on each,
    /// never connecting to a passive port. [`NORMAL`]'s work waits until the flood is
    /// well past the open-file limit (or over).
    PasvFlood,
    /// For [`NORMAL`]: answers 0, opens this many idle connections to the collector
    /// (each one the harness accepts costs it a descriptor), fetches and receipts, then
    /// closes them.
    IdleFloodDuringTheScenario(usize),
}

struct Shared {
    http: reqwest::Client,
    /// PASV commands answered so far (227 or 425).
    pasv_answered: AtomicUsize,
    /// PASV answered 227.
    pasv_entered: AtomicUsize,
    /// The most descriptors the harness had open, sampled during the flood.
    harness_descriptors: AtomicUsize,
    /// Set when the PASV flood is far enough along (or over) for [`NORMAL`] to go on.
    flood_along: watch::Sender<bool>,
    /// Where the harness writes its report: finds its process in /proc.
    marker: Mutex<String>,
}

struct Lms {
    peer: HttpPeer,
    shared: Arc<Shared>,
    _work: Arc<Mutex<JoinSet<()>>>,
}

impl Lms {
    async fn start(misbehaviour: Misbehaviour) -> Lms {
        let shared = Arc::new(Shared {
            http: reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(4)).build().expect("a client"),
            pasv_answered: AtomicUsize::new(0),
            pasv_entered: AtomicUsize::new(0),
            harness_descriptors: AtomicUsize::new(0),
            flood_along: watch::Sender::new(!matches!(misbehaviour, Misbehaviour::PasvFlood)),
            marker: Mutex::new(String::new()),
        });
        let work = Arc::new(Mutex::new(JoinSet::new()));
        let route = {
            let (shared, work) = (Arc::clone(&shared), Arc::clone(&work));
            move |request: &super::peers::Request| {
                let collect = request.elements();
                let key = key_of(&collect);
                let shared = Arc::clone(&shared);
                let mut work = work.lock().expect("work");
                match (misbehaviour, key.as_str()) {
                    (Misbehaviour::PasvFlood, "ftp-fetch") => work.spawn(pasv_flood(shared, collect)),
                    (Misbehaviour::IdleFloodDuringTheScenario(n), NORMAL) => {
                        work.spawn(behave_well_amid_idle_connections(shared, collect, n))
                    }
                    (_, "preflight") => work.spawn(behave_well(shared, collect, false)),
                    _ => work.spawn(behave_well(shared, collect, true)),
                };
                Answer::pens_success("collect command received and understood")
            }
        };
        let peer = HttpPeer::start(route).await;
        Lms { peer, shared, _work: work }
    }

    fn url(&self) -> String {
        self.peer.url("/pens")
    }
}

/// The scenario key of a collect: its package-id is `urn:pens-conform:<run>:<key>`.
fn key_of(collect: &CollectCommand) -> String {
    collect.package_id.as_deref().and_then(|id| id.rsplit(':').next()).unwrap_or_default().to_owned()
}

fn notification(kind: &str, collect: &CollectCommand, text: &str) -> Notification {
    Notification {
        command: Some(kind.to_owned()),
        pens_version: Some("1.0.0".to_owned()),
        package_type: collect.package_type.clone(),
        package_type_version: collect.package_type_version.clone(),
        package_format: collect.package_format.clone(),
        package_id: collect.package_id.clone(),
        package_url: collect.package_url.clone(),
        package_url_expiry: collect.package_url_expiry.clone(),
        client: Some("hostile-lms".to_owned()),
        error: Some("0".to_owned()),
        error_text: Some(text.to_owned()),
        extra: Vec::new(),
    }
}

async fn post(http: &reqwest::Client, url: Option<&str>, notification: &Notification) {
    let Some(url) = url else { return };
    let sent =
        http.post(url).header("content-type", pens_proto::FORM_CONTENT_TYPE).body(notification.to_form()).send().await;
    if let Ok(response) = sent {
        let _ = response.bytes().await;
    }
}

/// Fetches the package (HTTP), posts a receipt and an alert: a correct target. Waits for
/// the PASV flood first when `wait`.
async fn behave_well(shared: Arc<Shared>, collect: CollectCommand, wait: bool) {
    if wait {
        let _ = shared.flood_along.subscribe().wait_for(|along| *along).await;
    }
    let http = &shared.http;
    if let Some(url) = &collect.package_url
        && let Ok(response) = http.get(url).send().await
    {
        let _ = response.bytes().await;
    }
    post(http, collect.receipt.as_deref(), &notification("receipt", &collect, "package retrieved")).await;
    post(http, collect.alerts.as_deref(), &notification("alert", &collect, "package imported")).await;
}

/// `connections` idle connections to the collector while the LMS fetches and receipts;
/// closed once it has (so that the rest of the run, and its report, have descriptors).
async fn behave_well_amid_idle_connections(shared: Arc<Shared>, collect: CollectCommand, connections: usize) {
    let receipt = collect.receipt.clone().unwrap_or_default();
    let addr =
        reqwest::Url::parse(&receipt).ok().and_then(|u| u.socket_addrs(|| None).ok()).expect("an http receipt")[0];
    let mut idle = Vec::new();
    for _ in 0..connections {
        match TcpStream::connect(addr).await {
            Ok(stream) => idle.push(stream),
            Err(_) => break,
        }
    }
    behave_well(shared, collect, false).await;
    drop(idle);
}

/// The harness's process (found by `marker` in its command line) and how many
/// descriptors it has open now.
fn harness_descriptors(marker: &str) -> Option<usize> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let mut parts = cmdline.split(|b| *b == 0);
        let program = parts.next().unwrap_or_default();
        if program.ends_with(b"pens-conform") && String::from_utf8_lossy(&cmdline).contains(marker) {
            return std::fs::read_dir(entry.path().join("fd")).ok().map(Iterator::count);
        }
    }
    None
}

fn sample_descriptors(shared: &Shared) {
    let marker = shared.marker.lock().expect("marker").clone();
    if let Some(open) = harness_descriptors(&marker) {
        shared.harness_descriptors.fetch_max(open, Ordering::SeqCst);
    }
}

/// One control connection: anonymous login, then `count` PASV, each reply read.
async fn pasv_session(addr: SocketAddr, count: usize, shared: Arc<Shared>, sampler: bool) -> std::io::Result<()> {
    let (read, mut write) = TcpStream::connect(addr).await?.into_split();
    let mut read = BufReader::new(read);
    let mut reply = async move || -> std::io::Result<String> {
        loop {
            let mut line = String::new();
            if read.read_line(&mut line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            if line.len() >= 4 && line.as_bytes()[3] == b' ' {
                return Ok(line);
            }
        }
    };
    reply().await?;
    write.write_all(b"USER anonymous\r\n").await?;
    reply().await?;
    write.write_all(b"PASS guest\r\n").await?;
    reply().await?;
    for n in 0..count {
        write.write_all(b"PASV\r\n").await?;
        let answer = reply().await?;
        if answer.starts_with("227") {
            shared.pasv_entered.fetch_add(1, Ordering::SeqCst);
        }
        let answered = shared.pasv_answered.fetch_add(1, Ordering::SeqCst) + 1;
        if answered >= 3 * NOFILE as usize {
            shared.flood_along.send_replace(true);
        }
        if sampler && n % 50 == 0 {
            sample_descriptors(&shared);
        }
    }
    sample_descriptors(&shared);
    Ok(())
}

/// [`Misbehaviour::PasvFlood`].
async fn pasv_flood(shared: Arc<Shared>, collect: CollectCommand) {
    let url = reqwest::Url::parse(collect.package_url.as_deref().unwrap_or_default()).expect("an ftp package url");
    let addr = url.socket_addrs(|| None).expect("its address")[0];
    let mut sessions = JoinSet::new();
    for n in 0..CONTROL_CONNECTIONS {
        sessions.spawn(pasv_session(addr, PASV_EACH, Arc::clone(&shared), n == 0));
    }
    while sessions.join_next().await.is_some() {}
    shared.flood_along.send_replace(true);
}

async fn run_target(label: &str, lms: &Lms, scenarios: &[&str], deadlines: Deadlines, limits: &str) -> Run {
    let dir = TempDir::new(&format!("hostile-descriptors-{label}"));
    let scenario_dir = dir.path().join("target");
    for id in scenarios {
        copy_shipped("target", id, &scenario_dir);
    }
    let profile = dir.write("profile.toml", &deadlines.profile_with("ftp = \"yes\"", limits));
    let reports = dir.path().join("reports");
    *lms.shared.marker.lock().expect("marker") = reports.display().to_string();
    let mut arguments = args(["target", "--url", &lms.url(), "--jobs", "8", "--profile"]);
    arguments.push(profile.into());
    arguments.extend(args(["--scenarios".into(), scenario_dir.into_os_string()]));
    arguments.extend(args(["--report-dir".into(), reports.into_os_string()]));
    run_harness_within(label, &arguments, &dir, deadlines.budget() + Duration::from_secs(30), Some(NOFILE)).await
}

/// The harness notes of `kind` in report.json.
fn notes<'a>(run: &'a Run, kind: &str) -> Vec<&'a serde_json::Value> {
    run.report["harness_notes"]
        .as_array()
        .map(|all| all.iter().filter(|n| n["kind"] == kind).collect())
        .unwrap_or_default()
}

/// 60 control connections × 400 PASV, never connecting, while the harness runs under
/// an open-file limit of 1024. Each control connection keeps one passive listener, at
/// most 16 in all (`[limits] passive-listeners`): the harness's descriptors stay far
/// below the limit, the normal HTTP scenario of the same run passes, report.json is
/// written, and the refused PASV are counted in a `passive-listeners-capped` note.
/// (Before: 11 510 open files, every scenario failed "never requested".)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_lms_pasv_flood_under_an_open_file_limit_of_1024() {
    let deadlines = Deadlines { ack: 1500, fetch: 5000, receipt: 2000, quiet: 300 };
    let lms = Lms::start(Misbehaviour::PasvFlood).await;
    let limits = format!("passive-listeners = {PASSIVE_CAP}\n");
    let run = run_target("pasv-flood", &lms, &["ftp-fetch", NORMAL], deadlines, &limits).await;
    let (answered, entered) =
        (lms.shared.pasv_answered.load(Ordering::SeqCst), lms.shared.pasv_entered.load(Ordering::SeqCst));
    let open = lms.shared.harness_descriptors.load(Ordering::SeqCst);
    println!("  pasv-flood: {answered} PASV answered ({entered} with 227), harness at most {open} descriptors open");
    assert!(answered >= 3 * NOFILE as usize, "the flood did not get far: {answered} PASV answered\n{}", run.describe());
    assert!(open > 0, "the harness's descriptors were never sampled\n{}", run.describe());
    assert!(open < 512, "the harness held {open} descriptors (limit {NOFILE})\n{}", run.describe());
    run.assert_ended(1, deadlines.budget());
    run.assert_verdict("ftp-fetch", &["fail"], &["fetch", "never"]);
    run.assert_verdict(NORMAL, &["pass"], &["answered 0"]);
    let capped = notes(&run, "passive-listeners-capped");
    assert_eq!(capped.len(), 1, "{}", run.report["harness_notes"]);
    assert_eq!(capped[0]["party"], "ftp-staging");
    assert!(capped[0]["count"].as_u64().is_some_and(|n| n > 0), "{}", capped[0]);
    assert!(notes(&run, "descriptors-exhausted").is_empty(), "{}", run.report["harness_notes"]);
}

/// The harness does run out: under an open-file limit of 128, the LMS holds 300 idle
/// connections on the collector while it fetches and receipts the normal scenario. The
/// harness cannot accept its fetch and receipt in time, through no fault of the LMS:
/// the scenario is inconclusive (never fail) saying why, the report carries one
/// `descriptors-exhausted` note with the limit, stderr says it once, and the report is
/// still written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn descriptor_exhaustion_makes_the_scenario_inconclusive_and_is_noted() {
    let deadlines = Deadlines { ack: 1500, fetch: 1000, receipt: 2000, quiet: 300 };
    let lms = Lms::start(Misbehaviour::IdleFloodDuringTheScenario(300)).await;
    let dir_limits = "";
    let run = {
        let dir = TempDir::new("hostile-descriptors-exhausted");
        let scenario_dir = dir.path().join("target");
        copy_shipped("target", NORMAL, &scenario_dir);
        let profile = dir.write("profile.toml", &deadlines.profile_with("ftp = \"yes\"", dir_limits));
        let mut arguments = args(["target", "--url", &lms.url(), "--profile"]);
        arguments.push(profile.into());
        arguments.extend(args(["--scenarios".into(), scenario_dir.into_os_string()]));
        arguments.extend(args(["--report-dir".into(), dir.path().join("reports").into_os_string()]));
        run_harness_within(
            "descriptors-exhausted",
            &arguments,
            &dir,
            deadlines.budget() + Duration::from_secs(30),
            Some(128),
        )
        .await
    };
    run.assert_ended(3, deadlines.budget());
    run.assert_verdict(NORMAL, &["inconclusive"], &["ran out of file descriptors"]);
    let scenario = run.scenario(NORMAL);
    assert!(
        scenario["checks"].as_array().is_some_and(|checks| checks.iter().all(|c| c["verdict"] != "fail")),
        "a check still fails: {scenario:#}"
    );
    let exhausted = notes(&run, "descriptors-exhausted");
    assert!(!exhausted.is_empty(), "no descriptors-exhausted note: {}", run.report["harness_notes"]);
    assert!(exhausted.iter().any(|n| n["party"] == "collector"), "{}", run.report["harness_notes"]);
    assert!(exhausted.iter().all(|n| n["message"].as_str().is_some_and(|m| m.contains("open-file limit 128"))));
    assert_eq!(run.stderr.matches("ran out of file descriptors").count(), 1, "said once on stderr:\n{}", run.stderr);
}
