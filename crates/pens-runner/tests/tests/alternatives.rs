//! Scenarios whose `[expect]` has alternatives (CMI010 leaves *when* a problem is
//! reported open: in the answer, or in the receipt after an answer of 0). When none
//! holds, the note says for each alternative what it required, what was observed and
//! what was missing, not just "the closest is 1 of 2".

use std::time::Duration;

use pens_report::{ScenarioResult, Verdict};
use pens_runner::Deadlines;

use crate::discovery::http_only_target_that_accepts_everything;
use crate::support;

fn deadlines() -> Deadlines {
    Deadlines {
        ack: Duration::from_millis(1500),
        fetch: Duration::from_millis(1000),
        receipt: Duration::from_millis(1200),
        quiet: Duration::from_millis(100),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_no_alternative_holds_each_one_says_what_was_observed_and_what_is_missing() {
    let target = http_only_target_that_accepts_everything().await;
    let scenarios = support::target_scenarios_named(&["ftps-not-claimed", "package-url-unknown-scheme"]);
    let mut options = support::options(format!("{}/pens", target.uri()), deadlines());
    options.jobs = 2;
    let report = support::run(&scenarios, &options).await;
    let problems = support::describe_problems(&report);
    let scenario = |id: &str| -> &ScenarioResult {
        report.scenarios.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("{id} ran: {problems}"))
    };

    // ftps-not-claimed: 1306 at once, or 0 and then a 1306 receipt. The answer was 0 and
    // no receipt came, however long the harness waited.
    let ftps = scenario("ftps-not-claimed");
    assert_eq!(ftps.verdict, Verdict::Fail, "{problems}");
    let note = ftps.note.as_deref().unwrap_or_default();
    for part in [
        "alternative 1 (answer 1306): the answer was error=0 — missing",
        "alternative 2 (answer 0, then a receipt with error 1306): the answer was error=0 — held, no receipt came \
         within ",
        "(the receipt deadline is 1200 ms) — missing",
    ] {
        assert!(note.contains(part), "`{part}` not in the note: {note}");
    }
    let waited: u64 = note
        .split("no receipt came within ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("the note says how long it waited: {note}"));
    assert!(waited >= 1200, "the harness waited the receipt deadline before saying none came: {note}");
    let failing = ftps
        .checks
        .iter()
        .find(|c| c.verdict == Verdict::Fail && c.expected.as_deref().is_some_and(|e| e.starts_with("any one of")))
        .unwrap_or_else(|| panic!("a failing check carries the alternatives: {:#?}", ftps.checks));
    assert!(
        failing.expected.as_deref().is_some_and(|e| e.contains("alternative 1: answer 1306")
            && e.contains("alternative 2: answer 0, then a receipt with error 1306")),
        "{failing:#?}"
    );
    assert!(failing.actual.as_deref().is_some_and(|a| a.contains("no receipt came")), "{failing:#?}");

    // package-url-unknown-scheme: refused at once (2008 or 1301), or 0 (a warning) and a
    // receipt reporting the retrieval failure. Answered 0, no receipt: the second is the
    // closest, and both are accounted for.
    let gopher = scenario("package-url-unknown-scheme");
    assert_eq!(gopher.verdict, Verdict::Fail, "{problems}");
    let note = gopher.note.as_deref().unwrap_or_default();
    for part in [
        "alternative 1 (answer 1301 or 2008): the answer was error=0 — missing",
        "alternative 2 (answer 2008, or 0 with a warning, then a receipt with error 1301 or 1310 or 2008): the \
         answer was error=0 — held, with a warning, no receipt came within ",
        "— missing",
    ] {
        assert!(note.contains(part), "`{part}` not in the note: {note}");
    }
}
