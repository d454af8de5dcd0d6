//! Observe mode as a [`Mode`] of the engine: one scenario per publish the relay sees,
//! in arrival order (`publish-001`, ...), gathered with the deadlines target mode uses
//! and judged by [`super::judge`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pens_parties::TargetEventKind;
use pens_proto::NotificationKind;
use pens_relay::{Leg, PublishRecord, Relay};
use pens_report::{CheckResult, HarnessNote, ScenarioResult, TargetInfo, Verdict};
use pens_scenario::{Span, Spanned};
use time::OffsetDateTime;

use super::ObserveOptions;
use crate::engine::{Identity, Mode, Outcome, RunEvent, Settled};
use crate::step::{Steps, deadline_after};

/// One publish to wait for: the `number`-th the relay sees.
#[derive(Clone)]
pub(crate) struct Publish {
    id: Spanned<String>,
    title: Spanned<String>,
    number: usize,
}

impl Publish {
    pub(crate) fn numbered(number: usize) -> Self {
        let spanned = |text: String| Spanned::new(text, Span::default());
        Publish { id: spanned(format!("publish-{number:03}")), title: spanned(format!("publish {number}")), number }
    }
}

/// Observe mode: the relay and what its publishes share.
pub(crate) struct ObserveMode {
    relay: Arc<Relay>,
    options: ObserveOptions,
    /// The keys of the publishes seen so far, in arrival order (filled by `arrivals`).
    keys: tokio::sync::watch::Receiver<Vec<String>>,
    /// Takes each publish's key from the relay as it comes; stopped with the mode.
    arrivals: tokio::task::JoinHandle<()>,
    /// When the run stops taking publishes (`--duration`).
    ends: Option<Instant>,
    /// Each publish's title, once its collect has shown what it publishes.
    titles: Mutex<HashMap<String, String>>,
}

impl Drop for ObserveMode {
    fn drop(&mut self) {
        self.arrivals.abort();
    }
}

impl ObserveMode {
    /// The mode over a started relay. Must be called inside a Tokio runtime.
    pub(crate) fn new(relay: Relay, options: ObserveOptions) -> Self {
        let relay = Arc::new(relay);
        let (sender, keys) = tokio::sync::watch::channel(Vec::new());
        let arrivals = {
            let relay = Arc::clone(&relay);
            tokio::spawn(async move {
                while let Some(key) = relay.next_publish().await {
                    sender.send_modify(|keys| keys.push(key));
                }
            })
        };
        let ends = options.duration.map(|duration| Instant::now() + duration);
        ObserveMode { relay, options, keys, arrivals, ends, titles: Mutex::new(HashMap::new()) }
    }

    /// Where the tool publishes.
    pub(crate) fn collect_url(&self) -> String {
        self.relay.collect_url()
    }

    /// The key of the `number`-th publish, waiting for it; `None` once the run is over
    /// (a publish that arrived after `--duration` is not taken).
    async fn publish(&self, number: usize) -> Option<String> {
        let mut keys = self.keys.clone();
        let ends = async {
            match self.ends {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        let key = tokio::select! {
            biased;
            found = keys.wait_for(|keys| keys.len() >= number) => found.ok()?.get(number - 1).cloned()?,
            () = ends => return None,
        };
        let arrived = self.relay.record(&key)?.started;
        self.ends.is_none_or(|ends| arrived <= ends).then_some(key)
    }

    /// How long the relay waits for the target's answer to a collect (then it answers
    /// the tool 504): [`ObserveOptions::relay_answer_wait`].
    fn answer_wait(&self) -> Duration {
        self.options.relay_answer_wait()
    }

    /// Waits, with target mode's deadlines from the collect's arrival, until the publish
    /// is over: the answer relayed, then (after a success) the receipt relayed and the
    /// tool's answer to it, then the quiet window.
    async fn follow(&self, key: &str, steps: &Steps) -> Option<PublishRecord> {
        let started = self.relay.record(key)?.started;
        let deadlines = self.options.deadlines;
        steps.enter("waiting for the target's answer to the collect");
        let answered = deadline_after(started, self.answer_wait() + Duration::from_secs(1));
        let record = self.relay.wait_for(key, answered, |r| r.answer.is_some()).await?;
        let success = record
            .collect
            .as_ref()
            .and_then(|c| c.outcome.as_ref().ok())
            .and_then(|a| pens_proto::parse_response(&a.body).error)
            .is_some_and(|code| code.is_success());
        let receipt_relayed = record.rewrites.iter().any(|r| r.element == "receipt" && r.rewritten.is_some());
        if success && receipt_relayed {
            steps.enter("waiting for the receipt and the tool's answer to it");
            let deadline = deadline_after(started, deadlines.receipt + self.options.answers);
            self.relay.wait_for(key, deadline, receipt_done).await;
        }
        if !deadlines.quiet.is_zero() {
            // An observation window, as in target mode: what must not happen (a second
            // receipt, a late alert) can only be seen by watching.
            steps.enter("watching for what must not happen (the quiet window)");
            tokio::time::sleep(deadlines.quiet).await;
        }
        self.relay.record(key)
    }
}

/// Whether the receipt has been passed on to the tool (and answered), or could not be.
fn receipt_done(record: &PublishRecord) -> bool {
    record.not_relayed.iter().any(|n| n.leg == Leg::Receipt)
        || record.client_side.iter().any(|e| {
            matches!(&e.kind,
                TargetEventKind::NotificationSent { kind, .. } | TargetEventKind::NotificationMailed { kind, .. }
                    if *kind == NotificationKind::Receipt)
        })
}

impl Mode for ObserveMode {
    type Scenario = Publish;

    fn identity(publish: &Publish) -> Identity<'_> {
        Identity {
            id: &publish.id,
            title: &publish.title,
            source: Path::new("observe"),
            requirements: &[],
            tags: &[],
            level: pens_scenario::ScenarioLevel::Must,
        }
    }

    fn main_requirement(_: &Publish) -> &'static pens_proto::Requirement {
        &pens_proto::req::TARGET_ACK_SYNCHRONOUS
    }

    /// Publishes that overlap are followed at once.
    fn jobs(&self) -> usize {
        16
    }

    fn order(&self, selected: Vec<Publish>) -> Vec<Publish> {
        selected
    }

    /// The wait for the publish itself (to the end of `--duration`, or unbounded), then
    /// its answer, receipt, the tool's answer and the quiet window, and the grace.
    fn budget(&self, _: &Publish) -> Duration {
        let deadlines = self.options.deadlines;
        let follow = [deadlines.receipt, self.options.answers, deadlines.quiet, self.options.limits.scenario_grace]
            .into_iter()
            .fold(self.answer_wait(), Duration::saturating_add);
        match self.options.duration {
            Some(duration) => duration.saturating_add(follow),
            None => Duration::from_secs(365 * 24 * 60 * 60),
        }
    }

    fn started(&self, _: usize) -> RunEvent {
        RunEvent::ObserveStarted {
            collect_url: self.relay.collect_url(),
            target: pens_proto::redact_userinfo(&self.options.target_url),
            publishes: self.options.publishes,
        }
    }

    async fn run_scenario(
        &self,
        publish: &Publish,
        steps: &Steps,
        _: &tokio::sync::mpsc::UnboundedSender<RunEvent>,
    ) -> Outcome {
        steps.enter("waiting for the tool to publish");
        let Some(key) = self.publish(publish.number).await else { return Outcome::Unobserved };
        let Some(record) = self.follow(&key, steps).await else {
            return Outcome::HarnessError(format!("the relay lost publish {key}"));
        };
        let started_utc = OffsetDateTime::now_utc() - record.started.elapsed();
        let title = format!(
            "publish of {} at {}",
            record.package_id.as_deref().map_or("(no package-id)".to_owned(), pens_proto::redact),
            pens_proto::format_expiry(started_utc)
        );
        self.titles.lock().unwrap_or_else(PoisonError::into_inner).insert(publish.id.value.clone(), title);
        steps.enter("judging");
        let options = self.options.clone();
        let tls_failures = self.relay.tls_failures_since(record.started).into_iter().map(|f| f.error).collect();
        let judged =
            tokio::task::spawn_blocking(move || super::judge_record(&record, &options, started_utc, tls_failures))
                .await;
        // Judged: its record and package copy go, so memory and disk stay bounded
        // however long the run watches.
        self.relay.forget(&key);
        match judged {
            Ok(judged) => Outcome::Judged(judged),
            Err(error) => Outcome::HarnessError(format!("judging stopped: {error}")),
        }
    }

    fn checked_nothing(_: &Publish) -> CheckResult {
        CheckResult::new(Verdict::Error, &pens_proto::req::TARGET_ACK_SYNCHRONOUS, "the publish checked nothing")
    }

    /// The title names what was published, once it is known.
    fn settle(&self, _: &Publish, mut result: ScenarioResult) -> Settled {
        if let Some(title) = self.titles.lock().unwrap_or_else(PoisonError::into_inner).remove(&result.id) {
            result.title = title;
        }
        Settled::Now(result)
    }

    /// Once `--duration` is over, no publish that has not begun is waited for.
    fn exhausted(&self) -> bool {
        self.ends.is_some_and(|at| Instant::now() >= at)
    }

    fn harness_notes(&self, _: Instant) -> Vec<HarnessNote> {
        let overflow = self.relay.overflow();
        (overflow > 0)
            .then(|| HarnessNote {
                kind: "publishes-refused".into(),
                party: "relay".into(),
                count: overflow,
                bytes: None,
                message: format!("{overflow} collect(s) beyond the publishes the relay records were answered 503"),
            })
            .into_iter()
            .collect()
    }

    fn target_info(&self) -> TargetInfo {
        TargetInfo {
            url: pens_proto::redact_userinfo(&self.options.target_url),
            name: self.options.target_name.clone(),
            claims: self.options.claims.clone(),
            observed: Vec::new(),
        }
    }

    fn name(&self) -> &'static str {
        "observe"
    }

    fn harness_version(&self) -> &str {
        &self.options.harness_version
    }
}
