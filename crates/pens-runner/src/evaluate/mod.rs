//! Judging the evidence of one scenario against its expectations: pure functions from
//! [`Evidence`] and the plan to [`CheckResult`]s.

mod alerts;
mod fetch;
mod receipt;
mod response;

use pens_report::{CheckResult, Verdict};

use crate::evidence::Evidence;
use crate::plan::{ExpectSet, Expectations};

/// The checks of a scenario, and a note saying which alternative decided it.
pub(crate) struct Judgement {
    pub(crate) checks: Vec<CheckResult>,
    pub(crate) note: Option<String>,
}

/// What the run settings add to the evaluation.
pub(crate) struct Settings<'a> {
    /// The scenario's first requirement: cited when a plain success is missing.
    pub(crate) main_requirement: &'static pens_proto::Requirement,
    /// Deadlines, for messages.
    pub(crate) deadlines: &'a crate::Deadlines,
}

/// Judges the evidence: the common expectations always, and the first alternative that
/// holds entirely (or, when none does, the closest one, with a note).
pub(crate) fn judge(evidence: &Evidence, expectations: &Expectations, settings: &Settings<'_>) -> Judgement {
    let mut checks = judge_set(evidence, &expectations.common, settings);
    if expectations.any_of.is_empty() {
        return Judgement { checks, note: None };
    }
    let judged: Vec<Vec<CheckResult>> =
        expectations.any_of.iter().map(|set| judge_set(evidence, set, settings)).collect();
    let total = judged.len();
    let failures = |set: &[CheckResult]| set.iter().filter(|c| c.verdict >= Verdict::Fail).count();
    let (index, chosen) = match judged.iter().enumerate().find(|(_, set)| failures(set) == 0) {
        Some((index, _)) => (index, format!("alternative {} of {total} holds", index + 1)),
        None => {
            let (index, _) = judged.iter().enumerate().min_by_key(|(_, set)| failures(set)).unwrap_or((0, &judged[0]));
            (index, format!("no alternative holds; the closest is {} of {total}", index + 1))
        }
    };
    checks.extend(judged.into_iter().nth(index).unwrap_or_default());
    Judgement { checks, note: Some(chosen) }
}

fn judge_set(evidence: &Evidence, set: &ExpectSet, settings: &Settings<'_>) -> Vec<CheckResult> {
    let mut checks = Vec::new();
    if let Some(expect) = &set.response {
        checks.extend(response::judge(evidence, expect, settings));
    }
    if let Some(expect) = &set.fetch {
        checks.extend(fetch::judge(evidence, expect, settings));
    }
    if let Some(expect) = &set.receipt {
        checks.extend(receipt::judge(evidence, expect, settings));
    }
    if let Some(expect) = &set.alerts {
        checks.extend(alerts::judge(evidence, expect));
    }
    checks
}

/// `[2011]`, `[1304 or 0]`: a list of codes for messages.
pub(crate) fn codes_text(codes: &[u16]) -> String {
    let shown: Vec<String> = codes.iter().map(u16::to_string).collect();
    match shown.len() {
        0 => "(none)".to_owned(),
        1 => shown[0].clone(),
        _ => format!("one of {}", shown.join(", ")),
    }
}
