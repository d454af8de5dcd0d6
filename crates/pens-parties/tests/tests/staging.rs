//! The staging server on real sockets: every behaviour, both schemes, basic auth.
//! Waits end on recorded events (`wait_for`), never on a sleep.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use pens_parties::{CredentialsPresented, RunCa, StagingBehaviour, StagingPlan, StagingServer, ZIP_MAGIC};

use crate::support::{Setup, deadline, package, setup};

impl Setup {
    /// A client that trusts the run CA, follows no redirect and uses no proxy.
    fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .add_root_certificate(self.ca.reqwest_certificate())
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap()
    }
}

#[tokio::test]
async fn serves_over_http_and_records_a_completed_download() {
    let setup = setup().await;
    let body = package();
    let staged = setup.staging.stage("serve", StagingPlan::new("course.zip", body.clone()));
    assert_eq!(staged.path, "/s/serve/course.zip");
    assert_eq!(staged.http_url, format!("{}/s/serve/course.zip", setup.staging.http_base()));
    assert!(staged.http_url.starts_with("http://127.0.0.1:"));

    let response = setup.client().get(&staged.http_url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    assert_eq!(response.headers()["content-length"], body.len().to_string().as_str());
    assert_eq!(response.bytes().await.unwrap(), body);

    let event = setup.event("serve", |e| e.completed).await;
    assert_eq!(event.protocol, "http");
    assert_eq!(event.method, "GET");
    assert_eq!(event.path, "/s/serve/course.zip");
    assert_eq!(event.credentials, CredentialsPresented::None);
    assert_eq!(event.status, 200);
    assert_eq!(event.bytes_sent, body.len() as u64);
    assert!(event.finished_at >= event.at);
    assert_eq!(event.body_bytes, body.len() as u64);
    assert!(event.is_whole_download());
}

/// A fetch is a download of the whole package: a HEAD announces the package and sends
/// none of it, and a client that hangs up midway is recorded with what it got.
#[tokio::test]
async fn a_head_and_a_download_broken_off_by_the_client_are_no_whole_download() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let setup = setup().await;
    let body = pens_parties::sized_package(&package().into(), 8 * 1024 * 1024).unwrap();
    let size = body.len();
    let staged = setup.staging.stage("partial", StagingPlan::new("course.zip", body));

    let head = setup.client().head(&staged.http_url).send().await.unwrap();
    assert_eq!(head.headers()["content-length"], size.to_string().as_str());
    let event = setup.event("partial", |e| e.method == "HEAD").await;
    assert_eq!((event.status, event.bytes_sent, event.body_bytes), (200, 0, size));
    assert!(!event.is_whole_download());
    assert!(
        event.describe().starts_with("HEAD /s/partial/course.zip (200, no body requested)"),
        "{}",
        event.describe()
    );

    // A GET that reads a little, then closes the connection.
    let mut stream = tokio::net::TcpStream::connect(setup.staging.http_addr()).await.unwrap();
    stream.write_all(b"GET /s/partial/course.zip HTTP/1.1\r\nHost: staging\r\n\r\n").await.unwrap();
    let mut first = [0_u8; 4096];
    let read = stream.read(&mut first).await.unwrap();
    assert!(read > 0);
    drop(stream);
    let event = setup.event("partial", |e| e.method == "GET").await;
    assert!(!event.completed && event.bytes_sent < size, "{event:?}");
    assert_eq!(event.body_bytes, size);
    assert!(!event.is_whole_download());
    assert!(event.describe().contains(&format!("of {size} bytes, broken off")), "{}", event.describe());
}

#[tokio::test]
async fn serves_over_https_to_a_client_trusting_the_run_ca() {
    let setup = setup().await;
    let body = package();
    let staged = setup.staging.stage("tls", StagingPlan::new("course.zip", body.clone()));
    assert!(staged.https_url.starts_with("https://127.0.0.1:"));

    let fetched = setup.client().get(&staged.https_url).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(fetched, body);
    let event = setup.event("tls", |e| e.completed).await;
    assert_eq!(event.protocol, "https");
    assert_eq!(event.bytes_sent, body.len() as u64);

    // The certificate names localhost too.
    let by_name = staged.https_url.replace("127.0.0.1", "localhost");
    assert_eq!(setup.client().get(&by_name).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_run_ca_is_refused() {
    let setup = setup().await;
    let started = Instant::now();
    let staged = setup.staging.stage("untrusted", StagingPlan::new("course.zip", package()));
    let stranger = reqwest::Client::builder().no_proxy().build().unwrap();
    let error = stranger.get(&staged.https_url).send().await.unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    assert!(setup.staging.events("untrusted").is_empty(), "no HTTP request got through");
    // The failed handshake is on record: it explains an HTTPS fetch that never came.
    let failures = setup.staging.wait_for_tls_failure(started, deadline()).await;
    assert!(!failures.is_empty(), "the handshake failure was not recorded");
}

/// `--ca-dir`: a CA kept on disk is reused, and a client that trusted the `ca.pem` of an
/// earlier run accepts the server certificate of a later one.
#[tokio::test]
async fn a_stored_ca_is_trusted_across_runs() {
    let dir = std::env::temp_dir().join(format!("pens-parties-ca-{}-{}", std::process::id(), line!()));
    let _ = std::fs::remove_dir_all(&dir);
    let first = RunCa::load_or_create(&dir, &[]).unwrap();
    let stored = std::fs::read_to_string(dir.join("ca.pem")).unwrap();
    assert_eq!(stored, first.ca_pem());
    assert!(dir.join("ca-key.pem").exists());

    let second = RunCa::load_or_create(&dir, &[]).unwrap();
    // The stored certificate itself is the one a later run presents, not a re-signed copy.
    assert_eq!(second.ca_pem(), stored);
    let staging = StagingServer::start(IpAddr::V4(Ipv4Addr::LOCALHOST), "127.0.0.1", &second).await.unwrap();
    let staged = staging.stage("kept", StagingPlan::new("course.zip", package()));
    let trusting_the_first = reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(stored.as_bytes()).unwrap())
        .build()
        .unwrap();
    let status = trusting_the_first.get(&staged.https_url).send().await.unwrap().status();
    assert_eq!(status, 200);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn basic_auth_valid_missing_and_wrong() {
    let setup = setup().await;
    let body = package();
    let plan = StagingPlan::new("course.zip", body.clone()).credentials("pens", "s3cret-pw");
    let staged = setup.staging.stage("auth", plan);
    let client = setup.client();

    let missing = client.get(&staged.http_url).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(missing.headers()["www-authenticate"], "Basic realm=\"pens-conform staging\"");

    let wrong = client.get(&staged.http_url).basic_auth("pens", Some("guess")).send().await.unwrap();
    assert_eq!(wrong.status(), 401);

    let valid = client.get(&staged.https_url).basic_auth("pens", Some("s3cret-pw")).send().await.unwrap();
    assert_eq!(valid.status(), 200);
    assert_eq!(valid.bytes().await.unwrap(), body);

    let events = setup.staging.wait_for("auth", deadline(), |e| e.status == 200 && e.completed).await;
    assert!(events.is_some());
    let mut events = setup.staging.events("auth");
    events.sort_by_key(|e| e.at);
    let seen: Vec<(u16, CredentialsPresented)> = events.iter().map(|e| (e.status, e.credentials.clone())).collect();
    assert_eq!(
        seen,
        [
            (401, CredentialsPresented::None),
            (401, CredentialsPresented::Wrong { user: "pens".into() }),
            (200, CredentialsPresented::Valid),
        ]
    );
    let shown = format!("{events:?}");
    assert!(!shown.contains("s3cret-pw") && !shown.contains("guess"), "{shown}");
}

#[tokio::test]
async fn credentials_sent_to_an_open_package_are_noted() {
    let setup = setup().await;
    let staged = setup.staging.stage("open", StagingPlan::new("course.zip", package()));
    let response = setup.client().get(&staged.http_url).basic_auth("pens", Some("pw")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap();
    let event = setup.event("open", |e| e.completed).await;
    assert_eq!(event.credentials, CredentialsPresented::Unrequested { user: "pens".into() });
}

#[tokio::test]
async fn status_plans_answer_their_status() {
    let setup = setup().await;
    let client = setup.client();
    for code in [401u16, 403, 404, 410, 500, 503] {
        let key = format!("status-{code}");
        let plan =
            StagingPlan::new("course.zip", package()).behaviour(StagingBehaviour::Status { status: code.into() });
        let staged = setup.staging.stage(&key, plan);
        let response = client.get(&staged.http_url).send().await.unwrap();
        assert_eq!(response.status().as_u16(), code);
        assert_eq!(response.headers().contains_key("www-authenticate"), code == 401, "{code}");
        let event = setup.event(&key, |_| true).await;
        assert_eq!(event.status, code);
    }
}

#[tokio::test]
async fn delay_first_byte_holds_the_answer_back() {
    let setup = setup().await;
    let delay = Duration::from_millis(300);
    let plan = StagingPlan::new("course.zip", package()).behaviour(StagingBehaviour::Delay { delay_ms: 300 });
    let staged = setup.staging.stage("delay", plan);

    let sent = Instant::now();
    let response = setup.client().get(&staged.http_url).send().await.unwrap();
    assert!(sent.elapsed() >= delay, "headers came after {:?}", sent.elapsed());
    response.bytes().await.unwrap();

    let event = setup.event("delay", |e| e.completed).await;
    assert!(event.duration_ms >= 300, "{event:?}");
}

#[tokio::test]
async fn dribble_sends_the_whole_body_in_paced_chunks() {
    let setup = setup().await;
    let body = Bytes::from_static(b"0123456789ab");
    let pacing = StagingBehaviour::Dribble { delay_ms: 40, chunk_bytes: 3 };
    let staged = setup.staging.stage("dribble", StagingPlan::new("course.zip", body.clone()).behaviour(pacing));

    let sent = Instant::now();
    let mut response = setup.client().get(&staged.http_url).send().await.unwrap();
    assert_eq!(response.headers()["content-length"], "12");
    let mut received = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        received.extend_from_slice(&chunk);
    }
    assert_eq!(received, body);
    // Four chunks, three pauses between them.
    assert!(sent.elapsed() >= Duration::from_millis(120), "{:?}", sent.elapsed());

    let event = setup.event("dribble", |e| e.completed).await;
    assert_eq!(event.bytes_sent, 12);
    assert!(event.duration_ms >= 120, "{event:?}");
}

#[tokio::test]
async fn truncate_announces_the_full_length_then_closes_early() {
    let setup = setup().await;
    let body = package();
    let plan = StagingPlan::new("course.zip", body.clone()).behaviour(StagingBehaviour::Truncate { after_bytes: 100 });
    let staged = setup.staging.stage("truncate", plan);

    for url in [&staged.http_url, &staged.https_url] {
        let mut response = setup.client().get(url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.content_length(), Some(body.len() as u64));
        let mut received = Vec::new();
        let error = loop {
            match response.chunk().await {
                Ok(Some(chunk)) => received.extend_from_slice(&chunk),
                Ok(None) => panic!("the body ended normally after {} bytes", received.len()),
                Err(error) => break error,
            }
        };
        assert!(error.is_body() || error.is_decode(), "{error:?}");
        assert_eq!(received, body[..100]);
    }

    let events = setup
        .staging
        .wait_for("truncate", deadline(), |e| e.protocol == "https")
        .await
        .map(|_| setup.staging.events("truncate"))
        .unwrap();
    assert_eq!(events.len(), 2);
    for event in events {
        assert!(!event.completed, "{event:?}");
        assert_eq!(event.bytes_sent, 100);
        assert_eq!(event.status, 200);
    }
}

#[tokio::test]
async fn corrupt_serves_bytes_no_zip_reader_opens() {
    let setup = setup().await;
    let body = package();
    let plan = StagingPlan::new("course.zip", body.clone()).behaviour(StagingBehaviour::Corrupt);
    let staged = setup.staging.stage("corrupt", plan);

    let served = setup.client().get(&staged.http_url).send().await.unwrap().bytes().await.unwrap();
    assert!(served.starts_with(&ZIP_MAGIC));
    assert_ne!(served, body);
    assert!(zip::ZipArchive::new(std::io::Cursor::new(served.to_vec())).is_err());
    let event = setup.event("corrupt", |e| e.completed).await;
    assert_eq!(event.bytes_sent, served.len() as u64);
}

#[tokio::test]
async fn redirect_points_at_the_same_package_on_the_same_scheme() {
    let setup = setup().await;
    let body = package();
    let plan = StagingPlan::new("course.zip", body.clone()).behaviour(StagingBehaviour::Redirect);
    let staged = setup.staging.stage("redirect", plan);

    for (url, base) in [(&staged.http_url, setup.staging.http_base()), (&staged.https_url, setup.staging.https_base())]
    {
        let first = setup.client().get(url).send().await.unwrap();
        assert_eq!(first.status(), 302);
        let location = first.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(location, format!("{base}/s/redirect/redirected/course.zip"));
        let moved = setup.client().get(&location).send().await.unwrap();
        assert_eq!(moved.status(), 200);
        assert_eq!(moved.bytes().await.unwrap(), body);
    }

    // A client that follows redirects gets there by itself.
    let following =
        reqwest::Client::builder().add_root_certificate(setup.ca.reqwest_certificate()).no_proxy().build().unwrap();
    assert_eq!(following.get(&staged.https_url).send().await.unwrap().bytes().await.unwrap(), body);

    setup.staging.wait_for("redirect", deadline(), |e| e.protocol == "https" && e.status == 200 && e.completed).await;
    let statuses: Vec<(String, u16)> = setup
        .staging
        .events("redirect")
        .into_iter()
        .filter(|e| e.status == 302)
        .map(|e| (e.protocol, e.status))
        .collect();
    assert_eq!(statuses.len(), 3, "{statuses:?}");
}

#[tokio::test]
async fn the_redirected_path_of_a_plan_without_redirect_is_not_found() {
    let setup = setup().await;
    let staged = setup.staging.stage("plain", StagingPlan::new("course.zip", package()));
    let moved = format!("{}/s/plain/redirected/course.zip", setup.staging.http_base());
    assert_eq!(setup.client().get(&moved).send().await.unwrap().status(), 404);
    let other_file = staged.http_url.replace("course.zip", "other.zip");
    assert_eq!(setup.client().get(&other_file).send().await.unwrap().status(), 404);
}

/// A key no scenario staged is the peer's choice: its requests are answered 404 and
/// counted, never recorded, so that a flood of invented paths costs no memory. A key
/// staged once keeps recording after it is unstaged: a late fetch is its scenario's.
#[tokio::test]
async fn unknown_keys_and_paths_are_answered_404_and_counted_not_recorded() {
    let setup = setup().await;
    let client = setup.client();
    let base = setup.staging.http_base();
    assert_eq!(setup.staging.unsolicited(), None);
    for n in 0..50 {
        assert_eq!(client.get(format!("{base}/s/nobody-{n}/course.zip")).send().await.unwrap().status(), 404);
    }
    assert_eq!(client.get(format!("{base}/favicon.ico?x=1")).send().await.unwrap().status(), 404);
    assert!(setup.staging.all_events().is_empty(), "{:?}", setup.staging.all_events());
    let counted = setup.staging.unsolicited().expect("counted");
    assert_eq!(counted.count, 51);
    assert_eq!(counted.examples.len(), pens_parties::MAX_UNSOLICITED_EXAMPLES);
    assert_eq!(counted.examples[0], "/s/nobody-0/course.zip");

    let staged = setup.staging.stage("once", StagingPlan::new("course.zip", package()));
    setup.staging.unstage("once");
    assert_eq!(client.get(&staged.http_url).send().await.unwrap().status(), 404);
    let event = setup.event("once", |_| true).await;
    assert_eq!((event.status, event.path.as_str()), (404, "/s/once/course.zip"));
    assert_eq!(setup.staging.unsolicited().expect("counted").count, 51);
}

#[tokio::test]
async fn only_get_and_head_fetch_a_package() {
    let setup = setup().await;
    let staged = setup.staging.stage("methods", StagingPlan::new("course.zip", package()));
    let client = setup.client();
    let posted = client.post(&staged.http_url).send().await.unwrap();
    assert_eq!(posted.status(), 405);
    assert_eq!(posted.headers()["allow"], "GET, HEAD");

    let head = client.head(&staged.http_url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let event = setup.event("methods", |e| e.method == "HEAD").await;
    assert!(!event.completed, "a HEAD delivers no body: {event:?}");
}

#[tokio::test]
async fn keys_with_odd_characters_round_trip() {
    let setup = setup().await;
    let key = "urn:pens-conform:run 1/scenario";
    let staged = setup.staging.stage(key, StagingPlan::new("my course.zip", package()));
    assert_eq!(staged.path, "/s/urn%3Apens-conform%3Arun%201%2Fscenario/my%20course.zip");
    assert_eq!(setup.client().get(&staged.http_url).send().await.unwrap().status(), 200);
    assert_eq!(setup.event(key, |_| true).await.status, 200);
}

#[tokio::test]
async fn a_wait_without_a_matching_event_ends_at_the_deadline() {
    let setup = setup().await;
    let started = Instant::now();
    let none = setup.staging.wait_for("quiet", started + Duration::from_millis(50), |_| true).await;
    assert!(none.is_none());
    assert!(started.elapsed() >= Duration::from_millis(50));
}

#[tokio::test]
async fn restaging_replaces_the_plan_and_unstaging_removes_it() {
    let setup = setup().await;
    let client = setup.client();
    let staged = setup.staging.stage("swap", StagingPlan::new("course.zip", package()));
    let plan = StagingPlan::new("course.zip", package()).behaviour(StagingBehaviour::Status { status: 410 });
    setup.staging.stage("swap", plan);
    assert_eq!(client.get(&staged.http_url).send().await.unwrap().status(), 410);
    setup.staging.unstage("swap");
    assert_eq!(client.get(&staged.http_url).send().await.unwrap().status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_fetches_stay_under_their_own_keys() {
    let setup = setup().await;
    let body = package();
    let urls: Vec<String> = (0..8)
        .map(|n| setup.staging.stage(&format!("k{n}"), StagingPlan::new("course.zip", body.clone())).https_url)
        .collect();
    let client = setup.client();
    let fetches = urls.iter().map(|url| {
        let client = client.clone();
        let url = url.clone();
        tokio::spawn(async move { client.get(url).send().await.unwrap().bytes().await.unwrap() })
    });
    for fetch in fetches {
        assert_eq!(fetch.await.unwrap(), body);
    }
    for n in 0..8 {
        let key = format!("k{n}");
        setup.event(&key, |e| e.completed).await;
        assert_eq!(setup.staging.events(&key).len(), 1);
    }
}

/// The hostile packages of the security scenarios go out like any package: the
/// oversized one streamed at its full announced length, chunk by chunk.
#[tokio::test]
async fn hostile_packages_are_served_in_full() {
    let setup = setup().await;
    let size = 5 * 1024 * 1024 + 3;
    let staged = setup.staging.stage(
        "big",
        StagingPlan::new("course.zip", package()).behaviour(StagingBehaviour::Oversized { over_bytes: size }),
    );
    let mut response = setup.client().get(&staged.http_url).send().await.unwrap();
    assert_eq!(response.headers()["content-length"], size.to_string().as_str());
    let mut received = 0u64;
    let mut head = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        if head.len() < 4 {
            head.extend_from_slice(&chunk[..chunk.len().min(4)]);
        }
        received += chunk.len() as u64;
    }
    assert_eq!(received, size);
    assert!(head.starts_with(&ZIP_MAGIC));
    let event = setup.event("big", |e| e.completed).await;
    assert_eq!(event.bytes_sent, size);

    for (key, behaviour, entry) in [
        ("slip", StagingBehaviour::ZipSlip, pens_parties::ZIP_SLIP_ENTRIES[0]),
        ("bomb", StagingBehaviour::ZipBomb, "pens-conform-zip-bomb-1.bin"),
    ] {
        let staged = setup.staging.stage(key, StagingPlan::new("course.zip", package()).behaviour(behaviour));
        let body = setup.client().get(&staged.http_url).send().await.unwrap().bytes().await.unwrap();
        let archive = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
        assert!(archive.file_names().any(|name| name == entry), "{key}");
        assert!(archive.file_names().any(|name| name == "imsmanifest.xml"), "{key}: the package's own entries");
    }
}

/// `silent`: the request is read and recorded at once (status 0), then nothing comes
/// until the plan is unstaged, when the connection is answered 503 and closed.
#[tokio::test]
async fn silent_never_answers_until_the_plan_is_unstaged() {
    let setup = setup().await;
    let staged =
        setup.staging.stage("silent", StagingPlan::new("course.zip", package()).behaviour(StagingBehaviour::Silent));
    let client = setup.client();
    let url = staged.http_url.clone();
    let mut request = tokio::spawn(async move { client.get(&url).send().await.map(|r| r.status().as_u16()) });

    let event = setup.event("silent", |e| e.method == "GET").await;
    assert_eq!((event.status, event.bytes_sent, event.completed), (0, 0, false));
    assert!(!event.is_whole_download());
    assert!(event.describe().contains("no answer"), "{}", event.describe());
    // Still waiting: nothing was answered.
    assert!(tokio::time::timeout(Duration::from_millis(50), &mut request).await.is_err(), "answered while silent");

    setup.staging.unstage("silent");
    let status = tokio::time::timeout_at(deadline().into(), request).await.expect("answered once unstaged");
    assert_eq!(status.unwrap().unwrap(), 503);
    assert_eq!(setup.staging.events("silent").len(), 1, "recorded once");
}

/// `after-answer`: a request is taken (and keeps its arrival time) but answered only
/// once the harness says it has read the answer to the collect of its key, over HTTP
/// and HTTPS alike; another key's answer does not let it go.
#[tokio::test]
async fn after_answer_holds_the_package_until_its_collect_is_answered() {
    let setup = setup().await;
    let body = package();
    let plan = || {
        StagingPlan::new("course.zip", body.clone())
            .behaviour(StagingBehaviour::AfterAnswer)
            .answer_hold(Duration::from_secs(600))
    };
    let first = setup.staging.stage("held-1", plan());
    let second = setup.staging.stage("held-2", plan());
    let get = |url: String| {
        let client = setup.client();
        tokio::spawn(async move {
            let response = client.get(&url).send().await.unwrap();
            (response.status().as_u16(), response.bytes().await.unwrap(), Instant::now())
        })
    };
    let mut over_http = get(first.http_url.clone());
    let mut over_https = get(first.https_url.clone());
    let mut other_key = get(second.http_url.clone());

    // A request held is not answered (the window only bounds how long we look).
    for request in [&mut over_http, &mut over_https, &mut other_key] {
        assert!(tokio::time::timeout(Duration::from_millis(100), request).await.is_err(), "answered while held");
    }
    assert!(setup.staging.events("held-1").is_empty(), "recorded as answered while held");

    let opened = Instant::now();
    setup.staging.collect_answered("held-1");
    for request in [over_http, over_https] {
        let (status, served, at) = tokio::time::timeout_at(deadline().into(), request).await.unwrap().unwrap();
        assert_eq!((status, served), (200, body.clone()));
        assert!(at >= opened);
    }
    let events = setup.staging.events("held-1");
    assert_eq!(events.len(), 2, "{events:?}");
    for event in &events {
        // The arrival, not the release, is when the target asked.
        assert!(event.at < opened && event.finished_at >= opened, "{event:?}");
        assert!(event.is_whole_download(), "{event:?}");
    }
    assert_eq!(events.iter().map(|e| e.protocol.as_str()).collect::<std::collections::BTreeSet<_>>().len(), 2);

    // Still held: its own collect was not answered yet. Once it is, later requests are
    // not held at all.
    assert!(tokio::time::timeout(Duration::from_millis(100), &mut other_key).await.is_err(), "released by another key");
    setup.staging.collect_answered("held-2");
    let (status, _, _) = tokio::time::timeout_at(deadline().into(), other_key).await.unwrap().unwrap();
    assert_eq!(status, 200);
    let (status, served, _) = tokio::time::timeout_at(deadline().into(), get(second.http_url)).await.unwrap().unwrap();
    assert_eq!((status, served), (200, body));
}

/// When nobody says the collect was answered, the hold ends at its deadline and the
/// package is served: nothing hangs.
#[tokio::test]
async fn after_answer_serves_at_its_deadline_when_nobody_opens_the_gate() {
    let setup = setup().await;
    let at_most = Duration::from_millis(300);
    let staged_at = Instant::now();
    let staged = setup.staging.stage(
        "unopened",
        StagingPlan::new("course.zip", package()).behaviour(StagingBehaviour::AfterAnswer).answer_hold(at_most),
    );
    let response = tokio::time::timeout_at(deadline().into(), setup.client().get(&staged.http_url).send())
        .await
        .expect("served at the deadline")
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap(), package());
    assert!(staged_at.elapsed() >= at_most, "served before the deadline");
    let event = setup.event("unopened", |e| e.completed).await;
    assert!(event.finished_at.duration_since(staged_at) >= at_most, "{event:?}");
}
