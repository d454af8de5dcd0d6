//! Collects our mock target refused before reading them whole (a body over
//! [`pens_parties::MAX_COLLECT_BYTES`], a URL or header block beyond the HTTP parser's
//! buffer): what arrived, why it was refused, and what CMI010 says about it.
//!
//! Such a collect did arrive: "no collect arrived within 60000 ms" would be false, and
//! would send a vendor after a publish that never happened. CMI010 sets no size a
//! collect must stay within: the only size it names is vendor-data's, 4096 characters,
//! the smallest maximum a target must accept (§6.2). So no clause makes a large collect
//! wrong, and the lenient rule applies: a warning that says what arrived, and the
//! scenario is inconclusive, since its collect could not be judged. A refusal whose
//! path names no scenario goes to the run's harness notes instead.

use pens_parties::{CollectRefusal, TargetEvent, TargetEventKind};
use pens_proto::req;
use pens_report::{CheckResult, HarnessNote, Verdict};

use super::evidence::ClientEvidence;

/// Why a refused collect is only a warning: CMI010's one size, quoted.
const NO_CLAUSE: &str = "CMI010 requires a target to accept vendor-data of at least 4096 characters (§6.2) and sets \
                         no larger limit on a collect, so no clause makes this one wrong: a warning, not a failure";

/// One warning per refused collect of the scenario, saying what arrived, when, and why
/// it was refused.
pub(crate) fn judge_refusals(evidence: &ClientEvidence) -> Vec<CheckResult> {
    evidence
        .refusals()
        .into_iter()
        .map(|(event, refusal)| {
            CheckResult::new(
                Verdict::Warn,
                &req::COLLECT_VENDOR_DATA_LENGTH,
                format!(
                    "a collect arrived {} ms after the scenario started ({} {}) but our target refused it before \
                     reading it whole: {}. {NO_CLAUSE}; its elements could not be judged",
                    evidence.offset_ms(event.at),
                    refusal.method,
                    refusal.path,
                    refusal.describe()
                ),
            )
            .expected_actual(
                format!("a collect our target reads whole (at most {} bytes)", refusal.limit),
                format!("HTTP {} after {} bytes", refusal.status, refusal.seen.max(refusal.declared.unwrap_or(0))),
            )
        })
        .collect()
}

/// In place of "no collect arrived": what did arrive, when all of it was refused.
pub(crate) fn nothing_judged(evidence: &ClientEvidence) -> Option<String> {
    let refusals = evidence.refusals();
    let (_, first) = refusals.first()?;
    let count = refusals.len();
    let what = if count == 1 { "a collect arrived".to_owned() } else { format!("{count} collects arrived") };
    Some(format!(
        "{what} but our target refused it before reading it whole ({}), so none could be judged",
        first.describe()
    ))
}

/// Refused collects whose path named no scenario (a path too long to read the key
/// from, or `/pens` itself): one note for the run, counted.
pub(crate) fn harness_notes(activity: &[TargetEvent]) -> Vec<HarnessNote> {
    let unowned: Vec<&CollectRefusal> = activity
        .iter()
        .filter(|e| e.key.is_none())
        .filter_map(|e| match &e.kind {
            TargetEventKind::CollectRefused { refusal } => Some(refusal),
            _ => None,
        })
        .collect();
    let Some(first) = unowned.first() else { return Vec::new() };
    let count = unowned.len() as u64;
    let bytes = unowned.iter().map(|r| r.seen).fold(0u64, u64::saturating_add);
    vec![HarnessNote {
        kind: "collect-refused".to_owned(),
        party: "mock-target".to_owned(),
        count,
        bytes: Some(bytes),
        message: format!(
            "{count} collect(s) arrived at a URL naming no scenario and were refused before they were read whole; \
             the first: {first}. No scenario's verdict rests on them; a scenario whose collect this was reports it \
             missing"
        ),
    }]
}
