//! The relay of observe mode (pens-relay): a PENS-aware man in the middle between a real authoring
//! tool (the client) and a real LMS (the target), recording what each does so that
//! the checks of client mode and target mode judge both on one timeline.
//!
//! One publish is one collect the client sends to [`Relay::collect_url`]:
//!
//! 1. **Collect** (`front.rs`). The collect is read as the mock target reads one
//!    (GET query or POST body, any path, at most [`pens_parties::MAX_COLLECT_BYTES`]), given a
//!    key, and, unless [`RelayOptions::rewrite`] is off, its `package-url`, `receipt`
//!    and `alerts` are pointed at the relay (`rewrite.rs`: every other byte stays as it
//!    came). It goes to the target with the same method and media type, and the
//!    target's answer goes back to the client unchanged (every header but the
//!    connection's, `headers.rs`); when the target cannot be
//!    reached or does not answer in time the client gets a plain-text 502 or 504, and
//!    the record says so (that is no PENS answer of either party).
//! 2. **Package** (`staging.rs`). When the target fetches the rewritten package URL
//!    (HTTPS when the client's is), the relay fetches the client's real one, passing
//!    on the credentials the target presents, and streams it to the target while
//!    keeping a copy (memory, then a temp file) for the package checks.
//! 3. **Receipts and alerts** (`notify.rs`). The collector records them as in target
//!    mode; the relay passes each to the client's real URL (same method, media type
//!    and body) and the client's answer back to the target unchanged.
//!
//! The relay adds no behaviour of its own: no retries, no re-encoding, no reordering;
//! every wait is bounded and every read capped ([`RelayOptions::limits`]), so a
//! misbehaving party on either side is a recorded failure, never a hang. Everything is
//! recorded per publish in a [`PublishRecord`], without passwords.
//!
//! The staging relay is its own small listener rather than a kind of body of the
//! [`pens_parties::StagingServer`]: the staging server serves plans whose length, status and
//! behaviour it decides, over FTP too, while a relayed answer takes its status, headers
//! and length from the client's staging server as they come. It records the same
//! [`pens_parties::StagingEvent`]s, on the same listener code (connection caps, TLS with the
//! run's CA).
//!
//! It is a crate of its own, built on pens-parties (its public parties and the
//! building blocks of `pens_parties::internals`), because it is a job of its own:
//! pens-runner's layering test holds that no crate does several. The engine's observe
//! mode starts a [`Relay`] and reads its [`PublishRecord`]s. `docs/relay.md` says the
//! same for people who run it: what is rewritten, what cannot be observed, the limits.

mod error;
mod front;
mod headers;
mod notify;
mod options;
mod record;
mod rewrite;
mod staging;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use tokio::task::JoinSet;

pub use error::RelayError;
pub use options::{
    DEFAULT_COLLECT_TIMEOUT, DEFAULT_MAX_PUBLISHES, DEFAULT_NOTIFY_TIMEOUT, DEFAULT_RELAY_FETCH_IDLE_TIMEOUT,
    RelayOptions,
};
pub use record::{AnswerToClient, FetchEnd, Leg, NotRelayed, PublishRecord, RelayedCollect, RelayedFetch, Rewrite};

use pens_parties::internals::{self as server, Secrets, ServerTask, Unsolicited};
use pens_parties::path::base_url;
use pens_parties::{CollectClient, Collector, CollectorOptions, MockError, RunCa, UnsolicitedCount};
use record::Records;

/// A running relay: the collect front, the staging relay (HTTP and HTTPS) and the
/// collector (HTTP and SMTP). Dropping it stops every listener, every connection and
/// every relayed transfer.
pub struct Relay {
    shared: Arc<Shared>,
    ca: Arc<RunCa>,
    front: ServerTask,
    staging_http: ServerTask,
    staging_https: ServerTask,
    jobs: Arc<Mutex<JoinSet<()>>>,
}

/// What the relay's handlers share.
pub(crate) struct Shared {
    pub(crate) options: RelayOptions,
    pub(crate) started: Instant,
    pub(crate) records: Records,
    pub(crate) collect_client: CollectClient,
    /// Fetches the client's packages: the run CA and `trust_pem` trusted besides the
    /// web roots, redirects followed on the package URL's own host only.
    pub(crate) upstream: reqwest::Client,
    /// Passes receipts and alerts on: follows no redirect (a redirect is the client's
    /// answer).
    pub(crate) notify_client: reqwest::Client,
    pub(crate) collector: Collector,
    pub(crate) staging_http_base: String,
    pub(crate) staging_https_base: String,
    /// What each publish's rewritten URLs stand for.
    publishes: Mutex<HashMap<String, Arc<Publish>>>,
    next_number: AtomicU64,
    /// Requests to the staging relay under keys it never handed out.
    pub(crate) unsolicited: Unsolicited,
    /// Failed TLS handshakes on the HTTPS staging relay.
    pub(crate) tls_failures: pens_parties::internals::TlsFailures,
    /// Background work (mail passed on): aborted with the relay.
    pub(crate) jobs: Arc<Mutex<JoinSet<()>>>,
}

/// The client's own URLs behind one publish's rewritten ones. Holds the collect's
/// credentials (they are passed on), so its `Debug` shows none.
#[derive(Default)]
pub(crate) struct Publish {
    /// The client's `package-url`, as given.
    pub(crate) package_url: Option<String>,
    /// The credentials the collect named for it (`package-url-user-id` and
    /// `-password`, or the URL's userinfo): what the target should present.
    pub(crate) credentials: Option<(String, String)>,
    /// The client's `receipt` URL, when it is relayed over HTTP.
    pub(crate) receipt: Option<String>,
    /// The client's `alerts` URL, when it is relayed over HTTP.
    pub(crate) alerts: Option<String>,
    /// The client's `mailto:` receipt addresses, when mail is relayed.
    pub(crate) receipt_mail: Option<pens_proto::Mailto>,
    /// The client's `mailto:` alerts addresses, when mail is relayed.
    pub(crate) alerts_mail: Option<pens_proto::Mailto>,
    /// The collect's secret values, blanked in what is recorded.
    pub(crate) secrets: Secrets,
}

impl Shared {
    pub(crate) fn publish(&self, key: &str) -> Option<Arc<Publish>> {
        self.publishes.lock().unwrap_or_else(PoisonError::into_inner).get(key).cloned()
    }

    pub(crate) fn set_publish(&self, key: &str, publish: Publish) {
        self.publishes.lock().unwrap_or_else(PoisonError::into_inner).insert(key.to_owned(), Arc::new(publish));
    }

    /// The number of the next publish (1, 2, ...).
    pub(crate) fn next_number(&self) -> u64 {
        self.next_number.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Milliseconds since the relay started.
    pub(crate) fn elapsed_ms(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.started).as_millis()).unwrap_or(u64::MAX)
    }

    /// Spawns background work that stops with the relay.
    pub(crate) fn spawn(&self, work: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        while jobs.try_join_next().is_some() {}
        jobs.spawn(work);
    }
}

impl Relay {
    /// Binds the collect front on [`RelayOptions::listen`], and the staging relay
    /// (HTTP and HTTPS) and the collector (HTTP, and SMTP on
    /// [`RelayOptions::smtp_listen`] or a free port) on free ports of its address. Must
    /// be called inside a Tokio runtime.
    pub async fn start(options: RelayOptions) -> Result<Relay, RelayError> {
        let target = reqwest::Url::parse(options.target_url.trim()).map_err(|e| RelayError::TargetUrl {
            url: pens_proto::redact_userinfo(&options.target_url),
            reason: e.to_string(),
        })?;
        if !matches!(target.scheme(), "http" | "https") {
            return Err(RelayError::TargetUrl {
                url: pens_proto::redact_userinfo(&options.target_url),
                reason: format!("the relay speaks http and https, not `{}`", target.scheme()),
            });
        }
        let ip = options.listen.ip();
        let ca = match &options.ca {
            Some(ca) => Arc::clone(ca),
            None => Arc::new(RunCa::generate(&options.advertise_host.iter().cloned().collect::<Vec<_>>())?),
        };
        let roots = trusted_roots(&options, &ca)?;
        let collect_client = CollectClient::with_roots(roots.clone(), options.limits.answer())?;
        let upstream = client_builder(&roots)
            .redirect(pens_parties::internals::redirect_policy(options.limits.redirects))
            .build()
            .map_err(MockError::from)?;
        let notify_client =
            client_builder(&roots).redirect(reqwest::redirect::Policy::none()).build().map_err(MockError::from)?;
        let collector_options = CollectorOptions {
            smtp: options.smtp_listen,
            notifications: options.limits.notifications,
            listener: options.limits.listener(),
        };
        let collector = Collector::start_with(ip, options.advertised(), collector_options).await?;
        let front_bound = server::bind(options.listen).await?;
        let http_bound = server::bind(SocketAddr::new(ip, 0)).await?;
        let https_bound = server::bind(SocketAddr::new(ip, 0)).await?;
        let jobs = Arc::new(Mutex::new(JoinSet::new()));
        let shared = Arc::new(Shared {
            staging_http_base: base_url("http", options.advertised(), ip, http_bound.addr.port()),
            staging_https_base: base_url("https", options.advertised(), ip, https_bound.addr.port()),
            records: Records::new(options.max_publishes, options.limits.notifications),
            started: Instant::now(),
            collect_client,
            upstream,
            notify_client,
            collector,
            publishes: Mutex::new(HashMap::new()),
            next_number: AtomicU64::new(0),
            unsolicited: Unsolicited::default(),
            tls_failures: Arc::default(),
            jobs: Arc::clone(&jobs),
            options,
        });
        let limits = shared.options.limits.listener();
        // A collect whose head is too large for the HTTP layer is refused (431) before
        // the router sees it: the hook records it as the refused collect it was.
        let watched = Arc::clone(&shared);
        let hook: pens_parties::internals::HeadHook = Arc::new(move |head| front::refused_head(&watched, head));
        let front = server::spawn_watching_heads(
            front_bound,
            front::app(Arc::clone(&shared)),
            None,
            limits,
            "the relay",
            Some(hook),
        );
        let staging_http = server::spawn(
            http_bound,
            staging::app(Arc::clone(&shared)),
            None,
            limits,
            "the staging server (relay, http)",
        );
        let tls = server::Tls { config: ca.server_config(), failures: Arc::clone(&shared.tls_failures) };
        let staging_https = server::spawn(
            https_bound,
            staging::app(Arc::clone(&shared)),
            Some(tls),
            limits,
            "the staging server (relay, https)",
        );
        tracing::info!(addr = %front.local_addr(), "relay listening");
        Ok(Relay { shared, ca, front, staging_http, staging_https, jobs })
    }

    /// Where the client publishes: `http://ADDR/pens` (any path is taken).
    pub fn collect_url(&self) -> String {
        let addr = self.front.local_addr();
        format!("{}/pens", base_url("http", self.shared.options.advertised(), addr.ip(), addr.port()))
    }

    /// The address the collect front is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.front.local_addr()
    }

    /// `http://host:port` of the staging relay's HTTP listener.
    pub fn staging_http_base(&self) -> String {
        self.shared.staging_http_base.clone()
    }

    /// `https://host:port` of the staging relay's HTTPS listener.
    pub fn staging_https_base(&self) -> String {
        self.shared.staging_https_base.clone()
    }

    /// The PEM certificate of the CA the HTTPS staging relay serves with: what the
    /// target must trust to fetch a package whose client URL is https.
    pub fn ca_pem(&self) -> &str {
        self.ca.ca_pem()
    }

    /// The collector the target's receipts and alerts arrive at.
    pub fn collector(&self) -> &Collector {
        &self.shared.collector
    }

    /// The key of the next collect the client sends, in arrival order, each once;
    /// waits for one (wrap it in a timeout). `None` only once the relay has stopped.
    pub async fn next_publish(&self) -> Option<String> {
        let mut changes = self.shared.records.subscribe();
        loop {
            if let Some(key) = self.shared.records.take_pending() {
                return Some(key);
            }
            if changes.changed().await.is_err() {
                return None;
            }
        }
    }

    /// The keys of every publish so far, in arrival order.
    pub fn publishes(&self) -> Vec<String> {
        self.shared.records.keys()
    }

    /// A snapshot of what the relay saw of publish `key`, the collector's receipts and
    /// alerts for it included, with the collect's secret values blanked in them (an LMS
    /// may echo a password in a receipt's `error-text`).
    pub fn record(&self, key: &str) -> Option<PublishRecord> {
        let mut record = self.shared.records.get(key)?;
        let events = self.shared.collector.events(key);
        record.notifications = match self.shared.publish(key) {
            Some(publish) => {
                events.into_iter().map(|event| record::scrubbed_notification(event, &publish.secrets)).collect()
            }
            None => events,
        };
        Some(record)
    }

    /// Waits until `pred` holds for the record of `key` (looked at now and after every
    /// change), or `deadline` passes; the record at that moment either way (`None`
    /// when there is no such publish).
    pub async fn wait_for(
        &self,
        key: &str,
        deadline: Instant,
        pred: impl Fn(&PublishRecord) -> bool,
    ) -> Option<PublishRecord> {
        let mut changes = self.shared.records.subscribe();
        let deadline = tokio::time::Instant::from_std(deadline);
        loop {
            let record = self.record(key)?;
            if pred(&record) {
                return Some(record);
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) | Err(_) => return self.record(key),
            }
        }
    }

    /// Waits until the record of `key` changes after revision `seen`, or `deadline`
    /// passes; the record then.
    pub async fn changed(&self, key: &str, seen: u64, deadline: Instant) -> Option<PublishRecord> {
        self.wait_for(key, deadline, |record| record.revision > seen).await
    }

    /// Drops what the relay keeps of publish `key`: its record, with its events and its
    /// package copy (a temp file is deleted once no snapshot holds it), and the
    /// collector's receipts and alerts for it. Its URLs keep relaying: a late fetch,
    /// receipt or alert still passes, unrecorded. A long observation forgets each
    /// publish once judged, so memory and disk stay bounded however many publishes it
    /// sees; what stays per publish is its URLs and a count (a few hundred bytes), so
    /// that late ones still reach the client. Whether there was such a record.
    pub fn forget(&self, key: &str) -> bool {
        self.shared.collector.forget(key);
        self.shared.records.forget(key)
    }

    /// How many collects were refused because [`RelayOptions::max_publishes`]
    /// publishes were recorded.
    pub fn overflow(&self) -> u64 {
        self.shared.records.overflow()
    }

    /// Requests to the staging relay under keys it never handed out: answered 404,
    /// counted, not recorded.
    pub fn unsolicited_staging(&self) -> Option<UnsolicitedCount> {
        self.shared.unsolicited.snapshot()
    }

    /// TLS handshakes on the HTTPS staging relay that failed since `since`: a target
    /// that does not trust [`Relay::ca_pem`] fails here, before any request of it is
    /// recorded.
    pub fn tls_failures_since(&self, since: Instant) -> Vec<pens_parties::TlsFailure> {
        self.shared.tls_failures.since(since)
    }

    /// Waits until a TLS handshake on the HTTPS staging relay since `since` has failed,
    /// or `deadline` passes; the failures then.
    pub async fn wait_for_tls_failure(&self, since: Instant, deadline: Instant) -> Vec<pens_parties::TlsFailure> {
        self.shared.tls_failures.wait_since(since, deadline).await
    }

    /// Stops the relay: every listener, connection and transfer.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner).abort_all();
    }
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("collect", &self.front.local_addr())
            .field("staging_http", &self.staging_http.local_addr())
            .field("staging_https", &self.staging_https.local_addr())
            .field("collector", &self.shared.collector)
            .field("options", &self.shared.options)
            .finish()
    }
}

/// The roots the relay trusts besides the web's: the CA it serves with, and
/// `trust_pem`.
fn trusted_roots(options: &RelayOptions, ca: &RunCa) -> Result<Vec<reqwest::Certificate>, RelayError> {
    let mut roots = vec![ca.reqwest_certificate()];
    for pem in &options.trust_pem {
        let ders =
            pens_parties::internals::root_certificates(pem).map_err(|e| RelayError::Trust { reason: e.to_string() })?;
        for der in ders {
            roots.push(reqwest::Certificate::from_der(&der).map_err(|e| RelayError::Trust { reason: e.to_string() })?);
        }
    }
    Ok(roots)
}

/// An HTTP client of the relay: the web roots and `roots`, no proxy (the relay talks to
/// the parties directly), a bounded connect.
fn client_builder(roots: &[reqwest::Certificate]) -> reqwest::ClientBuilder {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(std::time::Duration::from_secs(10))
        .user_agent(concat!("pens-conform-relay/", env!("CARGO_PKG_VERSION")));
    for root in roots {
        builder = builder.add_root_certificate(root.clone());
    }
    builder
}

/// An axum router that serves everything with one handler.
pub(crate) fn fallback_router<S: Clone + Send + Sync + 'static, H, T>(state: S, handler: H) -> Router
where
    H: axum::handler::Handler<T, S>,
    T: 'static,
{
    Router::new().fallback(handler).with_state(state)
}
