//! A peer that sent a scenario more than `[limits] notifications` allows: what was
//! beyond the cap was answered and counted, never kept, so it was not judged and the
//! check is `inconclusive`. Target mode meets it in receipts and alerts, client mode in
//! collects; the rule and its sentence are one.

use std::time::Instant;

use pens_parties::Overflow;
use pens_report::{CheckResult, Verdict};

/// How one mode names a flood.
pub(crate) struct FloodWords<'a> {
    /// Who sent it: `the target`.
    pub(crate) peer: &'a str,
    /// What it sent: `receipts and alerts`.
    pub(crate) what: &'a str,
    /// What became of the first ones: `kept`.
    pub(crate) taken: &'a str,
    /// How the rest were answered: `answered`, `answered 1440`.
    pub(crate) answered: &'a str,
    /// Since when the times count: `the collect was sent`.
    pub(crate) since: &'a str,
}

/// The `inconclusive` check for `overflow`, citing `requirement`; `offset_ms` gives an
/// instant in milliseconds since the scenario's start as the mode counts it.
pub(crate) fn check(
    overflow: &Overflow,
    words: &FloodWords<'_>,
    offset_ms: impl Fn(Instant) -> u64,
    requirement: &'static pens_proto::Requirement,
) -> CheckResult {
    let FloodWords { peer, what, taken, answered, since } = words;
    let message = format!(
        "{peer} sent more than {kept} {what} for this scenario ([limits] notifications): the first {kept} were \
         {taken} and judged, {dropped} more were {answered} and counted but not kept (the first of them {first} ms, \
         the last {last} ms after {since}); what was dropped was not judged",
        kept = overflow.kept,
        dropped = overflow.dropped,
        first = offset_ms(overflow.first),
        last = offset_ms(overflow.last),
    );
    CheckResult::new(Verdict::Inconclusive, requirement, message)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_flood_is_inconclusive_and_says_what_was_kept_dropped_and_when() {
        let start = Instant::now();
        let overflow = Overflow {
            kept: 2,
            dropped: 7,
            first: start + Duration::from_millis(40),
            last: start + Duration::from_millis(90),
        };
        let words = FloodWords {
            peer: "the tool",
            what: "collects",
            taken: "taken",
            answered: "answered 1440",
            since: "the scenario started",
        };
        let offset = |at: Instant| u64::try_from(at.duration_since(start).as_millis()).unwrap_or(u64::MAX);
        let check = check(&overflow, &words, offset, &pens_proto::req::CLIENT_STAGING_AVAILABLE);
        assert_eq!(check.verdict, Verdict::Inconclusive);
        assert_eq!(
            check.message,
            "the tool sent more than 2 collects for this scenario ([limits] notifications): the first 2 were taken \
             and judged, 7 more were answered 1440 and counted but not kept (the first of them 40 ms, the last 90 ms \
             after the scenario started); what was dropped was not judged"
        );
    }
}
