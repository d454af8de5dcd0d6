//! Target mode: pens-conform plays the authoring tool, its staging server and the
//! receiver of receipts and alerts for an LMS. One [`Mode`] of the engine: it starts
//! the parties, sends the preflight, sends each scenario's collect(s), gathers what the
//! target does and judges it against the scenario's plan. See `docs/target-mode.md`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pens_parties::{CollectClient, PackageBody};
use pens_report::{CheckResult, HarnessNote, ObservedCapability, ScenarioResult, TargetInfo};
use pens_scenario::Scenario;
use time::OffsetDateTime;

use crate::context::{ScenarioContext, run_id};
use crate::discovery::{self, Observations};
use crate::engine::{Identity, Judged, Mode, OnDrop, Outcome, RunError, RunEvent, RunOutput, Settled};
use crate::evaluate::{Settings, judge};
use crate::gather::{Probe, gather};
use crate::options::{RunOptions, matches_pattern};
use crate::parties::Parties;
use crate::request::{RunCredentials, build, default_pairs};
use crate::sighting::Sighting;
use crate::step::Steps;
use crate::{exchanges, from_scenario, preflight};

/// Target mode: everything its scenarios share.
struct TargetMode {
    parties: Parties,
    client: CollectClient,
    options: RunOptions,
    run_id: String,
    packages: Mutex<HashMap<PackageKey, Result<PackageBody, String>>>,
    /// What every scenario saw the target do with the optional features, for
    /// [`crate::discovery`].
    sightings: Mutex<Vec<Sighting>>,
    /// When the run began, for the preflight's descriptor note.
    clock: Instant,
}

impl TargetMode {
    /// The sightings of scenario `id` (all its copies).
    fn sightings_of(&self, id: &str) -> Vec<Sighting> {
        let sightings = self.sightings.lock().unwrap_or_else(PoisonError::into_inner);
        sightings.iter().filter(|s| s.scenario == id).cloned().collect()
    }
}

/// Runs `scenarios` against the target of `options`; `on_event` hears about progress.
pub async fn run_target_suite(
    scenarios: &[Scenario],
    options: &RunOptions,
    on_event: &mut (dyn FnMut(&RunEvent) + Send),
) -> Result<RunOutput, RunError> {
    let started_at = OffsetDateTime::now_utc();
    let clock = Instant::now();
    let parties = Parties::start(options).await?;
    let client = CollectClient::with_limits(Some(parties.ca.reqwest_certificate()), options.limits.peer().answer())
        .map_err(RunError::Client)?;
    let selected: Vec<Scenario> = scenarios
        .iter()
        .filter(|s| options.only.as_deref().is_none_or(|pattern| matches_pattern(pattern, &s.id.value)))
        .cloned()
        .collect();
    let ca_pem = parties.ca.ca_pem().to_owned();
    let mode = Arc::new(TargetMode {
        parties,
        client,
        options: options.clone(),
        run_id: run_id(started_at),
        packages: Mutex::new(HashMap::new()),
        sightings: Mutex::new(Vec::new()),
        clock,
    });
    let report = crate::engine::run(mode, selected, (started_at, clock), on_event).await;
    Ok(RunOutput { report, ca_pem })
}

impl Mode for TargetMode {
    type Scenario = Scenario;

    fn identity(scenario: &Scenario) -> Identity<'_> {
        Identity {
            id: &scenario.id,
            title: &scenario.title,
            source: &scenario.source,
            requirements: &scenario.requirements,
            tags: &scenario.tags,
            level: scenario.level.value,
        }
    }

    fn main_requirement(scenario: &Scenario) -> &'static pens_proto::Requirement {
        main_requirement(scenario)
    }

    fn jobs(&self) -> usize {
        self.options.jobs
    }

    fn order(&self, selected: Vec<Scenario>) -> Vec<Scenario> {
        // The longest deliberate wait starts first; the report sorts by id anyway.
        let package_len = |name: &str| fixture_body(self, name, None).ok().map(|body| body.len());
        crate::schedule::longest_first(selected, |s| crate::schedule::target_wait(s, package_len))
    }

    fn budget(&self, scenario: &Scenario) -> Duration {
        self.options.scenario_budget(scenario)
    }

    fn started(&self, scenarios: usize) -> RunEvent {
        RunEvent::Started {
            staging: self.parties.staging.http_base(),
            collector: self.parties.collector.base(),
            smtp: self.parties.collector.smtp_addr(),
            scenarios,
        }
    }

    /// The preflight: one valid collect before the scenarios, which stops the run with
    /// one explanation when the target cannot be tested at all.
    async fn prepare(&self) -> Result<Vec<RunEvent>, String> {
        let package = fixture_body(self, pens_scenario::DEFAULT_PACKAGE, None);
        match preflight::run(&self.parties, &self.client, &self.options, &self.run_id, package).await {
            Ok(warning) => Ok(vec![RunEvent::PreflightPassed { warning }]),
            // A preflight that failed while the harness had no descriptor left may not be
            // the target's fault: said with the reason.
            Err(reason) if pens_parties::exhaustion_between(self.clock, Instant::now()) => Err(format!(
                "{reason} (the harness ran out of file descriptors meanwhile, which may be the cause; see the \
                 harness notes)"
            )),
            Err(reason) => Err(reason),
        }
    }

    async fn run_scenario(
        &self,
        scenario: &Scenario,
        steps: &Steps,
        _events: &tokio::sync::mpsc::UnboundedSender<RunEvent>,
    ) -> Outcome {
        run_scenario(self, scenario, steps).await
    }

    fn checked_nothing(scenario: &Scenario) -> CheckResult {
        CheckResult::new(
            pens_report::Verdict::Error,
            main_requirement(scenario),
            "the scenario checked nothing: give it at least one [expect] section",
        )
    }

    fn implied_location(scenario: &Scenario) -> pens_report::Location {
        crate::location::at(&scenario.source, scenario.collect.span)
    }

    fn enforce_security(&self) -> bool {
        self.options.enforce_security
    }

    /// A scenario that `needs` or is `unless` an optional feature the profile leaves
    /// unknown waits for what the whole run shows of it ([`crate::discovery`]).
    fn settle(&self, scenario: &Scenario, mut result: ScenarioResult) -> Settled {
        if scenario.needs.is_empty() && scenario.unless.is_empty() {
            return Settled::Now(result);
        }
        if discovery::deferred(scenario, &self.options.claims) {
            return Settled::Later(result);
        }
        let own = self.sightings_of(&result.id);
        discovery::settle(&mut result, scenario, &self.options.claims, &Observations::default(), &own);
        Settled::Now(result)
    }

    fn settle_held(&self, held: Vec<(&Scenario, ScenarioResult)>) -> Vec<ScenarioResult> {
        let observations = self.observations();
        held.into_iter()
            .map(|(scenario, mut result)| {
                let own = self.sightings_of(&result.id);
                discovery::settle(&mut result, scenario, &self.options.claims, &observations, &own);
                result
            })
            .collect()
    }

    fn observed(&self) -> Vec<ObservedCapability> {
        discovery::report(&self.options.claims, &self.observations())
    }

    fn harness_notes(&self, clock: Instant) -> Vec<HarnessNote> {
        self.parties.harness_notes(clock, self.options.limits.passive_listeners)
    }

    fn target_info(&self) -> TargetInfo {
        TargetInfo {
            // What the report shows: the URL with the password of its userinfo hidden.
            url: pens_proto::redact_userinfo(&self.options.target_url),
            name: self.options.target_name.clone(),
            claims: self.options.claims.clone(),
            observed: Vec::new(),
        }
    }

    fn name(&self) -> &'static str {
        "target"
    }

    fn harness_version(&self) -> &str {
        &self.options.harness_version
    }
}

impl TargetMode {
    /// What every scenario so far saw the target do with the optional features.
    fn observations(&self) -> Observations {
        discovery::resolve(&self.sightings.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The requirement a scenario cites when nothing more specific applies: its first.
fn main_requirement(scenario: &Scenario) -> &'static pens_proto::Requirement {
    scenario.requirements.first().map_or(&pens_proto::req::TARGET_ACCEPTS_POST, |r| r.value)
}

/// Runs one scenario, saying in `steps` where it is. Never panics on the target's
/// behaviour: every outcome is a result.
async fn run_scenario(mode: &TargetMode, scenario: &Scenario, steps: &Steps) -> Outcome {
    let options = &mode.options;
    if let Some(reason) = from_scenario::not_applicable(scenario, &options.claims, options.declared_max_package_bytes) {
        return Outcome::NotApplicable(reason);
    }
    let package = match package_body(mode, &scenario.staging.value) {
        Ok(body) => body,
        Err(error) => return Outcome::HarnessError(error),
    };
    let main_requirement = main_requirement(scenario);
    let deadlines = options.deadlines_for(scenario);
    let settings = Settings { main_requirement, deadlines: &deadlines };
    let copies = scenario.collect.value.copies.value.max(1);
    let id = &scenario.id.value;
    let keys: Vec<String> =
        if copies == 1 { vec![id.clone()] } else { (1..=copies).map(|k| format!("{id}-{k}")).collect() };
    // Every copy is sent at once: concurrent publishes must not mix (CMI010 §5.1).
    let runs = keys.iter().map(|key| run_copy(mode, scenario, key, package.clone(), &settings, steps));
    let judged = futures_util::future::join_all(runs).await;
    steps.enter("judging");
    let mut checks = Vec::new();
    let mut notes = Vec::new();
    let mut exchanges = Vec::new();
    for copy in judged {
        checks.push(copy.checks);
        notes.push(copy.notes);
        exchanges.extend(copy.exchanges);
    }
    Outcome::Judged(Judged {
        checks: crate::copies::merge(checks, |check: &mut CheckResult, prefix| check.message.insert_str(0, prefix)),
        notes: crate::copies::merge(notes, |note: &mut String, prefix| note.insert_str(0, prefix)),
        exchanges,
        judging_failed: false,
    })
}

/// Sends one copy of a scenario's collect under `key` and judges what follows.
async fn run_copy(
    mode: &TargetMode,
    scenario: &Scenario,
    key: &str,
    package: PackageBody,
    settings: &Settings<'_>,
    steps: &Steps,
) -> Judged {
    let options = &mode.options;
    let mut context = ScenarioContext::new(&mode.parties, &mode.run_id, key);
    let plan = from_scenario::staging_plan(
        scenario,
        package,
        &context,
        options.declared_max_package_bytes,
        settings.deadlines.ack,
    );
    context.staged(mode.parties.staging.stage(key, plan));
    // Whether the copy ends or is abandoned, its package stops being served.
    let _unstage = OnDrop(|| mode.parties.staging.unstage(key));

    let credentials = from_scenario::staging_credentials(scenario, &context);
    let run_credentials = RunCredentials {
        system_user_id: options.system_user_id.clone(),
        system_password: options.system_password.clone(),
    };
    let pairs = default_pairs(&context, credentials.as_ref().map(|(u, p)| (u.as_str(), p.as_str())), &run_credentials);
    let spec = from_scenario::collect_spec(scenario, &context);
    let request = build(&options.target_url, &spec, pairs);
    let expectations = from_scenario::expectations(scenario, &context);
    let probe = Probe {
        key,
        request: &request,
        expectations: &expectations,
        deadlines: settings.deadlines,
        claims: &options.claims,
        now: context.now,
        staging_user: credentials.as_ref().map(|(user, _)| user.as_str()),
        steps,
    };
    let evidence = gather(&mode.parties, &mode.client, &probe).await;
    let seen = crate::sighting::sightings(&evidence, &scenario.id.value);
    mode.sightings.lock().unwrap_or_else(PoisonError::into_inner).extend(seen);
    let mut judgement = judge(&evidence, &expectations, settings);
    if crate::advisory::is_security(scenario.tags.iter().map(|t| t.value.as_str())) {
        // What the LMS did with the hostile package or values, whatever the checks say.
        let account = crate::account::account(&evidence);
        judgement.note = Some(match judgement.note.take() {
            Some(existing) => format!("{existing}; {account}"),
            None => account,
        });
    }
    let mut judged = Judged {
        checks: judgement.checks,
        notes: judgement.note.into_iter().collect(),
        exchanges: exchanges::exchanges(&evidence),
        judging_failed: false,
    };
    // The secret may come back anywhere a target chose to put it; so may the harness's
    // own: the system password, the target URL's password.
    let mut secrets = vec![context.secret.clone()];
    secrets.extend(crate::secret::run_secrets(options));
    judged.scrub(&secrets);
    judged
}

/// A package fixture's name and the size it is grown to, if any.
type PackageKey = (String, Option<u64>);

/// The fixture `name`, grown to `size` when given: built once per run and shared (a
/// grown package from the fixture's own cached body).
fn fixture_body(mode: &TargetMode, name: &str, size: Option<u64>) -> Result<PackageBody, String> {
    let cached = |size: Option<u64>, build: &dyn Fn() -> Result<PackageBody, String>| {
        let mut cache = mode.packages.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.entry((name.to_owned(), size)).or_insert_with(build).clone()
    };
    match size {
        None => {
            cached(None, &|| pens_parties::fixture_package(&mode.options.packages_dir, name).map_err(|e| e.to_string()))
        }
        Some(size) => {
            let fixture = fixture_body(mode, name, None)?;
            cached(Some(size), &|| pens_parties::sized_package(&fixture, size).map_err(|e| format!("{name}: {e}")))
        }
    }
}

/// The package a scenario stages: its fixture (a folder zipped once per run, a file
/// read from disk as it is sent), grown to its `size` when it gives one. Refused when a
/// behaviour that rewrites the package would have to read a large one into memory.
fn package_body(mode: &TargetMode, staging: &pens_scenario::Staging) -> Result<PackageBody, String> {
    let name = &staging.package.value;
    let body = fixture_body(mode, name, staging.size.as_ref().map(|size| size.value))?;
    if from_scenario::rewrites_package(&staging.behaviour.value) && body.len() > pens_parties::REWRITABLE_PACKAGE_BYTES
    {
        return Err(format!(
            "{name} is {} bytes; behaviour `{}` rewrites the package, which it can only do up to {} bytes",
            body.len(),
            staging.behaviour.value.name(),
            pens_parties::REWRITABLE_PACKAGE_BYTES
        ));
    }
    Ok(body)
}
