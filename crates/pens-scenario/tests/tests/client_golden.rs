//! Client scenarios: files that must load (`tests/golden/client/ok/`) and what the model
//! says about them, files that must be rejected (`tests/golden/client/rejected/`) with
//! their diagnostics next to them, and the shipped `scenarios/client/`.

use std::path::Path;

use pens_proto::{ErrorCode, req};
use pens_scenario::{
    ClientScenario, FindingsMode, Method, NotificationDelivery, NotificationShape, ScenarioErrorKind, ScenarioLevel,
    load_client_dir, load_client_file, load_client_file_all, load_dir, render_plain_all,
};

use crate::support::{golden, snapshot_next_to, toml_files};

fn load(name: &str) -> ClientScenario {
    load_client_file(golden("client/ok").join(format!("{name}.toml"))).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

fn code(code: Option<&pens_scenario::Spanned<ErrorCode>>) -> Option<u16> {
    code.map(|c| c.value.0)
}

#[test]
fn every_ok_file_loads_and_the_directory_has_no_error() {
    let (scenarios, errors) = load_client_dir(golden("client/ok"));
    assert!(errors.is_empty(), "{}", render_plain_all(&errors));
    let ids: Vec<&str> = scenarios.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["defaults", "every-key", "receipt-reports-1432", "refused-at-once"]);
    assert_eq!(toml_files(&golden("client/ok")).len(), scenarios.len());
}

#[test]
fn defaults_are_a_correct_target_and_one_strictly_judged_collect() {
    let s = load("defaults");
    assert_eq!(s.source, golden("client/ok").join("defaults.toml"));
    assert_eq!((s.id.span.line, s.id.span.col), (1, 6));
    assert_eq!(s.requirements.iter().map(|r| r.value).collect::<Vec<_>>(), [&req::COLLECT_RECEIPT_PRESENT]);
    assert_eq!(s.level.value, ScenarioLevel::Must);
    assert!(s.tags.is_empty());

    let t = &s.target;
    assert!(t.span.is_empty(), "an absent section points at 1:1");
    assert_eq!((code(t.answer.as_ref()), code(t.receipt_error.as_ref())), (None, None));
    assert_eq!((t.answer_delay_ms.value, t.fetch.value, t.alerts.value), (0, true, 1));
    assert_eq!(t.delivery.value, NotificationDelivery::Post);
    assert_eq!(t.notifications.value, NotificationShape::Full);

    let e = &s.expect;
    assert_eq!(e.collects.value, 1);
    assert_eq!(e.collect.findings.value, FindingsMode::Strict);
    assert!(e.collect.method.is_none());
    assert!(e.collect.span.is_empty() && e.collects.span.is_empty(), "no [expect]: 1:1");
    assert!(e.package.is_none() && e.answers.is_none() && e.namespace.is_none());
}

#[test]
fn every_key_is_read_with_its_span() {
    let s = load("every-key");
    assert_eq!(s.level.value, ScenarioLevel::Should);
    assert_eq!(s.tags.iter().map(|t| t.as_str()).collect::<Vec<_>>(), ["core", "answers"]);
    let t = &s.target;
    assert_eq!(t.span.line, 8, "the [target] header");
    assert_eq!((code(t.answer.as_ref()), code(t.receipt_error.as_ref())), (Some(0), Some(0)));
    assert_eq!((t.answer_delay_ms.value, t.fetch.value, t.alerts.value), (2500, false, 4));
    assert_eq!((t.delivery.value, t.delivery.span.line, t.delivery.span.col), (NotificationDelivery::Get, 14, 12));
    assert_eq!((t.notifications.value, t.notifications.span.line), (NotificationShape::Minimal, 15));

    let e = &s.expect;
    assert_eq!((e.collects.value, e.collects.span.line), (3, 18));
    assert_eq!(e.collect.findings.value, FindingsMode::Lenient);
    assert_eq!(e.collect.method.as_ref().map(|m| m.value), Some(Method::Get));
    let package = e.package.as_ref().expect("package");
    assert_eq!((package.available.value, package.contents.value), (true, false));
    let answers = e.answers.as_ref().expect("answers");
    assert_eq!((answers.receipt.value, answers.alerts.value), (false, true));
    assert_eq!(answers.within_ms.as_ref().map(|w| w.value), Some(5000));
    let namespace = e.namespace.as_ref().expect("namespace");
    assert!(namespace.stable.value);
    assert_eq!(namespace.span.line, 33);
}

#[test]
fn a_refusing_target_and_a_failing_receipt() {
    let refused = load("refused-at-once");
    assert_eq!(code(refused.target.answer.as_ref()), Some(1301));
    assert!(!refused.target.fetch.value);
    assert_eq!(refused.target.alerts.value, 1, "defaulted, and never acted on");
    assert_eq!(refused.target.alerts.span, refused.target.span, "a defaulted value points at its table");

    let failing = load("receipt-reports-1432");
    assert_eq!(code(failing.target.receipt_error.as_ref()), Some(1432));
    assert_eq!(failing.target.alerts.value, 0);
    let answers = failing.expect.answers.as_ref().expect("answers");
    assert!(answers.receipt.value && answers.alerts.value, "alerts defaults to true, vacuous here");
    assert_eq!(answers.alerts.span, answers.span);
}

/// The first error of each file: the one the file is about.
const EXPECTED: &[(&str, &str)] = &[
    ("alerts-never-sent", "pens_scenario::conflict"),
    ("checks-nothing", "pens_scenario::invalid_value"),
    ("code-out-of-range", "pens_scenario::code_out_of_range"),
    ("id-mismatch", "pens_scenario::id_mismatch"),
    ("id-not-kebab-case", "pens_scenario::id_not_kebab_case"),
    ("malformed-toml", "pens_scenario::syntax"),
    ("many-errors", "pens_scenario::unknown_key"),
    ("namespace-default-collects", "pens_scenario::conflict"),
    ("namespace-one-collect", "pens_scenario::conflict"),
    ("not-utf8", "pens_scenario::not_utf8"),
    ("refusal-then-receipt", "pens_scenario::conflict"),
    ("target-requirement", "pens_scenario::invalid_value"),
    ("target-scenario-keys", "pens_scenario::unknown_key"),
    ("unknown-key", "pens_scenario::unknown_key"),
    ("unknown-keyword", "pens_scenario::unknown_keyword"),
    ("unknown-requirement", "pens_scenario::unknown_requirement"),
    ("unknown-section", "pens_scenario::unknown_key"),
    ("value-out-of-range", "pens_scenario::invalid_value"),
    ("wrong-type", "pens_scenario::wrong_type"),
];

#[test]
fn every_rejected_file_is_rejected_with_its_diagnostics() {
    let dir = golden("client/rejected");
    let files = toml_files(&dir);
    let names: Vec<String> =
        files.iter().map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned()).collect();
    assert_eq!(names, EXPECTED.iter().map(|(n, _)| *n).collect::<Vec<_>>(), "a new file needs an EXPECTED entry");
    for (path, (name, code)) in files.iter().zip(EXPECTED) {
        let errors = match load_client_file_all(path) {
            Ok(scenario) => panic!("{name} loaded: {scenario:?}"),
            Err(errors) => errors,
        };
        assert_eq!(errors[0].kind().code(), *code, "{name}\n{}", render_plain_all(&errors));
        let first = load_client_file(path).expect_err(name);
        assert_eq!(first.to_string(), errors[0].to_string(), "load_client_file returns the first error");
        snapshot_next_to(&dir, name, &render_plain_all(&errors));
    }
}

#[test]
fn one_file_reports_all_of_its_errors_in_file_order() {
    let errors = load_client_file_all(golden("client/rejected").join("many-errors.toml")).expect_err("rejected");
    assert!(errors.len() >= 18, "{}", render_plain_all(&errors));
    let lines: Vec<u32> = errors.iter().map(|e| e.span().expect("located").line).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
}

#[test]
fn a_conflict_points_at_both_places() {
    let errors = load_client_file_all(golden("client/rejected").join("namespace-one-collect.toml")).expect_err("no");
    let [error] = &errors[..] else { panic!("{}", render_plain_all(&errors)) };
    let ScenarioErrorKind::Conflict { field, .. } = error.kind() else { panic!("{error:?}") };
    assert_eq!(field, "expect.namespace");
    assert_eq!(error.span().map(|s| s.line), Some(9), "the [expect.namespace] header");
    assert_eq!(error.notes().len(), 1);
    assert_eq!(error.notes()[0].span().line, 7, "`collects = 1`");
    assert_eq!(error.notes()[0].path(), error.path());
}

#[test]
fn a_duplicate_id_points_at_both_files() {
    let dir = golden("client/rejected").join("duplicate-id");
    let (scenarios, errors) = load_client_dir(&dir);
    assert_eq!(scenarios.len(), 1, "the first of the two still loads");
    assert_eq!(errors.len(), 1, "{}", render_plain_all(&errors));
    let ScenarioErrorKind::DuplicateId { id, first } = errors[0].kind() else { panic!("{:?}", errors[0]) };
    assert_eq!(id, "publish-twice");
    assert_eq!(first, &dir.join("a").join("publish-twice.toml"));
    assert_eq!(errors[0].path(), dir.join("b").join("publish-twice.toml"));
    snapshot_next_to(&golden("client/rejected"), "duplicate-id", &render_plain_all(&errors));
}

#[test]
fn a_directory_collects_the_errors_of_every_file() {
    let (scenarios, errors) = load_client_dir(golden("client/rejected"));
    assert_eq!(scenarios.len(), 1, "the first of the duplicate-id pair");
    let files: std::collections::BTreeSet<_> = errors.iter().map(|e| e.path().to_owned()).collect();
    assert_eq!(files.len(), EXPECTED.len() + 1, "every rejected file, plus the duplicate");
}

#[test]
fn the_two_languages_do_not_load_each_other() {
    // A client file is not a target scenario, and the reverse; each says why in its own terms.
    let (_, errors) = load_dir(golden("client/ok"));
    assert!(!errors.is_empty());
    assert!(errors.iter().all(|e| e.path().starts_with(golden("client/ok"))));
    let errors = load_client_file_all(golden("ok").join("collect-post-valid.toml")).expect_err("a target scenario");
    assert!(
        errors.iter().any(|e| matches!(e.kind(), ScenarioErrorKind::UnknownKey { key, .. } if key == "collect")),
        "{}",
        render_plain_all(&errors)
    );
}

#[test]
fn the_shipped_client_scenarios_load() {
    let dir = Path::new("../../scenarios/client");
    let (scenarios, errors) = load_client_dir(dir);
    assert!(errors.is_empty(), "{}", render_plain_all(&errors));
    let ids: Vec<&str> = scenarios.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "answers-alerts",
            "answers-get-delivery",
            "answers-minimal-notifications",
            "answers-receipt-error",
            "collect-required-elements",
            "namespace-stable",
            "package-available",
            "package-contents-fit-type",
            "publish-post-not-get",
            "publish-valid",
        ]
    );
    let by_id = |id: &str| scenarios.iter().find(|s| s.id.as_str() == id).expect(id);
    let post = by_id("publish-post-not-get");
    assert_eq!(post.level.value, ScenarioLevel::Should);
    assert_eq!(post.expect.collect.method.as_ref().map(|m| m.value), Some(Method::Post));
    assert_eq!(code(by_id("answers-receipt-error").target.receipt_error.as_ref()), Some(1310));
    assert_eq!(by_id("answers-alerts").target.alerts.value, 3);
    assert_eq!(by_id("answers-get-delivery").target.delivery.value, NotificationDelivery::Get);
    assert_eq!(by_id("answers-minimal-notifications").target.notifications.value, NotificationShape::Minimal);
    assert_eq!(by_id("answers-alerts").target.notifications.value, NotificationShape::Full);
    let namespace = by_id("namespace-stable");
    assert_eq!(namespace.expect.collects.value, 2);
    assert!(namespace.expect.namespace.is_some());
    assert_eq!(by_id("collect-required-elements").expect.collect.findings.value, FindingsMode::Strict);
    assert!(by_id("package-available").expect.package.as_ref().is_some_and(|p| p.available.value));
    assert!(by_id("package-contents-fit-type").expect.package.as_ref().is_some_and(|p| p.contents.value));
    for s in &scenarios {
        assert!(
            s.requirements.iter().all(|r| r.party != pens_proto::Party::Target),
            "{}: a client scenario cites client requirements",
            s.id.value
        );
    }
}
