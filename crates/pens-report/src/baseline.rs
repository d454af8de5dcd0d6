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
    pub fn parse(source_name: &str, text: &str) -> Result<Baseline, BaselineError> {
        let here = Locator { source_name, text };
        let raw: RawFile = toml::from_str(text).map_err(|e| here.toml_error(&e))?;
        let mut entries: Vec<BaselineEntry> = Vec::new();
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
            if let Some(first) = entries.iter().find(|e| e.scenario == scenario) {
                return Err(here.error(
                    position,
                    "scenario",
                    format!("`{scenario}` is listed twice (first on line {}); keep one entry", first.position.line),
                ));
            }
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
        for entry in &self.entries {
            let id = entry.scenario.clone();
            match report.scenarios.iter_mut().find(|s| s.id == entry.scenario) {
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
}

impl Locator<'_> {
    fn position(&self, offset: usize) -> Position {
        let before = self.text.get(..offset).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Position { line, column }
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
        .map(|known| (edit_distance(unknown, known), *known))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, known)| known)
}

/// Levenshtein distance; the keys are a few characters long.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
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

    #[test]
    fn the_outcome_is_left_out_of_json_without_a_baseline() {
        let json = serde_json::to_value(report(&[("a", Verdict::Pass)])).expect("json");
        assert!(json.get("baseline").is_none(), "{json}");
        assert!(json["scenarios"][0].get("expected_failure").is_none(), "{json}");
    }
}
