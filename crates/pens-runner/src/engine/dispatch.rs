//! Scheduling: which scenario runs when, each within its budget, and what happens when
//! one panics or the run must stop.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use pens_report::{RunReport, ScenarioResult, Verdict};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::{Mode, ReportBuilder, RunEvent, Settled, not_run, verdicts};
use crate::step::{Steps, within_budget};

/// Runs `selected` (already filtered by `--only`) with `mode`, telling `on_event`
/// everything that happens; the report is built from the same events. `started` is
/// when the run began (before its parties started), for the report's times.
pub(crate) async fn run<M: Mode>(
    mode: Arc<M>,
    selected: Vec<M::Scenario>,
    started: (time::OffsetDateTime, Instant),
    on_event: &mut (dyn FnMut(&RunEvent) + Send),
) -> RunReport {
    let clock = started.1;
    let mut builder =
        ReportBuilder::new(mode.name(), mode.harness_version(), mode.target_info()).since(started.0, started.1);
    let mut emit = |mut event: RunEvent| {
        if let RunEvent::ScenarioFinished(result) | RunEvent::ScenarioNotRun(result) = &mut event {
            // What the run added after judging (abandoned at the deadline, descriptors,
            // discovery, not run) points at the scenario's first line.
            crate::location::place_late(result);
        }
        builder.record(&event);
        on_event(&event);
    };
    emit(mode.started(selected.len()));
    match mode.prepare().await {
        Err(reason) => {
            for scenario in &selected {
                emit(RunEvent::ScenarioNotRun(not_run(M::identity(scenario).result(Verdict::Inconclusive))));
            }
            emit(RunEvent::Aborted { reason });
            emit(RunEvent::RunFinished { observed: Vec::new(), harness_notes: mode.harness_notes(clock) });
        }
        Ok(announced) => {
            announced.into_iter().for_each(&mut emit);
            schedule(&mode, selected, &mut emit).await;
            emit(RunEvent::RunFinished { observed: mode.observed(), harness_notes: mode.harness_notes(clock) });
        }
    }
    builder.finish()
}

/// Runs the scenarios, `mode.jobs()` at once in `mode.order()`, until all have ended
/// or the mode says the run must stop.
async fn schedule<M: Mode>(mode: &Arc<M>, selected: Vec<M::Scenario>, emit: &mut impl FnMut(RunEvent)) {
    let by_id: HashMap<String, M::Scenario> =
        selected.iter().map(|s| (M::identity(s).id.value.clone(), s.clone())).collect();
    let jobs = mode.jobs().max(1);
    let mut queue = mode.order(selected).into_iter();
    let (events, mut heard) = mpsc::unbounded_channel::<RunEvent>();
    // Kept while scenarios are still to start: once the last has started and every task
    // has ended (dropping its clone), the channel closes and the loop below ends.
    let mut events = Some(events);
    let mut tasks = JoinSet::new();
    // What to report for a scenario whose task panicked (a harness error, never the
    // implementation's fault, under the scenario's own id), or that was still running
    // when the run stopped (not run).
    let mut fallbacks = HashMap::new();
    // When each running scenario started, and what it cites: one that ran while the
    // harness had no descriptor left is inconclusive (`crate::descriptors`).
    let mut starts = HashMap::new();
    // Results that wait for what the whole run shows ([`Mode::settle`]).
    let mut held = Vec::new();
    let mut aborted = None;
    loop {
        // Scenarios start in queue order, whenever one of the jobs is free.
        if mode.exhausted() {
            // Nothing left to start can show anything: no entries for them.
            queue = Vec::new().into_iter();
        }
        if let Some(sender) = &events {
            while tasks.len() < jobs {
                let Some(scenario) = queue.next() else { break };
                let identity = M::identity(&scenario);
                emit(RunEvent::ScenarioStarted { scenario: identity.id.value.clone() });
                let fallback = identity.result(Verdict::Error);
                let requirement = M::main_requirement(&scenario);
                let task = tasks.spawn(run_one(Arc::clone(mode), scenario, sender.clone()));
                fallbacks.insert(task.id(), fallback);
                starts.insert(task.id(), (Instant::now(), requirement));
            }
        }
        if queue.len() == 0 {
            events = None;
        }
        tokio::select! {
            Some(event) = heard.recv() => emit(event),
            Some(joined) = tasks.join_next_with_id() => {
                let id = match &joined {
                    Ok((id, _)) => *id,
                    Err(error) => error.id(),
                };
                let fallback = fallbacks.remove(&id);
                let mut result = match joined {
                    Ok((_, Some(result))) => result,
                    // Unobserved: no entry at all ([`Outcome::Unobserved`]).
                    Ok((_, None)) => {
                        starts.remove(&id);
                        if let Some(reason) = mode.aborted() {
                            aborted = Some(reason);
                            break;
                        }
                        continue;
                    }
                    Err(error) => panicked(fallback, &error),
                };
                if let Some((started, requirement)) = starts.remove(&id) {
                    crate::descriptors::judge_window(&mut result, started, Instant::now(), requirement);
                }
                if result.is_not_run() {
                    emit(RunEvent::ScenarioNotRun(result));
                } else {
                    match by_id.get(&result.id).map(|scenario| (scenario, mode.settle(scenario, result.clone()))) {
                        Some((scenario, Settled::Later(waiting))) => held.push((scenario, waiting)),
                        Some((_, Settled::Now(settled))) => emit(RunEvent::ScenarioFinished(settled)),
                        None => emit(RunEvent::ScenarioFinished(result)),
                    }
                }
                if let Some(reason) = mode.aborted() {
                    aborted = Some(reason);
                    break;
                }
            }
            else => break,
        }
    }
    if let Some(reason) = aborted {
        // Every scenario still waiting would wait its whole deadline for what cannot
        // come: they stop now, and with the rest are marked not run.
        tasks.shutdown().await;
        for result in fallbacks.into_values() {
            emit(RunEvent::ScenarioNotRun(not_run(result)));
        }
        for scenario in queue {
            emit(RunEvent::ScenarioNotRun(not_run(M::identity(&scenario).result(Verdict::Inconclusive))));
        }
        emit(RunEvent::Aborted { reason });
    }
    for settled in mode.settle_held(held) {
        emit(RunEvent::ScenarioFinished(settled));
    }
}

/// One scenario, from start to result, within its budget; `None` when it was
/// [`super::Outcome::Unobserved`] and leaves no entry.
async fn run_one<M: Mode>(
    mode: Arc<M>,
    scenario: M::Scenario,
    events: mpsc::UnboundedSender<RunEvent>,
) -> Option<ScenarioResult> {
    let steps = Steps::new();
    let identity = M::identity(&scenario);
    let abandoned = identity.result(Verdict::Pass);
    let budget = mode.budget(&scenario);
    let requirement = M::main_requirement(&scenario);
    let unobserved = std::sync::atomic::AtomicBool::new(false);
    let running = async {
        let clock = Instant::now();
        let outcome = mode.run_scenario(&scenario, &steps, &events).await;
        if matches!(outcome, super::Outcome::Unobserved) {
            unobserved.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        let checked_nothing = || M::checked_nothing(&scenario);
        let implied = M::implied_location(&scenario);
        verdicts::finish(&identity, outcome, checked_nothing, &implied, mode.enforce_security(), clock)
    };
    let result = within_budget(budget, &steps, requirement, running, abandoned).await;
    (!unobserved.load(std::sync::atomic::Ordering::SeqCst)).then_some(result)
}

/// The result of a scenario whose task panicked: its fallback, marked as a harness
/// error (never the implementation's fault).
fn panicked(fallback: Option<ScenarioResult>, error: &tokio::task::JoinError) -> ScenarioResult {
    let mut result = fallback.unwrap_or_else(|| ScenarioResult::new("(unknown)", "", "", Verdict::Error));
    result.note = Some(format!("harness error: {error}"));
    result
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use pens_proto::req;
    use pens_report::{CheckResult, HarnessNote, TargetInfo};
    use pens_scenario::{ScenarioLevel, Span, Spanned};

    use super::*;
    use crate::engine::{Identity, Judged, Outcome};

    /// A scenario of the toy mode: what its one check finds.
    #[derive(Clone)]
    struct Toy {
        id: Spanned<String>,
        title: Spanned<String>,
        finds: Verdict,
        /// Held until the run ends ([`Mode::settle`]).
        held: bool,
        /// Its task panics.
        panics: bool,
        /// What it would judge never happens ([`Outcome::Unobserved`]).
        unobserved: bool,
    }

    fn toy(id: &str, finds: Verdict) -> Toy {
        let spanned = |text: &str| Spanned::new(text.to_owned(), Span::default());
        Toy { id: spanned(id), title: spanned("toy"), finds, held: false, panics: false, unobserved: false }
    }

    /// A third mode in a few lines: the engine brings the rest.
    #[derive(Default)]
    struct ToyMode {
        /// Stop the run once any scenario has ended.
        abort_after_first: bool,
        /// Start no scenario once any has ended ([`Mode::exhausted`]).
        exhausted_after_first: bool,
        ended: AtomicBool,
        settled_late: Mutex<Vec<String>>,
    }

    impl Mode for ToyMode {
        type Scenario = Toy;

        fn identity(scenario: &Toy) -> Identity<'_> {
            Identity {
                id: &scenario.id,
                title: &scenario.title,
                source: std::path::Path::new("toy.toml"),
                requirements: &[],
                tags: &[],
                level: ScenarioLevel::Must,
            }
        }

        fn main_requirement(_: &Toy) -> &'static pens_proto::Requirement {
            &req::TARGET_ACCEPTS_POST
        }

        fn jobs(&self) -> usize {
            1
        }

        fn order(&self, selected: Vec<Toy>) -> Vec<Toy> {
            selected
        }

        fn budget(&self, _: &Toy) -> Duration {
            Duration::from_secs(60)
        }

        fn started(&self, scenarios: usize) -> RunEvent {
            RunEvent::ClientStarted { target: "toy://".into(), scenarios }
        }

        async fn run_scenario(&self, scenario: &Toy, _: &Steps, _: &mpsc::UnboundedSender<RunEvent>) -> Outcome {
            assert!(!scenario.panics, "the toy scenario panics");
            if scenario.unobserved {
                return Outcome::Unobserved;
            }
            self.ended.store(true, Ordering::SeqCst);
            let check = CheckResult::new(scenario.finds, &req::TARGET_ACCEPTS_POST, "found");
            Outcome::Judged(Judged { checks: vec![check], ..Judged::default() })
        }

        fn checked_nothing(_: &Toy) -> CheckResult {
            CheckResult::new(Verdict::Error, &req::TARGET_ACCEPTS_POST, "nothing")
        }

        fn settle(&self, scenario: &Toy, result: ScenarioResult) -> Settled {
            if scenario.held { Settled::Later(result) } else { Settled::Now(result) }
        }

        fn settle_held(&self, held: Vec<(&Toy, ScenarioResult)>) -> Vec<ScenarioResult> {
            let mut late = self.settled_late.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            late.extend(held.iter().map(|(_, result)| result.id.clone()));
            held.into_iter().map(|(_, result)| result).collect()
        }

        fn aborted(&self) -> Option<String> {
            (self.abort_after_first && self.ended.load(Ordering::SeqCst)).then(|| "the toy stopped".to_owned())
        }

        fn exhausted(&self) -> bool {
            self.exhausted_after_first && self.ended.load(Ordering::SeqCst)
        }

        fn harness_notes(&self, _: Instant) -> Vec<HarnessNote> {
            Vec::new()
        }

        fn target_info(&self) -> TargetInfo {
            TargetInfo { url: "toy://".into(), name: None, claims: Default::default(), observed: Vec::new() }
        }

        fn name(&self) -> &'static str {
            "toy"
        }

        fn harness_version(&self) -> &str {
            "0"
        }
    }

    async fn run_toy(mode: &Arc<ToyMode>, scenarios: Vec<Toy>) -> (RunReport, Vec<String>) {
        let mut heard = Vec::new();
        let mut on_event = |event: &RunEvent| heard.push(format!("{event:?}").chars().take(24).collect::<String>());
        let now = (time::OffsetDateTime::now_utc(), Instant::now());
        let report = run(Arc::clone(mode), scenarios, now, &mut on_event).await;
        (report, heard)
    }

    #[tokio::test]
    async fn every_scenario_runs_and_the_report_is_the_events() {
        let mut late = toy("c-late", Verdict::Pass);
        late.held = true;
        let mut broken = toy("d-panics", Verdict::Pass);
        broken.panics = true;
        let scenarios = vec![toy("b", Verdict::Fail), toy("a", Verdict::Pass), late, broken];
        let mode = Arc::new(ToyMode::default());
        let (report, heard) = run_toy(&mode, scenarios).await;
        let verdicts: Vec<(&str, Verdict)> = report.scenarios.iter().map(|s| (s.id.as_str(), s.verdict)).collect();
        assert_eq!(
            verdicts,
            [("a", Verdict::Pass), ("b", Verdict::Fail), ("c-late", Verdict::Pass), ("d-panics", Verdict::Error)]
        );
        let panicked = &report.scenarios[3];
        assert!(panicked.note.as_deref().is_some_and(|n| n.starts_with("harness error:")), "{:?}", panicked.note);
        assert_eq!((report.mode.as_str(), report.aborted.as_deref()), ("toy", None));
        assert!(heard.first().is_some_and(|e| e.starts_with("ClientStarted")), "{heard:?}");
        assert!(heard.last().is_some_and(|e| e.starts_with("RunFinished")), "{heard:?}");
        let finished = heard.iter().filter(|e| e.starts_with("ScenarioFinished")).count();
        assert_eq!(finished, 4, "{heard:?}");
        let late = mode.settled_late.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        assert_eq!(late, ["c-late"], "the held result is settled once the others have ended");
    }

    #[tokio::test]
    async fn an_unobserved_scenario_leaves_no_entry_not_even_not_run() {
        let mut unseen = toy("b-unseen", Verdict::Pass);
        unseen.unobserved = true;
        let mode = Arc::new(ToyMode::default());
        let (report, heard) = run_toy(&mode, vec![toy("a", Verdict::Fail), unseen, toy("c", Verdict::Pass)]).await;
        let ids: Vec<&str> = report.scenarios.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"], "the unobserved scenario is absent");
        assert_eq!((report.summary.fail, report.summary.inconclusive, report.aborted.as_deref()), (1, 0, None));
        assert_eq!(heard.iter().filter(|e| e.starts_with("ScenarioNotRun")).count(), 0, "{heard:?}");
        assert_eq!(heard.iter().filter(|e| e.starts_with("ScenarioFinished")).count(), 2, "{heard:?}");
    }

    #[tokio::test]
    async fn an_exhausted_run_starts_no_more_scenarios_and_reports_none_of_them() {
        let mode = Arc::new(ToyMode { exhausted_after_first: true, ..ToyMode::default() });
        let (report, heard) = run_toy(&mode, vec![toy("a", Verdict::Pass), toy("b", Verdict::Pass)]).await;
        let ids: Vec<&str> = report.scenarios.iter().map(|s| s.id.as_str()).collect();
        assert_eq!((ids.as_slice(), report.aborted.as_deref()), (["a"].as_slice(), None));
        assert_eq!(heard.iter().filter(|e| e.starts_with("ScenarioStarted")).count(), 1, "{heard:?}");
    }

    #[tokio::test]
    async fn an_aborted_run_marks_the_scenarios_left_not_run_and_says_why_once() {
        let mode = Arc::new(ToyMode { abort_after_first: true, ..ToyMode::default() });
        let scenarios = vec![toy("a", Verdict::Pass), toy("b", Verdict::Pass), toy("c", Verdict::Pass)];
        let (report, heard) = run_toy(&mode, scenarios).await;
        assert_eq!(report.aborted.as_deref(), Some("the toy stopped"));
        let not_run: Vec<&str> = report.scenarios.iter().filter(|s| s.is_not_run()).map(|s| s.id.as_str()).collect();
        assert_eq!(not_run, ["b", "c"]);
        assert_eq!(report.scenarios[0].verdict, Verdict::Pass);
        assert_eq!(heard.iter().filter(|e| e.starts_with("ScenarioFinished")).count(), 1, "{heard:?}");
    }
}
