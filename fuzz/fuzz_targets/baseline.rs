//! `Baseline::parse` on arbitrary text: a baseline file is written by hand and kept in a
//! vendor's repository, so the parser must turn any text into a baseline or into an
//! error naming the file, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pens_report::Baseline;

/// The name every input is parsed under; errors must name it.
const SOURCE: &str = "fuzz-baseline.toml";

fuzz_target!(|text: &str| {
    match Baseline::parse(SOURCE, text) {
        Ok(baseline) => {
            let mut seen = std::collections::BTreeSet::new();
            for entry in &baseline.entries {
                assert!(!entry.scenario.is_empty() && !entry.reason.trim().is_empty(), "{entry:?}");
                assert!(seen.insert(entry.scenario.clone()), "duplicate {} accepted", entry.scenario);
                assert!(entry.position.line >= 1 && entry.position.column >= 1, "{entry:?}");
            }
        }
        Err(error) => {
            let shown = error.to_string();
            assert!(shown.starts_with(SOURCE), "the error does not name the file: {shown:?}");
        }
    }
});
