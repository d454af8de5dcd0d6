//! The staging server's FTP and explicit-FTPS listeners on real sockets, driven by
//! suppaftp: anonymous and credentialed logins, the behaviours FTP can play, what is
//! recorded, and shutdown. Waits end on recorded events (`wait_for`), never on a sleep.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use pens_parties::{CredentialsPresented, FtpsMode, StagingBehaviour, StagingPlan, ZIP_MAGIC};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use suppaftp::tokio::{AsyncFtpStream, AsyncRustlsConnector, AsyncRustlsFtpStream, ImplAsyncFtpStream, TokioTlsStream};
use suppaftp::types::FileType;
use suppaftp::{FtpError, FtpResult, Mode};
use tokio::io::AsyncReadExt;

use crate::support::{Setup, package, setup};

impl Setup {
    /// A plain FTP session, logged in, in binary mode.
    async fn ftp(&self, user: &str, password: &str) -> AsyncFtpStream {
        let mut ftp = AsyncFtpStream::connect(self.staging.ftp_addr()).await.unwrap();
        ftp.login(user, password).await.unwrap();
        ftp.transfer_type(FileType::Binary).await.unwrap();
        ftp
    }

    /// An explicit-FTPS session (AUTH TLS, PROT P) trusting the run CA, not logged in.
    async fn ftps(&self) -> AsyncRustlsFtpStream {
        self.ftps_trusting(self.ca.ca_pem()).await.unwrap()
    }

    /// An explicit-FTPS session trusting the CAs in `pem` (none when empty).
    async fn ftps_trusting(&self, pem: &str) -> FtpResult<AsyncRustlsFtpStream> {
        let mut roots = rustls::RootCertStore::empty();
        for certificate in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            roots.add(certificate.unwrap()).unwrap();
        }
        let config = rustls::ClientConfig::builder_with_provider(pens_parties::crypto_provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = AsyncRustlsConnector::from(tokio_rustls::TlsConnector::from(Arc::new(config)));
        let plain = AsyncRustlsFtpStream::connect(self.staging.ftps_addr()).await.unwrap();
        plain.into_secure(connector, "127.0.0.1").await
    }
}

/// RETRs `path`: the bytes that came, and how the transfer ended (the error of the
/// RETR, of reading the data, or of the final reply).
async fn fetch<T: TokioTlsStream + Send>(ftp: &mut ImplAsyncFtpStream<T>, path: &str) -> (Vec<u8>, FtpResult<()>) {
    let mut stream = match ftp.retr_as_stream(path).await {
        Ok(stream) => stream,
        Err(error) => return (Vec::new(), Err(error)),
    };
    let mut data = Vec::new();
    if let Err(error) = stream.read_to_end(&mut data).await {
        return (data, Err(FtpError::ConnectionError(error)));
    }
    let finished = stream.finish().await;
    (data, finished)
}

/// The reply code of a refused command.
fn reply_code<T>(result: &FtpResult<T>) -> Option<u32> {
    match result {
        Err(FtpError::UnexpectedResponse(response)) => Some(response.status.code()),
        _ => None,
    }
}

#[tokio::test]
async fn anonymous_retr_over_ftp_returns_the_exact_bytes() {
    let setup = setup().await;
    let body = package();
    let staged = setup.staging.stage("ftp", StagingPlan::new("course.zip", body.clone()));
    let base = setup.staging.ftp_base();
    assert_eq!(base, format!("ftp://127.0.0.1:{}", setup.staging.ftp_addr().port()));
    assert_eq!(staged.ftp_url, format!("{base}/s/ftp/course.zip"));

    let mut ftp = setup.ftp("anonymous", "guest@example.invalid").await;
    assert_eq!(ftp.size("/s/ftp/course.zip").await.unwrap(), body.len());
    let (data, finished) = fetch(&mut ftp, "/s/ftp/course.zip").await;
    finished.unwrap();
    assert_eq!(data, body);

    let event = setup.event("ftp", |e| e.completed).await;
    assert_eq!(event.protocol, "ftp");
    assert_eq!(event.method, "RETR");
    assert_eq!(event.path, staged.path);
    assert_eq!(event.credentials, CredentialsPresented::None);
    assert_eq!(event.status, 226);
    assert_eq!(event.bytes_sent, body.len() as u64);
    assert!(event.finished_at >= event.at);
}

#[tokio::test]
async fn a_relative_retr_after_cwd_over_epsv_fetches_the_same_file() {
    let setup = setup().await;
    let body = package();
    let key = "urn:pens-conform:run 1/scenario";
    let staged = setup.staging.stage(key, StagingPlan::new("my course.zip", body.clone()));
    let path = staged.ftp_url.strip_prefix(&setup.staging.ftp_base()).unwrap().to_owned();
    assert_eq!(path, staged.path);

    let mut ftp = setup.ftp("ftp", "").await;
    ftp.set_mode(Mode::ExtendedPassive);
    // As an RFC 1738 client would: every segment decoded, the key's `/` included.
    ftp.cwd("/s").await.unwrap();
    ftp.cwd(key).await.unwrap();
    let (data, finished) = fetch(&mut ftp, "my course.zip").await;
    finished.unwrap();
    assert_eq!(data, body);
    // A naive client sends the URL's path as it is.
    let (again, finished) = fetch(&mut ftp, &path).await;
    finished.unwrap();
    assert_eq!(again, body);

    // Both events are on record once the second RETR's 226 came; wait for it anyway.
    setup.event(key, |e| e.completed).await;
    let events = setup.staging.events(key);
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| e.path == staged.path && e.completed), "{events:?}");
}

#[tokio::test]
async fn anonymous_retr_over_explicit_ftps_is_recorded_as_ftps() {
    let setup = setup().await;
    let body = package();
    let staged = setup.staging.stage("tls", StagingPlan::new("course.zip", body.clone()));
    assert_eq!(staged.ftps_url, format!("ftps://127.0.0.1:{}/s/tls/course.zip", setup.staging.ftps_addr().port()));

    let started = Instant::now();
    let mut ftps = setup.ftps().await;
    ftps.login("anonymous", "guest").await.unwrap();
    ftps.transfer_type(FileType::Binary).await.unwrap();
    let (data, finished) = fetch(&mut ftps, "/s/tls/course.zip").await;
    finished.unwrap();
    assert_eq!(data, body);
    ftps.quit().await.unwrap();
    // The tap on the control connection saw the handshake through.
    assert_eq!(setup.staging.tls_failures_since(started), []);

    let event = setup.event("tls", |e| e.completed).await;
    assert_eq!((event.protocol.as_str(), event.status), ("ftps", 226));
    assert_eq!(event.bytes_sent, body.len() as u64);
    assert_eq!(event.ftps_mode, Some(FtpsMode::Explicit));
    assert!(event.is_whole_download());
}

/// Runs curl (as PHP and most LMSs fetch) on `url` with `args`, trusting the run CA;
/// returns what it downloaded, or its error output.
async fn curl(ca_pem: &str, url: String, args: &[&str]) -> Result<Vec<u8>, String> {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let out = dir.path().join("package.zip");
    let mut command = std::process::Command::new("curl");
    command.args(["--silent", "--show-error", "--max-time", "30", "--cacert"]).arg(&ca).arg("--output").arg(&out);
    command.args(args).arg(url);
    let output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().expect("curl runs");
    if output.status.success() {
        Ok(std::fs::read(out).unwrap())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[tokio::test]
async fn curl_reads_ftps_urls_as_implicit_tls_and_is_served_on_the_ftps_listener() {
    let setup = setup().await;
    let body = package();
    let staged = setup.staging.stage("implicit", StagingPlan::new("course.zip", body.clone()));
    // `curl ftps://…`: TLS from the first byte, then PBSZ 0 / PROT P for the data.
    let data = curl(setup.ca.ca_pem(), staged.ftps_url.clone(), &[]).await.expect("curl fetches over implicit FTPS");
    assert_eq!(data, body);
    let event = setup.event("implicit", |e| e.completed).await;
    assert_eq!((event.protocol.as_str(), event.method.as_str(), event.status), ("ftps", "RETR", 226));
    assert_eq!(event.ftps_mode, Some(FtpsMode::Implicit));
    assert_eq!((event.bytes_sent, event.body_bytes), (body.len() as u64, body.len() as u64));
    assert!(event.describe().contains("implicit FTPS"), "{}", event.describe());
}

#[tokio::test]
async fn curl_with_ssl_reqd_speaks_explicit_ftps_to_the_same_listener() {
    let setup = setup().await;
    let body = package();
    let staged = setup.staging.stage("explicit", StagingPlan::new("course.zip", body.clone()));
    // `curl --ssl-reqd ftp://…` on the FTPS port: a plain greeting, then AUTH TLS.
    let url = staged.ftps_url.replacen("ftps://", "ftp://", 1);
    let data = curl(setup.ca.ca_pem(), url, &["--ssl-reqd"]).await.expect("curl fetches over explicit FTPS");
    assert_eq!(data, body);
    let event = setup.event("explicit", |e| e.completed).await;
    assert_eq!((event.protocol.as_str(), event.status, event.ftps_mode), ("ftps", 226, Some(FtpsMode::Explicit)));
}

#[tokio::test]
async fn an_implicit_client_that_does_not_trust_the_ca_is_recorded_as_a_tls_failure() {
    let setup = setup().await;
    let started = Instant::now();
    let staged = setup.staging.stage("untrusted", StagingPlan::new("course.zip", package()));
    let other = pens_parties::RunCa::generate(&[]).unwrap();
    let refused = curl(other.ca_pem(), staged.ftps_url.clone(), &[]).await;
    assert!(refused.is_err(), "curl trusted a CA it was not given");
    let failures = setup.staging.wait_for_tls_failure(started, crate::support::deadline()).await;
    assert!(failures.iter().any(|f| f.error.starts_with("implicit FTPS")), "{failures:?}");
    assert!(setup.staging.events("untrusted").is_empty());
}

/// The handshake after AUTH TLS is libunftp's, which reports nothing: the tap on the
/// control connection records it, so a fetch that never came has its cause on record.
#[tokio::test]
async fn an_explicit_client_that_does_not_trust_the_ca_is_recorded_as_a_tls_failure() {
    let setup = setup().await;
    let started = Instant::now();
    setup.staging.stage("untrusted", StagingPlan::new("course.zip", package()));
    let refused = setup.ftps_trusting("").await;
    assert!(refused.is_err(), "a client that trusts no CA finished the handshake");
    let failures = setup.staging.wait_for_tls_failure(started, crate::support::deadline()).await;
    assert_eq!(failures.len(), 1, "{failures:?}");
    // rustls speaks TLS 1.3 here: its alert is encrypted.
    assert!(
        failures[0].error.starts_with(
            "explicit FTPS: the client ended the TLS handshake after AUTH TLS with an encrypted alert before its \
             Finished"
        ),
        "{failures:?}"
    );
    assert!(setup.staging.events("untrusted").is_empty());
}

#[tokio::test]
async fn a_plain_login_on_the_ftps_listener_is_refused() {
    let setup = setup().await;
    let started = Instant::now();
    setup.staging.stage("plain", StagingPlan::new("course.zip", package()));
    let mut ftp = AsyncFtpStream::connect(setup.staging.ftps_addr()).await.unwrap();
    let refused = ftp.login("anonymous", "guest").await;
    let Err(FtpError::UnexpectedResponse(response)) = refused else { panic!("logged in without TLS: {refused:?}") };
    assert!(response.to_string().contains("TLS connection is required"), "{response}");
    assert!(setup.staging.ftp_login_failures_since(started).is_empty(), "refused before any login check");
}

#[tokio::test]
async fn the_right_pair_is_served_and_judged_valid() {
    let setup = setup().await;
    let body = package();
    let plan = StagingPlan::new("course.zip", body.clone()).credentials("pens", "s3cret-pw");
    setup.staging.stage("auth", plan);

    let mut ftp = setup.ftp("pens", "s3cret-pw").await;
    let (data, finished) = fetch(&mut ftp, "/s/auth/course.zip").await;
    finished.unwrap();
    assert_eq!(data, body);
    let event = setup.event("auth", |e| e.completed).await;
    assert_eq!(event.credentials, CredentialsPresented::Valid);
    assert!(!format!("{event:?}").contains("s3cret-pw"));
}

#[tokio::test]
async fn a_wrong_password_is_refused_at_login_and_recorded_without_it() {
    let setup = setup().await;
    let started = Instant::now();
    setup.staging.stage("auth", StagingPlan::new("course.zip", package()).credentials("pens", "s3cret-pw"));

    for (addr, protocol) in [(setup.staging.ftp_addr(), "ftp"), (setup.staging.ftps_addr(), "ftps")] {
        let refused = if protocol == "ftp" {
            AsyncFtpStream::connect(addr).await.unwrap().login("pens", "guess-pw").await
        } else {
            setup.ftps().await.login("pens", "guess-pw").await
        };
        assert_eq!(reply_code(&refused), Some(530), "{protocol}: {refused:?}");
    }

    let failures = setup.staging.ftp_login_failures_since(started);
    let seen: Vec<(&str, &str)> = failures.iter().map(|f| (f.protocol.as_str(), f.user.as_str())).collect();
    assert_eq!(seen, [("ftp", "pens"), ("ftps", "pens")]);
    assert!(failures.iter().all(|f| f.at >= started));
    let shown = format!("{failures:?}");
    assert!(!shown.contains("guess-pw") && !shown.contains("s3cret-pw"), "{shown}");
    assert!(setup.staging.events("auth").is_empty(), "no RETR was reached");
}

#[tokio::test]
async fn anonymous_or_another_plans_pair_on_a_credentialed_plan_gets_550() {
    let setup = setup().await;
    setup.staging.stage("locked", StagingPlan::new("course.zip", package()).credentials("pens", "secret-a"));
    setup.staging.stage("other", StagingPlan::new("course.zip", package()).credentials("pens", "secret-b"));

    let mut anonymous = setup.ftp("anonymous", "guest").await;
    let (data, finished) = fetch(&mut anonymous, "/s/locked/course.zip").await;
    assert_eq!(reply_code(&finished), Some(550), "{finished:?}");
    assert!(data.is_empty());
    let event = setup.event("locked", |_| true).await;
    assert_eq!((event.status, event.credentials, event.bytes_sent), (550, CredentialsPresented::None, 0));

    let mut other = setup.ftp("pens", "secret-b").await;
    let (_, finished) = fetch(&mut other, "/s/locked/course.zip").await;
    assert_eq!(reply_code(&finished), Some(550), "{finished:?}");
    let wrong = setup.event("locked", |e| e.credentials != CredentialsPresented::None).await;
    assert_eq!((wrong.status, wrong.credentials), (550, CredentialsPresented::Wrong { user: "pens".into() }));
    // The same login is right for its own plan.
    let (_, finished) = fetch(&mut other, "/s/other/course.zip").await;
    finished.unwrap();
}

#[tokio::test]
async fn a_login_sent_to_an_open_package_is_noted() {
    let setup = setup().await;
    setup.staging.stage("open", StagingPlan::new("course.zip", package()));
    setup.staging.stage("keyed", StagingPlan::new("other.zip", package()).credentials("pens", "pw"));
    let mut ftp = setup.ftp("pens", "pw").await;
    let (_, finished) = fetch(&mut ftp, "/s/open/course.zip").await;
    finished.unwrap();
    let event = setup.event("open", |e| e.completed).await;
    assert_eq!(event.credentials, CredentialsPresented::Unrequested { user: "pens".into() });
}

#[tokio::test]
async fn truncate_breaks_the_transfer_off_with_426() {
    let setup = setup().await;
    let body = package();
    let plan = StagingPlan::new("course.zip", body.clone()).behaviour(StagingBehaviour::Truncate { after_bytes: 100 });
    setup.staging.stage("truncate", plan);

    let mut ftp = setup.ftp("anonymous", "guest").await;
    assert_eq!(ftp.size("/s/truncate/course.zip").await.unwrap(), body.len(), "SIZE announces the whole package");
    let (data, finished) = fetch(&mut ftp, "/s/truncate/course.zip").await;
    assert_eq!(reply_code(&finished), Some(426), "{finished:?}");
    assert_eq!(data, body[..100]);

    let mut ftps = setup.ftps().await;
    ftps.login("anonymous", "guest").await.unwrap();
    ftps.transfer_type(FileType::Binary).await.unwrap();
    let (data, finished) = fetch(&mut ftps, "/s/truncate/course.zip").await;
    assert_eq!(reply_code(&finished), Some(426), "{finished:?}");
    assert_eq!(data, body[..100]);

    setup.event("truncate", |e| e.protocol == "ftps").await;
    let events = setup.staging.events("truncate");
    assert_eq!(events.len(), 2, "{events:?}");
    for event in events {
        assert!(!event.completed, "{event:?}");
        assert_eq!((event.status, event.bytes_sent), (426, 100), "{event:?}");
    }
}

#[tokio::test]
async fn corrupt_serves_bytes_that_start_like_a_zip() {
    let setup = setup().await;
    let body = package();
    setup.staging.stage("corrupt", StagingPlan::new("course.zip", body.clone()).behaviour(StagingBehaviour::Corrupt));
    let mut ftp = setup.ftp("anonymous", "guest").await;
    let (served, finished) = fetch(&mut ftp, "/s/corrupt/course.zip").await;
    finished.unwrap();
    assert!(served.starts_with(&ZIP_MAGIC));
    assert_ne!(served, body);
    assert!(zip::ZipArchive::new(std::io::Cursor::new(served.clone())).is_err());
    let event = setup.event("corrupt", |e| e.completed).await;
    assert_eq!(event.bytes_sent, served.len() as u64);
}

#[tokio::test]
async fn dribble_sends_the_whole_file_in_paced_chunks() {
    let setup = setup().await;
    let body = Bytes::from_static(b"0123456789ab");
    let pacing = StagingBehaviour::Dribble { delay_ms: 40, chunk_bytes: 3 };
    setup.staging.stage("dribble", StagingPlan::new("course.zip", body.clone()).behaviour(pacing));
    let mut ftp = setup.ftp("anonymous", "guest").await;
    let sent = Instant::now();
    let (data, finished) = fetch(&mut ftp, "/s/dribble/course.zip").await;
    finished.unwrap();
    assert_eq!(data, body);
    // Four chunks, three pauses between them.
    assert!(sent.elapsed() >= Duration::from_millis(120), "{:?}", sent.elapsed());
    let event = setup.event("dribble", |e| e.completed).await;
    assert!(event.duration_ms >= 120, "{event:?}");
}

#[tokio::test]
async fn status_plans_answer_550_or_451() {
    let setup = setup().await;
    let mut ftp = setup.ftp("anonymous", "guest").await;
    for (code, reply) in [(404u16, 550u32), (403, 550), (500, 451)] {
        let key = format!("status-{code}");
        setup.staging.stage(
            &key,
            StagingPlan::new("course.zip", package()).behaviour(StagingBehaviour::Status { status: code.into() }),
        );
        let (data, finished) = fetch(&mut ftp, &format!("/s/{key}/course.zip")).await;
        assert_eq!(reply_code(&finished), Some(reply), "{code}: {finished:?}");
        assert!(data.is_empty());
        let event = setup.event(&key, |_| true).await;
        assert_eq!((u32::from(event.status), event.completed), (reply, false));
        // SIZE answers as RETR would: no size for a file that is not to be had.
        assert_eq!(reply_code(&ftp.size(format!("/s/{key}/course.zip")).await), Some(reply), "SIZE for {code}");
    }
}

#[tokio::test]
async fn an_unknown_key_gets_550_and_an_event() {
    let setup = setup().await;
    let mut ftp = setup.ftp("anonymous", "guest").await;
    let (_, finished) = fetch(&mut ftp, "/s/nobody/course.zip").await;
    assert_eq!(reply_code(&finished), Some(550), "{finished:?}");
    let event = setup.event("nobody", |_| true).await;
    assert_eq!((event.status, event.path.as_str(), event.method.as_str()), (550, "/s/nobody/course.zip", "RETR"));
    assert_eq!(reply_code(&ftp.cwd("/s/nobody").await), Some(550));
}

#[tokio::test]
async fn the_staging_tree_is_read_only() {
    let setup = setup().await;
    setup.staging.stage("ro", StagingPlan::new("course.zip", package()));
    let mut ftp = setup.ftp("anonymous", "guest").await;
    let stored = ftp.put_file("/s/ro/new.zip", &mut &b"zip"[..]).await;
    assert_eq!(reply_code(&stored), Some(550), "{stored:?}");
    assert_eq!(reply_code(&ftp.rm("/s/ro/course.zip").await), Some(550));
    assert_eq!(reply_code(&ftp.mkdir("/s/new").await), Some(550));
    let listed = ftp.nlst(Some("/s/ro")).await.unwrap();
    assert_eq!(listed, ["course.zip"]);
}

/// Opens a control connection and reads its greeting, so that its end can be awaited.
async fn idle_session(addr: SocketAddr) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut greeting = [0u8; 3];
    stream.read_exact(&mut greeting).await.unwrap();
    assert_eq!(&greeting, b"220");
    stream
}

#[tokio::test]
async fn dropping_the_server_closes_its_ports_sessions_and_transfers() {
    let setup = setup().await;
    let slow = StagingBehaviour::Dribble { delay_ms: 1000, chunk_bytes: 1 };
    setup.staging.stage("slow", StagingPlan::new("course.zip", Bytes::from(vec![7u8; 100])).behaviour(slow));
    let addrs = [setup.staging.ftp_addr(), setup.staging.ftps_addr()];
    let mut idle = [idle_session(addrs[0]).await, idle_session(addrs[1]).await];
    let mut ftp = setup.ftp("anonymous", "guest").await;
    let mut download = ftp.retr_as_stream("/s/slow/course.zip").await.unwrap();
    let mut first = [0u8; 1];
    download.read_exact(&mut first).await.unwrap();

    drop(setup);

    // A session ends when the accept loop that owns it is gone, listener included; so
    // once both idle sessions have ended, neither port accepts any more.
    for session in &mut idle {
        let mut rest = Vec::new();
        let ended = tokio::time::timeout(Duration::from_secs(10), session.read_to_end(&mut rest)).await;
        assert!(ended.is_ok(), "an idle session outlived the server");
    }
    for addr in addrs {
        assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "{addr} still accepts");
    }
    let mut data = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(10), download.read_to_end(&mut data)).await;
    assert!(ended.is_ok(), "the transfer outlived the server");
    assert!(data.len() < 99, "the whole file came: {} bytes", data.len());
}
