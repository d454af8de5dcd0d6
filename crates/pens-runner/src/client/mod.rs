//! Client mode: pens-conform plays the target for an authoring tool (a PENS client).
//!
//! One mock target ([`pens_parties::MockTarget`], conformant) listens for the whole run; each
//! client scenario registers its [`pens_parties::TargetScript`] under its own key (the
//! scenario id), so concurrent scenarios stay apart. A [`Trigger`] makes the tool publish
//! to the scenario's URL; the runner waits, event by event and with deadlines, for the
//! collects, the fetch, and the tool's answers to our receipts and alerts, then judges
//! them with pure functions (`evaluate`). See `docs/client-mode.md`.

pub(crate) mod evaluate;
mod evidence;
mod process_group;
mod refused;
pub(crate) mod suite;
mod trigger;

use std::fmt;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use evidence::ClientEvidence;
pub use process_group::{TERM_GRACE, end_trigger_groups};
pub use suite::run_client_suite;

/// How long client mode waits for each thing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientDeadlines {
    /// For the collect after triggering a publish (from the trigger's start).
    pub collect: Duration,
    /// For the client's answer to each receipt and alert (also the default of a
    /// scenario's `within_ms`).
    pub answers: Duration,
    /// How long to watch for something unexpected (an extra collect) at the end.
    pub quiet: Duration,
}

impl Default for ClientDeadlines {
    fn default() -> Self {
        ClientDeadlines {
            collect: Duration::from_secs(60),
            answers: Duration::from_secs(10),
            quiet: Duration::from_secs(1),
        }
    }
}

/// Settings of one client-mode run.
#[derive(Clone, Debug)]
pub struct ClientRunOptions {
    /// Where the mock target listens (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Host name or address the client is told to use; default: the bound address.
    pub advertise_host: Option<String>,
    /// Deadlines.
    pub deadlines: ClientDeadlines,
    /// Scenarios run at once (ignored for [`Trigger::Interactive`], which runs one at
    /// a time).
    pub jobs: usize,
    /// Only scenarios whose id matches this pattern (`*` matches anything).
    pub only: Option<String>,
    /// The harness version, for the report.
    pub harness_version: String,
    /// A PEM certificate authority the mock target trusts when it fetches the package
    /// from the client's HTTPS staging server (and sends receipts over HTTPS).
    pub trust_pem: Option<String>,
    /// The SMTP server the mock target mails `mailto:` receipts and alerts through (the
    /// tool's mail server, or a sink it reads). Without one the mock target claims no
    /// mail and answers 1510/1520 to a `mailto:` receipt or alerts URL.
    pub smtp_relay: Option<SocketAddr>,
    /// The caps on what the tool and its staging server may send the mock target
    /// (profile `[limits]`).
    pub limits: crate::Limits,
}

impl ClientRunOptions {
    /// What the mock target supports: HTTP, HTTPS, FTP and explicit FTPS always, so
    /// whatever the tool stages on is fetched; mail when there is a relay.
    pub(crate) fn target_claims(&self) -> pens_proto::TargetCapabilities {
        let mut claims = pens_parties::full_capabilities();
        if self.smtp_relay.is_none() {
            claims.mailto_receipt = pens_proto::Support::No;
            claims.mailto_alerts = pens_proto::Support::No;
        }
        claims
    }

    /// Defaults: `listen` as given, default deadlines, 8 jobs, every scenario.
    pub fn new(listen: SocketAddr) -> Self {
        ClientRunOptions {
            listen,
            advertise_host: None,
            deadlines: ClientDeadlines::default(),
            jobs: 8,
            only: None,
            harness_version: env!("CARGO_PKG_VERSION").to_owned(),
            trust_pem: None,
            smtp_relay: None,
            limits: crate::Limits::default(),
        }
    }
}

impl Default for ClientRunOptions {
    /// Loopback, a free port.
    fn default() -> Self {
        ClientRunOptions::new(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
    }
}

/// One publish the trigger must make happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TriggerCall {
    /// Where the client must send its collect (the scenario's URL on the mock target).
    pub target_url: String,
    /// The scenario it is for.
    pub scenario_id: String,
    /// Which publish of the scenario this is: 1, 2, ... up to its `collects`.
    pub copy: u32,
}

/// An in-process trigger: called once per publish.
pub type TriggerCallback = Arc<dyn Fn(TriggerCall) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// How the client under test is made to publish.
#[derive(Clone)]
pub enum Trigger {
    /// Run `sh -c CMD` per publish with `PENS_TARGET_URL` and `PENS_SCENARIO_ID` (and
    /// `PENS_COPY`) set. Its stdout and stderr go into the scenario's note when it fails
    /// (non-zero exit, killed, no collect); it is killed at the collect deadline, or when
    /// the scenario has been judged, whichever comes first.
    Command(String),
    /// In-process (the self-test drives the reference client).
    Callback(TriggerCallback),
    /// Nobody triggers: the harness announces the URL ([`crate::RunEvent::AwaitingPublish`])
    /// and waits for a publish. Scenarios run one at a time.
    Interactive,
}

impl fmt::Debug for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Command(command) => f.debug_tuple("Command").field(command).finish(),
            Trigger::Callback(_) => f.write_str("Callback(..)"),
            Trigger::Interactive => f.write_str("Interactive"),
        }
    }
}
