//! Observe mode: pens-conform stands between a real authoring tool and a real LMS as a
//! PENS-aware relay (`pens_relay::Relay`) and judges both on one timeline, with the
//! checks client mode and target mode already make. Every check names the party it
//! judges (`party` in the report), and a defect is never blamed on the other party
//! (`judge`). One scenario of the report is one publish (`publish-001`, ...); the run
//! ends after `publishes`, after `duration`, or when its caller drops it (Ctrl-C).
//! See `docs/observe-mode.md`.

mod evidence;
mod expectations;
mod gather;
mod judge;
mod mode;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pens_parties::RunCa;
use pens_relay::{PublishRecord, Relay, RelayOptions};
use pens_report::CheckResult;
use time::OffsetDateTime;

use crate::engine::{Judged, RunError, RunEvent, RunOutput};
use crate::{Deadlines, Limits};

/// Settings of one observe run.
#[derive(Clone)]
pub struct ObserveOptions {
    /// Where the relay takes the tool's collects (port 0 picks a free port).
    pub listen: SocketAddr,
    /// The LMS's PENS URL; it may carry basic credentials, never shown.
    pub target_url: String,
    /// The LMS's name, for the report.
    pub target_name: Option<String>,
    /// Whether the relay points `package-url`, `receipt` and `alerts` at itself, so the
    /// fetch and the notifications are seen and judged (`--no-rewrite`: only the collect
    /// and its answer are).
    pub rewrite: bool,
    /// The host the tool and the LMS are told to reach the relay at.
    pub advertise_host: Option<String>,
    /// Stop after this many publishes.
    pub publishes: Option<usize>,
    /// Stop taking publishes after this long (those under way are followed to their end).
    pub duration: Option<Duration>,
    /// The target's deadlines (profile `[timing]`); `ack` is also how long the relay
    /// waits for the LMS's answer before the tool gets a 504.
    pub deadlines: Deadlines,
    /// How long the tool may take to answer a relayed receipt or alert.
    pub answers: Duration,
    /// What the LMS claims (profile `[claims]`), for the answer CMI010 assigns.
    pub claims: pens_proto::TargetCapabilities,
    /// Caps on what either party sends.
    pub limits: Limits,
    /// The CA the relay's HTTPS staging serves with (`--ca-dir`); a fresh one otherwise.
    pub ca: Option<Arc<RunCa>>,
    /// PEM certificates the relay trusts when it talks HTTPS to either party.
    pub trust_pem: Vec<String>,
    /// Where the relay's mail sink listens for `mailto:` receipts and alerts.
    pub smtp_listen: Option<SocketAddr>,
    /// The SMTP server mailed notifications are passed on through, toward the tool.
    pub smtp_relay: Option<SocketAddr>,
    /// The harness version, for the report.
    pub harness_version: String,
}

impl ObserveOptions {
    /// Loopback on a free port, relaying to `target_url`, rewriting, until stopped.
    pub fn new(target_url: impl Into<String>) -> Self {
        ObserveOptions {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            target_url: target_url.into(),
            target_name: None,
            rewrite: true,
            advertise_host: None,
            publishes: None,
            duration: None,
            deadlines: Deadlines::default(),
            answers: crate::ClientDeadlines::default().answers,
            claims: pens_proto::TargetCapabilities::default(),
            limits: Limits::default(),
            ca: None,
            trust_pem: Vec::new(),
            smtp_listen: None,
            smtp_relay: None,
            harness_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }

    /// How long the relay waits for the target's answer to a collect before it answers
    /// the tool 504 itself: the profile's `ack`, but never less than the relay's default
    /// ([`pens_relay::DEFAULT_COLLECT_TIMEOUT`]). A target slower than `ack` is judged
    /// late all the same; the tool still gets its answer, as without the harness.
    pub(crate) fn relay_answer_wait(&self) -> std::time::Duration {
        self.deadlines.ack.max(pens_relay::DEFAULT_COLLECT_TIMEOUT)
    }
}

/// Starts the relay, tells `on_event` where the tool must publish
/// ([`RunEvent::ObserveStarted`]), and judges each publish as it ends, until
/// `publishes` or `duration` (or until the caller drops the future).
pub async fn run_observe(
    options: &ObserveOptions,
    on_event: &mut (dyn FnMut(&RunEvent) + Send),
) -> Result<RunOutput, RunError> {
    let started_at = OffsetDateTime::now_utc();
    let clock = Instant::now();
    let ca = match &options.ca {
        Some(ca) => Arc::clone(ca),
        None => Arc::new(
            RunCa::generate(&options.advertise_host.iter().cloned().collect::<Vec<_>>()).map_err(RunError::Parties)?,
        ),
    };
    let mut relay_options = RelayOptions::new(options.listen, options.target_url.clone());
    relay_options.rewrite = options.rewrite;
    relay_options.advertise_host.clone_from(&options.advertise_host);
    relay_options.ca = Some(Arc::clone(&ca));
    relay_options.trust_pem.clone_from(&options.trust_pem);
    relay_options.smtp_listen = options.smtp_listen;
    relay_options.smtp_relay = options.smtp_relay;
    relay_options.limits = options.limits.peer();
    // The relay waits for the target's answer longer than `ack`, so that a slow LMS's
    // answer still reaches the tool as it would without the harness; the judging then
    // treats an answer later than `ack` as target mode does, as none (`gather`).
    relay_options.collect_timeout = options.relay_answer_wait();
    relay_options.notify_timeout = options.answers;
    let relay = Relay::start(relay_options).await.map_err(RunError::Relay)?;
    let mode = Arc::new(mode::ObserveMode::new(relay, options.clone()));
    let collect_url = mode.collect_url();
    let count = options.publishes.unwrap_or(pens_relay::DEFAULT_MAX_PUBLISHES);
    let publishes: Vec<mode::Publish> = (1..=count).map(mode::Publish::numbered).collect();
    let mut report = crate::engine::run(mode, publishes, (started_at, clock), on_event).await;
    if report.scenarios.is_empty() && report.aborted.is_none() {
        // Nothing judged is no pass: said, and the run is incomplete (exit 3).
        report.aborted = Some(format!(
            "no publish arrived, so nothing was judged: point the authoring tool's PENS target URL at {collect_url} \
             and publish while the run lasts"
        ));
    }
    Ok(RunOutput { report, ca_pem: ca.ca_pem().to_owned() })
}

/// One publish, judged: the checks (each naming its party), the notes and the
/// exchanges.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct JudgedPublish {
    /// The checks, the tool's first.
    pub checks: Vec<CheckResult>,
    /// What the target was held to, and which party failed.
    pub notes: Vec<String>,
    /// The exchanges of both sides, as the report shows them.
    pub exchanges: Vec<pens_report::Exchange>,
}

/// Judges what the relay recorded of one publish, whose collect arrived at
/// `started_utc`: a pure function of the record, as a live run judges it (without the
/// engine's rules on every scenario).
pub fn judge_publish(record: &PublishRecord, options: &ObserveOptions, started_utc: OffsetDateTime) -> JudgedPublish {
    let Judged { checks, notes, exchanges, .. } = judge_record(record, options, started_utc, Vec::new());
    JudgedPublish { checks, notes, exchanges }
}

/// The same, with the exchanges, secrets scrubbed, and the TLS handshakes with the
/// relay's HTTPS staging that failed meanwhile.
fn judge_record(
    record: &PublishRecord,
    options: &ObserveOptions,
    started_utc: OffsetDateTime,
    tls_failures: Vec<String>,
) -> Judged {
    let context = gather::Context {
        claims: &options.claims,
        started_utc,
        ended: Instant::now(),
        tls_failures,
        ack: options.deadlines.ack,
    };
    let evidence = gather::gather(record, &context);
    let defaults = pens_package::Limits::default();
    let settings = judge::JudgeSettings {
        deadlines: &options.deadlines,
        answers: options.answers,
        package_limits: defaults
            .with_max_entries(defaults.max_entries.min(options.limits.zip_entries))
            .with_max_uncompressed(defaults.max_uncompressed.min(options.limits.unpacked_bytes)),
    };
    let mut judged = judge::judge(&evidence, &settings);
    // The target URL's password is the harness's own; the collect's are the tool's, and
    // an LMS may echo them in a receipt or alert. The relay blanks them in what it
    // records; they are scrubbed here as well, as target mode scrubs its own, from
    // whatever record is judged (a handcrafted one holds them as the tool sent them).
    let mut secrets = crate::secret::secrets_of(None, &options.target_url);
    secrets.extend(crate::secret::collect_secrets(&gather::decode(&record.received)));
    crate::secret::longest_first(&mut secrets);
    judged.scrub(&secrets);
    judged
}
