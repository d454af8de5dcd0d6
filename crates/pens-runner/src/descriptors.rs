//! What the harness's own descriptors did to a run: scenarios that ran while the harness
//! had none left are inconclusive, and the report says so once, with the open-file
//! limit; passive FTP listeners refused at their cap are noted too.
//!
//! When the process runs out of file descriptors, its listeners cannot accept: the
//! implementation's fetch, receipt or collect waits in the kernel's backlog or is lost,
//! through no fault of the implementation, and a scenario that waited for it would fail
//! ("never requested", "no receipt arrived"). `pens-parties` writes every such failure down
//! ([`pens_parties::exhaustion_between`]); a scenario that ran meanwhile may have lost its
//! evidence, so its verdict cannot be trusted either way (a fetch that never came could
//! also make a "must not fetch" check pass): it becomes inconclusive, never a failure,
//! with a check saying why.

use std::time::Instant;

use pens_report::{CheckResult, HarnessNote, ScenarioResult, Verdict};

/// Makes `result` inconclusive when the harness ran out of descriptors between
/// `started` and `ended`: each judged check that is not a pass says it may be the
/// harness's doing and becomes inconclusive, and a check citing `requirement` says why.
/// Results that were not judged (not applicable, already inconclusive, a harness
/// error) are left as they are.
pub(crate) fn judge_window(
    result: &mut ScenarioResult,
    started: Instant,
    ended: Instant,
    requirement: &'static pens_proto::Requirement,
) {
    if !matches!(result.verdict, Verdict::Pass | Verdict::Info | Verdict::Warn | Verdict::Fail) {
        return;
    }
    if !pens_parties::exhaustion_between(started, ended) {
        return;
    }
    for check in result.checks.iter_mut().filter(|c| matches!(c.verdict, Verdict::Warn | Verdict::Fail)) {
        check.message = format!(
            "{} (not judged: the harness ran out of file descriptors meanwhile, so what it missed may be its \
             own doing)",
            check.message
        );
        check.verdict = Verdict::Inconclusive;
    }
    let limit = limit_text();
    result.checks.push(CheckResult::new(
        Verdict::Inconclusive,
        requirement,
        format!(
            "inconclusive: the harness ran out of file descriptors while this scenario ran (open-file limit \
             {limit}), so connections from the implementation may have waited or been lost; its evidence cannot \
             be trusted either way"
        ),
    ));
    result.note = Some(match result.note.take() {
        Some(note) => format!("{note}; the harness ran out of file descriptors meanwhile"),
        None => "the harness ran out of file descriptors meanwhile".to_owned(),
    });
    result.verdict = Verdict::worst(result.checks.iter().map(|c| c.verdict));
}

/// The run's `descriptors-exhausted` notes (one per party that met it since `since`)
/// and its `passive-listeners-capped` note (`capped` PASV/EPSV answered 425, at most
/// `cap` open at once).
pub(crate) fn notes(since: Instant, passive: Option<(u64, usize)>) -> Vec<HarnessNote> {
    let limit = limit_text();
    let mut notes: Vec<HarnessNote> = pens_parties::exhaustion_since(since)
        .into_iter()
        .map(|exhausted| HarnessNote {
            kind: "descriptors-exhausted".to_owned(),
            party: exhausted.party.to_owned(),
            count: exhausted.count,
            bytes: None,
            message: format!(
                "the harness ran out of file descriptors ({}; open-file limit {limit}): {} connection(s) or \
                 passive listener(s) could not be opened, over {} ms; scenarios running meanwhile are \
                 inconclusive. Raise the limit (`ulimit -n`) or look for what held the descriptors",
                exhausted.error,
                exhausted.count,
                exhausted.last.duration_since(exhausted.first).as_millis()
            ),
        })
        .collect();
    if let Some((capped, cap)) = passive.filter(|(capped, _)| *capped > 0) {
        notes.push(HarnessNote {
            kind: "passive-listeners-capped".to_owned(),
            party: "ftp-staging".to_owned(),
            count: capped,
            bytes: None,
            message: format!(
                "{capped} PASV/EPSV command(s) were answered 425: {cap} passive FTP listeners were open at once, the \
                 most allowed ([limits] passive-listeners; each control connection keeps only its last one). A \
                 target that fetches one package at a time never meets it"
            ),
        });
    }
    notes
}

/// The open-file limit as the notes give it.
fn limit_text() -> String {
    pens_parties::open_file_limit().map_or_else(|| "unknown".to_owned(), |limit| limit.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(verdict: Verdict) -> ScenarioResult {
        let mut result = ScenarioResult::new("s", "t", "f", Verdict::Pass);
        result.checks.push(CheckResult::new(verdict, &pens_proto::req::TARGET_ACCEPTS_POST, "seen"));
        result.settle_verdict();
        result
    }

    #[test]
    fn without_exhaustion_nothing_changes_and_no_note_is_made() {
        let now = Instant::now();
        let mut result = judged(Verdict::Fail);
        judge_window(&mut result, now, now, &pens_proto::req::TARGET_ACCEPTS_POST);
        assert_eq!(result.verdict, Verdict::Fail);
        assert!(notes(Instant::now(), Some((0, 64))).is_empty());
    }

    #[test]
    fn capped_passive_listeners_are_noted() {
        let notes = notes(Instant::now(), Some((7, 16)));
        assert_eq!(notes.len(), 1);
        assert_eq!(
            (notes[0].kind.as_str(), notes[0].party.as_str(), notes[0].count),
            ("passive-listeners-capped", "ftp-staging", 7)
        );
        assert!(notes[0].message.contains("16 passive FTP listeners"), "{}", notes[0].message);
    }
}
