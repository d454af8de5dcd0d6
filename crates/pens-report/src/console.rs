//! The console report: a line per scenario as it finishes, then the findings and a
//! summary.
//!
//! Findings are grouped by cause ([`group_causes`]): a target with LF-only line ends
//! fails `response.line-ending.crlf` identically in every scenario that reads an answer,
//! and printing that diff 45 times buries the one finding specific to
//! `security-zip-slip`. So a finding shared by several scenarios is printed once, in
//! full, with the list of its scenarios; then each scenario worse than `pass` shows its
//! own findings in full and names the shared ones it also has in one line.
//!
//! Plain text unless [`ConsoleOptions::color`] asks for the verdict words in colour;
//! whether the terminal wants colour is the binary's decision, not this writer's.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use crate::baseline::BaselineOutcome;
use crate::causes::{Cause, group_causes, same_cause, same_evidence};
use crate::model::{CheckResult, RunReport, ScenarioResult};
use crate::verdict::Verdict;

/// How much the console says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verbosity {
    /// `-q`: the summary and what makes the run fail or incomplete (`fail`, `error`,
    /// `inconclusive`); no warnings, no line per scenario, no progress.
    Quiet,
    /// The findings of every scenario worse than `pass` (warnings included).
    #[default]
    Normal,
    /// `-v`: also every scenario that passed, and every check of every scenario, passing
    /// ones included, so a reader sees what was checked, not only what went wrong.
    Verbose,
}

/// How the console report is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConsoleOptions {
    /// How much to say.
    pub verbosity: Verbosity,
    /// Verdict words in colour (ANSI escape sequences); off, not a byte of them is written.
    pub color: bool,
}

/// At most this many scenario ids after a shared cause; every scenario with the cause
/// still has its own block below, which names it.
const MAX_CAUSE_IDS: usize = 20;

/// Wrap the list of a cause's scenarios at about this many columns.
const WRAP_AT: usize = 100;

/// The colour of a verdict word: red for what fails the run, yellow for a warning,
/// magenta for "could not judge", green for a pass; none for the rest.
fn verdict_style(verdict: Verdict) -> Style {
    let color = match verdict {
        Verdict::Fail | Verdict::Error => Some(AnsiColor::Red),
        Verdict::Warn => Some(AnsiColor::Yellow),
        Verdict::Inconclusive => Some(AnsiColor::Magenta),
        Verdict::Pass => Some(AnsiColor::Green),
        Verdict::Info | Verdict::NotApplicable => None,
    };
    let style = Style::new().fg_color(color.map(Into::into));
    if matches!(verdict, Verdict::Fail | Verdict::Error) { style.bold() } else { style }
}

/// `text` in the colour of `verdict`, when `color`.
fn paint(text: &str, verdict: Verdict, color: bool) -> String {
    let style = verdict_style(verdict);
    if color && style != Style::new() {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_owned()
    }
}

/// The verdict's word in capitals, padded to `width` (outside the colour, so columns
/// line up whatever the escape sequences' length).
fn verdict_word(verdict: Verdict, width: usize, color: bool) -> String {
    let word = verdict.name().to_uppercase();
    let pad = width.saturating_sub(word.chars().count());
    format!("{}{}", paint(&word, verdict, color), " ".repeat(pad))
}

/// One line for a finished scenario: verdict, id, duration.
pub fn render_scenario_line(scenario: &ScenarioResult) -> String {
    render_scenario_line_with(scenario, false)
}

/// [`render_scenario_line`], the verdict in colour when `color`.
pub fn render_scenario_line_with(scenario: &ScenarioResult, color: bool) -> String {
    format!("{} {}  ({} ms)", verdict_word(scenario.verdict, 14, color), scenario.id, scenario.duration_ms)
}

/// The end-of-run report, plain, at normal verbosity.
pub fn render_console(report: &RunReport) -> String {
    render_console_with(report, ConsoleOptions::default())
}

/// The end-of-run report: the causes shared by several scenarios, each once; every
/// scenario worse than `pass` with its own findings; then the summary.
pub fn render_console_with(report: &RunReport, options: ConsoleOptions) -> String {
    let color = options.color;
    let mut out = String::new();
    let _ = writeln!(out, "pens-conform {} · {} mode · {}", report.harness.version, report.mode, report.target.url);
    if let Some(scope) = crate::scope::scope_line(report) {
        let _ = writeln!(out, "{scope}");
    }
    if let Some(reason) = &report.aborted {
        let _ = writeln!(out, "\nRUN STOPPED: {reason}");
        // Listed once, on one line: a block for each would bury the reason above.
        let not_run: Vec<&str> = report.scenarios.iter().filter(|s| s.is_not_run()).map(|s| s.id.as_str()).collect();
        if !not_run.is_empty() {
            let _ = writeln!(out, "not run ({}): {}", not_run.len(), not_run.join(", "));
        }
    }
    // Quiet shows only what fails the run (or leaves it incomplete).
    let min = if options.verbosity == Verbosity::Quiet { Verdict::Inconclusive } else { Verdict::Warn };
    let causes = group_causes(report, min);
    let shared: Vec<&Cause<'_>> = causes.iter().filter(|c| c.is_shared()).collect();
    if !shared.is_empty() {
        let _ = writeln!(out, "\nFindings shared by several scenarios, each shown once:");
        for (i, cause) in shared.iter().enumerate() {
            render_cause(&mut out, report, i + 1, cause, color);
        }
    }
    let shown = |s: &&ScenarioResult| {
        !s.is_not_run()
            && match options.verbosity {
                Verbosity::Quiet => s.verdict >= Verdict::Inconclusive,
                Verbosity::Normal => s.verdict >= Verdict::Warn,
                Verbosity::Verbose => true,
            }
    };
    // A scenario whose every finding is a shared one above gets one line, not a block
    // repeating "see above": against an LF-only target that is most of them.
    let (detailed, only_shared): (Vec<&ScenarioResult>, Vec<&ScenarioResult>) = report
        .scenarios
        .iter()
        .filter(shown)
        .partition(|s| has_own_lines(s, &shared, min, options.verbosity) || s.verdict <= Verdict::Info);
    for scenario in detailed {
        render_scenario(&mut out, scenario, &shared, min, options);
    }
    if !only_shared.is_empty() {
        let _ = writeln!(
            out,
            "
Scenarios whose findings are all shared ones above:"
        );
        for scenario in only_shared {
            let _ = writeln!(out, "  {}", only_shared_line(scenario, &shared, color));
        }
    }
    if !report.target.observed.is_empty() && options.verbosity != Verbosity::Quiet {
        let _ = writeln!(out, "\ncapabilities observed (paste under [claims] in the profile):");
        for line in crate::observed::lines(&report.target.observed) {
            let _ = writeln!(out, "  {line}");
        }
    }
    if let Some(outcome) = &report.baseline {
        render_baseline(&mut out, outcome);
    }
    render_harness_notes(&mut out, report);
    let s = &report.summary;
    let count = |n: usize, verdict: Verdict, word: &str| paint(&format!("{n} {word}"), verdict, color && n > 0);
    let _ = writeln!(
        out,
        "\n{}: {}, {}, {}, {}, {}, {}, {} · {} ms",
        crate::text::counted_entries(s.total as u64, report),
        count(s.pass, Verdict::Pass, "pass"),
        count(s.info, Verdict::Info, "info"),
        count(s.warn, Verdict::Warn, "warn"),
        count(s.not_applicable, Verdict::NotApplicable, "not applicable"),
        count(s.inconclusive, Verdict::Inconclusive, "inconclusive"),
        count(s.fail, Verdict::Fail, "fail"),
        count(s.error, Verdict::Error, "error"),
        report.duration_ms
    );
    out
}

/// The run's harness notes, each on its own line, after the findings and before the
/// totals; at every verbosity, since a note may be why a scenario lacks evidence.
fn render_harness_notes(out: &mut String, report: &RunReport) {
    let notes = crate::notes::of(report);
    if notes.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{} ({}):", crate::notes::HEADING, crate::notes::INTRO);
    for note in notes {
        let _ = writeln!(out, "  {}", crate::text::show_controls(&crate::notes::line(note), false));
    }
}

/// A shared cause: the finding in full, then the scenarios it appeared in (the first
/// [`MAX_CAUSE_IDS`], wrapped; an expected failure marked).
fn render_cause(out: &mut String, report: &RunReport, number: usize, cause: &Cause<'_>, color: bool) {
    let _ = write!(out, "\n#{number} ");
    // A shared finding stands in several files: each scenario's own lines are in
    // report.html and report.json, so no one location is shown for all of them.
    render_check(out, cause.check, "", color, false);
    let expected = |id: &str| report.scenarios.iter().any(|s| s.id == id && s.expected_failure.is_some());
    let mut ids: Vec<String> = cause
        .scenarios
        .iter()
        .take(MAX_CAUSE_IDS)
        .map(|id| if expected(id) { format!("{id} (expected)") } else { (*id).to_owned() })
        .collect();
    if cause.scenarios.len() > MAX_CAUSE_IDS {
        ids.push(format!("and {} more (each shown below)", cause.scenarios.len() - MAX_CAUSE_IDS));
    }
    write_wrapped(out, &format!("  in {} scenarios: ", cause.scenarios.len()), &ids);
    let differing = cause.differing(report);
    if !differing.is_empty() {
        let mut ids: Vec<String> = differing.iter().take(MAX_CAUSE_IDS).map(|id| (*id).to_owned()).collect();
        if differing.len() > MAX_CAUSE_IDS {
            ids.push(format!("and {} more", differing.len() - MAX_CAUSE_IDS));
        }
        let lead = format!(
            "  {} of them with other expected/actual/diff than shown (each in report.html and report.json): ",
            differing.len()
        );
        write_wrapped(out, &lead, &ids);
    }
}

/// `lead` then `items` separated by commas, wrapped at [`WRAP_AT`] under the first item
/// (after a lead longer than half the width, the items start on the next line, under a
/// short indent).
fn write_wrapped(out: &mut String, lead: &str, items: &[String]) {
    let long = lead.chars().count() > WRAP_AT / 2;
    let indent = if long { 4 } else { lead.chars().count() };
    let mut line = if long {
        let _ = writeln!(out, "{}", lead.trim_end());
        " ".repeat(indent)
    } else {
        lead.to_owned()
    };
    let mut empty = true;
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() { format!("{item}, ") } else { item.clone() };
        if !empty && line.chars().count() + piece.trim_end().chars().count() > WRAP_AT {
            let _ = writeln!(out, "{}", line.trim_end());
            line = " ".repeat(indent);
        }
        line.push_str(&piece);
        empty = false;
    }
    let _ = writeln!(out, "{}", line.trim_end());
}

/// One scenario: heading, file, note, the findings specific to it in full (with `-v`,
/// every check), and one line naming the shared causes it also has.
/// Whether `scenario` has something of its own to show under its heading: a baseline
/// issue, a note, or a finding (at `min` or worse, or any check at `-v`) that is not one
/// of the `shared` causes.
fn has_own_lines(scenario: &ScenarioResult, shared: &[&Cause<'_>], min: Verdict, verbosity: Verbosity) -> bool {
    scenario.expected_failure.as_ref().is_some_and(|e| e.issue.is_some())
        || scenario.note.is_some()
        || scenario.checks.iter().any(|check| {
            !shared.iter().any(|cause| same_cause(cause.check, check))
                && (check.verdict >= min || verbosity == Verbosity::Verbose)
        })
}

/// `FAIL collect-post-valid — title: shared finding #1`: a scenario whose
/// findings are all shared, by the numbers of those findings.
fn only_shared_line(scenario: &ScenarioResult, shared: &[&Cause<'_>], color: bool) -> String {
    let verdict = match &scenario.expected_failure {
        Some(expected) => format!("{} (expected: {})", verdict_word(scenario.verdict, 0, color), expected.reason),
        None => verdict_word(scenario.verdict, 0, color),
    };
    let mut numbers: Vec<String> = Vec::new();
    for check in &scenario.checks {
        if let Some(i) = shared.iter().position(|cause| same_cause(cause.check, check)) {
            let own = if scenario.checks.iter().any(|c| same_evidence(c, shared[i].check)) {
                ""
            } else {
                " (other evidence)"
            };
            let label = format!("#{}{own}", i + 1);
            if !numbers.contains(&label) {
                numbers.push(label);
            }
        }
    }
    let label = if numbers.len() == 1 { "shared finding" } else { "shared findings" };
    format!("{verdict} {} — {}: {label} {}", scenario.id, scenario.title, numbers.join(", "))
}

fn render_scenario(
    out: &mut String,
    scenario: &ScenarioResult,
    shared: &[&Cause<'_>],
    min: Verdict,
    options: ConsoleOptions,
) {
    let color = options.color;
    let verdict = match &scenario.expected_failure {
        Some(expected) => format!("{} (expected: {})", verdict_word(scenario.verdict, 0, color), expected.reason),
        None => verdict_word(scenario.verdict, 0, color),
    };
    let _ = writeln!(out, "\n{verdict} {} — {}", scenario.id, scenario.title);
    if let Some(issue) = scenario.expected_failure.as_ref().and_then(|e| e.issue.as_ref()) {
        let _ = writeln!(out, "  issue: {issue}");
    }
    let _ = writeln!(out, "  file: {}", scenario.file);
    if let Some(note) = &scenario.note {
        let _ = writeln!(out, "  note: {note}");
    }
    // The shared causes it has, by their number above, and whether its evidence is
    // other than the one shown there.
    let mut also: Vec<(usize, bool)> = Vec::new();
    for check in &scenario.checks {
        if let Some(i) = shared.iter().position(|cause| same_cause(cause.check, check)) {
            match also.iter_mut().find(|(j, _)| *j == i) {
                Some((_, same)) => *same |= same_evidence(check, shared[i].check),
                None => also.push((i, same_evidence(check, shared[i].check))),
            }
        } else if check.verdict >= min || options.verbosity == Verbosity::Verbose {
            render_check(out, check, "  ", color, true);
        }
    }
    if !also.is_empty() {
        let names: Vec<String> = also
            .iter()
            .map(|&(i, same)| {
                let check = shared[i].check;
                let own = if same { "" } else { ", with other expected/actual/diff" };
                format!(
                    "{}{} {} (shared finding #{}{own})",
                    check.party_label(),
                    paint(check.verdict.name(), check.verdict, color),
                    check.requirement,
                    i + 1
                )
            })
            .collect();
        let _ = writeln!(out, "  also: {}, see above", names.join(", "));
    }
}

/// A check in full: verdict, requirement, section, message, then (with `located`) the
/// scenario line it judges as rustc points at one (`--> file:line:col`), expected,
/// actual and diff, indented under it.
fn render_check(out: &mut String, check: &CheckResult, indent: &str, color: bool, located: bool) {
    let _ = writeln!(
        out,
        "{indent}{}{} [{}] ({}) {}",
        check.party_label(),
        verdict_word(check.verdict, 5, color),
        check.requirement,
        check.section,
        check.message
    );
    if let Some(location) = check.location.as_ref().filter(|_| located) {
        let _ = writeln!(out, "{indent}      --> {location}");
    }
    if let Some(expected) = &check.expected {
        let _ = writeln!(out, "{indent}      expected: {expected}");
    }
    if let Some(actual) = &check.actual {
        let _ = writeln!(out, "{indent}      actual:   {actual}");
    }
    if let Some(diff) = &check.diff {
        for line in diff.lines() {
            let _ = writeln!(out, "{indent}      {line}");
        }
    }
}

/// The baseline block: counts, then each improvement, which the reader should act on
/// (remove the entry), and the entries that were not run.
fn render_baseline(out: &mut String, outcome: &BaselineOutcome) {
    let _ = writeln!(
        out,
        "\nbaseline {}: {} expected failure(s), {} improvement(s), {} not run",
        outcome.file,
        outcome.expected_failures.len(),
        outcome.improvements.len(),
        outcome.not_run.len()
    );
    for id in &outcome.improvements {
        let _ = writeln!(out, "  IMPROVED {id}: listed as an expected failure but did not fail; remove its entry");
    }
    for id in &outcome.not_run {
        let _ = writeln!(out, "  not run  {id}");
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::baseline::ExpectedFailure;
    use crate::model::Summary;

    const LF_DIFF: &str = "-error=0\\r\\n\n+error=0\\n\n-version=1.0.0\\r\\n\n+version=1.0.0\\n";

    fn lf_only() -> CheckResult {
        CheckResult {
            verdict: Verdict::Fail,
            requirement: "response.line-ending.crlf".into(),
            section: "CMI010 §6.3".into(),
            message: "answer lines end in LF, not CR LF".into(),
            expected: Some("CR LF line ends".into()),
            actual: Some("LF".into()),
            diff: Some(LF_DIFF.into()),
            location: None,
            party: None,
        }
    }

    pub(crate) fn slip() -> CheckResult {
        CheckResult {
            verdict: Verdict::Fail,
            requirement: "package.zip-slip".into(),
            section: "CMI010 §6.2.5".into(),
            message: "the target wrote ../evil.txt outside the package".into(),
            expected: Some("a refusal".into()),
            actual: Some("error=0".into()),
            diff: None,
            location: None,
            party: None,
        }
    }

    /// 45 scenarios failing the same LF-only diff; one of them also has a finding of
    /// its own, one is an expected failure, and one passes.
    pub(crate) fn lf_only_run() -> RunReport {
        let mut scenarios: Vec<ScenarioResult> = (0..45)
            .map(|i| {
                let mut s = ScenarioResult::new(format!("scenario-{i:02}"), "t", "f.toml", Verdict::Fail);
                s.checks = vec![lf_only()];
                s
            })
            .collect();
        scenarios[7].id = "security-zip-slip".into();
        scenarios[7].checks.push(slip());
        scenarios[3].expected_failure =
            Some(ExpectedFailure { reason: "LMS-7 line ends".into(), issue: None, expires: None });
        let mut pass = ScenarioResult::new("collect-post-valid", "t", "p.toml", Verdict::Pass);
        pass.checks = vec![CheckResult { verdict: Verdict::Pass, ..slip() }];
        scenarios.push(pass);
        crate::fixture::report(scenarios)
    }

    #[test]
    fn a_cause_shared_by_45_scenarios_is_shown_once_and_each_scenario_still_named() {
        let report = lf_only_run();
        let text = render_console(&report);
        assert_eq!(text.matches("+version=1.0.0\\n").count(), 1, "{text}");
        assert_eq!(text.matches("answer lines end in LF").count(), 1, "{text}");
        assert!(
            text.contains("  in 45 scenarios: scenario-00, scenario-01, scenario-02, scenario-03 (expected),"),
            "{text}"
        );
        assert!(text.contains("and 25 more (each shown below)"), "{text}");
        for scenario in report.scenarios.iter().filter(|s| s.verdict == Verdict::Fail) {
            assert!(text.contains(&format!(" {} — ", scenario.id)), "{} missing:\n{text}", scenario.id);
        }
        // The finding specific to one scenario is shown in full under it.
        let slip_block = text.split("\nFAIL security-zip-slip").nth(1).expect("its block");
        let slip_block = slip_block.split("\n\n").next().expect("block");
        assert!(
            slip_block.contains("  FAIL  [package.zip-slip] (CMI010 §6.2.5) the target wrote ../evil.txt"),
            "{slip_block}"
        );
        assert!(slip_block.contains("        actual:   error=0"), "{slip_block}");
        assert!(
            slip_block.contains("  also: fail response.line-ending.crlf (shared finding #1), see above"),
            "{slip_block}"
        );
        // Scenarios with nothing of their own: one line each, after the detailed ones.
        let compact =
            text.split("\nScenarios whose findings are all shared ones above:\n").nth(1).expect("compact list");
        assert!(compact.contains("  FAIL (expected: LMS-7 line ends) scenario-03 — t: shared finding #1\n"), "{text}");
        assert!(compact.contains("  FAIL scenario-00 — t: shared finding #1\n"), "{text}");
        assert!(!text.contains("\nFAIL scenario-00 — t\n"), "no block for it: {text}");
        assert!(!text.contains('\x1b'), "no colour unless asked");
        assert!(!text.contains("collect-post-valid"), "a pass is not listed at normal verbosity");
    }

    #[test]
    fn the_same_finding_with_another_diff_is_grouped_and_says_whose_evidence_differs() {
        let mut report = lf_only_run();
        for i in [10, 20] {
            report.scenarios[i].checks[0].diff = Some("-error=2010\\r\n+error=2010\\n".into());
        }
        let text = render_console(&report);
        assert_eq!(text.matches("answer lines end in LF").count(), 1, "{text}");
        assert_eq!(text.matches("+version=1.0.0\\n").count(), 1, "the commonest diff is shown: {text}");
        assert!(!text.contains("error=2010"), "{text}");
        assert!(
            text.contains(
                "  2 of them with other expected/actual/diff than shown (each in report.html and report.json):\n    scenario-10, scenario-20\n"
            ),
            "{text}"
        );
        assert!(text.contains("\n  FAIL scenario-10 — t: shared finding #1 (other evidence)\n"), "{text}");
        let markdown = crate::render_markdown(&report);
        assert!(
            markdown.contains("   2 of them with other expected, actual or diff than shown (each in report.html): scenario-10, scenario-20\n"),
            "{markdown}"
        );
    }

    #[test]
    fn a_finding_of_one_scenario_is_not_grouped() {
        let mut report = lf_only_run();
        report.scenarios.truncate(1);
        let text = render_console(&report);
        assert!(!text.contains("shared by several"), "{text}");
        assert!(!text.contains("also:"), "{text}");
        assert_eq!(text.matches("+version=1.0.0\\n").count(), 1, "{text}");
    }

    #[test]
    fn colour_wraps_verdict_words_only_when_asked() {
        let report = lf_only_run();
        let coloured = render_console_with(&report, ConsoleOptions { color: true, ..ConsoleOptions::default() });
        let red = Style::new().fg_color(Some(AnsiColor::Red.into())).bold();
        assert!(
            coloured.contains(&format!("\n{}FAIL{} security-zip-slip", red.render(), red.render_reset())),
            "{coloured}"
        );
        let line = render_scenario_line_with(&report.scenarios[45], true);
        assert!(line.starts_with("\x1b[32mPASS\x1b[0m           collect-post-valid"), "{line:?}");
        assert!(!render_scenario_line(&report.scenarios[45]).contains('\x1b'));
    }

    #[test]
    fn quiet_keeps_failures_and_summary_and_verbose_adds_passing_checks() {
        let mut report = lf_only_run();
        let mut warned = ScenarioResult::new("alert-early", "t", "w.toml", Verdict::Warn);
        warned.checks = vec![CheckResult { verdict: Verdict::Warn, ..slip() }];
        report.scenarios.push(warned);
        report.summary = Summary::of(&report.scenarios);
        let quiet = render_console_with(&report, ConsoleOptions { verbosity: Verbosity::Quiet, color: false });
        assert!(!quiet.contains("alert-early"), "{quiet}");
        assert!(quiet.contains("security-zip-slip"), "{quiet}");
        assert!(quiet.contains("\n47 scenarios: 1 pass, 0 info, 1 warn,"), "{quiet}");
        let normal = render_console(&report);
        assert!(normal.contains("\nWARN alert-early"), "{normal}");
        assert!(!normal.contains("collect-post-valid"), "{normal}");
        let verbose = render_console_with(&report, ConsoleOptions { verbosity: Verbosity::Verbose, color: false });
        assert!(verbose.contains("\nPASS collect-post-valid"), "{verbose}");
        assert!(verbose.contains("  PASS  [package.zip-slip]"), "{verbose}");
    }

    #[test]
    fn a_scenario_s_own_check_points_at_its_line_and_a_shared_one_stays_shared_across_files() {
        let mut report = lf_only_run();
        for (i, scenario) in report.scenarios.iter_mut().enumerate() {
            let file = format!("scenarios/target/s{i}.toml");
            scenario.file.clone_from(&file);
            for check in &mut scenario.checks {
                check.location = Some(crate::Location::new(file.clone(), 12, 1));
            }
        }
        report.scenarios[7].checks[1].location = Some(crate::Location::new("scenarios/target/s7.toml", 20, 12));
        let text = render_console(&report);
        assert!(
            text.contains(
                "  FAIL  [package.zip-slip] (CMI010 §6.2.5) the target wrote ../evil.txt outside the package\n        \
                 --> scenarios/target/s7.toml:20:12\n        expected: a refusal\n"
            ),
            "{text}"
        );
        // Each scenario's LF-only finding stands in its own file, with the same evidence.
        assert!(!text.contains("other evidence") && !text.contains("other expected/actual/diff"), "{text}");
        assert!(!text.contains(":12:1"), "no one file's line under a finding of 45 files: {text}");
        let verbose = render_console_with(&report, ConsoleOptions { verbosity: Verbosity::Verbose, color: false });
        assert!(verbose.contains("  PASS  [package.zip-slip]"), "{verbose}");
        assert!(verbose.contains("        --> scenarios/target/s45.toml:12:1\n"), "a passing check too: {verbose}");
    }

    #[test]
    fn harness_notes_come_after_the_findings_and_before_the_totals_at_every_verbosity() {
        let mut report = lf_only_run();
        report.harness_notes = crate::notes::tests::notes();
        for verbosity in [Verbosity::Quiet, Verbosity::Normal, Verbosity::Verbose] {
            let text = render_console_with(&report, ConsoleOptions { verbosity, color: false });
            let notes = text.find("\nHarness notes (").expect("a notes block");
            assert!(notes > text.find("security-zip-slip").expect("a finding"), "{text}");
            assert!(notes < text.find("\n46 scenarios:").expect("the totals"), "{text}");
            assert!(
                text.contains(
                    "\n  [collector · unsolicited-traffic · 1500 times · 1.5 GB] 1500 receipts (1.5 GB) arrived"
                ),
                "{text}"
            );
            // A control character a peer put in a message cannot break the line.
            assert!(
                text.contains("\n  [staging · connections-queued · 3 times] 3 connections <b>waited</b>\\r\\nfor"),
                "{text}"
            );
        }
        report.harness_notes.clear();
        assert!(!render_console(&report).contains("Harness notes"));
    }
}
