//! The order of the exchange (CMI010 §5, App. A §2): answer, then fetch, then receipt.
//!
//! CMI010 §5 has the target acknowledge the collect at once (a synchronous answer), and
//! App. A §2 walks through a successful exchange in this order: the target answers
//! `error=0`, fetches the package, then sends the receipt. The order is shown only as
//! an example exchange, and "at once" is judged on its own by the ack deadline
//! (`target.ack.synchronous`, a failure when the answer is late). So a target that
//! fetches, or even sends its receipt, before it answers (a synchronous importer, as
//! php-pens is under PHP's built-in server) gets a **warning**, never a failure; its
//! message says why.
//!
//! "Before" is judged on the harness's own monotonic clock (`Instant`, never the
//! millisecond offsets of the report, whose rounding could order two events wrongly):
//! when the staging server or the collector saw the request arrive, against when the
//! harness had read the answer's head. A request that arrived while the answer was
//! being read (between its head and its last byte) is concurrent with it, not before
//! it, and is not flagged.
//!
//! Nor is one that arrived less than [`SLACK`] (half a second) before the head. A
//! correct target may start its job the moment it has decided to answer 0, while its
//! answer is still being written: the reference target's fetch reaches staging in the
//! same millisecond as its answer, on either side of it, and a fetch that fails at once
//! (an unreachable URL) is followed by its receipt just as fast. And a busy harness reads
//! an answer late: with ten collects at once beside other runs, the reference target's
//! fetch was stamped up to 160 ms before the harness got round to the answer it had sent
//! first.
//!
//! What makes half a second enough to catch a synchronous importer whose package is
//! small: the collector holds its answer to a receipt until the runner has read the
//! answer to the collect, for at most [`pens_parties::RECEIPT_HOLD`] (two seconds). A
//! target that answered first is released at once; one whose answer waits for its
//! receipt's answer now answers two seconds after its receipt, and php-pens, whose
//! answer waits up to a second for its own import request, about a second after. Once
//! the fetch is flagged, the job ran before the answer, so a receipt that arrived ahead
//! of the answer's head at all is flagged with it.
//!
//! Where the import does not wait on its receipt, timing cannot flag an import of a few
//! milliseconds. `answer-before-fetch` makes it
//! certain instead: its staging server holds the package until the harness has read the
//! answer (`after-answer`), so a synchronous importer waits on itself and gives no answer
//! within the ack deadline, which the response check fails. When no answer came in time
//! but the target had asked for the package while its answer was owed, an `info` check
//! says so: it is what a synchronous import looks like, though from one scenario the
//! harness cannot tell it from an answer late for another reason, and the message says
//! that too.

use std::time::{Duration, Instant};

use pens_proto::req;
use pens_report::{CheckResult, Verdict};

use crate::evidence::Evidence;

/// How much earlier than the answer's head a request must have arrived to count as
/// before it, rather than concurrent with the answer being written and read.
pub(crate) const SLACK: Duration = Duration::from_millis(500);

/// Why the order only warns, quoted in every message.
const WHY_WARN: &str = "CMI010 §5 has the target answer the collect at once, and App. A §2 shows the order \
     answer, fetch, receipt, but only as an example exchange; the text does not forbid another order, so this \
     warns (a late answer fails target.ack.synchronous on its own)";

/// Warnings for a fetch and a receipt that came before the answer; nothing when the
/// order holds. When no answer came within `ack`, the ack deadline, an `info` check on
/// a fetch that came before that deadline.
pub(crate) fn judge(evidence: &Evidence, ack: Duration) -> Vec<CheckResult> {
    let Some(answered) = evidence.exchange.answer_started else {
        return unanswered(evidence, ack).into_iter().collect();
    };
    let before = |at: Instant| at + SLACK < answered;
    let mut checks = Vec::new();
    if let Some(fetch) = evidence.staging.iter().filter(|e| before(e.at)).min_by_key(|e| e.at) {
        checks.push(CheckResult::new(
            Verdict::Warn,
            &req::TARGET_ACK_SYNCHRONOUS,
            format!(
                "the target requested the package ({} {}) {} ms before its answer to the collect arrived: {WHY_WARN}",
                fetch.method,
                fetch.path,
                answered.saturating_duration_since(fetch.at).as_millis()
            ),
        ));
    }
    // Once the fetch was clearly before the answer, the target's job ran before it, and a
    // receipt that arrived ahead of the answer's head at all is the end of that job.
    let job_first = !checks.is_empty();
    let receipts = evidence.receipts();
    let receipt_before = |at: Instant| before(at) || (job_first && at < answered);
    if let Some(receipt) = receipts.iter().filter(|r| receipt_before(r.at)).min_by_key(|r| r.at) {
        let code = receipt.notification.error.as_deref().unwrap_or("no error");
        checks.push(CheckResult::new(
            Verdict::Warn,
            &req::TARGET_ACK_SYNCHRONOUS,
            format!(
                "the receipt ({code}) arrived {} ms before the answer to the collect: the target answered only after \
                 it had fetched the package and sent the receipt; a client that matches the receipt with a collect it \
                 has not yet seen answered may refuse it. {WHY_WARN}",
                answered.saturating_duration_since(receipt.at).as_millis()
            ),
        ));
    }
    checks
}

/// When the answer never came in time: the first package request the target made while
/// its answer was owed (before the ack deadline), as a diagnosis of the late answer (the
/// response check fails it).
fn unanswered(evidence: &Evidence, ack: Duration) -> Option<CheckResult> {
    let exchange = &evidence.exchange;
    if !exchange.timed_out {
        return None;
    }
    let owed = |at: Instant| at >= exchange.started && at < exchange.started + ack;
    let fetch = evidence.staging.iter().filter(|e| owed(e.at)).min_by_key(|e| e.at)?;
    Some(CheckResult::new(
        Verdict::Info,
        &req::TARGET_ACK_SYNCHRONOUS,
        format!(
            "no answer came within the ack deadline, yet the target requested the package ({} {}) {} ms after the \
             collect was sent: it was fetching while its answer was still owed. That is what a synchronous import \
             looks like (the answer waits for the import, and the import for the package, which a slow or holding \
             staging server delays); from this scenario alone the harness cannot tell it from an answer late for \
             another reason",
            fetch.method,
            fetch.path,
            fetch.at.saturating_duration_since(exchange.started).as_millis()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use pens_report::Verdict;

    use super::judge;
    use crate::evaluate::testing::{outline, valid};

    const ACK_MS: u64 = 3000;
    const ACK: std::time::Duration = std::time::Duration::from_millis(ACK_MS);

    #[test]
    fn in_order_nothing_is_said() {
        let evidence = valid().answered_with(0).answered_between(10, 12).downloaded(15, 20).receipt(30, 0);
        assert!(judge(&evidence, ACK).is_empty());
    }

    #[test]
    fn a_receipt_and_a_fetch_before_the_answer_warn_and_say_why() {
        // A synchronous importer: fetch, receipt, and only then the answer.
        let evidence = valid().downloaded(5, 1040).receipt(1060, 0).answered_with(0).answered_between(2200, 2201);
        let checks = judge(&evidence, ACK);
        assert_eq!(
            outline(&checks),
            [(Verdict::Warn, "target.ack.synchronous"), (Verdict::Warn, "target.ack.synchronous")]
        );
        assert!(
            checks[0].message.starts_with("the target requested the package (GET /s/unit/"),
            "{}",
            checks[0].message
        );
        assert!(checks[0].message.contains("2195 ms before"), "{}", checks[0].message);
        assert!(
            checks[1].message.starts_with("the receipt (0) arrived 1140 ms before the answer"),
            "{}",
            checks[1].message
        );
        for check in &checks {
            assert!(
                check.message.contains("App. A §2") && check.message.contains("only as an example"),
                "{}",
                check.message
            );
        }
    }

    #[test]
    fn a_receipt_while_the_answer_is_read_is_concurrent_not_before() {
        // The head came at 100 ms, the last byte at 300 ms; the receipt at 150 ms.
        let evidence = valid().answered_with(0).answered_between(100, 300).receipt(150, 0);
        assert!(judge(&evidence, ACK).is_empty());
    }

    #[test]
    fn within_the_slack_a_request_is_concurrent_with_the_answer() {
        // A target that starts its job while its answer is on the way, read by a busy
        // harness 400 ms later.
        let evidence = valid().answered_with(0).answered_between(450, 451).receipt(60, 1310).downloaded(50, 55);
        assert!(judge(&evidence, ACK).is_empty());
        let evidence = valid().answered_with(0).answered_between(600, 601).receipt(40, 0);
        assert_eq!(outline(&judge(&evidence, ACK)), [(Verdict::Warn, "target.ack.synchronous")]);
    }

    #[test]
    fn after_a_fetch_well_before_the_answer_a_receipt_just_before_it_is_flagged_too() {
        // A synchronous importer of a slow package: fetch at 5 ms, receipt 2 ms before
        // the answer's head at 2000 ms.
        let evidence = valid().downloaded(5, 1990).receipt(1998, 0).answered_with(0).answered_between(2000, 2001);
        let checks = judge(&evidence, ACK);
        assert_eq!(
            outline(&checks),
            [(Verdict::Warn, "target.ack.synchronous"), (Verdict::Warn, "target.ack.synchronous")]
        );
        assert!(
            checks[1].message.starts_with("the receipt (0) arrived 2 ms before the answer"),
            "{}",
            checks[1].message
        );
    }

    #[test]
    fn without_an_answer_there_is_nothing_to_order_by_but_a_fetch_while_it_was_owed_is_said() {
        let evidence = valid().unanswered().downloaded(5, 10).receipt(20, 0);
        let checks = judge(&evidence, ACK);
        assert_eq!(outline(&checks), [(Verdict::Info, "target.ack.synchronous")]);
        let message = &checks[0].message;
        assert!(message.contains("(GET /s/unit/") && message.contains(" 5 ms after the collect"), "{message}");
        assert!(message.contains("synchronous import") && message.contains("cannot tell"), "{message}");
        // Nothing fetched: nothing to say about the order.
        assert!(judge(&valid().unanswered(), ACK).is_empty());
        // A fetch after the deadline says nothing about why the answer was late.
        assert!(judge(&valid().unanswered().downloaded(ACK_MS + 5, ACK_MS + 10), ACK).is_empty());
    }
}
