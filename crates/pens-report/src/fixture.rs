//! Reports for unit tests: a run of the given scenarios against a loopback target,
//! every other field at a fixed, neutral value, so that a test states only what it is
//! about.

use crate::model::{Harness, RunReport, ScenarioResult, Summary, TargetInfo};

/// A target-mode run of `scenarios` (summary counted from them) against
/// `http://127.0.0.1:1/pens`, not aborted, with no baseline, digest or partition.
pub(crate) fn report(scenarios: Vec<ScenarioResult>) -> RunReport {
    RunReport {
        format_version: crate::FORMAT_VERSION,
        harness: Harness { name: "pens-conform".into(), version: "0".into() },
        mode: "target".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        duration_ms: 1,
        target: TargetInfo {
            url: "http://127.0.0.1:1/pens".into(),
            name: None,
            claims: Default::default(),
            observed: Vec::new(),
        },
        summary: Summary::of(&scenarios),
        aborted: None,
        baseline: None,
        scenario_digest: None,
        scenario_set: None,
        harness_notes: Vec::new(),
        partition: None,
        merged_from: None,
        scenarios,
    }
}
