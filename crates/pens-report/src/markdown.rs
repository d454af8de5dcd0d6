//! `summary.md`: a GitHub-flavoured Markdown summary of a run, short enough for a CI
//! job summary or a pull-request comment. The console report stays the place for
//! details; this one says how the run went and which scenarios need a look.
//!
//! A finding shared by several scenarios (the same check failing the same way, see
//! [`group_causes`]) is written once, in full with its diff, above the table, with the
//! list of its scenarios; a scenario's row then names the finding specific to it
//! ([`headline_check`]), or points to the shared one, and says why the harness could not
//! judge (its note) when it could not.
//!
//! Everything an implementation controls (titles come from scenarios, but messages
//! quote what the implementation sent, and the target name comes from a profile) is
//! escaped with [`escape_cell`], so a crafted answer cannot break the table, inject
//! HTML or turn into a heading.

use std::fmt::Write;

use crate::causes::{Cause, group_causes, headline_check, same_cause};
use crate::model::{CheckResult, RunReport, ScenarioResult};
use crate::verdict::Verdict;

/// At most this many scenario rows; the rest are counted in a final line, so a run
/// with hundreds of failures still fits a PR comment.
const MAX_ROWS: usize = 50;

/// Renders the Markdown summary: heading, totals by verdict, then every scenario worse
/// than `pass`, worst first.
pub fn render_markdown(report: &RunReport) -> String {
    let mut out = String::new();
    let target = report.target.name.as_deref().unwrap_or(&report.target.url);
    let _ = writeln!(out, "## pens-conform {} run: {}\n", escape_cell(&report.mode), escape_cell(target));
    let digest = match &report.scenario_digest {
        Some(digest) => format!(" · scenarios `sha256:{}`", escape_cell(digest.get(..12).unwrap_or(digest))),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "pens-conform {} · started {} · {} ms{digest}\n",
        escape_cell(&report.harness.version),
        escape_cell(&report.started_at),
        report.duration_ms
    );
    if let Some(scope) = crate::scope::scope_line(report) {
        let _ = writeln!(out, "{}\n", escape_cell(&scope));
    }
    if let Some(reason) = &report.aborted {
        let _ = writeln!(out, "> **Run stopped early:** {}\n", escape_cell(reason));
        // Listed once, on one line: a row for each would bury the reason above.
        let not_run: Vec<String> =
            report.scenarios.iter().filter(|s| s.is_not_run()).map(|s| escape_cell(&s.id)).collect();
        if !not_run.is_empty() {
            let _ = writeln!(out, "Not run ({}): {}\n", not_run.len(), not_run.join(", "));
        }
    }
    write_totals(&mut out, report);
    write_observed(&mut out, report);
    write_harness_notes(&mut out, report);

    let mut worse: Vec<&ScenarioResult> =
        report.scenarios.iter().filter(|s| s.verdict > Verdict::Pass && !s.is_not_run()).collect();
    worse.sort_by(|a, b| b.verdict.cmp(&a.verdict).then_with(|| a.id.cmp(&b.id)));
    if worse.is_empty() {
        if report.aborted.is_none() || report.scenarios.iter().any(|s| !s.is_not_run()) {
            write_all_passed(&mut out, report);
        }
        return out;
    }
    let causes = group_causes(report, Verdict::Warn);
    let shared: Vec<&Cause<'_>> = causes.iter().filter(|c| c.is_shared()).collect();
    write_shared(&mut out, report, &shared);
    let _ = writeln!(out, "| verdict | scenario | title | worst check |");
    let _ = writeln!(out, "|---|---|---|---|");
    for scenario in worse.iter().take(MAX_ROWS) {
        let text = worst_check_text(scenario, &causes, &shared);
        // A failure the baseline expects is still shown, marked, with its reason.
        let (expected, check) = match &scenario.expected_failure {
            Some(known) => (" (expected)", format!("expected failure: {}; {text}", known.reason)),
            None => ("", text),
        };
        let _ = writeln!(
            out,
            "| **{}**{expected} | {} | {} | {} |",
            scenario.verdict.name(),
            escape_cell(&scenario.id),
            escape_cell(&scenario.title),
            escape_cell(&check),
        );
    }
    if worse.len() > MAX_ROWS {
        let _ = writeln!(out, "\n… and {} more", worse.len() - MAX_ROWS);
    }
    out
}

/// The run's harness notes, one list item each (party, kind, count, bytes, then the
/// message), every value escaped: a message may quote a path or key the peer chose.
fn write_harness_notes(out: &mut String, report: &RunReport) {
    let notes = crate::notes::of(report);
    if notes.is_empty() {
        return;
    }
    let _ = writeln!(out, "**{}** ({}):\n", crate::notes::HEADING, crate::notes::INTRO);
    for note in notes {
        let _ = writeln!(out, "- {}: {}", escape_cell(&crate::notes::heading(note)), escape_cell(&note.message));
    }
    out.push('\n');
}

/// The one-row table of counts, best verdict first like the console summary.
fn write_totals(out: &mut String, report: &RunReport) {
    let verdicts = Verdict::SUMMARY_ORDER;
    let names: Vec<&str> = verdicts.iter().map(|v| v.name()).collect();
    let counts: Vec<String> = verdicts.iter().map(|v| report.summary.count(*v).to_string()).collect();
    let _ = writeln!(out, "| total | {} |", names.join(" | "));
    let _ = writeln!(out, "|---:|{}", "---:|".repeat(verdicts.len()));
    let _ = writeln!(out, "| {} | {} |\n", report.summary.total, counts.join(" | "));
}

/// The capabilities the run observed, as the `[claims]` lines to paste into the profile.
/// The lines are the harness's own words (keys, codes, scenario ids); backticks are
/// still replaced so nothing can end the code block.
fn write_observed(out: &mut String, report: &RunReport) {
    if report.target.observed.is_empty() {
        return;
    }
    let _ = writeln!(out, "Capabilities observed (paste under `[claims]` in the profile):\n\n```toml");
    for line in crate::observed::lines(&report.target.observed) {
        let _ = writeln!(out, "{}", line.replace('`', "'"));
    }
    let _ = writeln!(out, "```\n");
}

fn write_all_passed(out: &mut String, report: &RunReport) {
    if report.summary.total == 0 {
        // An empty partition (more partitions than scenarios) or an `--only` that
        // matched nothing: nothing was judged, which is not the same as all passing.
        let _ = match &report.partition {
            Some(partition) => writeln!(out, "No scenario ran in partition {}.", partition.label()),
            None => writeln!(out, "No scenario ran."),
        };
        return;
    }
    let not_applicable = report.summary.not_applicable;
    let (one, many) = crate::text::entry_nouns(report);
    let all = match report.summary.total {
        1 => format!("The only {one} passed"),
        total => format!("All {total} {many} passed"),
    };
    if not_applicable > 0 {
        let _ = writeln!(out, "{all} ({not_applicable} not applicable).");
    } else {
        let _ = writeln!(out, "{all}.");
    }
}

/// The findings shared by several scenarios, each once: verdict, requirement, section
/// and message, expected and actual, the diff in a code block, then the scenarios (all
/// of them: the table below is capped at [`MAX_ROWS`]).
fn write_shared(out: &mut String, report: &RunReport, shared: &[&Cause<'_>]) {
    if shared.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Findings shared by several scenarios\n");
    for (i, cause) in shared.iter().enumerate() {
        let check = cause.check;
        let _ = writeln!(
            out,
            "{}. {}**{}** {} ({}): {}\n",
            i + 1,
            escape_cell(&check.party_label()),
            check.verdict.name(),
            escape_cell(&check.requirement),
            escape_cell(&check.section),
            escape_cell(&check.message)
        );
        if let Some(expected) = &check.expected {
            let _ = writeln!(out, "   expected: {}  ", escape_cell(expected));
        }
        if let Some(actual) = &check.actual {
            let _ = writeln!(out, "   actual: {}\n", escape_cell(actual));
        }
        if let Some(diff) = &check.diff {
            // A fence longer than any run of backticks in the diff, which quotes what
            // the implementation sent, so nothing in it can end the block.
            let fence = "`".repeat(longest_backtick_run(diff).max(2) + 1);
            let _ = writeln!(out, "   {fence}diff");
            for line in diff.lines() {
                let _ = writeln!(out, "   {line}");
            }
            let _ = writeln!(out, "   {fence}\n");
        }
        let ids: Vec<String> = cause
            .scenarios
            .iter()
            .map(|id| {
                let expected = report.scenarios.iter().any(|s| s.id == *id && s.expected_failure.is_some());
                if expected { format!("{} (expected)", escape_cell(id)) } else { escape_cell(id) }
            })
            .collect();
        let _ = writeln!(out, "   in {} scenarios: {}\n", cause.scenarios.len(), ids.join(", "));
        let differing = cause.differing(report);
        if !differing.is_empty() {
            let ids: Vec<String> = differing.iter().map(|id| escape_cell(id)).collect();
            let _ = writeln!(
                out,
                "   {} of them with other expected, actual or diff than shown (each in report.html): {}\n",
                differing.len(),
                ids.join(", ")
            );
        }
    }
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// What a scenario's row says: its note when it has one (why the harness could not
/// judge, or why it does not apply), then its headline check (the finding specific to
/// it before one shared with other scenarios, see [`headline_check`]); a shared finding
/// is named and pointed to, not repeated.
fn worst_check_text(scenario: &ScenarioResult, causes: &[Cause<'_>], shared: &[&Cause<'_>]) -> String {
    let headline: Option<&CheckResult> = headline_check(scenario, causes)
        .or_else(|| scenario.checks.iter().filter(|c| c.verdict > Verdict::Pass).max_by_key(|c| c.verdict));
    let check = headline.map(|check| {
        // Where the scenario says what this check judges: `file:line:col`.
        let at = check.location.as_ref().map(|location| format!(" at {location}")).unwrap_or_default();
        let party = check.party_label();
        match shared.iter().position(|cause| same_cause(cause.check, check)) {
            Some(i) => format!("{party}{} ({}){at}: shared finding {} above", check.requirement, check.section, i + 1),
            None => format!("{party}{} ({}){at}: {}", check.requirement, check.section, check.message),
        }
    });
    match (&scenario.note, check) {
        (Some(note), Some(check)) => format!("note: {note}; {check}"),
        (Some(note), None) => format!("note: {note}"),
        (None, Some(check)) => check,
        (None, None) => String::new(),
    }
}

/// `text` made safe for one Markdown table cell (and for a heading line): line breaks
/// become spaces, and the characters that end a cell (`|`), open code spans or links
/// (`` ` ``, `[`, `]`), start HTML (`<`, `>`, `&`) or escape others (`\`) become
/// character references, which GitHub shows as the character itself. A leading `#` or
/// `*` is harmless inside a cell and is kept.
pub(crate) fn escape_cell(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' | '\n' => escaped.push(' '),
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '|' => escaped.push_str("&#124;"),
            '`' => escaped.push_str("&#96;"),
            '\\' => escaped.push_str("&#92;"),
            '[' => escaped.push_str("&#91;"),
            ']' => escaped.push_str("&#93;"),
            c if c.is_control() => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Harness, Summary, TargetInfo};

    #[test]
    fn an_expected_failure_is_marked_with_its_reason() {
        let mut report = sample();
        let failing = report.scenarios.iter_mut().find(|s| s.verdict == Verdict::Fail).expect("a failure");
        failing.expected_failure =
            Some(crate::ExpectedFailure { reason: "LMS-12 <fix> pending".to_owned(), issue: None, expires: None });
        let text = render_markdown(&report);
        let row = text.lines().find(|l| l.contains("lf-line-endings")).expect("its row");
        assert!(row.starts_with("| **fail** (expected) |"), "{row}");
        assert!(row.contains("expected failure: LMS-12 &lt;fix&gt; pending; "), "{row}");
    }

    #[test]
    fn escape_cell_neutralises_markup_an_implementation_controls() {
        let cases = [
            ("<script>|x\r\n", "&lt;script&gt;&#124;x  "),
            ("a `code` & b", "a &#96;code&#96; &amp; b"),
            ("[link](http://x)", "&#91;link&#93;(http://x)"),
            ("back\\|slash", "back&#92;&#124;slash"),
            ("# not a heading\n* not a list", "# not a heading * not a list"),
            ("tab\tbell\u{7}", "tab bell "),
            ("plain text, é", "plain text, é"),
        ];
        for (input, expected) in cases {
            let escaped = escape_cell(input);
            assert_eq!(escaped, expected, "{input:?}");
            assert!(!escaped.contains(['|', '<', '>', '`', '\n', '\r']), "{escaped}");
        }
    }

    fn check(verdict: Verdict, requirement: &str, section: &str, message: &str) -> CheckResult {
        CheckResult {
            verdict,
            requirement: requirement.into(),
            section: section.into(),
            message: message.into(),
            expected: None,
            actual: None,
            diff: None,
            location: None,
            party: None,
        }
    }

    fn report(scenarios: Vec<ScenarioResult>, aborted: Option<&str>) -> RunReport {
        RunReport {
            format_version: crate::FORMAT_VERSION,
            harness: Harness { name: "pens-conform".into(), version: "0.1.0".into() },
            mode: "target".into(),
            started_at: "2026-06-01T00:00:00Z".into(),
            duration_ms: 1234,
            target: TargetInfo {
                url: "http://127.0.0.1:8380/pens".into(),
                name: Some("Acme <LMS> | v2".into()),
                claims: pens_proto::TargetCapabilities::default(),
                observed: Vec::new(),
            },
            summary: Summary::of(&scenarios),
            aborted: aborted.map(str::to_owned),
            baseline: None,
            scenario_digest: None,
            scenario_set: None,
            harness_notes: Vec::new(),
            partition: None,
            merged_from: None,
            scenarios,
        }
    }

    #[test]
    fn observed_capabilities_are_the_claims_lines_to_paste() {
        let mut report = report(Vec::new(), None);
        report.target.observed = vec![crate::model::ObservedCapability {
            capability: "ftp".into(),
            claimed: pens_proto::Support::Unknown,
            observed: pens_proto::Support::Yes,
            evidence: "the target requested the package over ftp in ftp-fetch".into(),
            profile_line: Some("ftp = \"yes\"".into()),
        }];
        let markdown = render_markdown(&report);
        assert!(
            markdown.contains(
                "Capabilities observed (paste under `[claims]` in the profile):\n\n```toml\nftp = \"yes\"              \
                 # the target requested the package over ftp in ftp-fetch\n```\n"
            ),
            "{markdown}"
        );
    }

    fn sample() -> RunReport {
        let mut fail = ScenarioResult::new("lf-line-endings", "Responses end lines with CRLF", "f.toml", Verdict::Fail);
        fail.checks = vec![
            check(Verdict::Pass, "response.format", "CMI010 §6.3", "answer parsed"),
            check(Verdict::Fail, "response.crlf", "CMI010 §6.3", "line ends were `\\n`, got <html>|x\r\nmore")
                .at(crate::Location::new("scenarios/target/lf-line-endings.toml", 14, 10)),
        ];
        let mut warn = ScenarioResult::new("alert-early", "Alerts follow the receipt", "w.toml", Verdict::Warn);
        warn.checks = vec![check(Verdict::Warn, "alert.order", "CMI010 §6.2.12", "alert came first")];
        let pass = ScenarioResult::new("collect-post-valid", "A valid collect is accepted", "p.toml", Verdict::Pass);
        report(vec![pass, warn, fail], None)
    }

    #[test]
    fn markdown_of_a_run_with_a_failure_a_warning_and_a_pass() {
        insta::assert_snapshot!(render_markdown(&sample()));
    }

    #[test]
    fn a_clean_run_says_all_passed_and_an_aborted_run_says_why() {
        let clean = report(vec![ScenarioResult::new("a", "A", "a.toml", Verdict::Pass)], None);
        let text = render_markdown(&clean);
        assert!(text.contains("\nThe only scenario passed.\n"), "{text}");
        assert!(!text.contains("| verdict |"), "{text}");

        let aborted = report(Vec::new(), Some("preflight inconclusive: no fetch"));
        let text = render_markdown(&aborted);
        assert!(text.contains("> **Run stopped early:** preflight inconclusive: no fetch"), "{text}");
        assert!(!text.contains("All 0 scenarios passed"), "{text}");
    }

    /// The scenarios an aborted run never ran are listed once, on one line, not as a
    /// row each, and nothing says they passed.
    #[test]
    fn an_aborted_run_lists_the_scenarios_not_run_once() {
        let not_run: Vec<ScenarioResult> = ["a", "b", "c"]
            .iter()
            .map(|id| {
                let mut scenario = ScenarioResult::new(*id, "T", "f.toml", Verdict::Inconclusive);
                scenario.note = Some(crate::NOT_RUN_NOTE.into());
                scenario
            })
            .collect();
        let text = render_markdown(&report(not_run, Some("nothing listens at http://lms/pens")));
        assert_eq!(text.matches("nothing listens at").count(), 1, "{text}");
        assert!(text.contains("\nNot run (3): a, b, c\n"), "{text}");
        assert!(!text.contains("| verdict |") && !text.contains("passed"), "{text}");
    }

    #[test]
    fn a_partition_says_which_and_an_empty_one_that_nothing_ran() {
        let mut run = report(vec![ScenarioResult::new("a", "A", "a.toml", Verdict::Pass)], None);
        run.partition = Some(crate::Partition { index: 1, count: 3, kind: crate::PartitionKind::Count, set_size: 2 });
        let text = render_markdown(&run);
        assert!(text.contains("\npartition 1/3: 1 of 2 scenarios\n\n"), "{text}");
        assert!(text.contains("\nThe only scenario passed.\n"), "{text}");

        let mut empty = report(Vec::new(), None);
        empty.partition = Some(crate::Partition { index: 3, count: 3, kind: crate::PartitionKind::Count, set_size: 2 });
        let text = render_markdown(&empty);
        assert!(text.contains("\npartition 3/3: 0 of 2 scenarios\n"), "{text}");
        assert!(text.trim_end().ends_with("No scenario ran in partition 3/3."), "{text}");
    }

    #[test]
    fn rows_are_capped_worst_first_with_a_count_of_the_rest() {
        let mut scenarios: Vec<ScenarioResult> =
            (0..60).map(|i| ScenarioResult::new(format!("s{i:02}"), "t", "f.toml", Verdict::Warn)).collect();
        scenarios.push(ScenarioResult::new("zz-error", "t", "f.toml", Verdict::Error));
        let text = render_markdown(&report(scenarios, None));
        let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("| **")).collect();
        assert_eq!(rows.len(), MAX_ROWS, "{text}");
        assert!(rows[0].starts_with("| **error** | zz-error |"), "{}", rows[0]);
        assert!(rows[1].starts_with("| **warn** | s00 |"), "{}", rows[1]);
        assert!(text.trim_end().ends_with("… and 11 more"), "{text}");
    }

    #[test]
    fn a_finding_shared_by_45_scenarios_is_written_once_with_its_scenarios() {
        let report = crate::console::tests::lf_only_run();
        let text = render_markdown(&report);
        assert_eq!(text.matches("+version=1.0.0").count(), 1, "{text}");
        assert_eq!(text.matches("answer lines end in LF").count(), 1, "{text}");
        assert!(text.contains("   ```diff\n   -error=0\\r\\n\n"), "{text}");
        assert!(
            text.contains("in 45 scenarios: scenario-00, scenario-01, scenario-02, scenario-03 (expected), "),
            "{text}"
        );
        for scenario in report.scenarios.iter().filter(|s| s.verdict == Verdict::Fail) {
            assert!(text.contains(&scenario.id), "{} missing:\n{text}", scenario.id);
        }
        let row = text.lines().find(|l| l.contains("| security-zip-slip |")).expect("its row");
        assert!(
            row.ends_with("| package.zip-slip (CMI010 §6.2.5): the target wrote ../evil.txt outside the package |"),
            "{row}"
        );
        let row = text.lines().find(|l| l.contains("| scenario-00 |")).expect("its row");
        assert!(row.ends_with("| response.line-ending.crlf (CMI010 §6.3): shared finding 1 above |"), "{row}");
    }

    #[test]
    fn a_diff_with_backticks_cannot_end_its_code_block() {
        let mut report = crate::console::tests::lf_only_run();
        for scenario in &mut report.scenarios {
            for check in &mut scenario.checks {
                check.diff = check.diff.as_ref().map(|_| "+```\n+# heading".to_owned());
            }
        }
        let text = render_markdown(&report);
        assert!(text.contains("   ````diff\n   +```\n   +# heading\n   ````\n"), "{text}");
    }

    #[test]
    fn the_row_shows_the_security_finding_not_the_repeated_multipart_warning() {
        let multipart =
            || check(Verdict::Warn, "binding.media-type.form", "CMI010 §6.2", "answered multipart/form-data");
        let mut bomb = ScenarioResult::new("security-zip-bomb", "Zip bomb", "b.toml", Verdict::Warn);
        bomb.checks = vec![multipart(), check(Verdict::Warn, "package.zip-bomb", "CMI010 §6.2.5", "imported 1 GiB")];
        let mut slip = ScenarioResult::new("security-zip-slip", "Zip slip", "s.toml", Verdict::Warn);
        slip.checks = vec![multipart(), check(Verdict::Warn, "package.zip-slip", "CMI010 §6.2.5", "wrote ../x")];
        let mut other = ScenarioResult::new("collect-post-valid", "Valid", "v.toml", Verdict::Warn);
        other.checks = vec![multipart()];
        let text = render_markdown(&report(vec![bomb, slip, other], None));
        let row = |id: &str| text.lines().find(|l| l.contains(&format!("| {id} |"))).expect("row").to_owned();
        assert!(row("security-zip-bomb").ends_with("| package.zip-bomb (CMI010 §6.2.5): imported 1 GiB |"), "{text}");
        assert!(row("security-zip-slip").ends_with("| package.zip-slip (CMI010 §6.2.5): wrote ../x |"), "{text}");
        assert!(
            row("collect-post-valid").ends_with("| binding.media-type.form (CMI010 §6.2): shared finding 1 above |"),
            "{text}"
        );
    }

    #[test]
    fn an_inconclusive_scenario_says_why_in_its_row() {
        let mut late = ScenarioResult::new("package-large", "Large", "l.toml", Verdict::Inconclusive);
        late.note = Some("the target never fetched the package within 60 s".into());
        late.checks = vec![check(Verdict::Warn, "receipt.timing", "CMI010 §6.2.11", "no receipt")];
        let mut failed = ScenarioResult::new("staging-silent", "Silent", "s.toml", Verdict::Inconclusive);
        failed.note = Some("the staging server could not start".into());
        let text = render_markdown(&report(vec![late, failed], None));
        let row = text.lines().find(|l| l.contains("| package-large |")).expect("row");
        assert!(row.ends_with("| note: the target never fetched the package within 60 s; receipt.timing (CMI010 §6.2.11): no receipt |"), "{row}");
        let row = text.lines().find(|l| l.contains("| staging-silent |")).expect("row");
        assert!(row.ends_with("| note: the staging server could not start |"), "{row}");
    }

    #[test]
    fn harness_notes_are_listed_once_escaped_and_absent_when_there_are_none() {
        let mut report = sample();
        assert!(!render_markdown(&report).contains("Harness notes"));
        report.harness_notes = crate::notes::tests::notes();
        let text = render_markdown(&report);
        assert!(
            text.contains(
                "**Harness notes** (what the harness's own parties met during the run, counted for the whole run and \
                 judged in no scenario):\n\n- collector · unsolicited-traffic · 1500 times · 1.5 GB: 1500 receipts"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "\n- staging · connections-queued · 3 times: 3 connections &lt;b&gt;waited&lt;/b&gt;  for a slot\n"
            ),
            "{text}"
        );
        // Before the scenario table, after the totals.
        assert!(text.find("Harness notes").unwrap() < text.find("| verdict |").unwrap(), "{text}");
    }
}
