//! `serve staging`: the staging server as its own process. The tests read the URLs it
//! prints, download the package over HTTP and HTTPS as an LMS would, and stop it with
//! Ctrl-C (SIGINT).

use std::io::Read;
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use super::{TempDir, both, pens_conform, stdout_lines};

/// How long the server may take to print its lines; generous for a loaded CI machine.
const START: Duration = Duration::from_secs(30);

/// `serve staging ARGS` as a child process, killed when dropped, with the lines it
/// printed up to "press Ctrl-C to stop".
struct ServedStaging {
    child: Option<Child>,
    lines: Vec<String>,
    _rest: Receiver<String>,
}

impl ServedStaging {
    fn start(args: &[&str], env: &[(&str, &str)]) -> ServedStaging {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pens-conform"))
            .args(["serve", "staging"])
            .args(args)
            .envs(env.iter().copied())
            .current_dir(super::workspace_root())
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        let rest = stdout_lines(&mut child);
        let deadline = Instant::now() + START;
        let mut lines = Vec::new();
        while lines.last().is_none_or(|l: &String| l != "press Ctrl-C to stop") {
            let left = deadline.saturating_duration_since(Instant::now());
            lines.push(rest.recv_timeout(left).unwrap_or_else(|_| panic!("no \"press Ctrl-C\" line: {lines:?}")));
        }
        ServedStaging { child: Some(child), lines, _rest: rest }
    }

    /// The URL printed after `label` (`http`, `https`, `ftp`, `ftps`).
    fn url(&self, label: &str) -> &str {
        self.lines
            .iter()
            .find_map(|line| line.strip_prefix(label).filter(|rest| rest.starts_with(' ')).map(str::trim_start))
            .unwrap_or_else(|| panic!("no {label} line: {:?}", self.lines))
    }

    /// Sends SIGINT, as Ctrl-C does, and returns the exit status.
    fn interrupt(self) -> Option<i32> {
        self.stop_with("INT")
    }

    /// Sends the signal named `signal` (`INT`, `TERM`, `HUP`) and returns the exit status.
    fn stop_with(mut self, signal: &str) -> Option<i32> {
        let child = self.child.take().expect("running");
        let (output, stopped_in) = super::stop_with(child, signal);
        assert!(stopped_in < Duration::from_secs(10), "serve staging took {stopped_in:?} to stop after SIG{signal}");
        output.status.code()
    }
}

impl Drop for ServedStaging {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The printed lines with the ports and the CA folder blanked, for the snapshot.
fn stable(lines: &[String], ca_dir: &std::path::Path) -> String {
    let ca_dir = ca_dir.display().to_string();
    let blank_port = |line: &str| match line.split_once("127.0.0.1:") {
        Some((head, tail)) => format!("{head}127.0.0.1:PORT{}", tail.trim_start_matches(|c: char| c.is_ascii_digit())),
        None => line.to_owned(),
    };
    lines.iter().map(|line| blank_port(line).replace(&ca_dir, "[CA DIR]")).collect::<Vec<_>>().join("\n")
}

fn http_client(ca_pem: Option<&[u8]>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder().no_proxy();
    if let Some(pem) = ca_pem {
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(pem).expect("a PEM certificate"));
    }
    builder.build().expect("an HTTP client")
}

/// Downloads `url`, returning the status and the body.
fn download(client: &reqwest::Client, url: &str, login: Option<(&str, &str)>) -> (u16, Vec<u8>) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let mut request = client.get(url);
        if let Some((user, password)) = login {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("the body").to_vec())
    })
}

/// The names of the archive's entries, and the content of `imsmanifest.xml`.
fn entries_and_manifest(zip_bytes: &[u8]) -> (Vec<String>, String) {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).expect("a valid zip");
    let names = archive.file_names().map(str::to_owned).collect();
    let mut manifest = String::new();
    archive.by_name("imsmanifest.xml").expect("imsmanifest.xml").read_to_string(&mut manifest).expect("readable");
    (names, manifest)
}

#[test]
fn a_package_grown_to_5_mib_is_served_whole_over_http_and_https_until_ctrl_c() {
    let dir = TempDir::new("serve-staging");
    let ca_dir = dir.path().join("ca");
    let ca_arg = ca_dir.to_str().expect("a UTF-8 path");
    let served = ServedStaging::start(&["--size", "5MiB", "--ca-dir", ca_arg], &[]);
    insta::assert_snapshot!(stable(&served.lines, &ca_dir));

    let (status, body) = download(&http_client(None), served.url("http"), None);
    assert_eq!(status, 200);
    assert_eq!(body.len(), 5 * 1024 * 1024);
    let (names, manifest) = entries_and_manifest(&body);
    assert!(names.iter().any(|n| n == pens_parties::FILLER_ENTRY), "{names:?}");
    let fixture =
        std::fs::read_to_string(super::workspace_root().join("fixtures/packages/scorm12-minimal/imsmanifest.xml"))
            .expect("the fixture's manifest");
    assert_eq!(manifest, fixture);

    let ca_pem = std::fs::read(ca_dir.join("ca.pem")).expect("--ca-dir gets ca.pem");
    let (status, over_tls) = download(&http_client(Some(&ca_pem)), served.url("https"), None);
    assert_eq!(status, 200);
    assert!(over_tls == body, "HTTPS served other bytes than HTTP");

    assert_eq!(served.interrupt(), Some(0));
}

/// SIGTERM (a service manager, `timeout`) and SIGHUP end it as Ctrl-C does: exit 0, not
/// 143 or 129.
#[test]
fn sigterm_and_sighup_stop_it_as_ctrl_c_does() {
    for signal in ["TERM", "HUP"] {
        let served = ServedStaging::start(&[], &[]);
        assert_eq!(served.stop_with(signal), Some(0), "after SIG{signal}");
    }
}

#[test]
fn a_login_is_required_when_given_and_its_password_never_printed() {
    let password = "s3cret-from-env";
    let served = ServedStaging::start(
        &["--user", "pens", "--password-env", "PENS_TEST_STAGING_PASSWORD"],
        &[("PENS_TEST_STAGING_PASSWORD", password)],
    );
    assert!(served.lines.iter().all(|line| !line.contains(password)), "{:?}", served.lines);
    let client = http_client(None);
    let url = served.url("http").to_owned();
    assert_eq!(download(&client, &url, None).0, 401);
    assert_eq!(download(&client, &url, Some(("pens", "wrong"))).0, 401);
    let (status, body) = download(&client, &url, Some(("pens", password)));
    assert_eq!(status, 200);
    assert!(body.starts_with(&pens_parties::ZIP_MAGIC));
}

#[test]
fn an_unreadable_or_too_large_size_is_a_usage_error_naming_size() {
    for size in ["1GB", "4GiB", "lots"] {
        let output = pens_conform().args(["serve", "staging", "--size", size]).output().expect("runs");
        let text = both(&output);
        assert_eq!(output.status.code(), Some(2), "{text}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("--size"), "{text}");
        assert!(output.stdout.is_empty(), "{text}");
    }
}

#[test]
fn a_size_smaller_than_the_package_is_refused_with_what_its_entries_need() {
    let output = pens_conform().args(["serve", "staging", "--size", "100B"]).output().expect("runs");
    let text = both(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--size 100") && stderr.contains("own entries need"), "{text}");
}
