//! What the engine says while it runs, and what it hands back.

use pens_report::{HarnessNote, ObservedCapability, RunReport, ScenarioResult};

/// What the runner reports while it runs. The report is built from these alone
/// ([`crate::ReportBuilder`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum RunEvent {
    /// The parties listen; the preflight starts.
    Started {
        /// Where the staging server listens (HTTP).
        staging: String,
        /// Where the collector listens.
        collector: String,
        /// Where the mail sink listens for `mailto:` receipts and alerts.
        smtp: std::net::SocketAddr,
        /// How many scenarios will run.
        scenarios: usize,
    },
    /// The preflight passed: the target answers and fetches; `warning` says what else
    /// looked wrong.
    PreflightPassed {
        /// Something the scenarios will show in detail (e.g. no receipt came).
        warning: Option<String>,
    },
    /// A scenario started (the console counts the scenarios running).
    ScenarioStarted {
        /// The scenario id.
        scenario: String,
    },
    /// A scenario finished.
    ScenarioFinished(ScenarioResult),
    /// Client mode: the mock target listens; `target` is its base collect URL.
    ClientStarted {
        /// `http://HOST:PORT/pens`; each scenario has its own `/pens/<id>` below it.
        target: String,
        /// How many scenarios will run.
        scenarios: usize,
    },
    /// Observe mode: the relay listens; the tool must publish to `collect_url`.
    ObserveStarted {
        /// Where the tool publishes (the relay's collect URL).
        collect_url: String,
        /// The LMS the relay forwards to, password hidden.
        target: String,
        /// How many publishes the run waits for, when `--publishes` says.
        publishes: Option<usize>,
    },
    /// Client mode with nobody triggering: publish to `url` now for `scenario`.
    AwaitingPublish {
        /// The scenario id.
        scenario: String,
        /// Where the client must send its collect.
        url: String,
    },
    /// A scenario that did not run, because the run stopped ([`RunEvent::Aborted`]): in
    /// the report, marked [`pens_report::NOT_RUN_NOTE`], not in the progress.
    ScenarioNotRun(ScenarioResult),
    /// The run stopped before its scenarios could mean anything: why, said once.
    Aborted {
        /// The reason, as the report's `aborted` gives it.
        reason: String,
    },
    /// The last event: what the run showed of the implementation's optional features,
    /// and the harness's notes on itself.
    RunFinished {
        /// What the target did with the optional features (target mode).
        observed: Vec<ObservedCapability>,
        /// Caps reached, descriptors run out, traffic nobody asked for.
        harness_notes: Vec<HarnessNote>,
    },
}

/// A finished run.
pub struct RunOutput {
    /// The result model.
    pub report: RunReport,
    /// The run CA, to write next to the report (a vendor's LMS may need to trust it).
    pub ca_pem: String,
}

/// Why a run could not be carried out at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// A server of the harness could not start (address in use, bad bind address).
    #[error("cannot start the harness's servers: {0}")]
    Parties(#[source] pens_parties::MockError),
    /// Client mode's mock target could not start (address in use, unusable trust PEM).
    #[error("cannot start the mock target: {0}")]
    Target(#[source] pens_parties::MockTargetError),
    /// Observe mode's relay could not start (address in use, a target URL it cannot use).
    #[error("cannot start the relay: {0}")]
    Relay(#[source] pens_relay::RelayError),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] pens_parties::MockError),
}
