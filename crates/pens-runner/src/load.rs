//! Load mode: many full publish cycles against one target, to see how fast it goes and
//! whether anything gets lost on the way (`pens-conform load`).
//!
//! A cycle is the successful exchange of CMI010 App. A §2, steps 2-5: a valid collect
//! (POST, a `package-id` and staging path of its own), the target's answer, its fetch
//! of the package from our staging server, and its receipt at our collector (alerts,
//! optional in §6.2, only with [`LoadOptions::alerts`]). The run
//! keeps at most `concurrency` cycles in flight: that many workers each run one cycle
//! after another. A cycle ends at its receipt or at its deadline (then the receipt is
//! *lost*); a second receipt for one publish, whenever it comes before the run ends,
//! is *duplicated* (CMI010 §5.1: exactly one).
//!
//! Memory and descriptors stay bounded by the concurrency, not the number of
//! publishes: one package (shared bytes, or with [`LoadOptions::size`] a filler
//! generated as it is sent) is staged under each cycle's key and unstaged when the
//! cycle ends; the staging server and the collector hand their events to the
//! run's [`book::Book`] instead of keeping them; connections are reused (one client
//! pool for the collects; our servers keep connections alive for the target's pools).
//! A concurrency whose connections cannot fit the process's open-file limit is refused
//! before anything starts ([`fd_limit`]), and the harness's own listeners are sized to
//! the concurrency ([`listener_limits`]) so that they never throttle the load.

mod book;
mod fd_limit;
mod tally;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pens_parties::{
    CollectClient, CollectRequest, Collector, CollectorOptions, ListenerLimits, Method, MockError, PackageBody, RunCa,
    StagingPlan, StagingServer,
};
use pens_proto::{CollectCommand, encode_form, format_expiry, parse_response};
use pens_report::{LOAD_FORMAT_VERSION, LoadReport, MISSING_ERROR, NO_ANSWER, UNREADABLE};
use time::OffsetDateTime;
use tokio::task::JoinSet;

use self::book::Book;
use self::tally::{CycleOutcome, ReceiptOutcome, Tally, micros};
use crate::context::run_id;

/// How often [`LoadEvent::Progress`] is reported.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// The file name the package is staged under.
const PACKAGE_FILE: &str = "course.zip";

/// Settings of a load run. [`LoadOptions::new`] gives the defaults; set the fields you
/// need.
#[derive(Clone)]
pub struct LoadOptions {
    /// The target's PENS endpoint.
    pub target_url: String,
    /// How many publish cycles to run (at least 1).
    pub publishes: u64,
    /// How many cycles may be in flight at once (at least 1).
    pub concurrency: usize,
    /// How long a cycle waits for its receipt, from sending the collect.
    pub receipt_timeout: Duration,
    /// How long a collect waits for its answer.
    pub ack_timeout: Duration,
    /// After the last cycle, how long to keep watching for duplicated receipts (an
    /// observation window: what must not come can only be seen by watching).
    pub grace: Duration,
    /// Where the package fixtures are.
    pub packages_dir: PathBuf,
    /// The fixture to stage (a folder under `packages_dir`, zipped once, or a file).
    pub package: String,
    /// Grow the package to exactly this many bytes by a stored filler entry, generated
    /// as it is sent (never held in memory), between the fixture's stored size and
    /// [`pens_scenario::MAX_PACKAGE_SIZE`]: to load a target with large transfers.
    /// `None`: the fixture as it is.
    pub size: Option<u64>,
    /// Its `package-type` (CMI010 §6.2).
    pub package_type: String,
    /// Its `package-type-version`.
    pub package_type_version: String,
    /// Ask for alerts too (an `alerts` URL in every collect). The cycle ends at the
    /// receipt either way; alerts are optional in CMI010 (§6.2) and cost the target
    /// and the harness one more HTTP exchange per cycle, so they are off by default.
    pub alerts: bool,
    /// Serve the package over HTTPS instead of HTTP (the target must trust the CA).
    pub https: bool,
    /// The CA of the HTTPS staging server; default: a fresh one.
    pub ca: Option<Arc<RunCa>>,
    /// Address the staging server and the collector listen on.
    pub bind: IpAddr,
    /// Host name or address the target is told to use; default: the bound address.
    pub advertise_host: Option<String>,
    /// `system-user-id` sent with every collect.
    pub system_user_id: Option<String>,
    /// `system-password` sent with every collect. Never reported.
    pub system_password: Option<String>,
}

impl std::fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("target_url", &pens_proto::redact_userinfo(&self.target_url))
            .field("publishes", &self.publishes)
            .field("concurrency", &self.concurrency)
            .field("receipt_timeout", &self.receipt_timeout)
            .field("ack_timeout", &self.ack_timeout)
            .field("grace", &self.grace)
            .field("package", &self.package)
            .field("size", &self.size)
            .field("alerts", &self.alerts)
            .field("https", &self.https)
            .field("bind", &self.bind)
            .field("advertise_host", &self.advertise_host)
            .field("system_user_id", &self.system_user_id)
            .field("system_password", &self.system_password.as_ref().map(|_| pens_proto::REDACTED))
            .finish_non_exhaustive()
    }
}

impl LoadOptions {
    /// 1000 publishes against `target_url`, 16 at once, 30 s for each receipt (the
    /// target-mode default), the [`pens_scenario::DEFAULT_PACKAGE`] fixture as it is,
    /// over HTTP on loopback.
    pub fn new(target_url: impl Into<String>, packages_dir: impl Into<PathBuf>) -> Self {
        LoadOptions {
            target_url: target_url.into(),
            publishes: 1000,
            concurrency: 16,
            receipt_timeout: Duration::from_secs(30),
            ack_timeout: Duration::from_secs(10),
            grace: Duration::from_millis(500),
            packages_dir: packages_dir.into(),
            package: pens_scenario::DEFAULT_PACKAGE.to_owned(),
            size: None,
            package_type: "scorm-pif".to_owned(),
            package_type_version: "1.2".to_owned(),
            alerts: false,
            https: false,
            ca: None,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            advertise_host: None,
            system_user_id: None,
            system_password: None,
        }
    }
}

/// What a load run reports while it runs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum LoadEvent {
    /// The staging server and the collector listen; the first collects leave.
    Started {
        /// The staging server's base URL (HTTP, or HTTPS with [`LoadOptions::https`]).
        staging: String,
        /// The collector's base URL.
        collector: String,
    },
    /// Where the run stands; reported a few times a second and once at the end.
    Progress(LoadProgress),
}

/// Where a load run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadProgress {
    /// Cycles asked for.
    pub publishes: u64,
    /// Cycles ended, however.
    pub ended: u64,
    /// Cycles ended with their receipt.
    pub completed: u64,
    /// Cycles whose receipt did not come in time.
    pub lost: u64,
    /// Cycles whose collect was refused or not answered.
    pub failed: u64,
    /// Since the first collect.
    pub elapsed: Duration,
}

/// Why a load run could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// Nothing to do, or nobody to do it.
    #[error("{0}")]
    Options(String),
    /// The concurrency needs more open files than the process may have.
    #[error(
        "a concurrency of {concurrency} needs about {needed} open files ({per_cycle} sockets per cycle in flight \
         plus {margin} for the rest), but this process may open {limit}: lower --concurrency, or raise the limit \
         (ulimit -n)",
        per_cycle = fd_limit::SOCKETS_PER_CYCLE,
        margin = fd_limit::MARGIN
    )]
    TooManyConnections {
        /// The concurrency asked for.
        concurrency: usize,
        /// What it needs.
        needed: u64,
        /// The soft limit on open files.
        limit: u64,
    },
    /// The package fixture cannot be read.
    #[error("cannot stage the package {name}: {source}")]
    Package {
        /// Its name.
        name: String,
        /// Why.
        #[source]
        source: MockError,
    },
    /// The package cannot be grown to [`LoadOptions::size`]: the size is smaller than
    /// the fixture's own entries need, beyond what a plain zip holds, or the fixture is
    /// no zip that can be read.
    #[error("cannot grow the package {name} to a size of {size} bytes: {reason}")]
    Size {
        /// The package's name.
        name: String,
        /// The size asked for.
        size: u64,
        /// Why not.
        reason: String,
    },
    /// The staging server or the collector could not start, or the CA not be made.
    #[error("cannot start the harness's servers: {0}")]
    Parties(#[source] MockError),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] MockError),
}

/// Runs the load of `options`; `on_event` hears about progress. Returns the report
/// once every cycle has ended and the grace window is over.
pub async fn run_load(options: &LoadOptions, mut on_event: impl FnMut(&LoadEvent)) -> Result<LoadReport, LoadError> {
    check(options)?;
    let package = package(options)?;
    let advertise_host = options.advertise_host.clone().unwrap_or_else(|| options.bind.to_string());
    let ca = match &options.ca {
        Some(ca) => Arc::clone(ca),
        None => Arc::new(RunCa::generate(std::slice::from_ref(&advertise_host)).map_err(LoadError::Parties)?),
    };
    let listener = listener_limits(options.concurrency);
    let staging =
        StagingServer::start_with(options.bind, &advertise_host, &ca, listener).await.map_err(LoadError::Parties)?;
    let collector_options = CollectorOptions { listener, ..CollectorOptions::default() };
    let collector =
        Collector::start_with(options.bind, &advertise_host, collector_options).await.map_err(LoadError::Parties)?;
    let client = CollectClient::new(Some(ca.reqwest_certificate())).map_err(LoadError::Client)?;

    let book = Arc::new(Book::new(options.publishes));
    let sink = Arc::clone(&book);
    staging.divert_events(move |event| sink.staging(&event));
    let sink = Arc::clone(&book);
    collector.divert_events(move |event| sink.notification(&event));

    let longest = options.receipt_timeout.max(options.ack_timeout);
    let run = Arc::new(Run {
        staging,
        collector,
        client,
        book,
        tally: Tally::new(longest),
        next: AtomicU64::new(0),
        package,
        run_id: run_id(OffsetDateTime::now_utc()),
        expiry: format_expiry(OffsetDateTime::now_utc() + time::Duration::hours(24)),
        options: options.clone(),
    });
    let staging_base = if options.https { run.staging.https_base() } else { run.staging.http_base() };
    on_event(&LoadEvent::Started { staging: staging_base, collector: run.collector.base() });

    let started = Instant::now();
    let mut workers = JoinSet::new();
    let worker_count = u64::try_from(options.concurrency).unwrap_or(u64::MAX).min(options.publishes);
    for _ in 0..worker_count {
        workers.spawn(Arc::clone(&run).work());
    }
    let mut ticks = tokio::time::interval(PROGRESS_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            joined = workers.join_next() => match joined {
                Some(Ok(())) => {}
                // A worker that panicked loses its cycle; the others carry on.
                Some(Err(error)) => tracing::error!("a load worker stopped: {error}"),
                None => break,
            },
            _ = ticks.tick() => on_event(&LoadEvent::Progress(run.progress(started))),
        }
    }
    let wall = started.elapsed();
    on_event(&LoadEvent::Progress(run.progress(started)));
    if !options.grace.is_zero() {
        // An observation window, not a wait for an event: a duplicated receipt can only
        // be seen by watching for it.
        tokio::time::sleep(options.grace).await;
    }
    Ok(run.report(wall))
}

/// Refuses options that cannot run.
fn check(options: &LoadOptions) -> Result<(), LoadError> {
    if options.publishes == 0 {
        return Err(LoadError::Options("--publishes must be at least 1".to_owned()));
    }
    if options.concurrency == 0 {
        return Err(LoadError::Options("--concurrency must be at least 1".to_owned()));
    }
    if let Some(size) = options.size
        && size > pens_scenario::MAX_PACKAGE_SIZE
    {
        return Err(LoadError::Size {
            name: options.package.clone(),
            size,
            reason: format!(
                "a grown package is a plain zip (no zip64), which holds at most {} bytes",
                pens_scenario::MAX_PACKAGE_SIZE
            ),
        });
    }
    let needed = fd_limit::needed(options.concurrency);
    match fd_limit::open_files_limit() {
        Some(limit) if needed > limit => {
            Err(LoadError::TooManyConnections { concurrency: options.concurrency, needed, limit })
        }
        _ => Ok(()),
    }
}

/// The package every cycle stages: the fixture, grown once to [`LoadOptions::size`]
/// when one is given (the filler is generated while it is sent, so no cycle holds it).
fn package(options: &LoadOptions) -> Result<PackageBody, LoadError> {
    let name = &options.package;
    let fixture = pens_parties::fixture_package(&options.packages_dir, name)
        .map_err(|source| LoadError::Package { name: name.clone(), source })?;
    match options.size {
        None => Ok(fixture),
        Some(size) => pens_parties::sized_package(&fixture, size).map_err(|reason| LoadError::Size {
            name: name.clone(),
            size,
            reason: reason.to_string(),
        }),
    }
}

/// The caps of the staging server's and the collector's listeners for a run of
/// `concurrency`. With the default cap ([`ListenerLimits::default`], 256 connections),
/// a concurrency above about 250 would make the harness itself the bottleneck: the
/// target's fetches and receipts would queue in our listen backlog, and a connection
/// the target's pool keeps alive but idle holds its slot until the header-read timeout
/// (30 s), so the run would measure us, not the target. Each cycle in flight holds one
/// connection on each listener; twice that, plus a few, leaves room for the idle
/// kept-alive connections of the target's pools and for connections that are being
/// closed. The cap is headroom, not a budget: what the cycles in flight normally need
/// in descriptors is checked up front ([`fd_limit`]).
fn listener_limits(concurrency: usize) -> ListenerLimits {
    let default = ListenerLimits::default();
    let connections = concurrency.saturating_mul(2).saturating_add(16).max(default.connections);
    ListenerLimits { connections, ..default }
}

/// Everything the workers share.
struct Run {
    staging: StagingServer,
    collector: Collector,
    client: CollectClient,
    book: Arc<Book>,
    tally: Tally,
    /// The next publish to start.
    next: AtomicU64,
    /// The package, staged under every key (the bytes are shared, not copied).
    package: PackageBody,
    run_id: String,
    /// The `package-url-expiry` of every collect.
    expiry: String,
    options: LoadOptions,
}

impl Run {
    /// One worker: cycles until every publish has started.
    async fn work(self: Arc<Self>) {
        loop {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            if index >= self.options.publishes {
                return;
            }
            let outcome = self.cycle(index).await;
            self.tally.add(outcome);
        }
    }

    /// One publish cycle: stage, collect, wait for the receipt, clean up.
    async fn cycle(&self, index: u64) -> CycleOutcome {
        let key = index.to_string();
        let staged = self.staging.stage(&key, StagingPlan::new(PACKAGE_FILE, self.package.clone()));
        let package_url = if self.options.https { staged.https_url } else { staged.http_url };
        let request = CollectRequest {
            method: Method::Post,
            url: self.options.target_url.clone(),
            body: self.collect_body(&key, &package_url),
        };
        let receipt = self.book.open(index);
        let sent = Instant::now();
        let exchange = self.client.send(&request, self.options.ack_timeout).await;
        let ack = sent.elapsed();

        let (ack, answer) = match &exchange.outcome {
            Ok(answer) => match parse_response(&answer.body).error {
                Some(code) => (Some(ack), code.to_string()),
                None => (Some(ack), UNREADABLE.to_owned()),
            },
            Err(_) => (None, NO_ANSWER.to_owned()),
        };
        let receipt = if answer == "0" {
            match tokio::time::timeout_at((sent + self.options.receipt_timeout).into(), receipt).await {
                Ok(Ok(arrival)) => {
                    let code = arrival.error.map_or_else(|| MISSING_ERROR.to_owned(), |code| code.to_string());
                    ReceiptOutcome::Came(arrival.at.saturating_duration_since(sent), code)
                }
                // The deadline passed (the sender lives in the book until the cycle ends).
                Ok(Err(_)) | Err(_) => ReceiptOutcome::Lost,
            }
        } else {
            ReceiptOutcome::NotDue
        };
        let fetch = self.book.close(index);
        self.staging.unstage(&key);
        CycleOutcome { ack, answer, fetch_start: fetch.map(|at| at.saturating_duration_since(sent)), receipt }
    }

    /// The collect of one cycle: valid (CMI010 §6.2), with its own package-id, package
    /// URL and receipt URL (and alerts URL, when asked for).
    fn collect_body(&self, key: &str, package_url: &str) -> String {
        let urls = self.collector.urls(key);
        let options = &self.options;
        let command = CollectCommand {
            pens_version: Some(pens_proto::PENS_VERSION.into()),
            command: Some(pens_proto::COLLECT.into()),
            package_type: Some(options.package_type.clone()),
            package_type_version: Some(options.package_type_version.clone()),
            package_format: Some("zip".into()),
            package_id: Some(format!("urn:pens-conform:load:{}:{key}", self.run_id)),
            package_url: Some(package_url.to_owned()),
            package_url_expiry: Some(self.expiry.clone()),
            client: Some("pens-conform load".into()),
            system_user_id: options.system_user_id.clone(),
            system_password: options.system_password.clone(),
            receipt: Some(urls.receipt),
            alerts: options.alerts.then_some(urls.alerts),
            ..CollectCommand::default()
        };
        encode_form(command.pairs())
    }

    fn progress(&self, started: Instant) -> LoadProgress {
        let counts = self.tally.counts();
        LoadProgress {
            publishes: self.options.publishes,
            ended: counts.ended,
            completed: counts.completed,
            lost: counts.lost,
            failed: counts.failed,
            elapsed: started.elapsed(),
        }
    }

    fn report(&self, wall: Duration) -> LoadReport {
        let totals = self.tally.totals();
        let booked = self.book.counts();
        let seconds = wall.as_secs_f64();
        LoadReport {
            format_version: LOAD_FORMAT_VERSION,
            // Shown, never used to send: the password of its userinfo hidden.
            target_url: pens_proto::redact_userinfo(&self.options.target_url),
            publishes: self.options.publishes,
            concurrency: self.options.concurrency,
            receipt_timeout_ms: micros(self.options.receipt_timeout) / 1000,
            package: self.options.package.clone(),
            package_bytes: self.package.len(),
            cycles: totals.counts.ended,
            completed: totals.counts.completed,
            lost: totals.counts.lost,
            duplicated: booked.duplicated,
            late: booked.late,
            alerts: booked.alerts,
            answers: totals.answers,
            receipts: totals.receipts,
            fetch_missing: totals.fetch_missing,
            wall_time_ms: micros(wall) / 1000,
            throughput: if seconds > 0.0 { totals.counts.completed as f64 / seconds } else { 0.0 },
            latency: totals.latency,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listeners_take_twice_the_concurrency_and_never_less_than_the_default() {
        let default = ListenerLimits::default();
        for (concurrency, connections) in
            [(1, default.connections), (16, default.connections), (120, 256), (250, 516), (1000, 2016)]
        {
            let limits = listener_limits(concurrency);
            assert_eq!(limits.connections, connections, "concurrency {concurrency}");
            assert_eq!(limits.header_read_timeout, default.header_read_timeout);
        }
        assert_eq!(listener_limits(usize::MAX).connections, usize::MAX);
    }
}
