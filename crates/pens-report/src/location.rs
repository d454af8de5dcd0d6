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
/// An explicit expectation points at its own key (`after_fetch = true`); a check the
/// scenario implies without a line of its own (the answer's format, a flood, "checked
/// nothing") points at what caused it: the `[collect]` table, or the scenario's first
/// line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Location {
    /// The scenario file, as loaded.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
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
}
