//! `--partition K/N` and `merge`: a selftest spread over three partitions and merged
//! gives the verdicts and totals of the same selftest run whole; reports that are not
//! the partitions of one run are refused (exit 2) naming the file and what differs; bad
//! `--partition` values are usage errors; an empty partition is a complete run of none.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use super::{TempDir, both, pens_conform, scenario_ids, workspace_root};

/// Scenarios of both suites that run fast against the reference parties: nine target
/// scenarios (`package-*`, `pens-version-*`) and four client ones.
const ONLY: &str = "p*";

/// `selftest --http-only --only p*` into `dir`, as partition `partition` when given.
fn selftest(dir: &Path, partition: Option<&str>) -> Output {
    let mut command = pens_conform();
    command.args(["selftest", "--http-only", "--only", ONLY, "--report-dir"]).arg(dir);
    if let Some(partition) = partition {
        command.args(["--partition", partition]);
    }
    command.output().expect("runs")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `(id, verdict)` of every scenario of a report, in report order.
fn verdicts(report: &Value) -> Vec<(String, String)> {
    report["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| (s["id"].as_str().expect("id").to_owned(), s["verdict"].as_str().expect("verdict").to_owned()))
        .collect()
}

fn report_schema() -> jsonschema::Validator {
    let schema = read_json(&workspace_root().join("schemas/report.schema.json"));
    jsonschema::validator_for(&schema).expect("a valid schema")
}

/// `merge` of `inputs` into `out`.
fn merge(inputs: &[PathBuf], out: &Path, extra: &[&str]) -> Output {
    pens_conform().arg("merge").args(inputs).arg("--report-dir").arg(out).args(extra).output().expect("runs")
}

#[test]
fn three_partitions_of_a_selftest_merge_into_the_whole_run() {
    let dir = TempDir::new("partition-merge");
    let whole = selftest(&dir.path().join("whole"), None);
    assert_eq!(whole.status.code(), Some(0), "{}", both(&whole));
    let set_size = scenario_ids().len();
    for k in 1..=3 {
        let output = selftest(&dir.path().join(format!("p{k}")), Some(&format!("{k}/3")));
        assert_eq!(output.status.code(), Some(0), "{}", both(&output));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let header = format!("partition {k}/3: ");
        let line = stdout.lines().find(|l| l.starts_with(&header)).unwrap_or_else(|| panic!("{stdout}"));
        assert!(line.ends_with(&format!(" of {set_size} scenarios")), "{line}");
        let report = read_json(&dir.path().join(format!("p{k}/target/report.json")));
        assert_eq!(
            report["partition"],
            serde_json::json!({ "index": k, "count": 3, "kind": "count", "set_size": set_size })
        );
    }

    let validator = report_schema();
    for suite in ["target", "client"] {
        let inputs: Vec<PathBuf> =
            [3, 1, 2].iter().map(|k| dir.path().join(format!("p{k}/{suite}/report.json"))).collect();
        let out = dir.path().join(format!("merged-{suite}"));
        let output = merge(&inputs, &out, &[]);
        assert_eq!(output.status.code(), Some(0), "{suite}: {}", both(&output));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("\nmerged from 3 partitions (count): "), "{stdout}");

        let merged = read_json(&out.join("report.json"));
        let whole = read_json(&dir.path().join(format!("whole/{suite}/report.json")));
        assert!(!verdicts(&whole).is_empty(), "{suite}: the whole run ran nothing");
        assert_eq!(verdicts(&merged), verdicts(&whole), "{suite}");
        assert_eq!(merged["summary"], whole["summary"], "{suite}");
        assert_eq!(merged["scenario_digest"], whole["scenario_digest"], "{suite}");
        assert_eq!(merged["mode"], suite);
        assert!(merged.get("partition").is_none(), "{merged:#}");
        assert_eq!(merged["merged_from"]["count"], 3);
        let indices: Vec<u64> = merged["merged_from"]["partitions"]
            .as_array()
            .expect("partitions")
            .iter()
            .map(|p| p["index"].as_u64().expect("index"))
            .collect();
        assert_eq!(indices, [1, 2, 3]);
        let longest = (1..=3)
            .map(|k| read_json(&dir.path().join(format!("p{k}/{suite}/report.json")))["duration_ms"].as_u64())
            .max()
            .flatten();
        assert_eq!(merged["duration_ms"].as_u64(), longest, "the longest partition's");
        let errors: Vec<String> =
            validator.iter_errors(&merged).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{suite}: {errors:#?}");
        for file in ["junit.xml", "summary.md", "report.html"] {
            assert!(out.join(file).is_file(), "{suite}: no {file}");
        }
        let partial = std::fs::read_dir(&out)
            .expect("merged folder")
            .flatten()
            .find(|e| e.file_name().to_string_lossy().ends_with(".partial"));
        assert!(partial.is_none(), "{partial:?}");
        let summary = std::fs::read_to_string(out.join("summary.md")).expect("summary.md");
        assert!(summary.contains("merged from 3 partitions (count)"), "{summary}");

        // --format json prints the merged report itself.
        let output = merge(&inputs, &dir.path().join(format!("json-{suite}")), &["--format", "json"]);
        assert_eq!(output.status.code(), Some(0), "{}", both(&output));
        let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
        assert_eq!(verdicts(&printed), verdicts(&whole));
        assert_eq!(printed["merged_from"]["count"], 3);
    }

    refusals(&dir);
}

/// Reports that are not every partition of one run, each once, are refused with exit
/// 2, the file and what differs; no merged report is written.
fn refusals(dir: &TempDir) {
    let part = |k: u32, suite: &str| dir.path().join(format!("p{k}/{suite}/report.json"));
    let copy = dir.path().join("copy");
    std::fs::create_dir_all(&copy).expect("copy folder");
    std::fs::copy(part(2, "target"), copy.join("report.json")).expect("copy");
    let mut other_set = read_json(&part(2, "target"));
    other_set["scenario_digest"] = Value::from("0".repeat(64));
    let other = dir.write("other-set.json", &serde_json::to_string_pretty(&other_set).expect("json"));

    let cases: [(&str, Vec<PathBuf>); 5] = [
        ("a missing partition", vec![part(1, "target"), part(3, "target")]),
        ("a partition twice", vec![part(1, "target"), part(2, "target"), copy.join("report.json"), part(3, "target")]),
        ("another scenario set", vec![part(1, "target"), other, part(3, "target")]),
        ("two suites", vec![part(1, "target"), part(2, "client"), part(3, "target")]),
        ("a whole-set run", vec![dir.path().join("whole/target/report.json")]),
    ];
    let prefix = format!("{}/", dir.path().display());
    let mut shown = String::new();
    for (name, inputs) in cases {
        let out = dir.path().join("refused");
        let output = merge(&inputs, &out, &[]);
        assert_eq!(output.status.code(), Some(2), "{name}: {}", both(&output));
        assert!(output.stdout.is_empty(), "{name}: {}", both(&output));
        assert!(!out.exists(), "{name}: a merged report was written");
        let stderr = String::from_utf8_lossy(&output.stderr).replace(&prefix, "[dir]/");
        shown.push_str(&format!("{name}:\n{stderr}\n"));
    }
    insta::assert_snapshot!("merge_refusals", shown);
}

#[test]
fn a_bad_partition_value_is_a_usage_error_that_says_why() {
    let values = ["0/3", "4/3", "1/0", "x/3", "2", "slice:1/2", "hash:3/2"];
    let mut shown = String::new();
    for (value, command) in values.iter().zip(["selftest", "target", "client"].iter().cycle()) {
        let output = pens_conform().args([command, "--partition", value]).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{value}: {}", both(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or_default();
        shown.push_str(&format!("{command} --partition {value}\n{first}\n"));
    }
    insta::assert_snapshot!("bad_partition_values", shown);
}

#[test]
fn an_empty_partition_is_a_complete_run_of_no_scenarios() {
    let dir = TempDir::new("partition-empty");
    let clients = std::fs::read_dir(workspace_root().join("scenarios/client")).expect("client scenarios").count();
    let n = scenario_ids().len().max(clients) + 1;
    let partition = format!("{n}/{n}");
    let output = pens_conform()
        .args(["selftest", "--http-only", "--partition", &partition, "--report-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let empty_line = format!(
        "partition {partition}: 0 of {} scenarios: an empty partition (more partitions than scenarios), nothing to run",
        scenario_ids().len()
    );
    assert!(stdout.lines().any(|l| l == empty_line), "{stdout}");
    assert!(!stdout.contains("preflight"), "an empty partition contacts nobody: {stdout}");
    for suite in ["target", "client"] {
        let report = read_json(&dir.path().join(suite).join("report.json"));
        assert_eq!(report["summary"]["total"], 0, "{suite}");
        assert_eq!(report["partition"]["index"], n, "{suite}");
        assert!(report.get("aborted").is_none(), "{suite}: {report:#}");
        let summary = std::fs::read_to_string(dir.path().join(suite).join("summary.md")).expect("summary.md");
        assert!(summary.contains(&format!("No scenario ran in partition {partition}.")), "{summary}");
    }
}

/// An `--only` that matches scenarios of other partitions only leaves this partition
/// empty: legitimate in a CI matrix, so it runs nothing, contacts nobody and exits 0
/// (an `--only` that matches nothing at all is exit 2: `bad_input.rs`).
#[test]
fn an_only_that_leaves_a_partition_empty_is_an_empty_partition() {
    let url = format!("http://127.0.0.1:{}/pens", super::closed_port());
    let mut codes = Vec::new();
    for partition in ["1/2", "2/2"] {
        let dir = TempDir::new("partition-only-empty");
        let output = pens_conform()
            .args(["target", "--url", &url, "--only", "collect-post-valid", "--partition", partition, "--report-dir"])
            .arg(dir.path())
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if stdout.contains("--only matches none of them") {
            assert_eq!(output.status.code(), Some(0), "{}", both(&output));
            assert!(!stdout.contains("RUN STOPPED") && !stdout.contains("staging "), "contacted: {stdout}");
            assert_eq!(read_json(&dir.path().join("report.json"))["summary"]["total"], 0);
        }
        codes.push(output.status.code());
    }
    // The partition holding the scenario ran it (nothing listens there: exit 3).
    codes.sort();
    assert_eq!(codes, [Some(0), Some(3)]);
}
