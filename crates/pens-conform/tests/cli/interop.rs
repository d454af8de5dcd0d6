//! Interop: both suites against php-pens, a PENS implementation nobody here wrote
//! (`../shared/peers/php-pens`, GPL-3.0, run unmodified, never copied into the project).
//!
//! Our reference target and client agree with our checks by construction; php-pens does
//! not. Every scenario's verdict against it is written down, and defended, in
//! `interop/php-pens/expected.txt`: one line per scenario, and for every verdict other
//! than `pass` the CMI010 clause and the php-pens source line that cause it. Any
//! difference fails: a check that starts failing correct php-pens behaviour, or stops
//! catching one of its defects, shows here first.
//!
//! php-pens runs under PHP's built-in server (Debian's `php-cli php-curl php-mbstring
//! php-xml`; `.ci/run` installs them). Without PHP the run tests fail when `CI` is set
//! and are skipped with a note otherwise. The glue (entry points, the trigger that makes
//! PENSClient publish, a sendmail for `mailto:`) is ours, in `interop/php-pens/`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::{TempDir, both, closed_port, pens_conform, scenario_ids_of, workspace_root};

/// The expectation file, relative to the workspace root.
const EXPECTED: &str = "interop/php-pens/expected.txt";

/// How long PHP's built-in server may take to say it listens.
const PHP_START_DEADLINE: Duration = Duration::from_secs(20);

/// The verdicts a scenario can reach (report.json's `verdict`).
pub(super) const VERDICTS: [&str; 7] = ["pass", "info", "warn", "not-applicable", "inconclusive", "fail", "error"];

/// What it takes to run php-pens here: a PHP with curl, and php-pens's folder.
pub(super) struct PhpPens {
    pub(super) php: PathBuf,
    pub(super) dir: PathBuf,
}

/// php-pens's folder: `PHP_PENS_DIR`, or `shared/peers/php-pens` beside the checkout
/// (where CI puts `shared/`).
pub(super) fn php_pens_dir() -> PathBuf {
    match std::env::var_os("PHP_PENS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("../shared/peers/php-pens"),
    }
}

/// PHP and php-pens, or `None` (with a note) when either is missing outside CI.
pub(super) fn php_pens() -> Option<PhpPens> {
    let dir = php_pens_dir();
    let php = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("php"))
        .find(|candidate| candidate.is_file());
    let modules = php.as_ref().and_then(|php| Command::new(php).arg("-m").output().ok());
    let has_curl = modules.is_some_and(|out| String::from_utf8_lossy(&out.stdout).lines().any(|m| m.trim() == "curl"));
    let problem = if !dir.join("pens.php").is_file() {
        Some(format!("php-pens is not at {} (set PHP_PENS_DIR)", dir.display()))
    } else if php.is_none() {
        Some("php is not installed: install the Debian packages php-cli php-curl php-mbstring php-xml".to_owned())
    } else if !has_curl {
        Some("php has no curl extension: install the Debian package php-curl".to_owned())
    } else {
        None
    };
    match (problem, php) {
        (None, Some(php)) => Some(PhpPens { php, dir }),
        // .ci/run installs PHP when it is missing; php-pens itself comes beside the
        // checkout (`../shared/peers/php-pens`), so a clone elsewhere needs PHP_PENS_DIR.
        (Some(problem), _) if std::env::var_os("CI").is_some() => panic!("{problem} (under CI it must be there)"),
        (Some(problem), _) => {
            eprintln!("note: {problem}; skipping the php-pens interop run");
            None
        }
        (None, None) => unreachable!("no problem means php was found"),
    }
}

/// php-pens's target (`interop/php-pens/target`) under PHP's built-in server on a free
/// port, with `WORKERS` workers; curl trusts the run's CA in `DIR/ca` (written by
/// `--ca-dir` before the first HTTPS or FTPS fetch), and with `SMTP` PHP mails through
/// our `sendmail.php` to that address.
pub(super) struct PhpTarget {
    pub(super) port: u16,
    pub(super) ca_dir: PathBuf,
    pub(super) server: PhpServer,
}

impl PhpTarget {
    pub(super) fn start(php_pens: &PhpPens, dir: &TempDir, workers: u32, smtp: Option<&str>) -> PhpTarget {
        let port = closed_port();
        let ca_dir = dir.path().join("ca");
        let glue = workspace_root().join("interop/php-pens");
        let mut args = vec![
            "-S".to_owned(),
            format!("127.0.0.1:{port}"),
            "-t".to_owned(),
            glue.join("target").display().to_string(),
            "-d".to_owned(),
            format!("curl.cainfo={}", ca_dir.join("ca.pem").display()),
        ];
        let mut env =
            vec![("PHP_CLI_SERVER_WORKERS", workers.to_string()), ("PHP_PENS_DIR", php_pens.dir.display().to_string())];
        if let Some(smtp) = smtp {
            args.push("-d".to_owned());
            args.push(format!("sendmail_path={} {}", php_pens.php.display(), glue.join("sendmail.php").display()));
            env.push(("PHP_PENS_SMTP", smtp.to_owned()));
        }
        let server = PhpServer::start(&php_pens.php, &args, &env, dir.path().join("php.log"));
        PhpTarget { port, ca_dir, server }
    }
}

/// `php -S` in its own process group, killed with all its workers when dropped.
pub(super) struct PhpServer {
    child: Child,
    log: PathBuf,
}

impl PhpServer {
    /// Starts `php ARGS` with `ENV` and waits for the built-in server's "started" line.
    fn start(php: &Path, args: &[String], env: &[(&str, String)], log: PathBuf) -> PhpServer {
        use std::os::unix::process::CommandExt;
        let mut command = Command::new(php);
        command
            .args(args)
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("php starts");
        let stderr = child.stderr.take().expect("stderr");
        let (started, lines) = std::sync::mpsc::channel();
        let log_path = log.clone();
        // Copies the server's log to a file (read on failure) and reports the line that
        // says it listens.
        std::thread::spawn(move || {
            let mut file = std::fs::File::create(&log_path).ok();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("Development Server") && line.contains("started") {
                    let _ = started.send(());
                }
                if let Some(file) = file.as_mut() {
                    use std::io::Write;
                    let _ = writeln!(file, "{line}");
                }
            }
        });
        let server = PhpServer { child, log };
        if lines.recv_timeout(PHP_START_DEADLINE).is_err() {
            panic!("php -S did not start within {PHP_START_DEADLINE:?}:\n{}", server.log());
        }
        server
    }

    /// What the server and php-pens wrote (PHP errors and warnings land here).
    pub(super) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for PhpServer {
    fn drop(&mut self) {
        // The negative pid reaches the workers PHP_CLI_SERVER_WORKERS forked, too.
        let _ = Command::new("sh").arg("-c").arg(format!("kill -9 -{}", self.child.id())).status();
        let _ = self.child.wait();
    }
}

/// One line of the expectation file.
#[derive(Debug)]
pub(super) struct Expectation {
    pub(super) line: usize,
    pub(super) verdict: String,
    clause: Option<String>,
    source: Option<String>,
    why: Option<String>,
}

/// The expectation file, by mode and scenario; a malformed line panics naming it.
pub(super) fn expectations() -> BTreeMap<(String, String), Expectation> {
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
        let [mode, scenario, verdict] = head[..] else {
            panic!("{EXPECTED}:{line}: expected `MODE SCENARIO VERDICT [| CLAUSE | SOURCE | WHY]`, got `{content}`");
        };
        assert!(matches!(mode, "target" | "client"), "{EXPECTED}:{line}: mode `{mode}` is neither target nor client");
        assert!(VERDICTS.contains(&verdict), "{EXPECTED}:{line}: verdict `{verdict}` is not one of {VERDICTS:?}");
        let mut field = || fields.next().filter(|f| !f.is_empty() && *f != "-").map(str::to_owned);
        let expectation =
            Expectation { line, verdict: verdict.to_owned(), clause: field(), source: field(), why: field() };
        let key = (mode.to_owned(), scenario.to_owned());
        if let Some(earlier) = expected.insert(key, expectation) {
            panic!("{EXPECTED}:{line}: {mode} {scenario} is listed twice (also line {})", earlier.line);
        }
    }
    expected
}

/// The file lists every scenario of both modes once, and defends every verdict but
/// `pass`: a CMI010 clause, a php-pens source line that exists, and why.
#[test]
fn the_expectation_file_covers_every_scenario_and_defends_every_non_pass() {
    let expected = expectations();
    let mut problems = Vec::new();
    for mode in ["target", "client"] {
        for id in scenario_ids_of(mode) {
            if !expected.contains_key(&(mode.to_owned(), id.clone())) {
                problems.push(format!("{mode} {id}: no line (every scenario needs its expected verdict)"));
            }
        }
    }
    let php_pens = php_pens_dir();
    for ((mode, id), expectation) in &expected {
        let at = format!("{EXPECTED}:{} ({mode} {id})", expectation.line);
        if !scenario_ids_of(mode).contains(id) {
            problems.push(format!("{at}: no such scenario in scenarios/{mode}/"));
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
        // A verdict that php-pens's code causes names the line; `not-applicable` may say
        // `-` (a claim, not php-pens's code, decides it).
        match &expectation.source {
            Some(source) => {
                if let Err(problem) = source_line_exists(&php_pens, source) {
                    problems.push(format!("{at}: {problem}"));
                }
            }
            None if expectation.verdict == "not-applicable" => {}
            None => {
                problems.push(format!("{at}: a `{}` needs the php-pens source line (FILE:LINE)", expectation.verdict))
            }
        }
    }
    assert!(problems.is_empty(), "{EXPECTED}:\n{}", problems.join("\n"));
}

/// `pens/pens_server.php:190` names a line that exists (checked when php-pens is here).
pub(super) fn source_line_exists(php_pens: &Path, source: &str) -> Result<(), String> {
    let Some((file, line)) = source.rsplit_once(':') else {
        return Err(format!("source `{source}` is not FILE:LINE"));
    };
    let line: usize = line.parse().map_err(|_| format!("source `{source}`: `{line}` is not a line number"))?;
    if file.starts_with("interop/") {
        // Our own glue (the handler that stands for an LMS's importer).
        let text = std::fs::read_to_string(workspace_root().join(file)).map_err(|e| format!("{file}: {e}"))?;
        return (line >= 1 && line <= text.lines().count()).then_some(()).ok_or(format!("{file} has no line {line}"));
    }
    let path = php_pens.join(file);
    if !php_pens.is_dir() {
        return Ok(());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("php-pens file {file}: {e}"))?;
    (line >= 1 && line <= text.lines().count()).then_some(()).ok_or(format!("php-pens {file} has no line {line}"))
}

/// php-pens as the target (PENSServer) under the whole target suite.
#[test]
fn php_pens_as_a_target_gets_the_expected_verdicts() {
    let Some(php_pens) = php_pens() else { return };
    let dir = TempDir::new("interop-target");
    let smtp = format!("127.0.0.1:{}", closed_port());
    // Two requests per collect (the answer, then the download), ten collects at once in
    // ten-collects-at-once.
    let target = PhpTarget::start(&php_pens, &dir, 24, Some(&smtp));
    let (port, ca_dir, server) = (target.port, target.ca_dir, target.server);
    // One scenario at a time: php-pens downloads every package to the temp folder under
    // its file name (pens_server.php:177), so two collects of `scorm12-minimal.zip` at
    // once overwrite and delete each other's download, and the alert our importer sends
    // would depend on which finished first. (ten-collects-at-once still publishes ten at
    // once; its verdict rests on the receipts, which the collision does not change.)
    let output = pens_conform()
        .args(["target", "--url", &format!("http://127.0.0.1:{port}/index.php"), "--smtp-listen", &smtp])
        .args(["--jobs", "1"])
        .arg("--ca-dir")
        .arg(&ca_dir)
        .arg("--report-dir")
        .arg(dir.path().join("reports"))
        .output()
        .expect("runs");
    compare("target", &dir.path().join("reports/report.json"), &output, &server);
}

/// php-pens receipts the zip bomb and the zip slip without opening them, POSTs every
/// receipt as multipart/form-data and writes its dates with `+0000`: summary.md's row
/// for the two security scenarios names the security finding (the receipt outcome, a
/// requirement the scenario declares), not a warning every scenario shares (issue 15).
#[test]
fn php_pens_security_rows_name_the_security_finding_not_the_shared_warning() {
    let Some(php_pens) = php_pens() else { return };
    let dir = TempDir::new("interop-headline");
    let target = PhpTarget::start(&php_pens, &dir, 8, None);
    let (port, ca_dir, server) = (target.port, target.ca_dir, target.server);
    let reports = dir.path().join("reports");
    let output = pens_conform()
        .args(["target", "--url", &format!("http://127.0.0.1:{port}/index.php"), "--jobs", "1"])
        .args(["--only", "security-zip-*", "--ca-dir"])
        .arg(&ca_dir)
        .arg("--report-dir")
        .arg(&reports)
        .output()
        .expect("runs");
    let context = || format!("{}\n--- php log\n{}", super::both(&output), tail(&server.log(), 4000));
    let summary = std::fs::read_to_string(reports.join("summary.md")).unwrap_or_else(|_| panic!("{}", context()));
    let junit = std::fs::read_to_string(reports.join("junit.xml")).expect("junit.xml");
    for id in ["security-zip-bomb", "security-zip-slip"] {
        let row = summary.lines().find(|l| l.contains(&format!("| {id} |"))).unwrap_or_else(|| panic!("{summary}"));
        assert!(row.starts_with("| **warn** |"), "{row}\n{}", context());
        let finding = format!("; target.receipt.outcome (CMI010 §5.1) at scenarios/target/{id}.toml:");
        assert!(row.contains(&finding), "the row names the security finding and its scenario line: {row}");
    }
    assert!(summary.contains("### Findings shared by several scenarios"), "{summary}");
    assert!(summary.contains("multipart"), "the shared warning is still shown, once: {summary}");
    assert!(junit.contains("name=\"security-zip-bomb\""), "{junit}");
}

/// php-pens as the client (PENSClient) under the whole client suite, published by our
/// trigger.
#[test]
fn php_pens_as_a_client_gets_the_expected_verdicts() {
    let Some(php_pens) = php_pens() else { return };
    let dir = TempDir::new("interop-client");
    let client = PhpClient::start(&php_pens, &dir);
    let output = pens_conform()
        .args(["client", "--trigger", &client.trigger, "--publish-timeout", "30"])
        .arg("--report-dir")
        .arg(dir.path().join("reports"))
        .env("PHP_PENS_DIR", &php_pens.dir)
        .env("PHP_PENS_CLIENT_BASE", &client.base)
        .output()
        .expect("runs");
    compare("client", &dir.path().join("reports/report.json"), &output, &client.server);
}

/// php-pens's client side (`interop/php-pens/client/router.php`) under PHP's built-in
/// server on a free port: it stages the SCORM 1.2 fixture under `/packages/` and answers
/// receipts and alerts with `PENSClient`. `trigger` is the command that makes it publish
/// once to `PENS_TARGET_URL` (with `PHP_PENS_DIR` and `PHP_PENS_CLIENT_BASE` = `base`
/// in its environment): `php` running `script`.
pub(super) struct PhpClient {
    pub(super) base: String,
    pub(super) trigger: String,
    pub(super) script: PathBuf,
    pub(super) server: PhpServer,
}

impl PhpClient {
    pub(super) fn start(php_pens: &PhpPens, dir: &TempDir) -> PhpClient {
        let port = closed_port();
        let glue = workspace_root().join("interop/php-pens");
        let base = format!("http://127.0.0.1:{port}");
        let args =
            vec!["-S".to_owned(), format!("127.0.0.1:{port}"), glue.join("client/router.php").display().to_string()];
        // The package the client stages: the SCORM 1.2 fixture folder, zipped as the
        // harness zips it (the fixtures are folders, so no binary is checked in).
        let packages = dir.path().join("packages");
        std::fs::create_dir_all(&packages).expect("packages folder");
        let zipped =
            pens_parties::zip_directory(&workspace_root().join("fixtures/packages/scorm12-minimal")).expect("zipped");
        std::fs::write(packages.join("scorm12-minimal.zip"), &zipped).expect("package written");
        let env = [
            ("PHP_CLI_SERVER_WORKERS", "8".to_owned()),
            ("PHP_PENS_DIR", php_pens.dir.display().to_string()),
            ("PHP_PENS_PACKAGES", packages.display().to_string()),
        ];
        let server = PhpServer::start(&php_pens.php, &args, &env, dir.path().join("php.log"));
        let script = glue.join("client/trigger.php");
        let trigger = format!("{} {}", php_pens.php.display(), script.display());
        PhpClient { base, trigger, script, server }
    }
}

/// Compares the run's verdicts with the expectation file's lines for `mode`; on any
/// difference, fails with each difference, the run's worst finding for it, and the
/// lines to paste once the new verdict is understood and defended.
fn compare(mode: &str, report: &Path, output: &std::process::Output, server: &PhpServer) {
    let text = std::fs::read_to_string(report)
        .unwrap_or_else(|e| panic!("{}: {e}\n{}\n--- php\n{}", report.display(), both(output), server.log()));
    let report: Value = serde_json::from_str(&text).expect("report.json is JSON");
    let expected = expectations();
    let mut differences = Vec::new();
    let mut seen = Vec::new();
    for scenario in report["scenarios"].as_array().expect("scenarios") {
        let id = scenario["id"].as_str().expect("id").to_owned();
        let verdict = scenario["verdict"].as_str().expect("verdict").to_owned();
        seen.push(id.clone());
        let wanted = expected.get(&(mode.to_owned(), id.clone()));
        if wanted.map(|e| e.verdict.as_str()) == Some(verdict.as_str()) {
            continue;
        }
        let wanted = wanted.map_or("no line".to_owned(), |e| format!("{} (line {})", e.verdict, e.line));
        differences.push(format!("{mode} {id}: expected {wanted}, got {verdict}\n    {}", worst_check(scenario)));
    }
    for ((m, id), expectation) in &expected {
        if m == mode && !seen.contains(id) {
            differences
                .push(format!("{mode} {id}: expected {} (line {}), not run", expectation.verdict, expectation.line));
        }
    }
    assert!(
        differences.is_empty(),
        "php-pens {mode} verdicts differ from {EXPECTED}:\n{}\n--- run\n{}\n--- php (last 4000 bytes)\n{}",
        differences.join("\n"),
        both(output),
        tail(&server.log(), 4000),
    );
}

/// The scenario's first check at its own verdict: what to read before updating a line.
pub(super) fn worst_check(scenario: &Value) -> String {
    let verdict = &scenario["verdict"];
    let checks = scenario["checks"].as_array().cloned().unwrap_or_default();
    match checks.iter().find(|check| &check["verdict"] == verdict) {
        Some(check) => {
            format!("[{}] {}", check["requirement"].as_str().unwrap_or("?"), check["message"].as_str().unwrap_or(""))
        }
        None => scenario["note"].as_str().unwrap_or("(no check at that verdict)").to_owned(),
    }
}

pub(super) fn tail(text: &str, bytes: usize) -> &str {
    let mut start = text.len().saturating_sub(bytes);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}
