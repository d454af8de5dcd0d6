//! Interop in observe mode: the relay between php-pens and our reference parties.
//!
//! The interop suite (`interop.rs`) judges php-pens against the harness's own parties;
//! here php-pens talks to one of our reference implementations *through* `observe`, and
//! the report must blame what it blames on the right party, with the verdicts the interop
//! suite already defends in `interop/php-pens/expected.txt`:
//!
//! - php-pens's target (PENSServer), published to by our reference client
//!   (`serve client`): every `client` check passes (the reference client is correct), and
//!   the `target` checks find what target mode finds in `collect-post-valid`;
//! - our reference target (`serve target`), published to by php-pens's client (the
//!   interop trigger): every `target` check passes, and the `client` checks find what
//!   client mode finds in `publish-valid` and the `answers-*` scenarios;
//! - each again with a defect seeded into our reference party (a client whose package
//!   URL answers 404, a target whose receipt names another package): each party is
//!   blamed for its own defect and for nothing of the other's.
//!
//! What each run must show, check by check, is written down and defended in
//! `interop/php-pens/expected-observe.txt`; any difference fails, with the run's output
//! and PHP's log. The glue (PHP's built-in server, the trigger, the skip without PHP) is
//! the interop suite's, reused.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use serde_json::Value;

use super::interop::{self, PhpClient, PhpServer, PhpTarget};
use super::{ServedTarget, TempDir, lines_until, pens_conform, stdout_lines, workspace_root};

/// The expectation file of the observe runs, relative to the workspace root.
const EXPECTED: &str = "interop/php-pens/expected-observe.txt";

/// How long one observed publish may take end to end before the run is a hang: the
/// publish itself takes a few seconds (php-pens's call to itself waits up to 1 s, the
/// quiet window after the receipt a few more).
const RUN_DEADLINE: Duration = Duration::from_secs(120);

/// The observe runs of this suite, as the expectation file names them: php-pens's target
/// or client, and after it the defect seeded into our reference party, if any.
const RUNS: [&str; 4] = [
    "php-pens-target",
    "php-pens-client",
    "php-pens-target-package-not-staged",
    "php-pens-client-receipt-wrong-package-id",
];

/// The defect `run` seeds into our reference party (`php-pens-target-DEFECT`).
fn seeded_defect(run: &str) -> Option<&str> {
    ["php-pens-target", "php-pens-client"].iter().find_map(|prefix| run.strip_prefix(prefix)?.strip_prefix('-'))
}

/// The parties a check may judge.
const PARTIES: [&str; 2] = ["client", "target"];

/// How long the observe run watches after the receipt (profile `[deadlines] quiet`), and
/// how long our reference client stays for alerts after the last one (`serve client
/// --linger`): both parties send their alert right after the receipt's answer, which
/// takes milliseconds, but a loaded CI machine must not make an alert miss the run (its
/// checks are expected) or reach a client that has left (its answer is judged).
const ALERT_WINDOW_MS: u64 = 5000;

/// `pens-conform observe --publishes 1` relaying to `target_url`, as a child process:
/// started, and the relay's collect URL read from the line it prints before waiting.
struct Observer {
    child: Option<Child>,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: PathBuf,
    reports: PathBuf,
    collect_url: String,
}

impl Observer {
    fn start(dir: &TempDir, target_url: &str) -> Observer {
        let reports = dir.path().join("observe-reports");
        let stderr = dir.path().join("observe.stderr");
        let profile = dir.write("observe-profile.toml", &format!("[deadlines]\nquiet = {ALERT_WINDOW_MS}\n"));
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pens-conform"))
            .args(["observe", "--target", target_url, "--publishes", "1", "--profile"])
            .arg(&profile)
            .arg("--report-dir")
            .arg(&reports)
            .current_dir(workspace_root())
            .env_remove("RUST_LOG")
            .env_remove("GITHUB_STEP_SUMMARY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("observe starts");
        let lines = stdout_lines(&mut child);
        // Built before the wait, so that a run that never says where to publish is
        // killed (on drop) when the wait panics.
        let mut observer =
            Observer { child: Some(child), lines, seen: Vec::new(), stderr, reports, collect_url: String::new() };
        observer.seen = lines_until(&observer.lines, "publish to ");
        let announced = observer.seen.last().expect("the line that says where to publish");
        observer.collect_url = announced
            .strip_prefix("publish to ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("{announced:?}"))
            .to_owned();
        observer
    }

    /// Waits for the run to end by itself (its one publish judged), at most
    /// [`RUN_DEADLINE`]: beyond it the run is killed and the test fails with its output,
    /// as a hang in CI would.
    fn finish(mut self) -> ObservedRun {
        let mut child = self.child.take().expect("running");
        let pid = child.id();
        let (done_in, done) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done_in.send(child.wait());
        });
        let status = done.recv_timeout(RUN_DEADLINE);
        if status.is_err() {
            let _ = std::process::Command::new("kill").args(["-9", &pid.to_string()]).status();
            let _ = done.recv_timeout(Duration::from_secs(10));
        }
        self.seen.extend(self.lines.try_iter());
        let output = format!(
            "--- observe stdout\n{}\n--- observe stderr\n{}",
            self.seen.join("\n"),
            std::fs::read_to_string(&self.stderr).unwrap_or_default()
        );
        let code = match status {
            Ok(Ok(status)) => status.code(),
            _ => panic!("observe did not end within {RUN_DEADLINE:?} of its start (killed):\n{output}"),
        };
        let report = std::fs::read_to_string(self.reports.join("report.json"))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_else(|| panic!("observe wrote no readable report.json (exit {code:?}):\n{output}"));
        ObservedRun { code, report, output }
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What an observe run left: its exit code, report.json and output.
struct ObservedRun {
    code: Option<i32>,
    report: Value,
    output: String,
}

/// php-pens's target, observed while our reference client publishes to it through the
/// relay: the reference client passes every check, php-pens's target gets what target
/// mode gives it in `collect-post-valid`.
#[test]
fn php_pens_target_observed_with_our_reference_client_gets_the_expected_verdicts() {
    observe_php_pens_target("php-pens-target");
}

/// The same with our reference client's `package-not-staged` defect (its package URL
/// answers 404): the client fails for its staging, and php-pens's target fails for
/// receipting the 404 page as a package (target mode's `staging-not-found`); each
/// defect is blamed on its own party.
#[test]
fn php_pens_target_observed_with_a_client_that_never_staged_blames_each_party_for_its_own_defect() {
    observe_php_pens_target("php-pens-target-package-not-staged");
}

/// Observes php-pens's target while our reference client, with the defect `run` seeds
/// (if any), publishes once through the relay; compares with the file's lines for `run`.
fn observe_php_pens_target(run: &str) {
    let Some(php_pens) = interop::php_pens() else { return };
    let defect = seeded_defect(run);
    let dir = TempDir::new("interop-observe-target");
    // Two requests per collect (the answer, then the download php-pens makes in a call
    // to itself).
    let target = PhpTarget::start(&php_pens, &dir, 4, None);
    let observer = Observer::start(&dir, &format!("http://127.0.0.1:{}/index.php", target.port));
    let publish = pens_conform()
        .args(["serve", "client", "--target", &observer.collect_url, "--wait", "60"])
        .args(["--linger", &ALERT_WINDOW_MS.to_string()])
        .args(defect.iter().flat_map(|name| ["--defect", name]))
        .timeout(RUN_DEADLINE)
        .output()
        .expect("serve client runs");
    let run_output = observer.finish();
    let context = format!("--- serve client\n{}\n{}", super::both(&publish), run_output.output);
    // The same end result as without the relay: php-pens answered 0 and receipted (it
    // receipts a 404 page as a package too).
    assert!(publish.status.success(), "the reference client's publish through the relay failed:\n{context}");
    compare(run, &run_output, &context, &target.server);
}

/// Our reference target, observed while php-pens's client publishes to it through the
/// relay (the interop trigger): the reference target passes every check, php-pens's
/// client gets what client mode gives it.
#[test]
fn our_reference_target_observed_with_a_php_pens_client_gets_the_expected_verdicts() {
    observe_php_pens_client("php-pens-client");
}

/// The same with our reference target's `receipt-wrong-package-id` defect: the target
/// is blamed for its receipt, and php-pens's client, which answers it, for nothing.
#[test]
fn a_target_that_receipts_the_wrong_package_observed_with_a_php_pens_client_is_blamed_alone() {
    observe_php_pens_client("php-pens-client-receipt-wrong-package-id");
}

/// Observes our reference target, with the defect `run` seeds (if any), while php-pens's
/// client publishes once through the relay; compares with the file's lines for `run`.
fn observe_php_pens_client(run: &str) {
    let Some(php_pens) = interop::php_pens() else { return };
    let dir = TempDir::new("interop-observe-client");
    let defect: Vec<&str> = seeded_defect(run).into_iter().flat_map(|name| ["--defect", name]).collect();
    let target = ServedTarget::start_with(&defect);
    let client = PhpClient::start(&php_pens, &dir);
    let observer = Observer::start(&dir, &target.url);
    let publish = assert_cmd::Command::new(&php_pens.php)
        .arg(&client.script)
        .current_dir(workspace_root())
        .env("PENS_TARGET_URL", &observer.collect_url)
        .env("PHP_PENS_DIR", &php_pens.dir)
        .env("PHP_PENS_CLIENT_BASE", &client.base)
        .timeout(RUN_DEADLINE)
        .output()
        .expect("the trigger runs");
    let run_output = observer.finish();
    let context = format!("--- trigger.php\n{}\n{}", super::both(&publish), run_output.output);
    // The same end result as without the relay: our target answered php-pens's collect 0.
    let answered = String::from_utf8_lossy(&publish.stdout).contains("answer: error=0 ");
    assert!(publish.status.success() && answered, "php-pens's publish through the relay failed:\n{context}");
    compare(run, &run_output, &context, &client.server);
}

/// One line of the expectation file: what `RUN` shows of `PARTY`, either as a whole
/// (`REQUIREMENT` is `*`: the worst verdict of that party's checks) or one check.
#[derive(Debug)]
struct Expectation {
    line: usize,
    verdict: String,
    /// A finding that timing decides: it may not show (`warn?` in the file).
    optional: bool,
    /// The interop suite's line this one must agree with (`target collect-post-valid`).
    same_as: Option<(String, String)>,
    clause: Option<String>,
    source: Option<String>,
    why: Option<String>,
}

/// The key of an expectation: run, party, requirement (`*` for the party as a whole).
type Key = (String, String, String);

/// The expectation file; a malformed line panics naming it.
fn expectations() -> BTreeMap<Key, Expectation> {
    let path = workspace_root().join(EXPECTED);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut expected = BTreeMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let mut fields = content.split('|').map(str::trim);
        let head: Vec<&str> = fields.next().unwrap_or_default().split_whitespace().collect();
        let (run, party, requirement, verdict, same_as) = match head[..] {
            [run, party, requirement, verdict] => (run, party, requirement, verdict, None),
            [run, party, requirement, verdict, "as", mode, scenario] => {
                (run, party, requirement, verdict, Some((mode.to_owned(), scenario.to_owned())))
            }
            _ => panic!(
                "{EXPECTED}:{line}: expected `RUN PARTY REQUIREMENT VERDICT[?] [as MODE SCENARIO] [| CLAUSE | SOURCE | \
                 WHY]`, got `{content}`"
            ),
        };
        assert!(RUNS.contains(&run), "{EXPECTED}:{line}: run `{run}` is not one of {RUNS:?}");
        assert!(PARTIES.contains(&party), "{EXPECTED}:{line}: party `{party}` is not one of {PARTIES:?}");
        // `warn?`: a finding that timing decides (shows with that verdict, or not at all).
        let (verdict, optional) = match verdict.strip_suffix('?') {
            Some(verdict) => (verdict, true),
            None => (verdict, false),
        };
        assert!(
            interop::VERDICTS.contains(&verdict),
            "{EXPECTED}:{line}: verdict `{verdict}` is not one of {:?}",
            interop::VERDICTS
        );
        assert!(
            !optional || requirement != "*",
            "{EXPECTED}:{line}: a party's verdict as a whole cannot be optional (`?`)"
        );
        let mut field = || fields.next().filter(|f| !f.is_empty() && *f != "-").map(str::to_owned);
        let expectation = Expectation {
            line,
            verdict: verdict.to_owned(),
            optional,
            same_as,
            clause: field(),
            source: field(),
            why: field(),
        };
        let key = (run.to_owned(), party.to_owned(), requirement.to_owned());
        if let Some(earlier) = expected.insert(key, expectation) {
            panic!("{EXPECTED}:{line}: {run} {party} {requirement} is listed twice (also line {})", earlier.line);
        }
    }
    expected
}

/// The file names both parties of every run as a whole, ties each of those lines to the
/// interop suite's line for the same situation (and agrees with it), and defends every
/// verdict but `pass` as `expected.txt` does: a CMI010 clause, the php-pens source line
/// (present in php-pens), and why.
#[test]
fn the_observe_expectation_file_covers_every_run_and_agrees_with_the_interop_suite() {
    let expected = expectations();
    let interop = interop::expectations();
    let php_pens = interop::php_pens_dir();
    let mut problems = Vec::new();
    for run in RUNS {
        for party in PARTIES {
            if !expected.contains_key(&(run.to_owned(), party.to_owned(), "*".to_owned())) {
                problems.push(format!("{run} {party} *: no line (each party of each run needs its verdict)"));
            }
        }
    }
    for ((run, party, requirement), expectation) in &expected {
        let at = format!("{EXPECTED}:{} ({run} {party} {requirement})", expectation.line);
        if requirement == "*" {
            // The party's verdict is its worst finding: the lines below it must say so.
            let findings = expected
                .iter()
                .filter(|((r, p, q), _)| r == run && p == party && q != "*")
                .map(|(_, finding)| (severity(&finding.verdict), finding.optional));
            let worst = findings.clone().filter(|(_, optional)| !optional).map(|(rank, _)| rank).max();
            let worst = worst.unwrap_or(severity("pass"));
            if worst != severity(&expectation.verdict) || findings.clone().any(|(rank, _)| rank > worst) {
                problems.push(format!("{at}: {} is not the worst of the party's findings listed", expectation.verdict));
            }
            if !run_party_is_php_pens(run, party) && seeded_defect(run).is_none() && expectation.verdict != "pass" {
                problems.push(format!("{at}: our reference {party} passes every check, not {}", expectation.verdict));
            }
        }
        if let Some((mode, scenario)) = &expectation.same_as {
            match interop.get(&(mode.clone(), scenario.clone())) {
                None => problems.push(format!("{at}: `as {mode} {scenario}`: no such line in expected.txt")),
                Some(theirs) if requirement == "*" && theirs.verdict != expectation.verdict => problems.push(format!(
                    "{at}: {} here, {} in expected.txt line {} ({mode} {scenario}): the same situation must reach \
                     the same verdict",
                    expectation.verdict, theirs.verdict, theirs.line
                )),
                // One check is no worse than the scenario it stands for there.
                Some(theirs) if severity(&expectation.verdict) > severity(&theirs.verdict) => problems.push(format!(
                    "{at}: {} here, but {mode} {scenario} is {} in expected.txt line {}: one of its checks cannot be \
                     worse",
                    expectation.verdict, theirs.verdict, theirs.line
                )),
                Some(_) => {}
            }
        } else if requirement == "*" && run_party_is_php_pens(run, party) {
            problems.push(format!("{at}: php-pens's party needs `as MODE SCENARIO`, the interop line it agrees with"));
        }
        if expectation.verdict == "pass" {
            continue;
        }
        match &expectation.clause {
            Some(clause) if clause.starts_with('§') || clause.starts_with("App.") => {}
            other => {
                problems.push(format!("{at}: a `{}` needs its CMI010 clause (§…), got {other:?}", expectation.verdict))
            }
        }
        if expectation.why.is_none() {
            problems.push(format!("{at}: a `{}` needs the reason", expectation.verdict));
        }
        // Our reference party's findings come from the defect the run seeds, named as
        // the source (`defect package-not-staged`); php-pens's from a line of php-pens.
        let ours = !run_party_is_php_pens(run, party);
        match (&expectation.source, seeded_defect(run)) {
            (Some(source), Some(defect)) if ours => {
                if *source != format!("defect {defect}") {
                    problems.push(format!(
                        "{at}: our reference {party}'s finding names `defect {defect}`, the defect \
                                           the run seeds, as its source, not `{source}`"
                    ));
                }
            }
            (_, None) if ours => problems.push(format!(
                "{at}: our reference {party} seeded with no defect passes every check, not {}",
                expectation.verdict
            )),
            (Some(source), _) => {
                if let Err(problem) = interop::source_line_exists(&php_pens, source) {
                    problems.push(format!("{at}: {problem}"));
                }
            }
            (None, _) => problems.push(format!("{at}: a `{}` needs its source line", expectation.verdict)),
        }
    }
    assert!(problems.is_empty(), "{EXPECTED}:\n{}", problems.join("\n"));
}

/// Whether `party` of `run` is php-pens (rather than one of our reference parties).
fn run_party_is_php_pens(run: &str, party: &str) -> bool {
    run.starts_with(&format!("php-pens-{party}"))
}

/// Compares the run's one publish with the file's lines for `run`: each party's worst
/// verdict; every check that is not a pass (with its party) against the lines that name
/// it; and every line's check made, with its verdict. On any difference, fails with each difference, the runs' output and the end
/// of PHP's log.
fn compare(run: &str, observed: &ObservedRun, context: &str, server: &PhpServer) {
    let fail = |differences: &[String]| -> ! {
        panic!(
            "observe {run}: differs from {EXPECTED}:\n{}\n{context}\n--- php (last 4000 bytes)\n{}",
            differences.join("\n"),
            interop::tail(&server.log(), 4000),
        )
    };
    let scenarios = observed.report["scenarios"].as_array().cloned().unwrap_or_default();
    let [publish] = &scenarios[..] else {
        fail(&[format!("one publish judged, got {} (exit {:?})", scenarios.len(), observed.code)]);
    };
    let expected: BTreeMap<Key, Expectation> = expectations().into_iter().filter(|((r, _, _), _)| r == run).collect();
    let mut differences = Vec::new();
    // A complete run, whose exit status is its one publish's verdict, as in target mode.
    if let Some(aborted) = observed.report.get("aborted").filter(|a| !a.is_null()) {
        differences.push(format!("the run was aborted: {aborted}"));
    }
    let exit = match publish["verdict"].as_str() {
        Some("inconclusive" | "error") => 3,
        Some("fail") => 1,
        _ => 0,
    };
    if observed.code != Some(exit) {
        differences.push(format!("exit {:?} for a publish judged {}, not {exit}", observed.code, publish["verdict"]));
    }
    // Every check made, by party and requirement, at its worst (a requirement may be
    // checked more than once: the receipt and each alert).
    let mut made: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut worst: BTreeMap<String, usize> = BTreeMap::new();
    for check in publish["checks"].as_array().cloned().unwrap_or_default() {
        let party = check["party"].as_str().unwrap_or("(none)").to_owned();
        let requirement = check["requirement"].as_str().unwrap_or("?").to_owned();
        let verdict = check["verdict"].as_str().unwrap_or("?").to_owned();
        if !PARTIES.contains(&party.as_str()) {
            differences.push(format!("a check names no party: {check}"));
            continue;
        }
        let rank = severity(&verdict);
        let entry = worst.entry(party.clone()).or_insert(severity("pass"));
        *entry = (*entry).max(rank);
        let key = (party, requirement);
        if made.get(&key).is_none_or(|earlier| severity(earlier) < rank) {
            made.insert(key, verdict);
        }
    }
    // The findings: what is neither a pass nor info.
    let found: BTreeMap<&(String, String), &String> =
        made.iter().filter(|(_, verdict)| severity(verdict) > severity("info")).collect();
    for party in PARTIES {
        let got = worst.get(party).map_or("pass", |rank| SEVERITY[*rank]);
        match expected.get(&(run.to_owned(), party.to_owned(), "*".to_owned())) {
            Some(e) if e.verdict == got => {}
            Some(e) => differences.push(format!("{party}: expected {} (line {}), got {got}", e.verdict, e.line)),
            None => differences.push(format!("{party}: no `{run} {party} *` line")),
        }
    }
    for ((party, requirement), verdict) in &found {
        match expected.get(&(run.to_owned(), party.clone(), requirement.clone())) {
            Some(e) if &e.verdict == *verdict => {}
            Some(e) => differences
                .push(format!("{party} {requirement}: expected {} (line {}), got {verdict}", e.verdict, e.line)),
            None => differences.push(format!(
                "{party} {requirement}: {verdict}, which no line expects: {}",
                message_of(publish, party, requirement)
            )),
        }
    }
    // Every line's check was made (a `pass` line too: what must be judged was judged,
    // so a party cannot pass by having nothing of it seen), unless timing decides it.
    for ((_, party, requirement), e) in &expected {
        if requirement == "*" {
            continue;
        }
        match made.get(&(party.clone(), requirement.clone())) {
            None if e.optional => {}
            None => {
                differences.push(format!("{party} {requirement}: expected {} (line {}), not made", e.verdict, e.line))
            }
            Some(verdict) if *verdict == e.verdict => {}
            Some(verdict) if severity(verdict) <= severity("info") && e.optional => {}
            Some(verdict) => differences
                .push(format!("{party} {requirement}: expected {} (line {}), got {verdict}", e.verdict, e.line)),
        }
    }
    if !differences.is_empty() {
        fail(&differences);
    }
}

/// Verdicts from the least to the most severe, as a party's worst is counted here (a
/// check that does not apply is no finding).
const SEVERITY: [&str; 7] = ["not-applicable", "pass", "info", "warn", "inconclusive", "fail", "error"];

fn severity(verdict: &str) -> usize {
    SEVERITY.iter().position(|v| *v == verdict).unwrap_or(SEVERITY.len() - 1)
}

/// The message of the publish's first check of `party` and `requirement`.
fn message_of(publish: &Value, party: &str, requirement: &str) -> String {
    publish["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["party"] == party && c["requirement"] == requirement)
        .and_then(|c| c["message"].as_str())
        .unwrap_or("")
        .to_owned()
}
