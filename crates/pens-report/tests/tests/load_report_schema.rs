//! `schemas/load-report.schema.json`, the schema of `pens-conform load --json`: generated
//! from the model, committed, and checked here to be current (`UPDATE_SCHEMAS=1`
//! rewrites it), to accept a real load report and to refuse a broken one.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pens_report::{LOAD_FORMAT_VERSION, LatencySummary, LoadLatencies, LoadReport, NO_ANSWER};

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/load-report.schema.json")
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(committed_path()).expect("the committed schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("json");
    jsonschema::validator_for(&schema).expect("a valid schema")
}

fn errors(validator: &jsonschema::Validator, instance: &serde_json::Value) -> Vec<String> {
    validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

/// A load report as `run_load` builds one: some cycles lost, one collect unanswered.
fn load_report() -> LoadReport {
    let summary = |base: u64, samples: u64| LatencySummary {
        samples,
        p50_us: base,
        p90_us: base * 2,
        p99_us: base * 3,
        p999_us: base * 4,
        max_us: base * 5,
    };
    LoadReport {
        format_version: LOAD_FORMAT_VERSION,
        target_url: "http://127.0.0.1:8380/pens".into(),
        publishes: 100,
        concurrency: 8,
        receipt_timeout_ms: 30_000,
        package: "scorm12-minimal.zip".into(),
        package_bytes: 64 * 1024 * 1024,
        cycles: 100,
        completed: 98,
        lost: 1,
        duplicated: 0,
        late: 0,
        alerts: 0,
        answers: BTreeMap::from([("0".into(), 99), (NO_ANSWER.into(), 1)]),
        receipts: BTreeMap::from([("0".into(), 98)]),
        fetch_missing: 0,
        wall_time_ms: 1_250,
        throughput: 78.4,
        latency: LoadLatencies { ack: summary(900, 99), fetch_start: summary(1_400, 99), receipt: summary(5_000, 98) },
    }
}

#[test]
fn the_committed_load_schema_is_what_the_model_generates() {
    let generated = serde_json::to_string_pretty(&pens_report::load_report_schema()).expect("json") + "\n";
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
    let schema: serde_json::Value = serde_json::from_str(&committed).expect("json");
    assert_eq!(
        schema["$id"], "https://example.invalid/pens-conform/schemas/load-report.schema.json",
        "the load schema's own $id"
    );
}

#[test]
fn the_load_schema_accepts_a_load_report() {
    let validator = validator();
    let instance = serde_json::to_value(load_report()).expect("json");
    let errors = errors(&validator, &instance);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_load_schema_refuses_negative_counts_and_missing_fields() {
    let validator = validator();
    type Spoil = fn(&mut serde_json::Value);
    let broken: [(&str, Spoil); 5] = [
        ("a negative count", |r| r["lost"] = (-1).into()),
        ("a negative latency", |r| r["latency"]["receipt"]["p99_us"] = (-5).into()),
        ("a negative answer count", |r| r["answers"]["0"] = (-99).into()),
        ("no completed count", |r| {
            r.as_object_mut().expect("an object").remove("completed");
        }),
        ("no fetch latencies", |r| {
            r["latency"].as_object_mut().expect("an object").remove("fetch_start");
        }),
    ];
    for (what, spoil) in broken {
        let mut instance = serde_json::to_value(load_report()).expect("json");
        spoil(&mut instance);
        assert!(!validator.is_valid(&instance), "{what} is accepted: {instance}");
    }
}

#[test]
fn the_load_schema_accepts_a_report_from_before_the_package_fields() {
    let validator = validator();
    let mut instance = serde_json::to_value(load_report()).expect("json");
    let fields = instance.as_object_mut().expect("an object");
    fields.remove("package");
    fields.remove("package_bytes");
    let errors = errors(&validator, &instance);
    assert!(errors.is_empty(), "{errors:#?}");
}
