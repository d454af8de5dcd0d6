//! The staging server: where the package waits for the target to fetch it (CMI010 §5,
//! Appendix A step 1). Four listeners over one set of staged plans: plain HTTP and HTTPS
//! on one router, since a target *shall* fetch over both, and plain FTP and FTPS, since a
//! target *may* fetch over those and owes 1304/1306 when it does not (CMI010 §6.3). The
//! FTPS listener speaks explicit (AUTH TLS) and implicit FTPS (TLS from the first byte)
//! on one port: CMI010 does not say which `ftps://` means, and curl reads it as implicit.
//!
//! Each scenario stages its package under its own key (`/s/<key>/<file_name>`) with a
//! [`StagingBehaviour`] that plays a staging server's good and bad days: serving, an
//! error status, a slow first byte, a dribble, a body cut short, a corrupt archive, a
//! redirect. Every request is recorded as a [`StagingEvent`], so the runner can tell
//! whether the target fetched, over which scheme, with which credentials, and whether
//! the download finished before the receipt came.

mod body;
mod ftp;

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{ALLOW, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, LOCATION, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use base64::Engine;
use bytes::Bytes;

use self::body::{OnDone, Pacing, TrackedBody};
use crate::error::MockError;
use crate::events::EventLog;
use crate::limits::ListenerLimits;
use crate::package::{REWRITABLE_PACKAGE_BYTES, corrupt};
use crate::path::{base_url, encode_segment, segments_after};
use crate::server::{self, Scheme, ServerTask};
use crate::tls::RunCa;
use crate::unsolicited::{KnownKeys, Unsolicited};
use pens_package::PackageBody;
use pens_package::{oversized_zip, zip_bomb, zip_slip};

pub use self::ftp::FtpLoginFailure;

/// Where staged packages live: `/s/<key>/<file_name>`.
const STAGING_PREFIX: &str = "/s/";

/// The extra path segment under which [`StagingBehaviour::Redirect`] serves the package.
const REDIRECTED_SEGMENT: &str = "redirected";

/// The realm named in `WWW-Authenticate`.
const REALM_CHALLENGE: &str = "Basic realm=\"pens-conform staging\"";

/// What the staging server does when the package is requested: the scenario language's
/// own [`pens_scenario::StagingBehaviour`] (one definition for the language, the runner
/// and this server), with plain values for its parameters. What depends on the run
/// rather than the behaviour is the plan's: [`StagingPlan::package_limit`] (how large
/// `Oversized` is) and [`StagingPlan::answer_hold`] (how long `AfterAnswer` holds at
/// most).
pub type StagingBehaviour = pens_scenario::StagingBehaviour<u64>;

/// How long an [`StagingBehaviour::AfterAnswer`] plan holds a request at most when
/// nobody opens its gate, unless the plan says otherwise ([`StagingPlan::answer_hold`]);
/// the runner sets the ack deadline plus a margin.
pub const DEFAULT_ANSWER_HOLD: Duration = Duration::from_secs(30);

/// One package to stage and how to serve it.
#[derive(Clone)]
pub struct StagingPlan {
    /// The file name in the URL, e.g. `course.zip` (CMI010 §6.2: package-url ends in a
    /// file name with an extension).
    pub file_name: String,
    /// The package: bytes, a file on disk, or generated ([`PackageBody`]).
    pub body: PackageBody,
    /// Credentials `(user, password)` the request must carry, if any: HTTP basic
    /// credentials, or the FTP login. They are checked before the behaviour: without
    /// them every plan answers 401 (FTP: 550). CMI010's `package-url-account` has no FTP
    /// counterpart here: libunftp answers `ACCT` with 530, so a plan cannot ask for one.
    pub credentials: Option<(String, String)>,
    /// What the server does on a request.
    pub behaviour: StagingBehaviour,
    /// The largest package the target says it accepts: [`StagingBehaviour::Oversized`]
    /// serves a sound archive `over_bytes` beyond it (its length must stay below 4 GiB).
    /// Default 0.
    pub package_limit: u64,
    /// With [`StagingBehaviour::AfterAnswer`], the backstop: how long after staging a
    /// request is held when nobody opens the gate ([`StagingServer::collect_answered`]).
    /// Default [`DEFAULT_ANSWER_HOLD`].
    pub answer_hold: Duration,
}

impl StagingPlan {
    /// Serves `body` as `file_name`, without credentials.
    pub fn new(file_name: impl Into<String>, body: impl Into<PackageBody>) -> Self {
        StagingPlan {
            file_name: file_name.into(),
            body: body.into(),
            credentials: None,
            behaviour: StagingBehaviour::Serve,
            package_limit: 0,
            answer_hold: DEFAULT_ANSWER_HOLD,
        }
    }

    /// Requires credentials: HTTP basic, or the FTP login.
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// Sets the behaviour.
    pub fn behaviour(mut self, behaviour: StagingBehaviour) -> Self {
        self.behaviour = behaviour;
        self
    }

    /// Sets the package limit an oversized package goes beyond
    /// ([`StagingPlan::package_limit`]).
    pub fn package_limit(mut self, bytes: u64) -> Self {
        self.package_limit = bytes;
        self
    }

    /// Sets how long an after-answer request is held at most ([`StagingPlan::answer_hold`]).
    pub fn answer_hold(mut self, at_most: Duration) -> Self {
        self.answer_hold = at_most;
        self
    }

    /// The delay before the first byte, the pacing and the cut-off the behaviour asks
    /// for, in the server's units.
    fn shape(&self) -> (Option<Duration>, Option<Pacing>, Option<usize>) {
        let bytes = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        match self.behaviour {
            StagingBehaviour::Delay { delay_ms } => (Some(Duration::from_millis(delay_ms)), None, None),
            StagingBehaviour::Dribble { delay_ms, chunk_bytes } => {
                (None, Some(Pacing { chunk: bytes(chunk_bytes), interval: Duration::from_millis(delay_ms) }), None)
            }
            StagingBehaviour::Truncate { after_bytes } => (None, None, Some(bytes(after_bytes))),
            _ => (None, None, None),
        }
    }
}

impl fmt::Debug for StagingPlan {
    /// Shows the user but never the password, and the body's length, not its bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StagingPlan")
            .field("file_name", &self.file_name)
            .field("body_len", &self.body.len())
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("behaviour", &self.behaviour)
            .field("package_limit", &self.package_limit)
            .field("answer_hold", &self.answer_hold)
            .finish()
    }
}

/// Where a staged package can be fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StagedPackage {
    /// The plain HTTP URL: `{{staging.http}}` in scenario files.
    pub http_url: String,
    /// The HTTPS URL: `{{staging.https}}`.
    pub https_url: String,
    /// The plain FTP URL, `ftp://host:port/s/<key>/<file_name>`.
    pub ftp_url: String,
    /// The FTPS URL, `ftps://host:port/s/<key>/<file_name>`: explicit (AUTH TLS on the
    /// control connection) or implicit (TLS from the first byte), then PROT P.
    pub ftps_url: String,
    /// The path all four share, `/s/<key>/<file_name>`.
    pub path: String,
}

/// The credentials a request carried, judged against the plan. Never the password.
///
/// Over FTP the login comes before the path, so the session's login is judged at RETR:
/// an anonymous login (`anonymous`/`ftp`) counts as none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialsPresented {
    /// No `Authorization` header; over FTP an anonymous login.
    None,
    /// Basic credentials (or an FTP login) equal to the plan's.
    Valid,
    /// Basic credentials that differ from the plan's, or an `Authorization` header that
    /// is not readable basic credentials (`user` is then empty). Over FTP: a login that
    /// belongs to another staged plan.
    Wrong {
        /// The user name sent.
        user: String,
    },
    /// Credentials sent although the plan asks for none.
    Unrequested {
        /// The user name sent (empty when the header was not readable basic credentials).
        user: String,
    },
}

/// One request to the staging server, recorded when its answer is over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StagingEvent {
    /// The staging key: the first path segment after `/s/`, empty for other paths.
    pub key: String,
    /// When the request arrived.
    pub at: Instant,
    /// Milliseconds from the server's start to the request's arrival.
    pub elapsed_ms: u64,
    /// When the answer was over: body sent, broken off, or abandoned by the client.
    pub finished_at: Instant,
    /// Milliseconds from arrival to `finished_at`.
    pub duration_ms: u64,
    /// `"http"` or `"https"`; `"ftp"` or `"ftps"` (either mode, see `ftps_mode`) for the
    /// FTP listeners.
    pub protocol: String,
    /// The request method; `"RETR"` over FTP.
    pub method: String,
    /// The request path (without query). Over FTP the path the client asked for,
    /// resolved against its working directory and normalised to `/s/<key>/<file_name>`
    /// (each part encoded as in the URL).
    pub path: String,
    /// The query of the request line, as sent (`None` without a `?`); always `None`
    /// over FTP. A plan is found by its path alone: a package URL with a query (a signed
    /// URL) is served whatever the query says.
    pub query: Option<String>,
    /// The credentials presented.
    pub credentials: CredentialsPresented,
    /// The status answered (or about to be, when the client left during a delay). Over
    /// FTP the final reply of the RETR: `226` completed, `426` broken off (by the plan or
    /// the client), `550` not found or denied, `451` a plan's 5xx status.
    pub status: u16,
    /// Body bytes handed to the connection.
    pub bytes_sent: u64,
    /// The length of the body the answer announced (its Content-Length; over FTP the
    /// file's size), whether or not it all went out: a HEAD announces the package but
    /// sends none of it. 0 for a refused RETR.
    pub body_bytes: u64,
    /// Whether the whole announced body went out. With `method` GET (or RETR) and a 2xx
    /// (226) status this is a download of the whole package: the only thing that counts
    /// as a fetch ([`StagingEvent::is_whole_download`]).
    pub completed: bool,
    /// Over the FTPS listener, which FTPS the target spoke: explicit (AUTH TLS) or
    /// implicit (TLS from the first byte). `None` for the other listeners.
    pub ftps_mode: Option<FtpsMode>,
}

impl StagingEvent {
    /// Whether this request downloaded the whole package: a GET (FTP: RETR) answered
    /// with the package (2xx; FTP 226) whose every byte went out. A HEAD, a download the
    /// client broke off, or an error answer is no fetch of the package (CMI010 §5: the
    /// target *retrieves* the package).
    pub fn is_whole_download(&self) -> bool {
        let download = match self.method.as_str() {
            "GET" => (200..300).contains(&self.status),
            "RETR" => self.status == 226,
            _ => false,
        };
        download && self.completed
    }

    /// An FTP RETR the staging server refused (550 not there or denied, 451 a plan's
    /// error): no transfer started, so nothing was broken off.
    pub fn is_refused_retr(&self) -> bool {
        self.method == "RETR" && !matches!(self.status, 226 | 426)
    }

    /// The request in words, for messages: `GET /s/k/course.zip (200, all 1234 bytes)`,
    /// `HEAD /s/k/course.zip (200, no body read)`, `GET … (200, 100 of 1234 bytes, broken
    /// off)`, `RETR … over implicit FTPS (226, all 1234 bytes)`.
    pub fn describe(&self) -> String {
        let over = match self.ftps_mode {
            Some(mode) => format!(" over {}", mode.describe()),
            None => String::new(),
        };
        let target = match &self.query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.clone(),
        };
        if self.status == 0 {
            return format!("{} {target}{over} (no answer: the staging server stayed silent)", self.method);
        }
        let body = if self.method == "HEAD" {
            "no body requested".to_owned()
        } else if self.is_refused_retr() {
            "refused".to_owned()
        } else if self.completed {
            format!("all {} bytes", self.bytes_sent)
        } else {
            format!("{} of {} bytes, broken off", self.bytes_sent, self.body_bytes)
        };
        format!("{} {target}{over} ({}, {body})", self.method, self.status)
    }
}

/// The two kinds of FTPS the FTPS listener serves on one port. CMI010 §5 names `ftps://`
/// without saying which; curl (and so most PHP LMSs) reads it as implicit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FtpsMode {
    /// RFC 4217: a plain greeting, then `AUTH TLS` on the control connection.
    Explicit,
    /// TLS from the first byte of the control connection.
    Implicit,
}

impl FtpsMode {
    /// `"explicit"` or `"implicit"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FtpsMode::Explicit => "explicit",
            FtpsMode::Implicit => "implicit",
        }
    }

    /// `"explicit FTPS (AUTH TLS)"` or `"implicit FTPS (TLS from the first byte)"`.
    pub fn describe(self) -> &'static str {
        match self {
            FtpsMode::Explicit => "explicit FTPS (AUTH TLS)",
            FtpsMode::Implicit => "implicit FTPS (TLS from the first byte)",
        }
    }
}

/// The staging server: an HTTP and an HTTPS listener on one router, and an FTP and an
/// FTPS (explicit and implicit) listener over the same plans. Dropping it stops all four, with every
/// open connection and transfer.
pub struct StagingServer {
    shared: Arc<Shared>,
    http: ServerTask,
    https: ServerTask,
    ftp: ftp::FtpListener,
    ftps: ftp::FtpListener,
    passive: Arc<ftp::PassiveListeners>,
}

impl StagingServer {
    /// Binds an HTTP, an HTTPS, an FTP and an FTPS listener on `bind` (free
    /// ports), the TLS ones with the run CA's server certificate. URLs name
    /// `advertise_host`, or the bound address when it is empty; for HTTPS and FTPS to
    /// verify, `ca` must have been generated for that host.
    pub async fn start(bind: IpAddr, advertise_host: &str, ca: &RunCa) -> Result<Self, MockError> {
        Self::start_with(bind, advertise_host, ca, ListenerLimits::default()).await
    }

    /// Like [`StagingServer::start`], with the HTTP, HTTPS, FTP and FTPS listeners within
    /// `limits` and the default cap on passive FTP listeners.
    pub async fn start_with(
        bind: IpAddr,
        advertise_host: &str,
        ca: &RunCa,
        limits: ListenerLimits,
    ) -> Result<Self, MockError> {
        let passive = crate::PeerLimits::default().passive_listeners;
        Self::start_limited(bind, advertise_host, ca, limits, passive).await
    }

    /// Like [`StagingServer::start_with`], with at most `passive_listeners` passive FTP
    /// listeners open at once over the FTP and FTPS listeners together
    /// ([`crate::PeerLimits::passive_listeners`]).
    pub async fn start_limited(
        bind: IpAddr,
        advertise_host: &str,
        ca: &RunCa,
        limits: ListenerLimits,
        passive_listeners: usize,
    ) -> Result<Self, MockError> {
        let http_bound = server::bind(SocketAddr::new(bind, 0)).await?;
        let https_bound = server::bind(SocketAddr::new(bind, 0)).await?;
        let ftp_bound = server::bind(SocketAddr::new(bind, 0)).await?;
        let ftps_bound = server::bind(SocketAddr::new(bind, 0)).await?;
        let shared = Arc::new(Shared {
            started: Instant::now(),
            http_base: base_url("http", advertise_host, bind, http_bound.addr.port()),
            https_base: base_url("https", advertise_host, bind, https_bound.addr.port()),
            ftp_base: base_url("ftp", advertise_host, bind, ftp_bound.addr.port()),
            ftps_base: base_url("ftps", advertise_host, bind, ftps_bound.addr.port()),
            plans: Mutex::new(HashMap::new()),
            silences: Mutex::new(HashMap::new()),
            gates: crate::answer_gate::AnswerGates::default(),
            log: EventLog::new(),
            tls_failures: Arc::default(),
            login_failures: ftp::LoginFailures::default(),
            known: KnownKeys::default(),
            unsolicited: Unsolicited::default(),
        });
        let passive = ftp::PassiveListeners::new(passive_listeners);
        let connections = limits.connections;
        let ftp = ftp::FtpListener::spawn(ftp_bound, Arc::clone(&shared), None, connections, Arc::clone(&passive))?;
        let tls = Some(ca.server_config());
        let ftps = ftp::FtpListener::spawn(ftps_bound, Arc::clone(&shared), tls, connections, Arc::clone(&passive))?;
        let http = server::spawn(http_bound, app(Arc::clone(&shared)), None, limits, "the staging server (http)");
        let tls = server::Tls { config: ca.server_config(), failures: Arc::clone(&shared.tls_failures) };
        let https =
            server::spawn(https_bound, app(Arc::clone(&shared)), Some(tls), limits, "the staging server (https)");
        Ok(StagingServer { shared, http, https, ftp, ftps, passive })
    }

    /// How many PASV/EPSV were answered 425 because every passive listener slot was
    /// taken ([`crate::PeerLimits::passive_listeners`]).
    pub fn passive_listeners_capped(&self) -> u64 {
        self.passive.capped()
    }

    /// How many connections to the HTTP and HTTPS listeners found every slot taken and
    /// waited.
    pub fn held_back_connections(&self) -> u64 {
        self.http.held_back() + self.https.held_back()
    }

    /// The HTTP and the HTTPS listener's accounts of their connection caps so far (in
    /// that order): what waited, what was closed to make room or for sending no
    /// request, and when.
    pub fn saturation(&self) -> [crate::Saturation; 2] {
        [self.http.saturation(), self.https.saturation()]
    }

    /// FTP and FTPS logins refused since `since` (530): a user and password that belong
    /// to no staged plan. The password is never kept. A refused login explains an FTP
    /// fetch that never reached RETR.
    pub fn ftp_login_failures_since(&self, since: Instant) -> Vec<FtpLoginFailure> {
        self.shared.login_failures.since(since)
    }

    /// TLS handshakes on the HTTPS listener that failed since `since` (a client that
    /// does not trust the run CA fails here, before any request is recorded).
    pub fn tls_failures_since(&self, since: Instant) -> Vec<server::TlsFailure> {
        self.shared.tls_failures.since(since)
    }

    /// Waits until a TLS handshake since `since` has failed, or the deadline passes.
    pub async fn wait_for_tls_failure(&self, since: Instant, deadline: Instant) -> Vec<server::TlsFailure> {
        self.shared.tls_failures.wait_since(since, deadline).await
    }

    /// `http://host:port`, without a final slash.
    pub fn http_base(&self) -> String {
        self.shared.http_base.clone()
    }

    /// `https://host:port`, without a final slash.
    pub fn https_base(&self) -> String {
        self.shared.https_base.clone()
    }

    /// The address the HTTP listener is bound to.
    pub fn http_addr(&self) -> SocketAddr {
        self.http.local_addr()
    }

    /// The address the HTTPS listener is bound to.
    pub fn https_addr(&self) -> SocketAddr {
        self.https.local_addr()
    }

    /// `ftp://host:port`, without a final slash.
    pub fn ftp_base(&self) -> String {
        self.shared.ftp_base.clone()
    }

    /// `ftps://host:port`, without a final slash: FTPS, explicit (the client connects in
    /// plain and upgrades with AUTH TLS) or implicit (TLS from its first byte).
    pub fn ftps_base(&self) -> String {
        self.shared.ftps_base.clone()
    }

    /// The address the FTP listener is bound to.
    pub fn ftp_addr(&self) -> SocketAddr {
        self.ftp.local_addr()
    }

    /// The address the FTPS listener (explicit and implicit) is bound to.
    pub fn ftps_addr(&self) -> SocketAddr {
        self.ftps.local_addr()
    }

    /// Serves `plan` under `/s/<key>/<file_name>` on all four listeners, replacing any
    /// plan staged before under `key`; returns the four URLs.
    pub fn stage(&self, key: &str, plan: StagingPlan) -> StagedPackage {
        let path = package_path(key, &plan.file_name);
        // The rewriting behaviours read the package's entries: a package beyond
        // REWRITABLE_PACKAGE_BYTES (the runner refuses those first) counts as none.
        let original = || plan.body.to_bytes(REWRITABLE_PACKAGE_BYTES).unwrap_or_default();
        let served = match plan.behaviour {
            StagingBehaviour::Corrupt => PackageBody::from(corrupt(&original())),
            StagingBehaviour::ZipSlip => zip_slip(&original()),
            StagingBehaviour::ZipBomb => zip_bomb(&original()),
            StagingBehaviour::Oversized { over_bytes } => {
                oversized_zip(&original(), plan.package_limit.saturating_add(over_bytes))
            }
            _ => plan.body.clone(),
        };
        // A silent plan's requests wait until its sender goes: replaced or unstaged.
        let silence = if plan.behaviour == StagingBehaviour::Silent {
            let (sender, receiver) = tokio::sync::watch::channel(());
            self.shared.silences().insert(key.to_owned(), sender);
            Some(receiver)
        } else {
            self.shared.silences().remove(key);
            None
        };
        // An after-answer plan's requests wait for its gate; any other plan drops the
        // key's old gate, which lets its held requests go.
        let hold = match plan.behaviour {
            StagingBehaviour::AfterAnswer => Some(self.shared.gates.close(key, plan.answer_hold)),
            _ => {
                self.shared.gates.remove(key);
                None
            }
        };
        self.shared.known.insert(key);
        self.shared.plans().insert(key.to_owned(), Staged { plan, served, silence, hold });
        StagedPackage {
            http_url: format!("{}{path}", self.shared.http_base),
            https_url: format!("{}{path}", self.shared.https_base),
            ftp_url: format!("{}{path}", self.shared.ftp_base),
            ftps_url: format!("{}{path}", self.shared.ftps_base),
            path,
        }
    }

    /// Stops serving `key`: later requests get 404, FTP RETRs 550 (and are still recorded).
    pub fn unstage(&self, key: &str) {
        self.shared.plans().remove(key);
        // Ends the wait of every silent request of `key`: they are answered 503 and closed.
        self.shared.silences().remove(key);
        // And the wait of every held request of `key`: they are served (the plan was
        // looked up when they arrived).
        self.shared.gates.remove(key);
    }

    /// Tells the staging server that the harness has read the head of the target's
    /// answer to the collect of `key`, or that the exchange ended without one (an
    /// error, a timeout): requests held by [`StagingBehaviour::AfterAnswer`] are served
    /// now, and later ones at once. Does nothing for a key staged otherwise.
    pub fn collect_answered(&self, key: &str) {
        self.shared.gates.open(key);
    }

    /// From now on hands every request's event to `sink` when its answer ends, instead
    /// of recording it: a load run's memory stays bounded however many packages it
    /// serves. [`StagingServer::events`] and [`StagingServer::wait_for`] see nothing
    /// after this; `sink` runs on the server's tasks, so it must be quick.
    pub fn divert_events(&self, sink: impl Fn(StagingEvent) + Send + Sync + 'static) {
        self.shared.log.divert(Arc::new(sink));
    }

    /// HTTP(S) requests under keys never staged, counted rather than recorded (see
    /// [`crate::unsolicited`]); `None` when none came.
    pub fn unsolicited(&self) -> Option<crate::UnsolicitedCount> {
        self.shared.unsolicited.snapshot()
    }

    /// Every request recorded for `key`, in the order their answers ended.
    pub fn events(&self, key: &str) -> Vec<StagingEvent> {
        self.shared.log.filtered(|e| e.key == key)
    }

    /// Every request recorded, whatever the key.
    pub fn all_events(&self) -> Vec<StagingEvent> {
        self.shared.log.filtered(|_| true)
    }

    /// Waits until an event for `key` satisfies `pred`, or the deadline passes. Returns
    /// the first such event in recording order.
    pub async fn wait_for(
        &self,
        key: &str,
        deadline: Instant,
        pred: impl Fn(&StagingEvent) -> bool,
    ) -> Option<StagingEvent> {
        self.shared.log.wait(deadline, |e| e.key == key, |events| events.iter().find(|e| pred(e)).cloned()).await
    }
}

impl fmt::Debug for StagingServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StagingServer")
            .field("http_base", &self.shared.http_base)
            .field("https_base", &self.shared.https_base)
            .field("ftp_base", &self.shared.ftp_base)
            .field("ftps_base", &self.shared.ftps_base)
            .finish_non_exhaustive()
    }
}

/// `/s/<key>/<file_name>`, each part one encoded segment.
fn package_path(key: &str, file_name: &str) -> String {
    format!("{STAGING_PREFIX}{}/{}", encode_segment(key), encode_segment(file_name))
}

/// State shared by all four listeners, every response body and every FTP transfer.
struct Shared {
    started: Instant,
    http_base: String,
    https_base: String,
    ftp_base: String,
    ftps_base: String,
    plans: Mutex<HashMap<String, Staged>>,
    /// For each key staged [`StagingBehaviour::Silent`]: dropped when the plan goes,
    /// which wakes its silent requests.
    silences: Mutex<HashMap<String, tokio::sync::watch::Sender<()>>>,
    /// For each key staged [`StagingBehaviour::AfterAnswer`]: the gate its requests
    /// wait on.
    gates: crate::answer_gate::AnswerGates,
    log: EventLog<StagingEvent>,
    tls_failures: server::TlsFailures,
    login_failures: ftp::LoginFailures,
    /// Every key ever staged: an HTTP request under any other is no scenario's.
    known: KnownKeys,
    /// HTTP requests under keys never staged: counted, not recorded.
    unsolicited: Unsolicited,
}

impl Shared {
    fn plans(&self) -> std::sync::MutexGuard<'_, HashMap<String, Staged>> {
        self.plans.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn silences(&self) -> std::sync::MutexGuard<'_, HashMap<String, tokio::sync::watch::Sender<()>>> {
        self.silences.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The event of a request that arrives now; its answer fills in the rest.
    fn arrival(
        &self,
        key: String,
        protocol: &str,
        method: String,
        path: String,
        credentials: CredentialsPresented,
        status: u16,
    ) -> StagingEvent {
        let now = Instant::now();
        StagingEvent {
            key,
            at: now,
            elapsed_ms: millis(now.duration_since(self.started)),
            finished_at: now,
            duration_ms: 0,
            protocol: protocol.to_owned(),
            method,
            path,
            query: None,
            credentials,
            status,
            bytes_sent: 0,
            body_bytes: 0,
            completed: false,
            ftps_mode: None,
        }
    }

    fn base(&self, scheme: Scheme) -> &str {
        match scheme {
            Scheme::Http => &self.http_base,
            Scheme::Https => &self.https_base,
        }
    }
}

/// A plan and the bytes it serves (corrupted or made hostile once, at staging time,
/// when its behaviour asks).
#[derive(Clone)]
struct Staged {
    plan: StagingPlan,
    served: PackageBody,
    /// For a silent plan: closes when the plan is unstaged or replaced.
    silence: Option<tokio::sync::watch::Receiver<()>>,
    /// For an after-answer plan: what its requests wait on before they are answered.
    hold: Option<crate::answer_gate::Hold>,
}

/// The router: everything goes to one handler, which records even what matches no plan.
fn app(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// What a request gets, before any waiting or sending.
enum Answer {
    /// The package (or its corrupt stand-in), possibly delayed, paced or cut short.
    Package {
        data: PackageBody,
        content_type: &'static str,
        delay: Option<Duration>,
        pacing: Option<Pacing>,
        truncate_after: Option<usize>,
    },
    /// A short text answer.
    Text { status: StatusCode, text: &'static str, headers: Vec<(axum::http::HeaderName, String)> },
    /// No answer until `until` closes.
    Silent { until: tokio::sync::watch::Receiver<()> },
}

impl Answer {
    /// The status recorded: 0 for no answer.
    fn status(&self) -> u16 {
        match self {
            Answer::Package { .. } => StatusCode::OK.as_u16(),
            Answer::Text { status, .. } => status.as_u16(),
            Answer::Silent { .. } => 0,
        }
    }

    fn text(status: StatusCode, text: &'static str) -> Self {
        Answer::Text { status, text, headers: Vec::new() }
    }
}

async fn handle(State(shared): State<Arc<Shared>>, scheme: axum::Extension<Scheme>, request: Request) -> Response {
    let axum::Extension(scheme) = scheme;
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let segments = segments_after(&path, STAGING_PREFIX).unwrap_or_default();
    let key = segments.first().cloned().unwrap_or_default();
    if !shared.known.contains(&key) {
        // A key never staged is no scenario's, and the peer chooses it: counted, not
        // recorded, so that a flood of invented paths costs no memory (a key staged
        // once keeps recording, unstaged or not: a late fetch is its scenario's evidence).
        let example = match &query {
            Some(query) => format!("{path}?{query}"),
            None => path.clone(),
        };
        shared.unsolicited.record(&example, example.len() as u64);
        let mut response = Response::new(Body::from("nothing is staged here\n"));
        *response.status_mut() = StatusCode::NOT_FOUND;
        response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        return response;
    }
    let staged = shared.plans().get(&key).cloned();
    let hold = staged.as_ref().and_then(|s| s.hold.clone());
    let required = staged.as_ref().and_then(|s| s.plan.credentials.as_ref());
    let credentials = judge_credentials(request.headers(), required);
    let answer = decide(&shared, scheme, &method, &key, &segments, staged, &credentials);

    let mut event = shared.arrival(key, scheme.as_str(), method.to_string(), path, credentials, answer.status());
    event.query = query;
    let pending = PendingEvent::new(Arc::clone(&shared), event);
    if let Answer::Silent { mut until } = answer {
        // Recorded now, with status 0: the scenario must see the request while it waits.
        pending.conclude(0, 0, false);
        // Err once the plan's sender is dropped: unstaged, replaced, or the server gone.
        let _ = until.changed().await;
        let mut response = Response::new(Body::from("the staging plan never answered; the scenario is over\n"));
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        response.headers_mut().insert(axum::http::header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    if let Some(hold) = hold {
        // The event keeps its arrival time: the order check judges when the request
        // came, not when it was let go.
        let release = hold.wait().await;
        tracing::debug!(?release, "a held staging request is let go");
    }
    respond(answer, pending).await
}

/// Chooses the answer from the plan, the path and the credentials.
fn decide(
    shared: &Shared,
    scheme: Scheme,
    method: &Method,
    key: &str,
    segments: &[String],
    staged: Option<Staged>,
    credentials: &CredentialsPresented,
) -> Answer {
    let Some(Staged { plan, served, silence, .. }) = staged else {
        return Answer::text(StatusCode::NOT_FOUND, "nothing is staged here\n");
    };
    let redirected = match segments {
        [_, file] if *file == plan.file_name => false,
        [_, moved, file] if moved == REDIRECTED_SEGMENT && *file == plan.file_name => true,
        _ => return Answer::text(StatusCode::NOT_FOUND, "nothing is staged here\n"),
    };
    if redirected && plan.behaviour != StagingBehaviour::Redirect {
        return Answer::text(StatusCode::NOT_FOUND, "nothing is staged here\n");
    }
    if method != Method::GET && method != Method::HEAD {
        return Answer::Text {
            status: StatusCode::METHOD_NOT_ALLOWED,
            text: "fetch the package with GET\n",
            headers: vec![(ALLOW, "GET, HEAD".to_owned())],
        };
    }
    if plan.credentials.is_some() && *credentials != CredentialsPresented::Valid {
        let text = match credentials {
            CredentialsPresented::None => "credentials required\n",
            _ => "wrong credentials\n",
        };
        return Answer::Text {
            status: StatusCode::UNAUTHORIZED,
            text,
            headers: vec![(WWW_AUTHENTICATE, REALM_CHALLENGE.to_owned())],
        };
    }
    let content_type = package_content_type(&plan.file_name);
    let package = |delay, pacing, truncate_after| Answer::Package {
        data: served.clone(),
        content_type,
        delay,
        pacing,
        truncate_after,
    };
    match plan.behaviour {
        StagingBehaviour::Serve
        | StagingBehaviour::Corrupt
        | StagingBehaviour::ZipSlip
        | StagingBehaviour::ZipBomb
        | StagingBehaviour::Oversized { .. } => package(None, None, None),
        StagingBehaviour::Status { status } => {
            let code = u16::try_from(status).unwrap_or(0);
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let headers = if status == StatusCode::UNAUTHORIZED {
                vec![(WWW_AUTHENTICATE, REALM_CHALLENGE.to_owned())]
            } else {
                Vec::new()
            };
            Answer::Text { status, text: "the staging plan answers this status\n", headers }
        }
        StagingBehaviour::Delay { .. } | StagingBehaviour::Dribble { .. } | StagingBehaviour::Truncate { .. } => {
            let (delay, pacing, truncate_after) = plan.shape();
            package(delay, pacing, truncate_after)
        }
        // Held in `handle` until the answer is read, then served as it is.
        StagingBehaviour::AfterAnswer => package(None, None, None),
        StagingBehaviour::Silent => match silence {
            Some(until) => Answer::Silent { until },
            None => Answer::text(StatusCode::NOT_FOUND, "nothing is staged here\n"),
        },
        StagingBehaviour::Redirect if redirected => package(None, None, None),
        StagingBehaviour::Redirect => {
            let location = format!(
                "{}{STAGING_PREFIX}{}/{REDIRECTED_SEGMENT}/{}",
                shared.base(scheme),
                encode_segment(key),
                encode_segment(&plan.file_name)
            );
            Answer::Text { status: StatusCode::FOUND, text: "", headers: vec![(LOCATION, location)] }
        }
    }
}

/// Waits if the plan says so, then builds the response around a [`TrackedBody`] that
/// completes the event when it is dropped.
async fn respond(answer: Answer, mut pending: PendingEvent) -> Response {
    pending.announce(match &answer {
        Answer::Package { data, .. } => data.len(),
        Answer::Text { text, .. } => text.len() as u64,
        Answer::Silent { .. } => 0,
    });
    let on_done: OnDone = Box::new(move |sent, completed| pending.finish(sent, completed));
    let (status, body, content_type, headers) = match answer {
        Answer::Package { data, content_type, delay, pacing, truncate_after } => {
            if let Some(delay) = delay {
                // A behaviour, not a wait for an event: the plan asks for a slow server.
                // If the client leaves meanwhile, `pending` is dropped and still records.
                tokio::time::sleep(delay).await;
            }
            let body = match truncate_after {
                Some(after) => TrackedBody::truncated(data, after, on_done),
                None => TrackedBody::whole(data, pacing, on_done),
            };
            (StatusCode::OK, body, content_type, Vec::new())
        }
        Answer::Text { status, text, headers } => {
            let body = TrackedBody::whole(Bytes::from_static(text.as_bytes()).into(), None, on_done);
            (status, body, "text/plain; charset=utf-8", headers)
        }
        // Answered in `handle`, never here.
        Answer::Silent { .. } => {
            let body = TrackedBody::whole(Bytes::new().into(), None, on_done);
            (StatusCode::SERVICE_UNAVAILABLE, body, "text/plain; charset=utf-8", Vec::new())
        }
    };
    let announced = body.announced();
    let mut response = Response::new(Body::new(body));
    *response.status_mut() = status;
    let response_headers = response.headers_mut();
    response_headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response_headers.insert(CONTENT_LENGTH, HeaderValue::from(announced));
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response_headers.insert(name, value);
        }
    }
    response
}

/// An event waiting for its answer to end; recorded when finished or dropped, so that
/// a request abandoned during a delay is recorded too.
struct PendingEvent {
    shared: Arc<Shared>,
    event: Option<StagingEvent>,
}

impl PendingEvent {
    fn new(shared: Arc<Shared>, event: StagingEvent) -> Self {
        PendingEvent { shared, event: Some(event) }
    }

    /// The length of the body the answer announces.
    fn announce(&mut self, body_bytes: u64) {
        if let Some(event) = self.event.as_mut() {
            event.body_bytes = body_bytes;
        }
    }

    fn finish(mut self, sent: u64, completed: bool) {
        if let Some(event) = self.event.as_mut() {
            event.bytes_sent = sent;
            event.completed = completed;
        }
    }

    /// Records the event now, with the status the answer ended on (FTP decides its
    /// final reply only when the transfer is over).
    fn conclude(mut self, status: u16, sent: u64, completed: bool) {
        if let Some(event) = self.event.as_mut() {
            event.status = status;
        }
        self.finish(sent, completed);
    }
}

impl Drop for PendingEvent {
    fn drop(&mut self) {
        if let Some(mut event) = self.event.take() {
            event.finished_at = Instant::now();
            event.duration_ms = millis(event.finished_at.duration_since(event.at));
            self.shared.log.push(event);
        }
    }
}

/// The media type of a package, from its file name's extension.
fn package_content_type(file_name: &str) -> &'static str {
    let extension = file_name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "zip" | "pif" => "application/zip",
        "xml" => "application/xml",
        "jar" => "application/java-archive",
        _ => "application/octet-stream",
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Reads basic credentials from `Authorization` and judges them against `required`.
/// The password is compared and forgotten.
pub fn judge_credentials(headers: &HeaderMap, required: Option<&(String, String)>) -> CredentialsPresented {
    let Some(header) = headers.get(AUTHORIZATION) else {
        return CredentialsPresented::None;
    };
    let sent = basic_credentials(header.as_bytes());
    let user = sent.as_ref().map(|(user, _)| user.clone()).unwrap_or_default();
    match required {
        None => CredentialsPresented::Unrequested { user },
        Some((want_user, want_password)) => match sent {
            Some((user, password)) if user == *want_user && password == *want_password => CredentialsPresented::Valid,
            _ => CredentialsPresented::Wrong { user },
        },
    }
}

/// `Basic base64(user:password)` → `(user, password)`; `None` when unreadable.
pub(crate) fn basic_credentials(header: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(header).ok()?.trim();
    let (scheme, encoded) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Server state with no listeners, for the tests of what records into it.
    pub(in crate::staging) fn shared_for_tests() -> Arc<Shared> {
        Arc::new(Shared {
            started: Instant::now(),
            http_base: String::new(),
            https_base: String::new(),
            ftp_base: String::new(),
            ftps_base: String::new(),
            plans: Mutex::new(HashMap::new()),
            silences: Mutex::new(HashMap::new()),
            gates: crate::answer_gate::AnswerGates::default(),
            log: EventLog::new(),
            tls_failures: Arc::default(),
            login_failures: ftp::LoginFailures::default(),
            known: KnownKeys::default(),
            unsolicited: Unsolicited::default(),
        })
    }

    /// An FTP RETR of `/s/<key>/course.zip` that arrived now, not yet over.
    pub(in crate::staging) fn pending(shared: &Arc<Shared>, key: &str) -> PendingEvent {
        let path = package_path(key, "course.zip");
        let event = shared.arrival(key.to_owned(), "ftp", "RETR".into(), path, CredentialsPresented::None, 426);
        PendingEvent::new(Arc::clone(shared), event)
    }

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).expect("header"));
        headers
    }

    fn basic(user_password: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(user_password))
    }

    #[test]
    fn credentials_are_judged_without_keeping_the_password() {
        let required = ("pens".to_owned(), "s3cret".to_owned());
        let cases = [
            (None, Some(&required), CredentialsPresented::None),
            (Some(basic("pens:s3cret")), Some(&required), CredentialsPresented::Valid),
            (Some(basic("pens:nope")), Some(&required), CredentialsPresented::Wrong { user: "pens".into() }),
            (Some(basic("other:s3cret")), Some(&required), CredentialsPresented::Wrong { user: "other".into() }),
            (Some("Bearer token".into()), Some(&required), CredentialsPresented::Wrong { user: String::new() }),
            (Some("Basic !!!".into()), Some(&required), CredentialsPresented::Wrong { user: String::new() }),
            (Some(basic("pens:s3cret")), None, CredentialsPresented::Unrequested { user: "pens".into() }),
        ];
        for (header, required, expected) in cases {
            let headers = header.as_deref().map(with_authorization).unwrap_or_default();
            let judged = judge_credentials(&headers, required);
            assert_eq!(judged, expected, "{header:?}");
            assert!(!format!("{judged:?}").contains("s3cret"));
        }
    }

    #[test]
    fn a_password_with_a_colon_is_kept_whole() {
        assert_eq!(basic_credentials(basic("u:a:b").as_bytes()), Some(("u".into(), "a:b".into())));
    }

    #[test]
    fn the_plan_debug_output_hides_the_password() {
        let plan = StagingPlan::new("course.zip", Bytes::from_static(b"zip")).credentials("pens", "s3cret");
        let shown = format!("{plan:?}");
        assert!(shown.contains("pens") && !shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn package_paths_are_single_encoded_segments() {
        assert_eq!(package_path("collect-post-valid", "course.zip"), "/s/collect-post-valid/course.zip");
        assert_eq!(package_path("a/b c", "my course.zip"), "/s/a%2Fb%20c/my%20course.zip");
    }
}
