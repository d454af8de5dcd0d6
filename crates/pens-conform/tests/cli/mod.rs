mod bad_input;
mod baseline;
mod bundle;
mod client;
mod completions;
mod console;
mod diff;
mod exit_status;
mod explain;
mod hostile;
mod html;
mod installed;
mod interop;
mod interop_observe;
mod large;
mod lint;
mod list;
mod load;
mod observe;
mod partition;
mod profile_schema;
mod selftest;
mod serve;
mod staging;
mod target;
mod validate;

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use assert_cmd::Command;

/// The workspace root, so fixture paths in output stay short and stable.
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// The binary, run from the workspace root with logging quiet.
pub(crate) fn pens_conform() -> Command {
    let mut command = Command::cargo_bin("pens-conform").expect("binary built");
    // A CI job's own step summary must not receive the test runs' summaries.
    command.current_dir(workspace_root()).env_remove("RUST_LOG").env_remove("GITHUB_STEP_SUMMARY");
    command
}

/// The instant every snapshot judges expiry against.
pub(crate) const NOW: &str = "2026-06-01T00:00:00Z";

/// The ids of the target scenarios, from the directory listing (a scenario file is named
/// after its id), sorted: what `list`, `lint` and the reports must account for.
pub(crate) fn scenario_ids() -> Vec<String> {
    scenario_ids_of("target")
}

/// The ids of the scenarios of `mode` (`target` or `client`), sorted, from the listing
/// of `scenarios/<mode>/`.
pub(crate) fn scenario_ids_of(mode: &str) -> Vec<String> {
    let dir = workspace_root().join("scenarios").join(mode);
    let mut ids: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .map(|path| path.file_stem().expect("file stem").to_string_lossy().into_owned())
        .collect();
    ids.sort();
    assert!(!ids.is_empty(), "no scenario files in {}", dir.display());
    ids
}

/// A port on 127.0.0.1 that nothing listens on: bound, read, released. Another process
/// could take it in between, which a test run on a shared machine accepts.
pub(crate) fn closed_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind port 0");
    listener.local_addr().expect("local address").port()
}

/// Standard output and standard error of a finished command, for assertion messages.
pub(crate) fn both(output: &std::process::Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A fresh folder under the system temp folder, unique to this process and call,
/// removed with its contents when dropped (also when the test fails).
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(label: &str) -> TempDir {
        Self::new_in(&std::env::temp_dir(), label)
    }

    /// Like [`TempDir::new`], under `parent`.
    pub(crate) fn new_in(parent: &Path, label: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = parent.join(format!("pens-conform-test-{label}-{}-{n}", std::process::id()));
        // A leftover of an earlier, killed run with the same process id.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `contents` to `name` in the folder and returns the file's path.
    pub(crate) fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write temp file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `pens-conform serve target --listen 127.0.0.1:0` as a child process, killed when
/// dropped (the test passing or not), and the collect URL it printed first.
pub(crate) struct ServedTarget {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT/pens`, with the port it really bound.
    pub(crate) url: String,
}

impl ServedTarget {
    /// Starts it and waits (at most 20 s) for its first line.
    pub(crate) fn start() -> ServedTarget {
        Self::start_with(&[])
    }

    /// Like [`ServedTarget::start`], with more arguments for `serve target`.
    pub(crate) fn start_with(args: &[&str]) -> ServedTarget {
        use std::io::{BufRead, BufReader};
        use std::process::Stdio;

        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pens-conform"))
            .args(["serve", "target", "--listen", "127.0.0.1:0"])
            .args(args)
            .current_dir(workspace_root())
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        let stdout = child.stdout.take().expect("stdout");
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut first = String::new();
            let _ = BufReader::new(stdout).read_line(&mut first);
            let _ = send.send(first);
        });
        let mut served = ServedTarget { child, url: String::new() };
        let first = lines.recv_timeout(std::time::Duration::from_secs(20)).expect("a first line");
        served.url =
            first.trim().strip_prefix("reference target listening: ").unwrap_or_else(|| panic!("{first:?}")).to_owned();
        served
    }
}

impl ServedTarget {
    /// The process id, e.g. to read its peak memory from `/proc/PID/status`.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServedTarget {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines `child` prints on its (piped) standard output, as they are printed: a
/// thread reads them, so a test waits on the line it needs, with a deadline, instead of
/// sleeping. The channel closes when the output does.
pub(crate) fn stdout_lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::{BufRead, BufReader};

    let stdout = child.stdout.take().expect("piped stdout");
    let (lines_in, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_in.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

/// Reads `lines` until one starts with `prefix`, for at most 30 s (a panic naming what
/// came instead); returns every line read, that one last.
pub(crate) fn lines_until(lines: &std::sync::mpsc::Receiver<String>, prefix: &str) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut seen: Vec<String> = Vec::new();
    while !seen.last().is_some_and(|line| line.starts_with(prefix)) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        seen.push(lines.recv_timeout(left).unwrap_or_else(|_| panic!("no line starting {prefix:?}: {seen:?}")));
    }
    seen
}

/// Sends `child` SIGINT, as Ctrl-C does, and waits for it to exit, at most 20 s (a
/// panic beyond); returns what it left on its pipes and how long it took to stop.
pub(crate) fn interrupt(child: std::process::Child) -> (std::process::Output, std::time::Duration) {
    stop_with(child, "INT")
}

/// Like [`interrupt`], with the signal named `signal` (`INT`, `TERM`, `HUP`), as
/// kill(1) names it.
pub(crate) fn stop_with(child: std::process::Child, signal: &str) -> (std::process::Output, std::time::Duration) {
    let interrupted_at = std::time::Instant::now();
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let (done_in, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_in.send(child.wait_with_output());
    });
    let output = done
        .recv_timeout(std::time::Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("the process ends after SIG{signal}"))
        .expect("waited");
    (output, interrupted_at.elapsed())
}
