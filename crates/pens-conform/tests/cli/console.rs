//! What a run prints on the console (issue 15): one cause once, colour only when
//! wanted, `-q` and `-v`. Against `serve target --defect lf-line-endings`, a real PENS
//! target on loopback whose answers end their lines with LF only (CMI010 §6.3 asks CR
//! LF) and which otherwise fetches and receipts, so the preflight passes and the
//! scenarios run; `collect-*` is two scenarios whose answers are the same
//! `error=0` body, so they fail with the same diff.

use super::{ServedTarget, TempDir, both, pens_conform};

/// The last line of the diff of an LF-only `error=0` answer.
const DIFF_LINE: &str = "+pens-data=\n";

/// Runs `target --only collect-*` against `served` with `args` and `env`, colour
/// variables cleared first; returns the output and the report folder.
fn run(served: &ServedTarget, args: &[&str], env: &[(&str, &str)]) -> (std::process::Output, TempDir) {
    let dir = TempDir::new("console");
    let mut command = pens_conform();
    command
        .args(["target", "--url", &served.url, "--only", "collect-*", "--report-dir"])
        .arg(dir.path())
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm-256color");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    (output, dir)
}

#[test]
fn an_lf_only_target_shows_its_diff_once_and_colour_only_when_wanted() {
    let served = ServedTarget::start_with(&["--defect", "lf-line-endings"]);

    let (output, reports) = run(&served, &[], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.matches(DIFF_LINE).count(), 1, "{}", both(&output));
    assert!(stdout.contains("  in 2 scenarios: collect-get-valid, collect-post-valid\n"), "{stdout}");
    for id in ["collect-get-valid", "collect-post-valid"] {
        assert!(stdout.contains(&format!("\nFAIL           {id}  (")), "no line for {id}: {stdout}");
        // Nothing of its own: one line under the shared findings, not a block.
        assert!(stdout.contains(&format!("\n  FAIL {id} — ")), "no line for {id}: {stdout}");
        assert!(stdout.contains(": shared finding #1\n"), "{stdout}");
    }
    assert!(stdout.contains("\nScenarios whose findings are all shared ones above:\n"), "{stdout}");
    assert!(!stdout.contains('\x1b'), "a pipe gets no escape sequence: {stdout:?}");
    let summary = std::fs::read_to_string(reports.path().join("summary.md")).expect("summary.md");
    assert_eq!(summary.matches(DIFF_LINE).count(), 1, "{summary}");
    assert!(summary.contains("in 2 scenarios: collect-get-valid, collect-post-valid"), "{summary}");

    let (output, _reports) = run(&served, &["--color", "always"], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("\x1b[31mFAIL\x1b[0m"), "--color always colours FAIL: {stdout:?}");

    // NO_COLOR with --color auto, and -v: every check, passing ones too.
    let (output, _reports) = run(&served, &["-v"], &[("NO_COLOR", "1")]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains('\x1b'), "NO_COLOR: {stdout:?}");
    assert!(stdout.contains("\n  PASS  ["), "-v shows passing checks: {stdout}");
    assert_eq!(stdout.matches(DIFF_LINE).count(), 1, "{stdout}");

    // TERM=dumb, and -q: no header, no line per scenario, still the failures and the summary.
    let (output, _reports) = run(&served, &["-q"], &[("TERM", "dumb")]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stdout.contains('\x1b') && !stderr.contains('\x1b'), "TERM=dumb: {}", both(&output));
    assert!(!stdout.contains("staging   http"), "-q has no header: {stdout}");
    assert!(!stdout.contains("FAIL           collect-"), "-q has no line per scenario: {stdout}");
    assert!(!stdout.contains("\n  PASS  ["), "{stdout}");
    assert_eq!(stdout.matches(DIFF_LINE).count(), 1, "{stdout}");
    assert!(
        stdout.contains("\n2 scenarios: 0 pass, 0 info, 0 warn, 0 not applicable, 0 inconclusive, 2 fail, 0 error"),
        "{stdout}"
    );
}

#[test]
fn quiet_and_verbose_together_are_refused() {
    let output = pens_conform().args(["-q", "-v", "list"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    let output = pens_conform().args(["list", "--color", "sometimes"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
}

/// On a real terminal (a pseudo-terminal from util-linux `script`): with TERM=xterm the
/// verdicts are coloured and the progress bar draws; with TERM=dumb not one escape
/// sequence is written, the bar's `\e[2K` line clearing included. Skipped, with a note,
/// where `script` is missing.
#[test]
fn on_a_terminal_term_dumb_gets_no_escape_sequence_and_xterm_gets_colour() {
    let Some(script) = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("script"))
        .find(|candidate| candidate.is_file())
    else {
        eprintln!("note: util-linux `script` is not installed; skipping the terminal test");
        return;
    };
    let served = ServedTarget::start_with(&["--defect", "lf-line-endings"]);
    let on_terminal = |term: &str| {
        let dir = TempDir::new("console-tty");
        let command = format!(
            "{} target --url {} --only 'collect-*' --report-dir {}",
            env!("CARGO_BIN_EXE_pens-conform"),
            served.url,
            dir.path().display()
        );
        let output = std::process::Command::new(&script)
            .args(["-q", "-e", "-c", &command, "/dev/null"])
            .current_dir(super::workspace_root())
            .env("TERM", term)
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("RUST_LOG")
            .env_remove("GITHUB_STEP_SUMMARY")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("script runs");
        assert_eq!(output.status.code(), Some(1), "TERM={term}: {}", both(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let xterm = on_terminal("xterm");
    assert!(xterm.contains("\x1b[31mFAIL\x1b[0m"), "a terminal gets colour: {xterm:?}");
    let dumb = on_terminal("dumb");
    assert!(dumb.contains("FAIL collect-get-valid — "), "{dumb:?}");
    assert!(!dumb.contains('\x1b'), "TERM=dumb: {dumb:?}");
}
