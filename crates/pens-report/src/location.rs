//! Where a check comes from: the scenario line it judges, as `file:line:col`.
//!
//! A failed check that names its line can be read next to the scenario without
//! searching for it, as a rustc error or a Hurl assertion can; the console, `summary.md`,
//! `junit.xml` and `report.html` all render it the same way, through [`Location`]'s
//! `Display`.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A place in a scenario file: the path as the run loaded it (relative to where the
/// harness ran, e.g. `scenarios/target/collect-post-valid.toml`), and the 1-based line
/// and column (in characters) of what the check judges.
///
/// An explicit expectation points at its own line, at the value it wrote (the `true`
/// of `after_fetch = true`), or at its section's table head when no key of the section
/// decides the check; a check the scenario implies without a line of its own (the
/// answer's format when no section names it, a flood, "checked nothing") points at what
/// caused it: the `[collect]` table, or the scenario's first line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Location {
    /// The scenario file, as loaded.
    pub file: String,
    /// 1-based line.
    #[schemars(range(min = 1))]
    pub line: u32,
    /// 1-based column, counted in characters.
    #[schemars(range(min = 1))]
    pub col: u32,
}

impl Location {
    /// A location in `file` at `line`:`col` (both 1-based).
    pub fn new(file: impl Into<String>, line: u32, col: u32) -> Self {
        Location { file: file.into(), line, col }
    }
}

impl fmt::Display for Location {
    /// `file:line:col`, as rustc and Hurl print a place, so editors and terminals that
    /// recognise it open the file there.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_reads_file_line_col() {
        let at = Location::new("scenarios/target/collect-post-valid.toml", 29, 1);
        assert_eq!(at.to_string(), "scenarios/target/collect-post-valid.toml:29:1");
    }

    #[test]
    fn a_check_written_before_checks_kept_their_place_still_loads_and_a_new_one_round_trips() {
        let old =
            r#"{"verdict":"pass","requirement":"target.receipt.sent","section":"CMI010 §6.4","message":"1 receipt"}"#;
        let check: crate::CheckResult = serde_json::from_str(old).expect("a format 2 check without location");
        assert_eq!(check.location, None);
        assert_eq!(serde_json::to_string(&check).expect("json"), old, "no location, no field");

        let placed = check.at(Location::new("scenarios/target/x.toml", 14, 1));
        let json = serde_json::to_value(&placed).expect("json");
        assert_eq!(json["location"], serde_json::json!({"file": "scenarios/target/x.toml", "line": 14, "col": 1}));
        let back: crate::CheckResult = serde_json::from_value(json).expect("read back");
        assert_eq!(back, placed);
    }
}
