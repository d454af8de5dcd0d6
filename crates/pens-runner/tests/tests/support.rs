//! What every integration test needs: the workspace's scenarios and fixtures, a
//! reference target trusting a fresh run CA, run options pointing at it, and a way to
//! run the suite and read the verdicts back.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pens_parties::{Collector, RunCa, reference_capabilities};

use pens_proto::TargetCapabilities;
use pens_reference::{Defect, ReferenceTarget, ReferenceTargetOptions};
use pens_report::{RunReport, Verdict};
use pens_runner::{Deadlines, RunOptions, run_target_suite};
use pens_scenario::Scenario;

/// The system password every run sends; it must never show up in a report.
pub(crate) const SYSTEM_PASSWORD: &str = "hunter2-system";

/// The system user every run sends.
pub(crate) const SYSTEM_USER: &str = "pens-conform-tests";

/// The package limit of every reference target here, declared to the run: small, so that
/// `security-oversized-package` streams a few MiB; above the zip bomb's 2 MiB, which must
/// reach the archive check.
pub(crate) const MAX_PACKAGE_BYTES: u64 = 4 * 1024 * 1024;

/// The workspace root (`crates/pens-runner/../..`).
pub(crate) fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

/// `fixtures/packages` of the workspace.
pub(crate) fn packages_dir() -> PathBuf {
    workspace().join("fixtures").join("packages")
}

/// Every scenario of `scenarios/target`; a load error fails the test that asked.
pub(crate) fn target_scenarios() -> Vec<Scenario> {
    let (scenarios, errors) = pens_scenario::load_dir(workspace().join("scenarios").join("target"));
    assert!(errors.is_empty(), "scenarios/target does not load: {}", pens_scenario::render_plain_all(&errors));
    assert!(!scenarios.is_empty(), "scenarios/target is empty");
    scenarios
}

/// The deadlines of the conformant run: generous, since a correct target never makes
/// the runner wait for them.
pub(crate) fn conformant_deadlines() -> Deadlines {
    Deadlines {
        ack: Duration::from_secs(3),
        fetch: Duration::from_secs(3),
        receipt: Duration::from_secs(5),
        quiet: Duration::from_millis(300),
    }
}

/// The deadlines of the defect matrix: short, so a defect that withholds something
/// costs little.
pub(crate) fn defect_deadlines() -> Deadlines {
    Deadlines {
        ack: Duration::from_millis(1500),
        fetch: Duration::from_secs(3),
        receipt: Duration::from_secs(3),
        quiet: Duration::from_millis(250),
    }
}

/// Options for a run against `target_url` with the given deadlines, the reference
/// claims and the test system credentials.
pub(crate) fn options(target_url: impl Into<String>, deadlines: Deadlines) -> RunOptions {
    let mut options = RunOptions::new(target_url, packages_dir());
    options.claims = reference_capabilities();
    options.deadlines = deadlines;
    options.system_user_id = Some(SYSTEM_USER.to_owned());
    options.system_password = Some(SYSTEM_PASSWORD.to_owned());
    options.target_name = Some("pens-runner integration test".to_owned());
    options.declared_max_package_bytes = Some(MAX_PACKAGE_BYTES);
    options
}

/// How long the reference target waits for a package: past `staging-slow-first-byte`'s
/// two seconds, and well short of the receipt deadline, so that it gives up on
/// `staging-silent` and receipts 1310 in time (3 s with the conformant deadlines, 2.5 s
/// with the defect matrix's).
pub(crate) fn fetch_timeout(deadlines: &Deadlines) -> Duration {
    deadlines.receipt.saturating_sub(Duration::from_millis(500)).min(Duration::from_secs(3))
}

/// A reference target (with `defect`, if any) and options pointing at it, sharing one
/// run CA, the way `pens-conform selftest` sets them up. Keep the target alive for the
/// whole run: dropping it stops it.
pub(crate) fn reference(defect: Option<Defect>, deadlines: Deadlines) -> (ReferenceTarget, RunOptions) {
    let ca = RunCa::generate(&[]).expect("a run CA");
    let target_options = ReferenceTargetOptions::builder()
        .defect(defect)
        .extra_root_pem(ca.ca_pem())
        // `slow-ack` is only a defect once it misses the ack deadline.
        .slow_ack_extra_delay(deadlines.ack + Duration::from_millis(500))
        .fetch_timeout(fetch_timeout(&deadlines))
        .max_package_bytes(MAX_PACKAGE_BYTES)
        .build();
    let target = ReferenceTarget::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), target_options)
        .expect("the reference target starts");
    let mut options = options(target.url(), deadlines);
    options.ca = Some(Arc::new(ca));
    (target, options)
}

/// A reference target that supports `supported` (FTP, FTPS and mail switched on or off
/// by it), mailing through the run's own collector, and options claiming `claimed`:
/// claims and support differ when a test wants a target that over-claims.
pub(crate) async fn reference_with_transports(
    supported: TargetCapabilities,
    claimed: TargetCapabilities,
    deadlines: Deadlines,
) -> (ReferenceTarget, RunOptions) {
    reference_with(None, supported, claimed, deadlines).await
}

/// The general set-up behind the two above.
async fn reference_with(
    defect: Option<Defect>,
    supported: TargetCapabilities,
    claimed: TargetCapabilities,
    deadlines: Deadlines,
) -> (ReferenceTarget, RunOptions) {
    let ca = RunCa::generate(&[]).expect("a run CA");
    let collector = Collector::start(Ipv4Addr::LOCALHOST.into(), "").await.expect("the collector starts");
    let target_options = ReferenceTargetOptions::builder()
        .defect(defect)
        .capabilities(supported)
        .smtp_relay(collector.smtp_addr())
        .extra_root_pem(ca.ca_pem())
        // `slow-ack` is only a defect once it misses the ack deadline.
        .slow_ack_extra_delay(deadlines.ack + Duration::from_millis(500))
        .fetch_timeout(fetch_timeout(&deadlines))
        .max_package_bytes(MAX_PACKAGE_BYTES)
        .build();
    let target = ReferenceTarget::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), target_options)
        .expect("the reference target starts");
    let mut options = options(target.url(), deadlines);
    options.ca = Some(Arc::new(ca));
    options.collector = Some(Arc::new(collector));
    options.claims = claimed;
    (target, options)
}

/// A reference target with every transport switched on and claimed (and `defect`, if
/// any), mailing through the run's collector: the self-test's default set-up.
pub(crate) async fn reference_all_transports(
    defect: Option<Defect>,
    deadlines: Deadlines,
) -> (ReferenceTarget, RunOptions) {
    let full = pens_parties::full_capabilities();
    reference_with(defect, full.clone(), full, deadlines).await
}

/// The ids of the scenarios that do not apply to a target claiming `claims`: one of
/// their `needs` is not claimed, or one of their `unless` is, or they stage a package
/// grown beyond [`MAX_PACKAGE_BYTES`], the limit every run here declares.
pub(crate) fn not_applicable_ids(scenarios: &[Scenario], claims: &TargetCapabilities) -> Vec<String> {
    let claimed = |capability: pens_scenario::Capability| {
        let support = match capability {
            pens_scenario::Capability::Ftp => claims.ftp,
            pens_scenario::Capability::Ftps => claims.ftps,
            pens_scenario::Capability::MailtoReceipt => claims.mailto_receipt,
            pens_scenario::Capability::MailtoAlerts => claims.mailto_alerts,
            pens_scenario::Capability::Alerts => claims.alerts,
        };
        support == pens_proto::Support::Yes
    };
    scenarios
        .iter()
        .filter(|s| {
            s.needs.iter().any(|n| !claimed(n.value))
                || s.unless.iter().any(|u| claimed(u.value))
                || s.staging.size.as_ref().is_some_and(|size| size.value > MAX_PACKAGE_BYTES)
        })
        .map(|s| s.id.value.clone())
        .collect()
}

/// The scenarios of `scenarios/target` whose ids are listed, in that order.
pub(crate) fn target_scenarios_named(ids: &[&str]) -> Vec<Scenario> {
    let all = target_scenarios();
    ids.iter()
        .map(|id| all.iter().find(|s| s.id.value == *id).unwrap_or_else(|| panic!("no scenario {id}")).clone())
        .collect()
}

/// Runs `scenarios` with `options`, ignoring progress events.
pub(crate) async fn run(scenarios: &[Scenario], options: &RunOptions) -> RunReport {
    run_target_suite(scenarios, options, &mut |_| {}).await.expect("the harness starts").report
}

/// One line per scenario whose verdict is not `pass`/`not-applicable`, with its
/// failing checks: what an assertion message should show.
pub(crate) fn describe_problems(report: &RunReport) -> String {
    let mut lines = Vec::new();
    if let Some(aborted) = &report.aborted {
        lines.push(format!("aborted: {aborted}"));
    }
    for scenario in &report.scenarios {
        if matches!(scenario.verdict, Verdict::Pass | Verdict::NotApplicable) {
            continue;
        }
        lines.push(format!(
            "{} -> {}{}",
            scenario.id,
            scenario.verdict,
            scenario.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
        ));
        for check in scenario.checks.iter().filter(|c| c.verdict > Verdict::Pass) {
            lines.push(format!("    {} [{}] {}", check.verdict, check.requirement, check.message));
        }
    }
    lines.join("\n")
}

/// Passwords the suite sends that must never reach a report: the run's system
/// password, and the wrong staging password of `staging-wrong-password`.
pub(crate) const SECRETS: [&str; 2] = [SYSTEM_PASSWORD, "not-the-staging-password"];

/// Asserts that no known secret appears in the JSON report or the JUnit document.
pub(crate) fn assert_no_secrets(report: &RunReport) {
    let json = serde_json::to_string(report).expect("the report serializes");
    let junit = pens_report::render_junit(report).expect("the junit document renders");
    for secret in SECRETS {
        assert!(!json.contains(secret), "`{secret}` in the JSON report");
        assert!(!junit.contains(secret), "`{secret}` in the JUnit report");
    }
}

/// Every check of every scenario points into its scenario file: the file the scenario
/// was loaded from, at a line the file has and a column within that line (the report
/// shows `file:line:col` for each, so a reader can open it there).
pub(crate) fn assert_every_check_located(report: &RunReport) {
    let mut texts: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    for scenario in &report.scenarios {
        let text = texts.entry(scenario.file.as_str()).or_insert_with(|| {
            std::fs::read_to_string(&scenario.file).unwrap_or_else(|e| panic!("{}: {e}", scenario.file))
        });
        let lines: Vec<&str> = text.split('\n').collect();
        for check in &scenario.checks {
            let Some(location) = &check.location else {
                panic!("{}: a check without a location: [{}] {}", scenario.id, check.requirement, check.message)
            };
            assert_eq!(
                location.file, scenario.file,
                "{}: [{}] points into another file",
                scenario.id, check.requirement
            );
            let line = usize::try_from(location.line).expect("line");
            assert!(
                (1..=lines.len()).contains(&line),
                "{}: [{}] at {location}: the file has {} lines",
                scenario.id,
                check.requirement,
                lines.len()
            );
            let width = lines[line - 1].chars().count();
            let col = usize::try_from(location.col).expect("col");
            assert!(
                (1..=width.max(1)).contains(&col),
                "{}: [{}] at {location}: line {line} has {width} characters",
                scenario.id,
                check.requirement
            );
        }
    }
}
