//! The report, built from the engine's events alone.
//!
//! A normal run, a run stopped by Ctrl-C and an empty partition make their report the
//! same way: a [`ReportBuilder`] hears the events of the run (none, for an empty
//! partition) and is finished. Nothing else assembles a [`RunReport`], so a field added
//! to the report is filled in one place.

use std::time::Instant;

use pens_report::{FORMAT_VERSION, Harness, RunReport, ScenarioResult, Summary, TargetInfo};
use time::OffsetDateTime;

use super::RunEvent;

/// Gathers a run's report from its [`RunEvent`]s.
#[derive(Debug)]
pub struct ReportBuilder {
    mode: String,
    harness_version: String,
    started_at: OffsetDateTime,
    clock: Instant,
    target: TargetInfo,
    results: Vec<ScenarioResult>,
    aborted: Option<String>,
    harness_notes: Vec<pens_report::HarnessNote>,
}

impl ReportBuilder {
    /// A run of `mode` (`target`, `client`) against `target`, starting now.
    pub fn new(mode: &str, harness_version: &str, target: TargetInfo) -> Self {
        ReportBuilder {
            mode: mode.to_owned(),
            harness_version: harness_version.to_owned(),
            started_at: OffsetDateTime::now_utc(),
            clock: Instant::now(),
            target,
            results: Vec::new(),
            aborted: None,
            harness_notes: Vec::new(),
        }
    }

    /// The same, for a run that began at `started_at` (`clock` on the monotonic clock)
    /// rather than now: the engine's parties start before its first event.
    pub(crate) fn since(mut self, started_at: OffsetDateTime, clock: Instant) -> Self {
        self.started_at = started_at;
        self.clock = clock;
        self
    }

    /// Takes in what `event` adds to the report.
    pub fn record(&mut self, event: &RunEvent) {
        match event {
            RunEvent::ClientStarted { target, .. } => self.target.url.clone_from(target),
            RunEvent::ScenarioFinished(result) | RunEvent::ScenarioNotRun(result) => self.results.push(result.clone()),
            RunEvent::Aborted { reason } => self.aborted = Some(reason.clone()),
            RunEvent::RunFinished { observed, harness_notes } => {
                self.target.observed.clone_from(observed);
                self.harness_notes.extend(harness_notes.iter().cloned());
            }
            RunEvent::Started { .. }
            | RunEvent::PreflightPassed { .. }
            | RunEvent::ScenarioStarted { .. }
            | RunEvent::ObserveStarted { .. }
            | RunEvent::AwaitingPublish { .. } => {}
        }
    }

    /// How many scenarios have finished so far (not counting those marked not run).
    pub fn finished(&self) -> usize {
        self.results.iter().filter(|result| !result.is_not_run()).count()
    }

    /// The report: scenarios in id order, counted; the run's duration up to now.
    pub fn finish(mut self) -> RunReport {
        self.results.sort_by(|a, b| a.id.cmp(&b.id));
        RunReport {
            format_version: FORMAT_VERSION,
            harness: Harness { name: "pens-conform".into(), version: self.harness_version },
            mode: self.mode,
            started_at: pens_proto::format_expiry(self.started_at),
            duration_ms: u64::try_from(self.clock.elapsed().as_millis()).unwrap_or(u64::MAX),
            target: self.target,
            summary: Summary::of(&self.results),
            aborted: self.aborted,
            baseline: None,
            scenario_digest: None,
            scenario_set: None,
            harness_notes: self.harness_notes,
            partition: None,
            merged_from: None,
            scenarios: self.results,
        }
    }
}

#[cfg(test)]
mod tests {
    use pens_report::{HarnessNote, Verdict};

    use super::*;

    fn target() -> TargetInfo {
        TargetInfo { url: String::new(), name: None, claims: Default::default(), observed: Vec::new() }
    }

    #[test]
    fn a_run_without_events_is_an_empty_complete_report() {
        let report = ReportBuilder::new("target", "1.2.3", target()).finish();
        assert_eq!((report.mode.as_str(), report.harness.version.as_str()), ("target", "1.2.3"));
        assert!(report.scenarios.is_empty() && report.aborted.is_none() && report.harness_notes.is_empty());
        assert_eq!(report.summary, Summary::of(&[]));
    }

    #[test]
    fn finished_and_not_run_scenarios_are_reported_in_id_order_with_the_reason_and_notes() {
        let mut builder = ReportBuilder::new("client", "1", target());
        builder.record(&RunEvent::ClientStarted { target: "http://127.0.0.1:9/pens".into(), scenarios: 2 });
        builder.record(&RunEvent::ScenarioStarted { scenario: "b".into() });
        builder.record(&RunEvent::ScenarioFinished(ScenarioResult::new("b", "B", "b.toml", Verdict::Fail)));
        let not_run = crate::engine::not_run(ScenarioResult::new("a", "A", "a.toml", Verdict::Inconclusive));
        builder.record(&RunEvent::ScenarioNotRun(not_run));
        builder.record(&RunEvent::Aborted { reason: "the trigger is dead".into() });
        let note = HarnessNote {
            kind: "unsolicited-traffic".into(),
            party: "mock-target".into(),
            count: 1,
            bytes: None,
            message: "a note".into(),
        };
        builder.record(&RunEvent::RunFinished { observed: Vec::new(), harness_notes: vec![note.clone()] });
        assert_eq!(builder.finished(), 1);
        let report = builder.finish();
        let ids: Vec<&str> = report.scenarios.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(report.target.url, "http://127.0.0.1:9/pens");
        assert_eq!(report.aborted.as_deref(), Some("the trigger is dead"));
        assert_eq!(report.harness_notes, vec![note]);
        assert_eq!((report.summary.fail, report.summary.inconclusive), (1, 1));
    }
}
