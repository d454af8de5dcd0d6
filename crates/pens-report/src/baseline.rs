//! Baselines: the failures a team knows about and has chosen to live with for now.
//!
//! A vendor adopting pens-conform rarely passes every scenario on day one. A baseline
//! file lists those failures, each with a reason and optionally a tracker issue and an
//! expiry date, so CI can stay green on known failures while still failing on new ones,
//! and notice when a known failure is fixed (an *improvement*: the entry should go).
//!
//! ```toml
//! [[expected-failure]]
//! scenario = "several-errors-highest-code"
//! reason = "LMS-1234: we answer the first error we find"
//! issue = "https://tracker.example/LMS-1234"   # optional, http(s)
//! expires = 2027-03-31                          # optional; a quoted "YYYY-MM-DD" too
//! ```
//!
//! Only `fail` verdicts are matched: a `warn` never fails a run anyway, and `error` or
//! `inconclusive` mean the harness or the environment could not judge, which no
//! baseline should hide. This module is pure: no file I/O, no clock; the caller passes
//! the text and today's date.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::model::RunReport;
use crate::verdict::Verdict;

/// The keys an `[[expected-failure]]` entry may have, for "did you mean" hints.
const ENTRY_KEYS: [&str; 4] = ["scenario", "reason", "issue", "expires"];

/// A parsed baseline file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Baseline {
    /// Where it was read from, as given (used in messages and the report).
    pub source: String,
    /// The expected failures, in file order; scenario ids are unique.
    pub entries: Vec<BaselineEntry>,
}

/// One `[[expected-failure]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BaselineEntry {
    /// The scenario id expected to fail.
    pub scenario: String,
    /// Why it fails and why that is accepted for now.
    pub reason: String,
    /// A link to the tracker issue (http or https).
    pub issue: Option<String>,
    /// The last day the entry holds; after it the baseline is refused.
    pub expires: Option<time::Date>,
    /// Where the entry's `scenario` value sits (1-based line and column).
    pub position: Position,
    /// Where its `expires` value sits, when given.
    pub expires_position: Option<Position>,
}

/// A 1-based line and column in a baseline file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

/// Why a baseline file was refused: the file, line, column and field, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BaselineError {
    /// The file, as given to [`Baseline::parse`].
    pub source_name: String,
    /// Where the problem is.
    pub position: Position,
    /// The key involved (`scenario`, `expires`, ...); `None` for a TOML syntax error.
    pub field: Option<String>,
    /// What is wrong, a lowercase fragment.
    pub message: String,
}

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.source_name, self.position.line, self.position.column)?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for BaselineError {}

/// What the baseline said about one scenario, recorded on its result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExpectedFailure {
    /// Why the failure is accepted.
    pub reason: String,
    /// The tracker issue, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<String>,
    /// The entry's expiry date (`YYYY-MM-DD`), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// How a run measured up against its baseline, recorded on the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BaselineOutcome {
    /// The baseline file, as given on the command line.
    pub file: String,
    /// Entries whose scenario failed, as expected (these do not fail the run).
    pub expected_failures: Vec<String>,
    /// Entries whose scenario no longer fails: the entry should be removed.
    pub improvements: Vec<String>,
    /// Entries whose scenario was not run or not judged (filtered out, not
    /// applicable, inconclusive or a harness error): nothing changes for them.
    pub not_run: Vec<String>,
}

/// The file as written; every value is taken loosely so that our own checks, which
/// know the field names and positions, report type errors.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, rename = "expected-failure")]
    expected_failure: Vec<Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    scenario: Option<Spanned<toml::Value>>,
    reason: Option<Spanned<toml::Value>>,
    issue: Option<Spanned<toml::Value>>,
    expires: Option<Spanned<toml::Value>>,
}

impl Baseline {
    /// Parses baseline text. `source_name` (usually the path) names the file in errors.
    /// Returns the first problem found; expiry is checked apart, by [`Baseline::expired`],
    /// so a caller can refuse a stale baseline before running anything.
    ///
    /// Time grows with the size of the file, not its square: a baseline may be generated
    /// with an entry per scenario of several suites (`cargo bench -p pens-report --bench
    /// baseline`: 40 000 entries).
    pub fn parse(source_name: &str, text: &str) -> Result<Baseline, BaselineError> {
        let here = Locator::new(source_name, text);
        let raw: RawFile = toml::from_str(text).map_err(|e| here.toml_error(&e))?;
        let mut entries: Vec<BaselineEntry> = Vec::with_capacity(raw.expected_failure.len());
        // Each scenario's first line, to name it when it comes again.
        let mut first_line: HashMap<String, usize> = HashMap::with_capacity(raw.expected_failure.len());
        for spanned in raw.expected_failure {
            let entry_at = here.position(spanned.span().start);
            let raw = spanned.into_inner();
            let scenario = here.required_string(raw.scenario, "scenario", entry_at)?;
            let reason = here.required_string(raw.reason, "reason", entry_at)?;
            let issue = raw.issue.map(|value| here.issue_url(value)).transpose()?;
            let expires_position = raw.expires.as_ref().map(|value| here.position(value.span().start));
            let expires = raw.expires.map(|value| here.date(value)).transpose()?;
            let (position, scenario) = scenario;
            if scenario.trim().is_empty() {
                return Err(here.error(position, "scenario", "is empty; give a scenario id"));
            }
            if reason.1.trim().is_empty() {
                return Err(here.error(reason.0, "reason", "is empty; say why the failure is accepted"));
            }
            if let Some(first) = first_line.get(&scenario) {
                return Err(here.error(
                    position,
                    "scenario",
                    format!("`{scenario}` is listed twice (first on line {first}); keep one entry"),
                ));
            }
            first_line.insert(scenario.clone(), position.line);
            entries.push(BaselineEntry { scenario, reason: reason.1, issue, expires, position, expires_position });
        }
        Ok(Baseline { source: source_name.to_owned(), entries })
    }

    /// The entries that expired before `today` (UTC), each as an error naming the file,
    /// the line and the scenario. An entry holds through its `expires` day.
    pub fn expired(&self, today: time::Date) -> Vec<BaselineError> {
        self.entries
            .iter()
            .filter_map(|entry| {
                let expires = entry.expires.filter(|date| *date < today)?;
                Some(BaselineError {
                    source_name: self.source.clone(),
                    position: entry.expires_position.unwrap_or(entry.position),
                    field: Some("expires".to_owned()),
                    message: format!(
                        "the expected failure of `{}` expired on {}; fix the scenario or renew the entry",
                        entry.scenario,
                        iso_date(expires)
                    ),
                })
            })
            .collect()
    }

    /// Records on `report` what the baseline says: each expected `fail` gets its
    /// [`ExpectedFailure`], and [`RunReport::baseline`] lists expected failures,
    /// improvements (the scenario ran and did not fail; `warn` counts, since it never
    /// fails a run) and entries not run or not judged.
    pub fn apply(&self, report: &mut RunReport) {
        let mut outcome = BaselineOutcome { file: self.source.clone(), ..BaselineOutcome::default() };
        // Scenario ids to their place in the report, looked up once per entry (the first
        // of an id, as a search would find).
        let mut index: HashMap<String, usize> = HashMap::with_capacity(report.scenarios.len());
        for (at, scenario) in report.scenarios.iter().enumerate() {
            index.entry(scenario.id.clone()).or_insert(at);
        }
        for entry in &self.entries {
            let id = entry.scenario.clone();
            match index.get(&entry.scenario).and_then(|at| report.scenarios.get_mut(*at)) {
                Some(scenario) if scenario.verdict == Verdict::Fail => {
                    scenario.expected_failure = Some(ExpectedFailure {
                        reason: entry.reason.clone(),
                        issue: entry.issue.clone(),
                        expires: entry.expires.map(iso_date),
                    });
                    outcome.expected_failures.push(id);
                }
                Some(scenario) if matches!(scenario.verdict, Verdict::Pass | Verdict::Info | Verdict::Warn) => {
                    outcome.improvements.push(id);
                }
                _ => outcome.not_run.push(id),
            }
        }
        report.baseline = Some(outcome);
    }
}

/// `YYYY-MM-DD`.
fn iso_date(date: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// Turns byte offsets into positions and builds errors for one file.
struct Locator<'a> {
    source_name: &'a str,
    text: &'a str,
    /// The byte offset where each line starts, in order (the first is 0): built once,
    /// so that a position costs a binary search and its line's length, not a count of
    /// the newlines from the start of the file for every entry (quadratic in the file).
    line_starts: Vec<usize>,
}

impl<'a> Locator<'a> {
    fn new(source_name: &'a str, text: &'a str) -> Locator<'a> {
        let line_starts = std::iter::once(0)
            .chain(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1))
            .collect();
        Locator { source_name, text, line_starts }
    }

    /// The 1-based line and column (in characters) of byte `offset`; an offset past
    /// the end, or inside a character, counts as the end of the text before it.
    fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        // The lines starting at or before `offset`: the last of them holds it.
        let line = self.line_starts.partition_point(|start| *start <= offset);
        let line_start = self.line_starts.get(line.saturating_sub(1)).copied().unwrap_or(0);
        let column = self.text.get(line_start..offset).map_or_else(
            || {
                self.text
                    .get(line_start..)
                    .unwrap_or("")
                    .char_indices()
                    .take_while(|(i, _)| line_start + i < offset)
                    .count()
            },
            |s| s.chars().count(),
        ) + 1;
        Position { line: line.max(1), column }
    }

    fn error(&self, position: Position, field: &str, message: impl Into<String>) -> BaselineError {
        BaselineError {
            source_name: self.source_name.to_owned(),
            position,
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    /// A TOML or shape error: the unknown key becomes the field, with a suggestion.
    fn toml_error(&self, error: &toml::de::Error) -> BaselineError {
        let position = error.span().map(|span| self.position(span.start)).unwrap_or(Position { line: 1, column: 1 });
        let message = error.message().trim().to_owned();
        let unknown =
            message.strip_prefix("unknown field `").and_then(|rest| rest.split('`').next()).map(str::to_owned);
        match unknown {
            Some(key) => {
                let hint = suggest(&key).map(|known| format!("; did you mean `{known}`?")).unwrap_or_default();
                let message =
                    format!("unknown key{hint} (an [[expected-failure]] has scenario, reason, issue, expires)");
                self.error(position, &key, message)
            }
            None => BaselineError {
                source_name: self.source_name.to_owned(),
                position,
                field: None,
                message: lowercase_first(&message),
            },
        }
    }

    /// A required text value, with where it sits.
    fn required_string(
        &self,
        value: Option<Spanned<toml::Value>>,
        field: &str,
        entry_at: Position,
    ) -> Result<(Position, String), BaselineError> {
        let value = value.ok_or_else(|| self.error(entry_at, field, "is missing from this [[expected-failure]]"))?;
        let position = self.position(value.span().start);
        match value.into_inner() {
            toml::Value::String(text) => Ok((position, text)),
            other => Err(self.error(position, field, format!("expected text, found a {}", other.type_str()))),
        }
    }

    fn issue_url(&self, value: Spanned<toml::Value>) -> Result<String, BaselineError> {
        let position = self.position(value.span().start);
        let toml::Value::String(text) = value.into_inner() else {
            return Err(self.error(position, "issue", "expected an http(s) URL as text"));
        };
        match url::Url::parse(&text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(text),
            _ => Err(self.error(position, "issue", format!("`{text}` is not an http(s) URL"))),
        }
    }

    fn date(&self, value: Spanned<toml::Value>) -> Result<time::Date, BaselineError> {
        let position = self.position(value.span().start);
        let invalid = |shown: &str| self.error(position, "expires", format!("`{shown}` is not a date like 2027-03-31"));
        match value.into_inner() {
            toml::Value::Datetime(datetime) => match (datetime.date, datetime.time, datetime.offset) {
                (Some(date), None, None) => {
                    let month = time::Month::try_from(date.month).map_err(|_| invalid(&datetime.to_string()))?;
                    time::Date::from_calendar_date(i32::from(date.year), month, date.day)
                        .map_err(|_| invalid(&datetime.to_string()))
                }
                _ => Err(invalid(&datetime.to_string())),
            },
            toml::Value::String(text) => {
                let format = time::macros::format_description!("[year]-[month]-[day]");
                time::Date::parse(&text, format).map_err(|_| invalid(&text))
            }
            other => Err(invalid(other.type_str())),
        }
    }
}

/// The known key closest to a misspelt one, if it is close enough to be a typo.
fn suggest(unknown: &str) -> Option<&'static str> {
    ENTRY_KEYS
        .iter()
        .map(|known| (strsim::levenshtein(unknown, known), *known))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, known)| known)
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::model::ScenarioResult;

    const ENTRY: &str = "[[expected-failure]]\nscenario = \"a\"\nreason = \"LMS-1: known\"\n";

    fn parse(text: &str) -> Result<Baseline, BaselineError> {
        Baseline::parse("base.toml", text)
    }

    #[test]
    fn a_full_baseline_is_read_with_both_date_forms() {
        let text = format!(
            "{ENTRY}issue = \"https://tracker.example/LMS-1\"\nexpires = 2027-03-31\n\n\
             [[expected-failure]]\nscenario = \"b\"\nreason = \"r\"\nexpires = \"2027-04-01\"\n"
        );
        let baseline = parse(&text).expect("valid");
        assert_eq!(baseline.entries.len(), 2);
        let first = &baseline.entries[0];
        assert_eq!(first.scenario, "a");
        assert_eq!(first.issue.as_deref(), Some("https://tracker.example/LMS-1"));
        assert_eq!(first.expires, Some(date!(2027 - 03 - 31)));
        assert_eq!(first.position.line, 2);
        assert_eq!(baseline.entries[1].expires, Some(date!(2027 - 04 - 01)));
        assert_eq!(baseline.entries[1].position.line, 8);
    }

    #[test]
    fn an_empty_file_is_an_empty_baseline() {
        assert!(parse("").expect("valid").entries.is_empty());
    }

    #[test]
    fn each_error_names_the_file_line_and_field() {
        // (text, line, field, part of the message)
        let cases: [(&str, usize, Option<&str>, &str); 10] = [
            ("[[expected-failure]\n", 1, None, ""),
            ("[[expected-failure]]\nreason = \"r\"\n", 1, Some("scenario"), "is missing"),
            ("[[expected-failure]]\nscenario = \"a\"\n", 1, Some("reason"), "is missing"),
            (
                "[[expected-failure]]\nscenario = \"a\"\nreason = \"r\"\nresaon = \"x\"\n",
                4,
                Some("resaon"),
                "did you mean `reason`?",
            ),
            (
                "[[expected-failure]]\nscenario = 3\nreason = \"r\"\n",
                2,
                Some("scenario"),
                "expected text, found a integer",
            ),
            (
                "[[expected-failure]]\nscenario = \"a\"\nreason = \"r\"\nissue = \"ftp://x/1\"\n",
                4,
                Some("issue"),
                "not an http(s) URL",
            ),
            (
                "[[expected-failure]]\nscenario = \"a\"\nreason = \"r\"\nissue = \"LMS-1\"\n",
                4,
                Some("issue"),
                "not an http(s) URL",
            ),
            (
                "[[expected-failure]]\nscenario = \"a\"\nreason = \"r\"\nexpires = \"31.03.2027\"\n",
                4,
                Some("expires"),
                "not a date",
            ),
            (
                "[[expected-failure]]\nscenario = \"a\"\nreason = \"r\"\nexpires = 2027-03-31T10:00:00Z\n",
                4,
                Some("expires"),
                "not a date",
            ),
            (
                "[[expected-failure]]\nscenario = \"a\"\nreason = \"r\"\n[[expected-failure]]\nscenario = \"a\"\nreason = \"s\"\n",
                5,
                Some("scenario"),
                "listed twice (first on line 2)",
            ),
        ];
        for (text, line, field, message) in cases {
            let error = parse(text).expect_err(text);
            assert_eq!(error.position.line, line, "{text}: {error}");
            assert_eq!(error.field.as_deref(), field, "{text}: {error}");
            assert!(error.message.contains(message), "{text}: {error}");
            let shown = error.to_string();
            let prefix = format!("base.toml:{line}:");
            assert!(shown.starts_with(&prefix), "{shown}");
            if let Some(field) = field {
                assert!(shown.contains(&format!(": {field}: ")), "{shown}");
            }
        }
    }

    #[test]
    fn an_unknown_top_level_key_is_named() {
        let error = parse("[[expected-failures]]\nscenario = \"a\"\n").expect_err("unknown table");
        assert_eq!(error.field.as_deref(), Some("expected-failures"), "{error}");
        assert_eq!(error.position.line, 1, "{error}");
    }

    #[test]
    fn an_entry_expires_after_its_last_day() {
        let baseline = parse(&format!("{ENTRY}expires = 2027-03-31\n")).expect("valid");
        assert!(baseline.expired(date!(2027 - 03 - 31)).is_empty());
        assert!(baseline.expired(date!(2027 - 01 - 01)).is_empty());
        let errors = baseline.expired(date!(2027 - 04 - 01));
        assert_eq!(errors.len(), 1);
        let shown = errors[0].to_string();
        assert_eq!(
            shown,
            "base.toml:4:11: expires: the expected failure of `a` expired on 2027-03-31; \
             fix the scenario or renew the entry"
        );
        assert!(parse(ENTRY).expect("valid").expired(date!(2099 - 01 - 01)).is_empty(), "no date never expires");
    }

    fn report(verdicts: &[(&str, Verdict)]) -> RunReport {
        let scenarios: Vec<ScenarioResult> =
            verdicts.iter().map(|(id, verdict)| ScenarioResult::new(*id, "t", "f.toml", *verdict)).collect();
        crate::fixture::report(scenarios)
    }

    #[test]
    fn apply_sorts_each_entry_into_expected_improvement_or_not_run() {
        let mut text = String::new();
        for id in ["fails", "passes", "warns", "skipped", "undecided", "absent"] {
            text.push_str(&format!("[[expected-failure]]\nscenario = \"{id}\"\nreason = \"r-{id}\"\n"));
        }
        let baseline = parse(&text).expect("valid");
        let mut run = report(&[
            ("fails", Verdict::Fail),
            ("passes", Verdict::Pass),
            ("warns", Verdict::Warn),
            ("skipped", Verdict::NotApplicable),
            ("undecided", Verdict::Inconclusive),
            ("other", Verdict::Fail),
        ]);
        baseline.apply(&mut run);
        let outcome = run.baseline.as_ref().expect("outcome recorded");
        assert_eq!(outcome.file, "base.toml");
        assert_eq!(outcome.expected_failures, ["fails"]);
        assert_eq!(outcome.improvements, ["passes", "warns"]);
        assert_eq!(outcome.not_run, ["skipped", "undecided", "absent"]);
        let expected = run.scenarios[0].expected_failure.as_ref().expect("marked");
        assert_eq!(expected.reason, "r-fails");
        assert_eq!(run.scenarios[0].verdict, Verdict::Fail, "the verdict stays a fact");
        assert!(run.scenarios.iter().skip(1).all(|s| s.expected_failure.is_none()));
    }

    /// `entries` entries of five lines each (a blank line between them), with a
    /// multi-byte reason so that columns count characters: entry `n` starts on line
    /// `5n + 1`, its scenario value on line `5n + 2`, column 12.
    fn large(entries: usize) -> String {
        let mut text = String::with_capacity(entries * 110);
        for n in 0..entries {
            text.push_str(&format!(
                "[[expected-failure]]\nscenario = \"s-{n}\"\nreason = \"réason {n}\"\nexpires = 2099-12-31\n\n"
            ));
        }
        text
    }

    /// A baseline of 10 000 entries (issue 16: 40 000 took 142 s, quadratic) keeps every
    /// position exact and still names both lines of a duplicate, or the line of an
    /// error, at its end. Not timed: the speed is `benches/baseline.rs`'s to measure
    /// (40 000 entries there).
    #[test]
    fn a_large_baseline_keeps_exact_positions_and_names_a_late_duplicate() {
        let entries = 10_000;
        let text = large(entries);
        let baseline = parse(&text).expect("valid");
        assert_eq!(baseline.entries.len(), entries);
        for (n, entry) in baseline.entries.iter().enumerate() {
            assert_eq!(entry.scenario, format!("s-{n}"));
            assert_eq!(entry.position, Position { line: 5 * n + 2, column: 12 }, "entry {n}");
            assert_eq!(entry.expires_position, Some(Position { line: 5 * n + 4, column: 11 }), "entry {n}");
        }
        // The same scenario again at the very end: both lines named.
        let duplicate = format!("{text}[[expected-failure]]\nscenario = \"s-1234\"\nreason = \"again\"\n");
        let error = parse(&duplicate).expect_err("a duplicate");
        assert_eq!(error.position, Position { line: 5 * entries + 2, column: 12 }, "{error}");
        assert!(error.message.contains(&format!("first on line {}", 5 * 1234 + 2)), "{error}");
        // An error in the last entry, after a reason with multi-byte characters.
        let bad = format!("{text}[[expected-failure]]\nscenario = \"z\"\nreason = \"é\"\nissue = \"LMS-1\"\n");
        let error = parse(&bad).expect_err("a bad issue");
        assert_eq!(error.position, Position { line: 5 * entries + 4, column: 9 }, "{error}");
        assert_eq!(error.field.as_deref(), Some("issue"));
        // Applied to a report of as many scenarios, each entry is sorted by its own.
        let mut run = report(&[]);
        run.scenarios = (0..entries)
            .map(|n| {
                let verdict = if n % 2 == 0 { Verdict::Fail } else { Verdict::Pass };
                ScenarioResult::new(format!("s-{n}"), "t", "f.toml", verdict)
            })
            .collect();
        run.scenarios.truncate(entries - 1);
        baseline.apply(&mut run);
        let outcome = run.baseline.as_ref().expect("outcome");
        assert_eq!(outcome.expected_failures.len(), entries / 2);
        assert_eq!(outcome.improvements.len(), entries / 2 - 1);
        assert_eq!(outcome.not_run, [format!("s-{}", entries - 1)]);
        assert!(run.scenarios.iter().step_by(2).all(|s| s.expected_failure.is_some()));
    }

    /// The line index gives what counting from the start of the file gave, at every
    /// character of a text with LF and CR LF lines, multi-byte characters, an empty
    /// line and no final newline.
    #[test]
    fn positions_equal_counting_from_the_start() {
        let text = "a\r\nbé\n\nçd€\r\n\n  x = \"ü\"";
        let locator = Locator::new("t", text);
        for (offset, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
            let before = &text[..offset];
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = before[line_start..].chars().count() + 1;
            assert_eq!(locator.position(offset), Position { line, column }, "offset {offset}");
        }
        assert_eq!(locator.position(text.len() + 10), locator.position(text.len()));
    }

    #[test]
    fn the_outcome_is_left_out_of_json_without_a_baseline() {
        let json = serde_json::to_value(report(&[("a", Verdict::Pass)])).expect("json");
        assert!(json.get("baseline").is_none(), "{json}");
        assert!(json["scenarios"][0].get("expected_failure").is_none(), "{json}");
    }
}
