//! `client --trigger`: the client suite against a real authoring-tool process, here the
//! built-in reference client run as `serve client` for every publish.

use serde_json::Value;

use super::{TempDir, both, pens_conform};

fn trigger(extra: &str) -> String {
    let linger = if extra.contains("--linger") { "" } else { "--linger 500" };
    format!("{} serve client {linger} {extra}", env!("CARGO_BIN_EXE_pens-conform"))
}

#[test]
fn a_trigger_command_publishes_and_every_client_scenario_passes() {
    let dir = TempDir::new("client-trigger");
    let output = pens_conform()
        // Durations with units, as every duration option takes them (bare numbers keep
        // their old unit: the other tests).
        .args(["client", "--trigger", &trigger("--wait 1m --linger 500ms"), "--publish-timeout", "20s", "--report-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).expect("report.json"))
            .expect("JSON");
    assert_eq!(report["mode"], "client");
    assert_eq!(report["summary"]["fail"], 0, "{report:#}");
    assert!(report["summary"]["pass"].as_u64().is_some_and(|n| n > 0));
}

#[test]
fn a_defective_authoring_tool_fails_with_the_requirement_named() {
    let dir = TempDir::new("client-trigger-defect");
    let output = pens_conform()
        .args(["client", "--trigger", &trigger("--defect missing-expiry"), "--only", "collect-required-elements"])
        .args(["--publish-timeout", "20", "--report-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("collect.package-url-expiry.present"), "{stdout}");
}

#[test]
fn a_trigger_that_never_publishes_fails_instead_of_hanging() {
    let dir = TempDir::new("client-trigger-nothing");
    let output = pens_conform()
        .args(["client", "--trigger", "true", "--only", "publish-valid", "--publish-timeout", "1", "--report-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("no collect arrived"), "{}", both(&output));
}

/// A trigger that cannot publish at all (here a binary that is not on PATH, and a
/// command that fails with a message) ends the run at once with exit 3, showing its
/// exit status and stderr once, instead of every scenario waiting out its deadline.
#[test]
fn a_dead_trigger_ends_the_run_at_once_with_exit_3() {
    let cases = [
        ("pens-conform-not-on-path serve client", "exit status: 127", "not found"),
        ("sh -c 'echo boom >&2; exit 127'", "exit status: 127", "its stderr ends: boom"),
    ];
    for (command, status, stderr) in cases {
        let dir = TempDir::new("client-dead-trigger");
        let started = std::time::Instant::now();
        let output = pens_conform()
            .args(["client", "--trigger", command, "--publish-timeout", "60", "--report-dir"])
            .arg(dir.path())
            .output()
            .expect("runs");
        let took = started.elapsed();
        assert_eq!(output.status.code(), Some(3), "{command}: {}", both(&output));
        assert!(took < std::time::Duration::from_secs(15), "{command}: took {took:?}; the collect deadline is 60 s");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stopped: Vec<&str> = stdout.lines().filter(|l| l.starts_with("RUN STOPPED:")).collect();
        assert_eq!(stopped.len(), 1, "{command}: {stdout}");
        for part in ["--trigger command failed before any collect arrived", status, stderr] {
            assert!(stopped[0].contains(part), "{command}: `{part}` not in: {}", stopped[0]);
        }
        // The explanation once in the console, not under every scenario.
        assert_eq!(stdout.matches(stderr).count(), 1, "{command}: {stdout}");
        for file in ["summary.md", "junit.xml", "report.html"] {
            let text = std::fs::read_to_string(dir.path().join(file)).expect("written");
            assert_eq!(
                text.matches(stderr).count(),
                1,
                "{command}: {file} says it {} times",
                text.matches(stderr).count()
            );
        }
    }
}

/// Whether process `pid` is gone: no such process, or a zombie waiting for a parent
/// that is not the harness.
fn process_gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

/// Kills the process it names when dropped, unless it is gone: a failing test leaves
/// nothing running.
struct KillOnDrop(String);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if !process_gone(&self.0) {
            let _ = std::process::Command::new("kill").args(["-KILL", &self.0]).status();
        }
    }
}

/// A client run stopped by Ctrl-C, SIGTERM (what CI runners and `timeout` send) or
/// SIGHUP (a closed terminal) while its trigger's tool is running: exit 3, a report
/// marked `aborted`, and the tool the trigger started in the background gone with the
/// trigger's whole process group, not left running after the harness.
#[test]
fn a_signal_ends_a_client_run_with_a_report_and_ends_the_triggers_whole_process_group() {
    for (signal, named) in [("TERM", "SIGTERM"), ("HUP", "SIGHUP"), ("INT", "Ctrl-C")] {
        let dir = TempDir::new(&format!("client-signal-{signal}"));
        let fifo = dir.path().join("tool.pid");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
        assert!(made.success());
        // The trigger starts a long-lived tool, says its pid, and waits for it.
        let trigger = format!("sleep 300 & echo $! > '{}'; wait", fifo.display());
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_pens-conform"))
            .current_dir(super::workspace_root())
            .env_remove("GITHUB_STEP_SUMMARY")
            .env_remove("RUST_LOG")
            .args(["client", "--trigger", &trigger, "--only", "publish-valid", "--publish-timeout", "60"])
            .arg("--report-dir")
            .arg(dir.path().join("reports"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("starts");
        let (pid_in, pid) = std::sync::mpsc::channel();
        let reading = fifo.clone();
        std::thread::spawn(move || {
            // Opening a FIFO to read waits for its writer: the trigger.
            let _ = pid_in.send(std::fs::read_to_string(reading));
        });
        let tool = pid
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the trigger ran")
            .expect("the pid read")
            .trim()
            .to_owned();
        let _cleanup = KillOnDrop(tool.clone());
        assert!(!process_gone(&tool), "{signal}: the tool {tool} should be running");

        let (output, stopped_in) = super::stop_with(child, signal);
        assert!(stopped_in < std::time::Duration::from_secs(8), "{signal}: took {stopped_in:?} to stop");
        assert_eq!(output.status.code(), Some(3), "{signal}: {}", both(&output));
        let report: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("reports/report.json")).expect("report.json written"),
        )
        .expect("JSON");
        assert!(
            report["aborted"].as_str().is_some_and(|reason| reason.starts_with(&format!("interrupted ({named})"))),
            "{signal}: {}",
            report["aborted"]
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !process_gone(&tool) {
            assert!(std::time::Instant::now() < deadline, "{signal}: the trigger's tool {tool} outlived the harness");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}
