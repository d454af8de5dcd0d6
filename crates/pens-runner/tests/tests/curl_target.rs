//! A target that fetches with curl, as PHP and most LMSs do: `curl ftps://…` speaks
//! implicit FTPS, `curl --ssl-reqd ftp://…` explicit FTPS. The FTPS listener serves both,
//! so a correct target passes `ftps-fetch` whichever it uses, and the fetch check says
//! which one it was.

use std::path::PathBuf;
use std::sync::Arc;

use pens_parties::RunCa;
use pens_proto::{CollectCommand, PensResponse, Support};
use pens_report::Verdict;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support;

/// A file name of its own in the system's temp folder.
fn scratch(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("pens-runner-curl-{}-{n}-{name}", std::process::id()))
}

/// How the curl target asks for an `ftps://` package.
#[derive(Clone, Copy)]
enum Ftps {
    /// `curl ftps://…`: TLS from the first byte.
    Implicit,
    /// `curl --ssl-reqd ftp://…` on the same port: AUTH TLS.
    Explicit,
    /// Implicit, and no download timeout at all (as php-pens): a silent staging server
    /// holds it until the scenario ends.
    ImplicitWithoutTimeout,
}

/// Fetches `url` with curl, then posts a receipt (0, or 1310 when curl failed) to the
/// collect's receipt URL, also with curl.
fn fetch_and_receipt(command: &CollectCommand, ca: &PathBuf, mode: Ftps) {
    let Some(url) = command.package_url.clone() else { return };
    let out = scratch("package.zip");
    let (url, extra): (String, &[&str]) = match mode {
        Ftps::Explicit if url.starts_with("ftps://") => (url.replacen("ftps://", "ftp://", 1), &["--ssl-reqd"]),
        _ => (url, &[]),
    };
    let max_time = match mode {
        Ftps::ImplicitWithoutTimeout => "0",
        Ftps::Implicit | Ftps::Explicit => "10",
    };
    let fetched = std::process::Command::new("curl")
        .args(["--silent", "--show-error", "--fail", "--max-time", max_time, "--cacert"])
        .arg(ca)
        .arg("--output")
        .arg(&out)
        .args(extra)
        .arg(&url)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let _ = std::fs::remove_file(&out);
    let error = if fetched { "0" } else { "1310" };
    let Some(receipt) = command.receipt.clone() else { return };
    let mut post = std::process::Command::new("curl");
    post.args(["--silent", "--max-time", "10", "--output", "/dev/null"]);
    let fields = [
        ("command", Some("receipt".to_owned())),
        ("pens-version", command.pens_version.clone()),
        ("package-type", command.package_type.clone()),
        ("package-type-version", command.package_type_version.clone()),
        ("package-format", command.package_format.clone()),
        ("package-id", command.package_id.clone()),
        ("package-url", command.package_url.clone()),
        ("package-url-expiry", command.package_url_expiry.clone()),
        ("client", Some("curl target".to_owned())),
        ("error", Some(error.to_owned())),
        ("error-text", Some("fetched with curl".to_owned())),
    ];
    for (name, value) in fields {
        post.arg("--data-urlencode").arg(format!("{name}={}", value.unwrap_or_default()));
    }
    let _ = post.arg(receipt).status();
}

/// A target that answers 0 at once and fetches in the background with curl.
async fn curl_target(ca: PathBuf, mode: Ftps) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(move |request: &Request| {
            let command = CollectCommand::decode(&request.body).command;
            let ca = ca.clone();
            std::thread::spawn(move || fetch_and_receipt(&command, &ca, mode));
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/plain")
                .set_body_string(PensResponse::success("collect command received and understood").encode())
        })
        .mount(&server)
        .await;
    server
}

async fn ftps_fetch_with(mode: Ftps) -> pens_report::ScenarioResult {
    run_with(mode, "ftps-fetch").await
}

async fn run_with(mode: Ftps, id: &str) -> pens_report::ScenarioResult {
    let ca = RunCa::generate(&[]).expect("a run CA");
    let ca_file = scratch("ca.pem");
    std::fs::write(&ca_file, ca.ca_pem()).expect("ca.pem");
    let target = curl_target(ca_file.clone(), mode).await;
    let mut options = support::options(format!("{}/pens", target.uri()), support::conformant_deadlines());
    options.ca = Some(Arc::new(ca));
    options.claims.ftps = Support::Yes;
    let report = support::run(&support::target_scenarios_named(&[id]), &options).await;
    let _ = std::fs::remove_file(&ca_file);
    assert_eq!(report.aborted, None, "{}", support::describe_problems(&report));
    report.scenarios.into_iter().next().expect("the scenario ran")
}

#[tokio::test]
async fn a_target_fetching_ftps_urls_with_curl_implicit_tls_passes_ftps_fetch() {
    let scenario = ftps_fetch_with(Ftps::Implicit).await;
    assert_eq!(scenario.verdict, Verdict::Pass, "{:#?}", scenario.checks);
    let fetch = scenario.checks.iter().find(|c| c.message.starts_with("the package was downloaded whole"));
    let fetch = fetch.expect("the fetch check");
    assert_eq!(fetch.requirement, "target.fetch.ftps");
    assert!(fetch.message.contains("over implicit FTPS (TLS from the first byte)"), "{}", fetch.message);
}

#[tokio::test]
async fn a_target_fetching_with_curl_auth_tls_passes_ftps_fetch_too() {
    let scenario = ftps_fetch_with(Ftps::Explicit).await;
    assert_eq!(scenario.verdict, Verdict::Pass, "{:#?}", scenario.checks);
    let fetch = scenario.checks.iter().find(|c| c.message.starts_with("the package was downloaded whole"));
    let fetch = fetch.expect("the fetch check");
    assert_eq!(fetch.requirement, "target.fetch.ftps");
    assert!(fetch.message.contains("over explicit FTPS (AUTH TLS)"), "{}", fetch.message);
}

/// `staging-silent` against a target without a download timeout: it never gives up, so
/// no receipt comes, which only warns (CMI010 names no download timeout); the answer
/// came at once, and the scenario ends at its deadlines, its silent connection closed.
#[tokio::test]
async fn a_target_without_a_download_timeout_only_warns_on_a_silent_staging_server_and_the_run_ends() {
    let started = std::time::Instant::now();
    let scenario = run_with(Ftps::ImplicitWithoutTimeout, "staging-silent").await;
    assert_eq!(scenario.verdict, Verdict::Warn, "{:#?}", scenario.checks);
    let missing = scenario.checks.iter().find(|c| c.requirement == "target.receipt.sent").expect("the count check");
    assert!(missing.message.contains("names no download timeout"), "{}", missing.message);
    let deadlines = support::conformant_deadlines();
    let bound =
        deadlines.ack + deadlines.fetch + deadlines.receipt + deadlines.quiet + std::time::Duration::from_secs(5);
    assert!(started.elapsed() < bound, "the run took {:?}", started.elapsed());
}
