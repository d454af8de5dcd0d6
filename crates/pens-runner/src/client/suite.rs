//! Client mode as a [`Mode`] of the engine: the mock target up, one key per scenario,
//! triggers, event-driven waits with deadlines, judging.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pens_parties::{
    DEFAULT_FETCH_TIMEOUT, DeliveryMethod, MockTarget, MockTargetOptions, NotificationContent, TargetEvent,
    TargetEventKind, TargetScript,
};
use pens_report::{CheckResult, Exchange, ExchangeKind, HarnessNote, TargetInfo, Verdict};
use pens_scenario::{ClientScenario, NotificationDelivery, NotificationShape, TargetScriptSpec};
use time::OffsetDateTime;
use tokio::sync::mpsc;

use super::evaluate::{ClientSettings, judge};
use super::evidence::ClientEvidence;
use super::{ClientRunOptions, Trigger, TriggerCall, trigger};
use crate::engine::{Identity, Judged, Mode, OnDrop, Outcome, RunError, RunEvent, RunOutput};
use crate::options::matches_pattern;
use crate::step::Steps;

/// Client mode: everything its scenarios share.
struct ClientMode {
    target: MockTarget,
    /// `http://HOST:PORT` as the client is told.
    base: String,
    options: ClientRunOptions,
    trigger: Trigger,
    /// Set, once, when the trigger failed before any collect of the run arrived: the
    /// tool cannot be made to publish, so the run stops ([`dead_trigger_reason`]).
    dead_trigger: std::sync::OnceLock<String>,
    /// Whether some scenario has seen its collect arrive: the trigger works, whatever
    /// the target's bounded activity log still holds.
    collected: std::sync::atomic::AtomicBool,
}

impl ClientMode {
    /// The URL the client publishes to for `key`, with the advertised host.
    fn url_for(&self, key: &str) -> String {
        let url = self.target.url_for(key);
        let bound = format!("http://{}", self.target.addr());
        match url.strip_prefix(&bound) {
            Some(path) => format!("{}{path}", self.base),
            None => url,
        }
    }
}

/// Runs `scenarios` against the client `trigger` makes publish; `on_event` hears about
/// progress (and, with [`Trigger::Interactive`], where to publish).
pub async fn run_client_suite(
    scenarios: &[ClientScenario],
    options: &ClientRunOptions,
    trigger: &Trigger,
    on_event: &mut (dyn FnMut(&RunEvent) + Send),
) -> Result<RunOutput, RunError> {
    let started_at = OffsetDateTime::now_utc();
    let clock = Instant::now();
    let mut target_options = MockTargetOptions {
        capabilities: options.target_claims(),
        limits: options.limits.peer(),
        // Only a scenario's collects are acted on; any other is answered 404 and counted.
        scenario_keys_only: true,
        ..Default::default()
    };
    target_options.extra_root_pem.clone_from(&options.trust_pem);
    target_options.smtp_relay = options.smtp_relay;
    let target = MockTarget::start(options.listen, target_options).map_err(RunError::Target)?;
    let base = match &options.advertise_host {
        Some(host) if host.contains(':') && !host.starts_with('[') => {
            format!("http://[{host}]:{}", target.addr().port())
        }
        Some(host) => format!("http://{host}:{}", target.addr().port()),
        None => format!("http://{}", target.addr()),
    };
    let selected: Vec<ClientScenario> = scenarios
        .iter()
        .filter(|s| options.only.as_deref().is_none_or(|pattern| matches_pattern(pattern, &s.id.value)))
        .cloned()
        .collect();
    let mode = Arc::new(ClientMode {
        target,
        base,
        options: options.clone(),
        trigger: trigger.clone(),
        dead_trigger: std::sync::OnceLock::new(),
        collected: std::sync::atomic::AtomicBool::new(false),
    });
    let report = crate::engine::run(mode, selected, (started_at, clock), on_event).await;
    Ok(RunOutput { report, ca_pem: String::new() })
}

impl Mode for ClientMode {
    type Scenario = ClientScenario;

    fn identity(scenario: &ClientScenario) -> Identity<'_> {
        Identity {
            id: &scenario.id,
            title: &scenario.title,
            source: &scenario.source,
            requirements: &scenario.requirements,
            tags: &scenario.tags,
            level: scenario.level.value,
        }
    }

    fn main_requirement(scenario: &ClientScenario) -> &'static pens_proto::Requirement {
        main_requirement(scenario)
    }

    /// One at a time for [`Trigger::Interactive`]: a person publishes by hand.
    fn jobs(&self) -> usize {
        if matches!(self.trigger, Trigger::Interactive) { 1 } else { self.options.jobs.max(1) }
    }

    /// Interactive runs go in file order; otherwise the longest deliberate wait starts
    /// first (results are sorted by id).
    fn order(&self, selected: Vec<ClientScenario>) -> Vec<ClientScenario> {
        if matches!(self.trigger, Trigger::Interactive) {
            selected
        } else {
            crate::schedule::longest_first(selected, crate::schedule::client_wait)
        }
    }

    fn budget(&self, scenario: &ClientScenario) -> Duration {
        scenario_budget(scenario, &self.options)
    }

    fn started(&self, scenarios: usize) -> RunEvent {
        RunEvent::ClientStarted { target: self.target_url(), scenarios }
    }

    async fn run_scenario(
        &self,
        scenario: &ClientScenario,
        steps: &Steps,
        events: &mpsc::UnboundedSender<RunEvent>,
    ) -> Outcome {
        run_scenario(self, scenario, events, steps).await
    }

    fn checked_nothing(_scenario: &ClientScenario) -> CheckResult {
        CheckResult::new(Verdict::Error, &pens_proto::req::CLIENT_STAGING_AVAILABLE, "the scenario checked nothing")
    }

    /// A trigger that failed before any collect of the run arrived: the tool cannot be
    /// made to publish, and every other scenario would wait out its deadline for
    /// nothing.
    fn aborted(&self) -> Option<String> {
        self.dead_trigger.get().map(|failure| dead_trigger_reason(failure))
    }

    fn harness_notes(&self, clock: Instant) -> Vec<HarnessNote> {
        let mut notes = crate::saturation::notes("mock-target", "the mock target", &self.target.saturation());
        crate::saturation::log(&notes);
        // Refused collects whose path named no scenario: the run's, said once.
        notes.extend(super::refused::harness_notes(&self.target.activity()));
        notes.extend(crate::descriptors::notes(clock, None));
        notes.extend(crate::unsolicited::mock_target_note(self.target.state().unsolicited()));
        notes
    }

    fn target_info(&self) -> TargetInfo {
        TargetInfo { url: self.target_url(), name: None, claims: self.options.target_claims(), observed: Vec::new() }
    }

    fn name(&self) -> &'static str {
        "client"
    }

    fn harness_version(&self) -> &str {
        &self.options.harness_version
    }
}

impl ClientMode {
    /// The base collect URL the client is told; each scenario has its own below it.
    fn target_url(&self) -> String {
        format!("{}/pens", self.base)
    }
}

/// Why a run stops on a dead trigger: how the command failed, with the tail of its
/// stderr, and what to check. The command itself is not quoted: it may hold a secret.
fn dead_trigger_reason(failure: &str) -> String {
    format!(
        "the --trigger command failed before any collect arrived, so the authoring tool cannot be made to publish \
         and no scenario can run: {failure}. Run the command by hand (with PENS_TARGET_URL set) until it publishes."
    )
}

/// The mock target's script for a scenario's `[target]`.
pub(crate) fn script_of(spec: &TargetScriptSpec) -> TargetScript {
    TargetScript {
        answer: spec.answer.as_ref().map(|a| a.value),
        answer_delay: Duration::from_millis(spec.answer_delay_ms.value),
        fetch: spec.fetch.value,
        receipt_error: spec.receipt_error.as_ref().map(|e| e.value),
        alerts: spec.alerts.value,
        delivery: match spec.delivery.value {
            NotificationDelivery::Post => DeliveryMethod::Post,
            NotificationDelivery::Get => DeliveryMethod::Get,
        },
        content: match spec.notifications.value {
            NotificationShape::Full => NotificationContent::Full,
            NotificationShape::Minimal => NotificationContent::Minimal,
        },
    }
}

/// The requirement a scenario cites when nothing more specific applies: its first.
fn main_requirement(scenario: &ClientScenario) -> &'static pens_proto::Requirement {
    scenario.requirements.first().map_or(&pens_proto::req::CLIENT_STAGING_AVAILABLE, |r| r.value)
}

/// How long the mock target's work for one collect of `script` may take: the answer's
/// delay, the fetch, and the tool's answer to the receipt and each alert.
fn background_deadline(script: &TargetScript, answers: Duration) -> Duration {
    let fetch = if script.fetch { DEFAULT_FETCH_TIMEOUT } else { Duration::ZERO };
    script.answer_delay.saturating_add(fetch).saturating_add(answers.saturating_mul(script.alerts.saturating_add(1)))
}

/// The longest a client scenario may take: each publish's collect deadline and the
/// stopping of its trigger, the mock target's work, the quiet window, and the grace.
fn scenario_budget(scenario: &ClientScenario, options: &ClientRunOptions) -> Duration {
    let publishes = scenario.expect.collects.value.max(1);
    let deadlines = options.deadlines;
    let script = script_of(&scenario.target.value);
    [background_deadline(&script, deadlines.answers), deadlines.quiet, options.limits.scenario_grace].into_iter().fold(
        deadlines.collect.saturating_add(trigger::STOP_ALLOWANCE).saturating_mul(publishes),
        Duration::saturating_add,
    )
}

/// Whether any collect at all has arrived in the run.
fn any_collect(events: &[TargetEvent]) -> bool {
    events.iter().any(is_arrival)
}

/// A collect that arrived: read and judged, or refused before it could be read whole
/// (it arrived all the same: the publish happened, and waiting on would be for nothing).
fn is_arrival(event: &TargetEvent) -> bool {
    matches!(event.kind, TargetEventKind::CollectReceived { .. } | TargetEventKind::CollectRefused { .. })
}

/// The events of the scenario's own run among `own` (every event of its key), when
/// `before` arrivals of an earlier run of the same id were on record as it started:
/// those of its exchanges from the lowest-numbered of its arrivals on. The lowest, not
/// the first on record: collects handled at once on two threads may be recorded out
/// of their numbers' order (one takes its number, the other the next and records
/// first), and starting from the first on record would drop the other from the
/// evidence.
fn this_run(mut own: Vec<TargetEvent>, before: usize) -> Vec<TargetEvent> {
    let first = own.iter().filter(|e| is_arrival(e)).skip(before).map(|e| e.exchange).min().unwrap_or(u64::MAX);
    own.retain(|e| e.exchange >= first);
    own
}

fn collects_of(key: &str, events: &[TargetEvent]) -> usize {
    events.iter().filter(|e| e.key.as_deref() == Some(key) && is_arrival(e)).count()
}

/// Whether every exchange of `key` that started has ended (its fetch, receipt and
/// alerts, and the client's answers, are on record).
fn all_finished(key: &str, events: &[TargetEvent]) -> bool {
    let ours = || events.iter().filter(|e| e.key.as_deref() == Some(key));
    ours()
        .filter(|e| matches!(e.kind, TargetEventKind::CollectReceived { .. }))
        .all(|started| ours().any(|e| e.exchange == started.exchange && e.kind == TargetEventKind::ExchangeFinished))
}

/// Runs one scenario, saying in `steps` where it is. Never panics on the client's
/// behaviour: every outcome is a result.
async fn run_scenario(
    mode: &ClientMode,
    scenario: &ClientScenario,
    events: &mpsc::UnboundedSender<RunEvent>,
    steps: &Steps,
) -> Outcome {
    let clock = Instant::now();
    let started_utc = OffsetDateTime::now_utc();
    let key = scenario.id.value.as_str();
    let spec = &scenario.target.value;
    let script = script_of(spec);
    mode.target.script(key, script.clone());
    // However the scenario ends (or is abandoned), the mock target forgets its key, so
    // no script or kept package outlives it.
    let _forget = OnDrop(|| mode.target.state().forget(key));
    let deadlines = mode.options.deadlines;
    let url = mode.url_for(key);
    // Collects already on record for this key (a rerun of the same id in one run).
    let before = collects_of(key, &mode.target.activity());

    let wanted = scenario.expect.collects.value.max(1);
    let mut running = Vec::new();
    steps.enter("waiting for a collect after triggering the publish");
    let mut collect_watched = Duration::ZERO;
    for copy in 1..=wanted {
        let waiting_since = Instant::now();
        let deadline = crate::step::deadline_after(waiting_since, deadlines.collect);
        if matches!(mode.trigger, Trigger::Interactive) {
            let _ = events.send(RunEvent::AwaitingPublish { scenario: key.to_owned(), url: url.clone() });
        }
        let call = TriggerCall { target_url: url.clone(), scenario_id: key.to_owned(), copy };
        let mut publish = trigger::start(&mode.trigger, call, deadline);
        // Publishes go one after the other: the next only once this one's collect came.
        let needed = before + copy as usize;
        let arrival = mode.target.wait_for(|events| collects_of(key, events) >= needed, deadline);
        tokio::pin!(arrival);
        let arrived = tokio::select! {
            found = &mut arrival => found.is_some(),
            failure = publish.failure() => {
                let collected = mode.collected.load(std::sync::atomic::Ordering::SeqCst);
                // A collect at a URL of no scenario (answered 404, only counted) still
                // shows that the trigger made the tool publish.
                let strays = mode.target.state().unsolicited().is_some();
                if !collected && !strays && !any_collect(&mode.target.activity()) {
                    // Nothing the tool ever sent: the trigger cannot make it publish, and
                    // every other scenario would wait out its deadline for nothing.
                    let _ = mode.dead_trigger.set(failure);
                    drop(publish.finish(false).await);
                    return Outcome::NotRun;
                }
                // It works for other scenarios: this one judges the failure (its note).
                arrival.await.is_some()
            }
        };
        running.push(publish);
        collect_watched = waiting_since.elapsed();
        if !arrived {
            break;
        }
        mode.collected.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    // The fetch, receipt and alerts the script implies, and the client's answers.
    steps.enter("waiting for the mock target's fetch, receipt and alerts and the tool's answers");
    let per_answer = deadlines.answers;
    let background = background_deadline(&script, per_answer);
    let background_timed_out = mode
        .target
        .wait_for(|events| all_finished(key, events), crate::step::deadline_after(Instant::now(), background))
        .await
        .is_none();
    // A quiet window: a collect nobody triggered would show up here.
    steps.enter("watching for a collect nobody triggered (the quiet window)");
    let arrived = collects_of(key, &mode.target.activity());
    let _ = mode
        .target
        .wait_for(
            |events| collects_of(key, events) > arrived,
            crate::step::deadline_after(Instant::now(), deadlines.quiet),
        )
        .await;

    let collected = collects_of(key, &mode.target.activity()) > before;
    steps.enter("stopping the trigger");
    let mut notes = Vec::new();
    let total = running.len();
    for (index, run) in running.into_iter().enumerate() {
        if let Some(note) = run.finish(collected).await {
            notes.push(if total == 1 { note } else { format!("publish {}: {note}", index + 1) });
        }
    }

    let own: Vec<TargetEvent> = mode.target.activity().into_iter().filter(|e| e.key.as_deref() == Some(key)).collect();
    // Only this run of the scenario: drop exchanges of an earlier one.
    let own = this_run(own, before);
    // A handle on the kept package, not its bytes: a large one stays in the target's
    // temp file (even once the key is forgotten) and is read, off the runtime's
    // threads, as the judging inspects it.
    let package = mode.target.state().kept_package(key);
    let evidence = ClientEvidence {
        started: clock,
        started_utc,
        events: own,
        package,
        script_fetches: script.fetch,
        collect_deadline: deadlines.collect,
        collect_watched,
        unowned_refusals: mode
            .target
            .activity()
            .iter()
            .filter(|e| e.key.is_none() && e.at >= clock && matches!(e.kind, TargetEventKind::CollectRefused { .. }))
            .count(),
        background_timed_out,
        collect_overflow: mode.target.state().overflow(key),
        saturated: {
            let saturation = mode.target.saturation();
            saturation.during(clock, Instant::now()).map(|during| crate::evidence::Saturated {
                listener: crate::evidence::Listener::MockTarget,
                name: "the mock target",
                connections: saturation.connections,
                during,
            })
        },
    };
    let exchanges = exchanges(&evidence);
    let owned_scenario = scenario.clone();
    let limits = mode.options.limits;
    steps.enter("judging");
    let judged = tokio::task::spawn_blocking(move || {
        let settings = ClientSettings {
            source: &owned_scenario.source,
            main_requirement: main_requirement(&owned_scenario),
            expect: &owned_scenario.expect,
            script: &owned_scenario.target.value,
            answers_deadline: per_answer,
            package_limits: pens_package::Limits::default()
                .with_max_entries(pens_package::Limits::default().max_entries.min(limits.zip_entries))
                .with_max_uncompressed(pens_package::Limits::default().max_uncompressed.min(limits.unpacked_bytes)),
        };
        judge(&evidence, &settings)
    })
    .await;
    // Secrets are redacted by the mock target before anything is recorded: nothing to
    // scrub here.
    match judged {
        Ok(checks) => Outcome::Judged(Judged { checks, notes, exchanges, judging_failed: false }),
        Err(error) => {
            notes.push(format!("harness error: judging stopped: {error}"));
            Outcome::Judged(Judged { checks: Vec::new(), notes, exchanges, judging_failed: true })
        }
    }
}

/// The exchanges of a scenario for the report, in order of time (secrets are redacted
/// by the mock target before anything is recorded).
pub(crate) fn exchanges(evidence: &ClientEvidence) -> Vec<Exchange> {
    let mut out = Vec::new();
    let mut pending_fetch: HashMap<u64, (u64, String, bool)> = HashMap::new();
    for event in &evidence.events {
        let at_ms = evidence.offset_ms(event.at);
        match &event.kind {
            TargetEventKind::CollectReceived { method, content_type, raw, answer, .. } => {
                let content_type = content_type.as_deref().map(|c| format!("Content-Type: {c}\n")).unwrap_or_default();
                // Our line and header, then the collect's exact bytes.
                let mut request =
                    format!("{method} /pens/{}\n{content_type}\n", event.key.as_deref().unwrap_or_default())
                        .into_bytes();
                request.extend_from_slice(raw);
                out.push(
                    Exchange::new(
                        ExchangeKind::Collect,
                        at_ms,
                        format!("{method} collect, {} bytes; our target answers {answer}", raw.len()),
                    )
                    .with_request(request)
                    .with_response(format!("error={answer}")),
                );
            }
            TargetEventKind::CollectRefused { refusal } => {
                // Only what the target read of it: the request line as far as known.
                out.push(
                    Exchange::new(ExchangeKind::Collect, at_ms, format!("{refusal}"))
                        .with_request(format!("{} {}", refusal.method, refusal.path))
                        .with_response(format!("HTTP {}", refusal.status)),
                );
            }
            TargetEventKind::FetchStarted { url, credentials } => {
                let with = if *credentials { " with credentials" } else { "" };
                let ftp = url.starts_with("ftp");
                let verb = if ftp { "RETR" } else { "GET" };
                pending_fetch.insert(event.exchange, (at_ms, format!("{verb} {url}{with}"), ftp));
            }
            TargetEventKind::FetchFinished { http_status, bytes, result, detail } => {
                let (started, request, ftp) =
                    pending_fetch.remove(&event.exchange).unwrap_or((at_ms, "GET".to_owned(), false));
                let status = match (http_status, ftp) {
                    (Some(code), true) => format!("FTP {code}"),
                    (Some(status), false) => format!("HTTP {status}"),
                    (None, true) => "no completed transfer".to_owned(),
                    (None, false) => "no HTTP answer".to_owned(),
                };
                out.push(
                    Exchange::new(
                        ExchangeKind::StagingFetch,
                        started,
                        format!("{request}: {status}, {bytes} bytes, result {result} ({detail})"),
                    )
                    .with_request(request)
                    .with_latency(Some(at_ms.saturating_sub(started))),
                );
            }
            TargetEventKind::NotificationSent { kind, method, url, error, fields, delivery, .. } => {
                let exchange_kind = match kind {
                    pens_proto::NotificationKind::Receipt => ExchangeKind::Receipt,
                    pens_proto::NotificationKind::Alert => ExchangeKind::Alert,
                };
                let answer = match (&delivery.failure, delivery.http_status) {
                    (Some(failure), _) => format!("failed: {failure}"),
                    (None, Some(status)) => format!("HTTP {status}"),
                    (None, None) => "no answer".to_owned(),
                };
                let mut exchange =
                    Exchange::new(exchange_kind, at_ms, format!("{kind} error={error} by {method} to {url}: {answer}"))
                        .with_request(format!("{method} {url}\nfields: {}", fields.join(", ")))
                        .with_latency(delivery.latency_ms);
                if let Some(answer) = &delivery.answer_raw {
                    exchange = exchange.with_response(answer);
                }
                out.push(exchange);
            }
            TargetEventKind::NotificationMailed { kind, to, error, reply, failure, .. } => {
                let exchange_kind = match kind {
                    pens_proto::NotificationKind::Receipt => ExchangeKind::Receipt,
                    pens_proto::NotificationKind::Alert => ExchangeKind::Alert,
                };
                let outcome = match (failure, reply) {
                    (Some(failure), _) => format!("not mailed: {failure}"),
                    (None, Some(reply)) => format!("relay answered {reply}"),
                    (None, None) => "no reply from the relay".to_owned(),
                };
                out.push(Exchange::new(
                    exchange_kind,
                    at_ms,
                    format!("{kind} error={error} mailed to {}: {outcome}", to.join(", ")),
                ));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use bytes::Bytes;
    use pens_parties::{TargetEvent, TargetEventKind};
    use pens_proto::ErrorCode;

    use super::this_run;

    fn event(exchange: u64, kind: TargetEventKind) -> TargetEvent {
        TargetEvent { at: Instant::now(), elapsed_ms: 0, exchange, key: Some("k".into()), package_id: None, kind }
    }

    fn collect(exchange: u64) -> TargetEvent {
        let kind = TargetEventKind::CollectReceived {
            method: "POST".into(),
            content_type: None,
            raw: Bytes::new(),
            pairs: vec![],
            scripted: true,
            answer: ErrorCode(0),
            expected: ErrorCode(0),
        };
        event(exchange, kind)
    }

    fn exchanges(events: &[TargetEvent]) -> Vec<u64> {
        events.iter().map(|e| e.exchange).collect()
    }

    #[test]
    fn collects_recorded_out_of_their_numbers_order_all_stay_in_the_run() {
        // Exchange 6 took its number after 5 but was recorded first.
        let own = vec![collect(6), collect(5), collect(7), event(5, TargetEventKind::ExchangeFinished)];
        assert_eq!(exchanges(&this_run(own, 0)), [6, 5, 7, 5]);
    }

    #[test]
    fn an_earlier_run_of_the_same_id_is_left_out() {
        let own = vec![collect(1), event(1, TargetEventKind::ExchangeFinished), collect(4), collect(3)];
        assert_eq!(exchanges(&this_run(own, 1)), [4, 3]);
        let nothing_new = vec![collect(1), event(1, TargetEventKind::ExchangeFinished)];
        assert!(this_run(nothing_new, 1).is_empty());
    }
}
