//! The one engine both modes run on, generic over the [`Mode`].
//!
//! Target mode (we play the client, staging and collector for an LMS) and client mode
//! (we play the target for an authoring tool) differ in their parties, in how a
//! scenario's evidence is gathered and in what is judged. Everything else is the
//! engine's, written once here, so that a change of rule reaches both modes and the
//! next mode (observe mode, a relay between a real client and a real target) is one
//! more impl of [`Mode`], not a third copy of the loop:
//!
//! - scheduling ([`dispatch`]): `--only`, jobs, a `JoinSet`, the longest wait first,
//!   the budget and grace of each scenario ([`crate::step::within_budget`]), the
//!   descriptor window, a panicked task as a harness error, an abort that stops the
//!   tasks still running and marks the rest not run;
//! - the rules every result obeys ([`verdicts`]): "checked nothing" is an error, a
//!   `should` scenario's failures are warnings, a security scenario is advisory; and
//!   how secrets are scrubbed from whatever the peer sent back ([`Judged::scrub`]);
//! - clean-up when a scenario ends or is abandoned ([`OnDrop`]);
//! - the events ([`RunEvent`]) and the report, built from the events alone
//!   ([`ReportBuilder`]), so a normal run, an aborted one and an empty partition take
//!   one path.
//!
//! Like nextest's dispatcher and reporter: the engine runs and emits events; whoever
//! listens (the console, the report builder) knows nothing of how scenarios ran.

mod dispatch;
mod events;
mod guard;
mod report;
mod verdicts;

use std::future::Future;
use std::time::{Duration, Instant};

use pens_report::{CheckResult, Exchange, HarnessNote, ObservedCapability, ScenarioResult, TargetInfo, Verdict};

pub(crate) use dispatch::run;
pub use events::{RunError, RunEvent, RunOutput};
pub(crate) use guard::OnDrop;
pub use report::ReportBuilder;
pub(crate) use verdicts::not_run;

/// What a mode does that the engine cannot: start its parties (before the engine is
/// called), run one scenario and gather its evidence, judge it, and say what the run
/// showed of the harness itself. Implemented by target mode ([`crate::target`]) and
/// client mode (`crate::client`).
pub(crate) trait Mode: Send + Sync + 'static {
    /// A scenario of this mode, as loaded.
    type Scenario: Clone + Send + Sync + 'static;

    /// The scenario's identity in the report (id, title, file, requirements, tags) and
    /// its level.
    fn identity(scenario: &Self::Scenario) -> Identity<'_>;

    /// The requirement a scenario's engine checks (abandoned, descriptors) cite.
    fn main_requirement(scenario: &Self::Scenario) -> &'static pens_proto::Requirement;

    /// How many scenarios run at once (at least 1).
    fn jobs(&self) -> usize;

    /// The order scenarios start in (the report sorts by id anyway).
    fn order(&self, selected: Vec<Self::Scenario>) -> Vec<Self::Scenario>;

    /// The most a scenario may take: the sum of its step deadlines plus the grace.
    fn budget(&self, scenario: &Self::Scenario) -> Duration;

    /// The first event of the run: where the parties listen, how many scenarios run.
    fn started(&self, scenarios: usize) -> RunEvent;

    /// Before any scenario: the events to announce, or `Err(reason)` when the run
    /// cannot mean anything (target mode's preflight); every scenario is then reported
    /// not run, the reason once.
    fn prepare(&self) -> impl Future<Output = Result<Vec<RunEvent>, String>> + Send {
        std::future::ready(Ok(Vec::new()))
    }

    /// Runs one scenario: stages what it needs, gathers the evidence, judges it.
    /// `events` carries what the mode says while it runs ([`RunEvent::AwaitingPublish`]).
    fn run_scenario<'a>(
        &'a self,
        scenario: &'a Self::Scenario,
        steps: &'a crate::step::Steps,
        events: &'a tokio::sync::mpsc::UnboundedSender<RunEvent>,
    ) -> impl Future<Output = Outcome> + Send + 'a;

    /// The check of a scenario that judged nothing (always an error).
    fn checked_nothing(scenario: &Self::Scenario) -> CheckResult;

    /// The scenario line that implied the checks no line of their own asked for (the
    /// answer's format when no section names it, a flood, "checked nothing"): target
    /// mode's `[collect]` table, client mode's first line.
    fn implied_location(scenario: &Self::Scenario) -> pens_report::Location {
        let identity = Self::identity(scenario);
        pens_report::Location::new(identity.source.display().to_string(), 1, 1)
    }

    /// Whether a security scenario's failures stay failures (`--enforce-security`).
    fn enforce_security(&self) -> bool {
        false
    }

    /// A finished result, settled now or held until the whole run has shown what it
    /// needs ([`Mode::settle_held`]).
    fn settle(&self, _scenario: &Self::Scenario, result: ScenarioResult) -> Settled {
        Settled::Now(result)
    }

    /// Settles the held results once every scenario has finished.
    fn settle_held(&self, held: Vec<(&Self::Scenario, ScenarioResult)>) -> Vec<ScenarioResult> {
        held.into_iter().map(|(_, result)| result).collect()
    }

    /// Why the run stops now, once a scenario has ended (client mode's dead trigger).
    fn aborted(&self) -> Option<String> {
        None
    }

    /// Whether no scenario still to start can show anything any more (an open-ended run
    /// that is over: observe mode after `--duration`): those left are dropped without an
    /// entry, as [`Outcome::Unobserved`] ones are.
    fn exhausted(&self) -> bool {
        false
    }

    /// What the run observed of the implementation's optional features (only when the
    /// scenarios ran).
    fn observed(&self) -> Vec<ObservedCapability> {
        Vec::new()
    }

    /// The harness's notes on itself since `clock` (caps reached, descriptors, traffic
    /// nobody asked for).
    fn harness_notes(&self, clock: Instant) -> Vec<HarnessNote>;

    /// Who the run tested, for the report.
    fn target_info(&self) -> TargetInfo;

    /// The report's `mode`.
    fn name(&self) -> &'static str;

    /// The harness version, for the report.
    fn harness_version(&self) -> &str;
}

/// A scenario's identity in the report, whatever its mode.
pub(crate) struct Identity<'a> {
    pub(crate) id: &'a pens_scenario::Spanned<String>,
    pub(crate) title: &'a pens_scenario::Spanned<String>,
    pub(crate) source: &'a std::path::Path,
    pub(crate) requirements: &'a [pens_scenario::Spanned<&'static pens_proto::Requirement>],
    pub(crate) tags: &'a [pens_scenario::Spanned<String>],
    pub(crate) level: pens_scenario::ScenarioLevel,
}

impl Identity<'_> {
    /// A result with the scenario's identity and no checks yet.
    pub(crate) fn result(&self, verdict: Verdict) -> ScenarioResult {
        let mut result = ScenarioResult::new(
            self.id.value.clone(),
            self.title.value.clone(),
            self.source.display().to_string(),
            verdict,
        );
        result.requirements = self.requirements.iter().map(|r| r.value.id.to_owned()).collect();
        result.tags = self.tags.iter().map(|t| t.value.clone()).collect();
        result
    }
}

/// A finished result, as [`Mode::settle`] leaves it.
pub(crate) enum Settled {
    /// Reported now.
    Now(ScenarioResult),
    /// Held until every scenario has ended.
    Later(ScenarioResult),
}

/// How a scenario ended, as its mode tells the engine.
pub(crate) enum Outcome {
    /// Judged: the engine applies its rules ([`verdicts::finish`]).
    Judged(Judged),
    /// The scenario does not apply to this implementation (its claims): why.
    NotApplicable(String),
    /// The harness could not run it (a package it cannot build): why.
    HarnessError(String),
    /// It never ran: the run is being aborted ([`Mode::aborted`]).
    NotRun,
    /// What it would have judged never happened and the run is over: the scenario
    /// leaves no entry in the report, not even "not run". An open-ended run (observe
    /// mode: one scenario per publish that comes, until `--duration` ends) plans more
    /// scenarios than it will see; those it does not see are simply absent.
    Unobserved,
}

/// What a mode found in a scenario, before the engine's rules.
#[derive(Default)]
pub(crate) struct Judged {
    /// The checks, in the order the report shows them.
    pub(crate) checks: Vec<CheckResult>,
    /// Notes for the result, joined with `; `.
    pub(crate) notes: Vec<String>,
    /// The evidence, as the report shows it.
    pub(crate) exchanges: Vec<Exchange>,
    /// The judging itself stopped (a panic): the result is a harness error, its why in
    /// `notes`.
    pub(crate) judging_failed: bool,
}
