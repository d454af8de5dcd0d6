//! `schemas/report.schema.json`: generated from the model, committed, and checked here
//! to be current (`UPDATE_SCHEMAS=1` rewrites it) and to accept a real report.

use std::path::PathBuf;

use crate::fixture::report;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/report.schema.json")
}

#[test]
fn the_committed_schema_is_what_the_model_generates() {
    let generated = serde_json::to_string_pretty(&pens_report::report_schema()).expect("json") + "\n";
    let path = committed_path();
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &generated).expect("write the schema");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: regenerate it with `UPDATE_SCHEMAS=1 cargo test -p pens-report`",
        path.display()
    );
}

#[test]
fn the_schema_accepts_a_report_and_rejects_a_wrong_verdict() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(committed_path()).expect("schema")).expect("json");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let mut instance = serde_json::to_value(report()).expect("json");
    let errors: Vec<String> =
        validator.iter_errors(&instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    instance["scenarios"][0]["verdict"] = "passed".into();
    assert!(!validator.is_valid(&instance), "an unknown verdict is accepted");
    let mut instance = serde_json::to_value(report()).expect("json");
    instance["target"]["claims"]["ftp"] = "maybe".into();
    assert!(!validator.is_valid(&instance), "an unknown claim value is accepted");
    let mut instance = serde_json::to_value(report()).expect("json");
    let last = instance["scenarios"].as_array().map_or(0, Vec::len) - 1;
    let receipt = &mut instance["scenarios"][last]["exchanges"][2];
    assert_eq!(receipt["request_encoding"], "base64", "the fixture's non-UTF-8 receipt: {receipt}");
    receipt["request_encoding"] = "hex".into();
    assert!(!validator.is_valid(&instance), "an unknown body encoding is accepted");
}

#[test]
fn the_schema_accepts_a_partition_and_a_merged_report() {
    use pens_report::{MergedFrom, MergedPartition, Partition, PartitionKind};

    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(committed_path()).expect("schema")).expect("json");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let mut partition = report();
    partition.partition = Some(Partition { index: 2, count: 3, kind: PartitionKind::Hash, set_size: 9 });
    let mut merged = report();
    merged.merged_from = Some(MergedFrom {
        count: 3,
        kind: PartitionKind::Count,
        set_size: 9,
        partitions: vec![MergedPartition {
            index: 1,
            started_at: "2026-01-01T00:00:00Z".into(),
            duration_ms: 5,
            scenarios: 3,
            aborted: Some("interrupted".into()),
        }],
    });
    for report in [partition, merged] {
        let instance = serde_json::to_value(report).expect("json");
        let errors: Vec<String> =
            validator.iter_errors(&instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
    let mut instance = serde_json::to_value(report()).expect("json");
    instance["partition"] = serde_json::json!({ "index": 1, "count": 2, "kind": "round-robin", "set_size": 3 });
    assert!(!validator.is_valid(&instance), "an unknown partition kind is accepted");
}
