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
    let mut emit = |event: RunEvent| {
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
            emit(RunEvent::Finished { observed: Vec::new(), harness_notes: mode.harness_notes(clock) });
        }
        Ok(announced) => {
            announced.into_iter().for_each(&mut emit);
            schedule(&mode, selected, &mut emit).await;
            emit(RunEvent::Finished { observed: mode.observed(), harness_notes: mode.harness_notes(clock) });
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
                    Ok((_, result)) => result,
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

/// One scenario, from start to result, within its budget.
async fn run_one<M: Mode>(
    mode: Arc<M>,
    scenario: M::Scenario,
    events: mpsc::UnboundedSender<RunEvent>,
) -> ScenarioResult {
    let steps = Steps::new();
    let identity = M::identity(&scenario);
    let abandoned = identity.result(Verdict::Pass);
    let budget = mode.budget(&scenario);
    let requirement = M::main_requirement(&scenario);
    let running = async {
        let clock = Instant::now();
        let outcome = mode.run_scenario(&scenario, &steps, &events).await;
        let checked_nothing = || M::checked_nothing(&scenario);
        verdicts::finish(&identity, outcome, checked_nothing, mode.enforce_security(), clock)
    };
    within_budget(budget, &steps, requirement, running, abandoned).await
}

/// The result of a scenario whose task panicked: its fallback, marked as a harness
/// error (never the implementation's fault).
fn panicked(fallback: Option<ScenarioResult>, error: &tokio::task::JoinError) -> ScenarioResult {
    let mut result = fallback.unwrap_or_else(|| ScenarioResult::new("(unknown)", "", "", Verdict::Error));
    result.note = Some(format!("harness error: {error}"));
    result
}
