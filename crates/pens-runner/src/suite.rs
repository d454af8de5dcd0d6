//! Running a whole suite: parties up, preflight, scenarios concurrently, results in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use pens_parties::{CollectClient, MockError, PackageBody};
use pens_report::{CheckResult, FORMAT_VERSION, Harness, RunReport, ScenarioResult, Summary, TargetInfo, Verdict};
use pens_scenario::Scenario;
use time::OffsetDateTime;
use tokio::task::JoinSet;

use crate::context::{ScenarioContext, run_id};
use crate::descriptors;
use crate::discovery::{self, Observations};
use crate::evaluate::{Settings, judge};
use crate::gather::{Probe, gather};
use crate::options::{RunOptions, matches_pattern};
use crate::parties::Parties;
use crate::request::{RunCredentials, build, default_pairs};
use crate::sighting::Sighting;
use crate::step::{Steps, within_budget};
use crate::{exchanges, from_scenario, preflight};

/// What the runner reports while it runs.
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
    /// Client mode with nobody triggering: publish to `url` now for `scenario`.
    AwaitingPublish {
        /// The scenario id.
        scenario: String,
        /// Where the client must send its collect.
        url: String,
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
    Parties(#[source] MockError),
    /// Client mode's mock target could not start (address in use, unusable trust PEM).
    #[error("cannot start the mock target: {0}")]
    Target(#[source] pens_parties::MockTargetError),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] MockError),
}

/// Everything a scenario task shares.
struct Shared {
    parties: Parties,
    client: CollectClient,
    options: RunOptions,
    run_id: String,
    packages: Mutex<HashMap<PackageKey, Result<PackageBody, String>>>,
    /// What every scenario saw the target do with the optional features, for
    /// [`crate::discovery`].
    sightings: Mutex<Vec<Sighting>>,
}

impl Shared {
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
    on_event(&RunEvent::Started {
        staging: parties.staging.http_base(),
        collector: parties.collector.base(),
        smtp: parties.collector.smtp_addr(),
        scenarios: selected.len(),
    });
    let ca_pem = parties.ca.ca_pem().to_owned();
    let shared = Arc::new(Shared {
        parties,
        client,
        options: options.clone(),
        run_id: run_id(started_at),
        packages: Mutex::new(HashMap::new()),
        sightings: Mutex::new(Vec::new()),
    });

    let mut results = Vec::new();
    let mut observed = Vec::new();
    let package = fixture_body(&shared, pens_scenario::DEFAULT_PACKAGE, None);
    let aborted = match preflight::run(&shared.parties, &shared.client, &shared.options, &shared.run_id, package).await
    {
        Err(reason) => {
            // A preflight that failed while the harness had no descriptor left may not be
            // the target's fault: said with the reason.
            let reason = if pens_parties::exhaustion_between(clock, Instant::now()) {
                format!(
                    "{reason} (the harness ran out of file descriptors meanwhile, which may be the cause; see the                      harness notes)"
                )
            } else {
                reason
            };
            for scenario in &selected {
                results.push(not_run(empty_result(scenario, Verdict::Inconclusive)));
            }
            Some(reason)
        }
        Ok(warning) => {
            on_event(&RunEvent::PreflightPassed { warning });
            let jobs = options.jobs.max(1);
            let by_id: HashMap<String, Scenario> = selected.iter().map(|s| (s.id.value.clone(), s.clone())).collect();
            // Results that wait for what the whole run shows about a claim left unknown.
            let mut held = Vec::new();
            // The longest deliberate wait starts first; the report sorts by id anyway.
            let package_len = |name: &str| fixture_body(&shared, name, None).ok().map(|body| body.len());
            let mut queue =
                crate::schedule::longest_first(selected, |s| crate::schedule::target_wait(s, package_len)).into_iter();
            let mut tasks = JoinSet::new();
            // What to report for a scenario whose task panicked: a harness error, never
            // the target's fault, under the scenario's own id.
            let mut fallbacks = HashMap::new();
            // When each running scenario started: one that ran while the harness had no
            // descriptor left is inconclusive ([`descriptors`]).
            let mut starts = HashMap::new();
            loop {
                // Scenarios start in queue order, whenever one of the jobs is free.
                while tasks.len() < jobs {
                    let Some(scenario) = queue.next() else { break };
                    on_event(&RunEvent::ScenarioStarted { scenario: scenario.id.value.clone() });
                    let shared = Arc::clone(&shared);
                    let fallback = empty_result(&scenario, Verdict::Error);
                    let task = tasks.spawn(async move {
                        let steps = Steps::new();
                        let abandoned = empty_result(&scenario, Verdict::Pass);
                        let budget = shared.options.scenario_budget(&scenario);
                        let requirement = main_requirement(&scenario);
                        let running = run_scenario(&shared, &scenario, &steps);
                        within_budget(budget, &steps, requirement, running, abandoned).await
                    });
                    fallbacks.insert(task.id(), fallback);
                    starts.insert(task.id(), Instant::now());
                }
                let Some(joined) = tasks.join_next_with_id().await else { break };
                let task_id = match &joined {
                    Ok((id, _)) => *id,
                    Err(error) => error.id(),
                };
                let mut result = joined_result(joined, &mut fallbacks);
                if let (Some(started), Some(scenario)) = (starts.remove(&task_id), by_id.get(&result.id)) {
                    descriptors::judge_window(&mut result, started, Instant::now(), main_requirement(scenario));
                }
                if let Some(scenario) = by_id.get(&result.id).filter(|s| !s.needs.is_empty() || !s.unless.is_empty()) {
                    if discovery::deferred(scenario, &options.claims) {
                        held.push(result);
                        continue;
                    }
                    let own = shared.sightings_of(&result.id);
                    discovery::settle(&mut result, scenario, &options.claims, &Observations::default(), &own);
                }
                crate::location::place_late(&mut result);
                on_event(&RunEvent::ScenarioFinished(result.clone()));
                results.push(result);
            }
            let observations = discovery::resolve(&shared.sightings.lock().unwrap_or_else(PoisonError::into_inner));
            for mut result in held {
                if let Some(scenario) = by_id.get(&result.id) {
                    let own = shared.sightings_of(&result.id);
                    discovery::settle(&mut result, scenario, &options.claims, &observations, &own);
                }
                crate::location::place_late(&mut result);
                on_event(&RunEvent::ScenarioFinished(result.clone()));
                results.push(result);
            }
            observed = discovery::report(&options.claims, &observations);
            None
        }
    };
    let target = TargetInfo {
        // What the report shows: the URL with the password of its userinfo hidden.
        url: pens_proto::redact_userinfo(&options.target_url),
        name: options.target_name.clone(),
        claims: options.claims.clone(),
        observed,
    };
    let mut report = finish_report("target", &options.harness_version, started_at, clock, target, aborted, results);
    report.harness_notes.extend(shared.parties.harness_notes(clock, options.limits.passive_listeners));
    Ok(RunOutput { report, ca_pem })
}

/// `result`, marked as a scenario that never ran ([`pens_report::NOT_RUN_NOTE`]): it
/// says that it did not run, not why. The why is the report's `aborted` reason, given
/// once; copied under each of sixty scenarios it buried the one explanation a vendor
/// needs.
pub(crate) fn not_run(mut result: ScenarioResult) -> ScenarioResult {
    result.verdict = Verdict::Inconclusive;
    result.note = Some(pens_report::NOT_RUN_NOTE.to_owned());
    result
}

/// The result of a finished scenario task: its own, or, when the task panicked, its
/// fallback marked as a harness error (never the implementation's fault).
pub(crate) fn joined_result(
    joined: Result<(tokio::task::Id, ScenarioResult), tokio::task::JoinError>,
    fallbacks: &mut HashMap<tokio::task::Id, ScenarioResult>,
) -> ScenarioResult {
    match joined {
        Ok((_, result)) => result,
        Err(error) => {
            let mut result = fallbacks
                .remove(&error.id())
                .unwrap_or_else(|| ScenarioResult::new("(unknown)", "", "", Verdict::Error));
            result.note = Some(format!("harness error: {error}"));
            result
        }
    }
}

/// The report of a finished run of either mode: scenarios in id order, counted.
pub(crate) fn finish_report(
    mode: &str,
    harness_version: &str,
    started_at: OffsetDateTime,
    clock: Instant,
    target: TargetInfo,
    aborted: Option<String>,
    mut results: Vec<ScenarioResult>,
) -> RunReport {
    results.sort_by(|a, b| a.id.cmp(&b.id));
    RunReport {
        format_version: FORMAT_VERSION,
        harness: Harness { name: "pens-conform".into(), version: harness_version.to_owned() },
        mode: mode.to_owned(),
        started_at: pens_proto::format_expiry(started_at),
        duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
        target,
        summary: Summary::of(&results),
        aborted,
        baseline: None,
        scenario_digest: None,
        harness_notes: Vec::new(),
        partition: None,
        merged_from: None,
        scenarios: results,
    }
}

/// A result with a scenario's identity and no checks yet, for either mode.
pub(crate) fn result_for(
    id: &pens_scenario::Spanned<String>,
    title: &pens_scenario::Spanned<String>,
    source: &std::path::Path,
    requirements: &[pens_scenario::Spanned<&'static pens_proto::Requirement>],
    tags: &[pens_scenario::Spanned<String>],
    verdict: Verdict,
) -> ScenarioResult {
    let mut result = ScenarioResult::new(id.value.clone(), title.value.clone(), source.display().to_string(), verdict);
    result.requirements = requirements.iter().map(|r| r.value.id.to_owned()).collect();
    result.tags = tags.iter().map(|t| t.value.clone()).collect();
    result
}

fn empty_result(scenario: &Scenario, verdict: Verdict) -> ScenarioResult {
    result_for(&scenario.id, &scenario.title, &scenario.source, &scenario.requirements, &scenario.tags, verdict)
}

/// The requirement a scenario cites when nothing more specific applies: its first.
fn main_requirement(scenario: &Scenario) -> &'static pens_proto::Requirement {
    scenario.requirements.first().map_or(&pens_proto::req::TARGET_ACCEPTS_POST, |r| r.value)
}

/// Runs one scenario, saying in `steps` where it is. Never panics on the target's
/// behaviour: every outcome is a result.
async fn run_scenario(shared: &Shared, scenario: &Scenario, steps: &Steps) -> ScenarioResult {
    let clock = Instant::now();
    let mut result = empty_result(scenario, Verdict::Pass);
    let options = &shared.options;
    if let Some(reason) = from_scenario::not_applicable(scenario, &options.claims, options.declared_max_package_bytes) {
        result.verdict = Verdict::NotApplicable;
        result.note = Some(reason);
        return result;
    }
    let package = match package_body(shared, &scenario.staging.value) {
        Ok(body) => body,
        Err(error) => {
            result.verdict = Verdict::Error;
            result.note = Some(format!("harness error: {error}"));
            return result;
        }
    };
    let main_requirement = main_requirement(scenario);
    let deadlines = options.deadlines_for(scenario);
    let settings = Settings { main_requirement, deadlines: &deadlines };
    let copies = scenario.collect.value.copies.value.max(1);
    let id = &scenario.id.value;
    let keys: Vec<String> =
        if copies == 1 { vec![id.clone()] } else { (1..=copies).map(|k| format!("{id}-{k}")).collect() };
    // Every copy is sent at once: concurrent publishes must not mix (CMI010 §5.1).
    let runs = keys.iter().map(|key| run_copy(shared, scenario, key, package.clone(), &settings, steps));
    let judged = futures_util::future::join_all(runs).await;
    steps.enter("judging");
    let mut checks = Vec::new();
    let mut notes = Vec::new();
    for (judgement, exchanges) in judged {
        checks.push(judgement.checks);
        notes.push(judgement.note.into_iter().collect());
        result.exchanges.extend(exchanges);
    }
    result.checks = crate::copies::merge(checks, |check: &mut CheckResult, prefix| check.message.insert_str(0, prefix));
    let notes = crate::copies::merge(notes, |note: &mut String, prefix| note.insert_str(0, prefix));
    result.note = (!notes.is_empty()).then(|| notes.join("; "));
    if result.checks.is_empty() {
        result.checks.push(CheckResult::new(
            Verdict::Error,
            main_requirement,
            "the scenario checked nothing: give it at least one [expect] section",
        ));
    }
    // What no expectation's line asked for (the answer's format when no section names
    // it, the order, a flood, "checked nothing") was implied by the collect.
    crate::location::place_rest(&mut result.checks, &crate::location::at(&scenario.source, scenario.collect.span));
    if scenario.level.value == pens_scenario::ScenarioLevel::Should {
        // A best-practice scenario: what it finds wrong is a warning, never a failure.
        for check in &mut result.checks {
            if check.verdict == Verdict::Fail {
                check.verdict = Verdict::Warn;
            }
        }
    }
    if let Some(note) = crate::advisory::soften(&mut result, options.enforce_security) {
        result.note = Some(match result.note.take() {
            Some(existing) => format!("{existing}; {note}"),
            None => note,
        });
    }
    result.settle_verdict();
    result.duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    result
}

/// Sends one copy of a scenario's collect under `key` and judges what follows.
async fn run_copy(
    shared: &Shared,
    scenario: &Scenario,
    key: &str,
    package: PackageBody,
    settings: &Settings<'_>,
    steps: &Steps,
) -> (crate::evaluate::Judgement, Vec<pens_report::Exchange>) {
    let options = &shared.options;
    let mut context = ScenarioContext::new(&shared.parties, &shared.run_id, key);
    let plan = from_scenario::staging_plan(
        scenario,
        package,
        &context,
        options.declared_max_package_bytes,
        settings.deadlines.ack,
    );
    context.staged(shared.parties.staging.stage(key, plan));
    // Whether the copy ends or is abandoned, its package stops being served.
    let _unstage = Unstage { staging: &shared.parties.staging, key };

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
    let evidence = gather(&shared.parties, &shared.client, &probe).await;
    let seen = crate::sighting::sightings(&evidence, &scenario.id.value);
    shared.sightings.lock().unwrap_or_else(PoisonError::into_inner).extend(seen);
    let mut judgement = judge(&evidence, &expectations, settings);
    if crate::advisory::is_security(scenario.tags.iter().map(|t| t.value.as_str())) {
        // What the LMS did with the hostile package or values, whatever the checks say.
        let account = crate::account::account(&evidence);
        judgement.note = Some(match judgement.note.take() {
            Some(existing) => format!("{existing}; {account}"),
            None => account,
        });
    }
    let mut exchanges = exchanges::exchanges(&evidence);
    // The secret may come back anywhere a target chose to put it.
    crate::secret::scrub_checks(&mut judgement.checks, &context.secret);
    judgement.note = judgement.note.map(|note| crate::secret::scrub(&note, &context.secret));
    crate::secret::scrub_exchanges(&mut exchanges, &context.secret);
    // So may the harness's own: the system password, the target URL's password.
    for secret in crate::secret::run_secrets(options) {
        crate::secret::scrub_checks(&mut judgement.checks, &secret);
        judgement.note = judgement.note.map(|note| crate::secret::scrub(&note, &secret));
        crate::secret::scrub_exchanges(&mut exchanges, &secret);
    }
    (judgement, exchanges)
}

/// Unstages a key when dropped: at the end of its scenario, or when the scenario is
/// abandoned ([`within_budget`]), so no package outlives its scenario.
struct Unstage<'a> {
    staging: &'a pens_parties::StagingServer,
    key: &'a str,
}

impl Drop for Unstage<'_> {
    fn drop(&mut self) {
        self.staging.unstage(self.key);
    }
}

/// A package fixture's name and the size it is grown to, if any.
type PackageKey = (String, Option<u64>);

/// The fixture `name`, grown to `size` when given: built once per run and shared (a
/// grown package from the fixture's own cached body).
fn fixture_body(shared: &Shared, name: &str, size: Option<u64>) -> Result<PackageBody, String> {
    let cached = |size: Option<u64>, build: &dyn Fn() -> Result<PackageBody, String>| {
        let mut cache = shared.packages.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.entry((name.to_owned(), size)).or_insert_with(build).clone()
    };
    match size {
        None => cached(None, &|| {
            pens_parties::fixture_package(&shared.options.packages_dir, name).map_err(|e| e.to_string())
        }),
        Some(size) => {
            let fixture = fixture_body(shared, name, None)?;
            cached(Some(size), &|| pens_parties::sized_package(&fixture, size).map_err(|e| format!("{name}: {e}")))
        }
    }
}

/// The package a scenario stages: its fixture (a folder zipped once per run, a file
/// read from disk as it is sent), grown to its `size` when it gives one. Refused when a
/// behaviour that rewrites the package would have to read a large one into memory.
fn package_body(shared: &Shared, staging: &pens_scenario::Staging) -> Result<PackageBody, String> {
    let name = &staging.package.value;
    let body = fixture_body(shared, name, staging.size.as_ref().map(|size| size.value))?;
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
