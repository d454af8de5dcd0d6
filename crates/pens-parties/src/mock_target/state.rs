//! The state shared by the reference target's HTTP handler and its background jobs,
//! and the router built over it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use pens_proto::TargetCapabilities;
use tokio::task::JoinSet;

use super::activity::{ActivityLog, ExchangeRef, TargetEvent, TargetEventKind};
use super::archive::LastCheck;
use super::behaviour::TargetBehaviour;
use super::collect::{collect, head_refused};
use super::error::MockTargetError;
use super::fetch::Fetcher;
use super::options::MockTargetOptions;
use super::script::{Scripts, TargetScript};
use super::spool::{KeptPackage, SpooledPackage};
use crate::limits::{KeyCounts, Overflow};
use crate::unsolicited::{Unsolicited, UnsolicitedCount};

/// The collect URL's path; `/pens/<key>` selects the script of `key`.
pub(crate) const COLLECT_PATH: &str = "/pens";

/// Everything the reference target knows and has done. Cheap to clone (one `Arc`);
/// hand it to [`app`] to drive the target in-process, or let
/// [`super::MockTarget::start`] serve it on a socket.
#[derive(Clone, Debug)]
pub struct MockTargetState {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) options: MockTargetOptions,
    /// The claims acted on ([`MockTargetOptions::effective_capabilities`]).
    pub(crate) capabilities: TargetCapabilities,
    pub(crate) behaviour: TargetBehaviour,
    /// Fetches packages; its HTTP client also sends receipts and alerts.
    pub(crate) fetcher: Fetcher,
    pub(crate) log: ActivityLog,
    pub(crate) scripts: Scripts,
    /// The last package fetched in full for each key, for client mode to inspect: the
    /// bytes of a small one (at most a MiB), the temp file of a larger one, whatever its
    /// size (it costs disk, not memory; the fetch's `package-bytes` bounds it), deleted
    /// once it is forgotten or replaced, or the target is dropped.
    packages: Mutex<HashMap<String, SpooledPackage>>,
    /// The verdict on the last small package checked.
    pub(crate) last_check: LastCheck,
    next_exchange: AtomicU64,
    /// Where mail goes: [`MockTargetOptions::smtp_relay`], or what was set later.
    smtp_relay: Mutex<Option<std::net::SocketAddr>>,
    /// The background work of every exchange, aborted when the target shuts down so
    /// that no receipt leaves a target that is gone.
    jobs: Mutex<JoinSet<()>>,
    /// Collects per key, kept or not ([`crate::PeerLimits::notifications`]).
    pub(crate) collects: KeyCounts,
    /// Collects of no scenario in progress ([`MockTargetOptions::scenario_keys_only`]).
    pub(crate) unsolicited: Unsolicited,
}

impl MockTargetState {
    /// Builds the state: the HTTP client (trusting `extra_root_pem`) and an empty log.
    pub fn new(options: MockTargetOptions) -> Result<Self, MockTargetError> {
        let capabilities = options.effective_capabilities();
        let smtp_relay = Mutex::new(options.smtp_relay);
        let fetcher = Fetcher::new(
            options.extra_root_pem.as_deref(),
            capabilities.ftp == pens_proto::Support::Yes,
            capabilities.ftps == pens_proto::Support::Yes,
            options.limits,
            &options.download_dir,
        )?;
        Ok(MockTargetState {
            inner: Arc::new(Inner {
                capabilities,
                behaviour: options.behaviour,
                log: ActivityLog::bounded(options.activity_limit),
                options,
                fetcher,
                scripts: Scripts::default(),
                packages: Mutex::new(HashMap::new()),
                last_check: LastCheck::default(),
                next_exchange: AtomicU64::new(0),
                smtp_relay,
                jobs: Mutex::new(JoinSet::new()),
                collects: KeyCounts::default(),
                unsolicited: Unsolicited::default(),
            }),
        })
    }

    /// The options the target runs with.
    pub fn options(&self) -> &MockTargetOptions {
        &self.inner.options
    }

    /// Registers `script` for `key`: collects at `/pens/<key>` follow it from now on
    /// (exchanges already under way keep theirs). Registering a key again replaces its
    /// script. See [`TargetScript`] for how scripts and defects compose.
    pub fn script(&self, key: &str, script: TargetScript) {
        self.inner.scripts.set(key, script);
    }

    /// Every event so far, oldest first.
    pub fn activity(&self) -> Vec<TargetEvent> {
        self.inner.log.snapshot()
    }

    /// Waits until `pred` holds for the events so far (checked at once and after every
    /// new event), or `deadline` passes; `None` on the deadline.
    pub async fn wait_for(&self, pred: impl Fn(&[TargetEvent]) -> bool, deadline: Instant) -> Option<Vec<TargetEvent>> {
        self.inner.log.wait_for(pred, deadline).await
    }

    /// The last package fetched in full for a collect at `/pens/<key>`, of any size,
    /// without reading it: kept before its `FetchFinished` event is recorded, so a
    /// waiter that saw that event finds it. `None` when no fetch of that key got the
    /// whole package. A package downloaded to a temp file
    /// ([`super::MockTargetOptionsBuilder::download_dir`]) stays there: read it
    /// through [`KeptPackage::open`], a piece at a time.
    pub fn kept_package(&self, key: &str) -> Option<KeptPackage> {
        let kept = self.inner.packages.lock().unwrap_or_else(PoisonError::into_inner).get(key).cloned()?;
        Some(KeptPackage::new(kept))
    }

    /// The bytes of [`MockTargetState::kept_package`], read back whole: for tests
    /// and small packages (a large one is then held in memory by the caller; inspect it
    /// through [`KeptPackage::open`] instead). `None` also when its temp file can no
    /// longer be read. Blocking for a package in a temp file.
    pub fn fetched_package(&self, key: &str) -> Option<Bytes> {
        self.kept_package(key)?.to_bytes().ok()
    }

    /// The collects that arrived at `/pens/<key>` beyond
    /// [`crate::PeerLimits::notifications`], if any did (`""` for `/pens`): each was
    /// answered 1440 and neither recorded nor acted on.
    pub fn overflow(&self, key: &str) -> Option<Overflow> {
        self.inner.collects.overflow(key)
    }

    /// The collects that belonged to no scenario in progress, answered 404 and only
    /// counted ([`MockTargetOptions::scenario_keys_only`]); `None` when none came.
    pub fn unsolicited(&self) -> Option<UnsolicitedCount> {
        self.inner.unsolicited.snapshot()
    }

    /// Forgets what the target holds for `key`: its script (later collects there follow
    /// the default one) and the package kept for it. The events stay on record.
    pub fn forget(&self, key: &str) {
        self.inner.scripts.remove(key);
        self.inner.packages.lock().unwrap_or_else(PoisonError::into_inner).remove(key);
    }

    /// Hands `mailto:` receipts and alerts to `relay` from now on (the harness's mail
    /// sink, whose address is known only once its run has started).
    pub fn set_smtp_relay(&self, relay: std::net::SocketAddr) {
        *self.inner.smtp_relay.lock().unwrap_or_else(PoisonError::into_inner) = Some(relay);
    }

    /// Aborts the background work still running.
    pub(crate) fn abort_jobs(&self) {
        self.inner.jobs.lock().unwrap_or_else(PoisonError::into_inner).abort_all();
    }
}

impl Inner {
    /// Where mail goes now, if anywhere.
    pub(crate) fn smtp_relay(&self) -> Option<std::net::SocketAddr> {
        *self.smtp_relay.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a request head the HTTP layer refused as too large (431) when its path
    /// is a collect URL: under the key the path names, if it could be read whole, and
    /// at most [`crate::PeerLimits::notifications`] per key (or without one), like
    /// collects; the rest are counted in the key's overflow.
    pub(crate) fn refused_head(&self, head: crate::head_tap::RefusedHead) {
        let Some((method, path, complete)) = super::refusal::request_start(&head.start) else {
            tracing::debug!(bytes = head.seen, "a request head too large to read, not a request line");
            return;
        };
        if path != COLLECT_PATH && !path.starts_with(&format!("{COLLECT_PATH}/")) {
            tracing::debug!(%method, %path, bytes = head.seen, "a request head too large to read, not at a collect URL");
            return;
        }
        // A path cut short names no key for sure.
        let key = if complete { super::collect::key_of_path(&path) } else { None };
        let cap = self.options.limits.notifications.max(1);
        if !self.collects.admit(key.as_deref().unwrap_or_default(), cap, Instant::now()) {
            return;
        }
        let refusal = super::CollectRefusal {
            method,
            path,
            part: super::RefusedPart::Head,
            seen: head.seen,
            declared: None,
            limit: crate::head_tap::MAX_REQUEST_HEAD_BYTES as u64,
            status: 431,
        };
        let exchange = ExchangeRef { number: self.next_exchange(), key, package_id: None };
        self.record(&exchange, TargetEventKind::CollectRefused { refusal });
    }

    /// The number of the next exchange (1, 2, ...).
    pub(crate) fn next_exchange(&self) -> u64 {
        self.next_exchange.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Keeps `body` as the last package fetched for `key`, replacing the previous one.
    /// A spooled package is kept as its temp file, whatever its size: a clone shares
    /// the file, and its deletion waits for the last clone.
    /// Nothing is kept when the options say so ([`MockTargetOptions::keep_packages`]).
    pub(crate) fn keep_package(&self, key: Option<&str>, body: &SpooledPackage) {
        let Some(key) = key.filter(|_| self.options.keep_packages) else { return };
        self.packages.lock().unwrap_or_else(PoisonError::into_inner).insert(key.to_owned(), body.clone());
    }

    /// Records an event of `exchange`.
    pub(crate) fn record(&self, exchange: &ExchangeRef, kind: TargetEventKind) {
        self.log.record(exchange, kind);
    }

    /// Spawns background work that shutdown can abort. Must run inside a Tokio runtime
    /// (the handler always does).
    pub(crate) fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        while jobs.try_join_next().is_some() {}
        jobs.spawn(work);
    }
}

/// The reference target's router: `GET` and `POST` collects at `/pens` (CMI010 §5),
/// which follow the default script, and at `/pens/<key>`, which follow the script
/// registered for `key` ([`MockTargetState::script`]). `HEAD` is refused rather
/// than routed to the GET handler as axum would: a link checker probing the URL must
/// not start a fetch.
pub fn app(state: MockTargetState) -> Router {
    let collect_routes = || get(collect).post(collect).head(head_refused);
    Router::new()
        .route(COLLECT_PATH, collect_routes())
        .route(&format!("{COLLECT_PATH}/{{key}}"), collect_routes())
        // Before any extractor reads a body: a collect of no scenario is never buffered.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), super::gate::scenarios_only))
        .with_state(state)
}
