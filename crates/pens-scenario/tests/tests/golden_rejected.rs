//! Files that must be rejected, each with its expected diagnostics next to it
//! (`tests/golden/rejected/<name>.snap`, plain rustc-like text).

use pens_scenario::{ScenarioErrorKind, load_dir, load_file, load_file_all, render_plain_all};

use crate::support::{golden, snapshot_next_to, toml_files};

/// The first error of each file: the one the file is about.
const EXPECTED: &[(&str, &str)] = &[
    ("after-answer-misspelt", "pens_scenario::unknown_keyword"),
    ("after-answer-mistakes", "pens_scenario::conflict"),
    ("bad-placeholder", "pens_scenario::template"),
    ("code-out-of-range", "pens_scenario::code_out_of_range"),
    ("id-mismatch", "pens_scenario::id_mismatch"),
    ("id-not-kebab-case", "pens_scenario::id_not_kebab_case"),
    ("internal-without-url", "pens_scenario::conflict"),
    ("invalid-capability", "pens_scenario::unknown_keyword"),
    ("malformed-toml", "pens_scenario::syntax"),
    ("many-errors", "pens_scenario::unknown_key"),
    ("not-utf8", "pens_scenario::not_utf8"),
    ("security-mistakes", "pens_scenario::invalid_value"),
    ("silent-mistakes", "pens_scenario::conflict"),
    ("size-not-a-size", "pens_scenario::invalid_value"),
    ("size-out-of-range", "pens_scenario::invalid_value"),
    ("size-rewritten", "pens_scenario::conflict"),
    ("status-without-status", "pens_scenario::missing_key"),
    ("unknown-key", "pens_scenario::unknown_key"),
    ("unknown-requirement", "pens_scenario::unknown_requirement"),
    ("wrong-type", "pens_scenario::wrong_type"),
];

#[test]
fn every_rejected_file_is_rejected_with_its_diagnostics() {
    let dir = golden("rejected");
    let files = toml_files(&dir);
    let names: Vec<String> =
        files.iter().map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned()).collect();
    assert_eq!(names, EXPECTED.iter().map(|(n, _)| *n).collect::<Vec<_>>(), "a new file needs an EXPECTED entry");
    for (path, (name, code)) in files.iter().zip(EXPECTED) {
        let errors = match load_file_all(path) {
            Ok(scenario) => panic!("{name} loaded: {scenario:?}"),
            Err(errors) => errors,
        };
        assert_eq!(errors[0].kind().code(), *code, "{name}");
        let first = load_file(path).expect_err(name);
        assert_eq!(first.to_string(), errors[0].to_string(), "load_file returns the first error");
        snapshot_next_to(&dir, name, &render_plain_all(&errors));
    }
}

#[test]
fn one_file_reports_all_of_its_errors_in_file_order() {
    let errors = load_file_all(golden("rejected").join("many-errors.toml")).expect_err("rejected");
    assert!(errors.len() >= 15, "{}", errors.len());
    let lines: Vec<u32> = errors.iter().map(|e| e.span().expect("located").line).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
}

#[test]
fn a_duplicate_id_points_at_both_files() {
    let dir = golden("rejected").join("duplicate-id");
    let (scenarios, errors) = load_dir(&dir);
    assert_eq!(scenarios.len(), 1, "the first of the two still loads");
    assert_eq!(errors.len(), 1, "{}", render_plain_all(&errors));
    let ScenarioErrorKind::DuplicateId { id, first } = errors[0].kind() else { panic!("{:?}", errors[0]) };
    assert_eq!(id, "collect-twice");
    assert_eq!(first, &dir.join("a").join("collect-twice.toml"));
    assert_eq!(errors[0].path(), dir.join("b").join("collect-twice.toml"));
    assert_eq!(errors[0].notes()[0].path(), first);
    snapshot_next_to(&golden("rejected"), "duplicate-id", &render_plain_all(&errors));
}

#[test]
fn a_directory_collects_the_errors_of_every_file() {
    let (scenarios, errors) = load_dir(golden("rejected"));
    // The duplicate-id folder holds one loadable scenario (the other is its duplicate).
    assert_eq!(scenarios.len(), 1);
    let files: std::collections::BTreeSet<_> = errors.iter().map(|e| e.path().to_owned()).collect();
    assert_eq!(files.len(), EXPECTED.len() + 1, "every rejected file, plus the duplicate");
}

#[test]
fn a_missing_directory_or_file_is_an_error_not_a_panic() {
    let (scenarios, errors) = load_dir("tests/golden/no-such-dir");
    assert!(scenarios.is_empty());
    assert!(matches!(errors[..], [ref e] if matches!(e.kind(), ScenarioErrorKind::Io { .. }) && e.span().is_none()));
    let error = load_file("tests/golden/no-such-file.toml").expect_err("missing");
    assert!(std::error::Error::source(&error).is_some(), "the io::Error is the source");
}
