//! `serve target`: the reference target as its own process, on a real socket. The test
//! plays the publishing client with plain `std::net`: it sends a collect, reads the
//! answer byte for byte, and receives the receipt at its own listener.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

use super::{ServedTarget, closed_port};

/// How long any single step may take; generous for a loaded 2-core CI machine. Every
/// wait ends on its event, so a passing run is fast.
const STEP: Duration = Duration::from_secs(20);

#[test]
fn serve_target_reports_its_real_port_and_answers_a_valid_collect() {
    let served = ServedTarget::start();
    let url = served.url.as_str();
    let first = format!("reference target listening: {url}");
    let authority = url
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/pens"))
        .unwrap_or_else(|| panic!("unexpected URL {url:?}"));
    let port: u16 = authority.strip_prefix("127.0.0.1:").and_then(|p| p.parse().ok()).expect("127.0.0.1:PORT");
    assert_ne!(port, 0, "{first}");

    // A collect for a package nobody serves: acknowledged at once with 0, then a
    // receipt reporting that the package could not be fetched.
    let collector = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the collector");
    let collector_base = format!("http://{}", collector.local_addr().expect("address"));
    let receipts = receive_one_request(collector);
    let package_url = format!("http://127.0.0.1:{}/course.zip", closed_port());
    let receipt_url = format!("{collector_base}/receipt");
    let alerts_url = format!("{collector_base}/alerts");
    let package_id = "urn:pens-conform:test:serve-target";
    let body = pens_proto::encode_form([
        ("pens-version", "1.0.0"),
        ("command", "collect"),
        ("package-type", "scorm-pif"),
        ("package-type-version", "1.2"),
        ("package-format", "zip"),
        ("package-id", package_id),
        ("package-url", package_url.as_str()),
        ("package-url-expiry", "2099-12-31T23:59:59Z"),
        ("client", "pens-conform tests"),
        ("receipt", receipt_url.as_str()),
        ("alerts", alerts_url.as_str()),
    ]);

    let answer = post(authority, "/pens", &body);
    let (head, answer_body) = answer.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no header end: {answer:?}"));
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    assert!(head.lines().any(|h| h.eq_ignore_ascii_case("content-type: text/plain")), "{head}");
    assert!(answer_body.starts_with("error=0\r\n"), "{answer_body:?}");
    let parsed = pens_proto::parse_response(answer_body.as_bytes());
    assert!(parsed.error.is_some_and(|code| code.is_success()), "{answer_body:?}");
    assert!(parsed.findings.is_empty(), "{:?}\n{answer_body:?}", parsed.findings);

    let receipt = receipts.recv_timeout(STEP).expect("a receipt");
    let (head, form) = receipt.split_once("\r\n\r\n").expect("a request");
    assert!(head.starts_with("POST /receipt HTTP/1.1\r\n"), "{head}");
    let notification = pens_proto::Notification::decode(form.as_bytes()).notification;
    assert_eq!(notification.get("command"), Some("receipt"), "{form}");
    assert_eq!(notification.get("package-id"), Some(package_id), "{form}");
    assert_eq!(notification.get("error"), Some("1310"), "{form}");
}

/// Accepts one HTTP request, answers it as a PENS collector does, and hands over the
/// request (head and body). The thread ends with the test process if nothing comes.
fn receive_one_request(listener: TcpListener) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else { return };
        let _ = stream.set_read_timeout(Some(STEP));
        let request = read_request(&mut stream);
        let answer = "error=0\r\nerror-text=ok\r\nversion=1.0.0\r\npens-data=\r\n";
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
            answer.len()
        );
        let _ = sender.send(request);
    });
    receiver
}

/// Reads a request head and a body of the announced `content-length`.
fn read_request(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&bytes);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .filter_map(|h| h.split_once(':'))
                .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                return text.into_owned();
            }
        }
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&bytes).into_owned(),
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
        }
    }
}

/// A form POST on a fresh connection; returns the whole answer (`connection: close`).
fn post(authority: &str, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(authority).expect("connect to the reference target");
    stream.set_read_timeout(Some(STEP)).expect("read timeout");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nhost: {authority}\r\ncontent-type: application/x-www-form-urlencoded\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read the answer");
    String::from_utf8(answer).expect("a UTF-8 answer")
}

#[test]
fn serve_target_refuses_a_download_dir_that_is_not_a_folder() {
    let missing = std::env::temp_dir().join("pens-conform-no-such-download-dir");
    let output = super::pens_conform()
        .args(["serve", "target", "--listen", "127.0.0.1:0", "--download-dir"])
        .arg(&missing)
        .timeout(STEP)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--download-dir") && stderr.contains("is not a folder"), "{stderr}");
    assert!(output.stdout.is_empty(), "it never listened: {output:?}");
}

#[test]
fn serve_target_refuses_zero_connections_and_an_unreadable_package_limit() {
    for (flag, value) in [("--connections", "0"), ("--max-package-bytes", "1GB")] {
        let output = super::pens_conform()
            .args(["serve", "target", "--listen", "127.0.0.1:0", flag, value])
            .timeout(STEP)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{flag} {value}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{stderr}");
        assert!(output.stdout.is_empty(), "it never listened: {output:?}");
    }
}

/// SIGTERM (a service manager, `timeout`, `docker stop`) ends `serve target` as Ctrl-C
/// does: exit 0, not 143.
#[test]
fn serve_target_stops_on_sigterm_with_exit_0() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pens-conform"))
        .args(["serve", "target", "--listen", "127.0.0.1:0"])
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    let lines = super::stdout_lines(&mut child);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = lines.recv_timeout(left).expect("a \"press Ctrl-C to stop\" line within 20 s");
        if line == "press Ctrl-C to stop" {
            break;
        }
    }
    let (output, stopped_in) = super::stop_with(child, "TERM");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(stopped_in < std::time::Duration::from_secs(10), "took {stopped_in:?} to stop after SIGTERM");
}
