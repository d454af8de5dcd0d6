//! Tests of merging partition reports: what is refused, and what the merged report says.

use super::*;
use crate::model::{Harness, PartitionKind, ScenarioResult, TargetInfo};
use crate::verdict::Verdict;

const DIGEST: &str = "ab12";

/// Partition `index`/`count` of a set of `set_size`, with these scenario results.
fn part(index: u32, count: u32, set_size: usize, scenarios: &[(&str, Verdict)]) -> PartitionReport {
    let scenarios: Vec<ScenarioResult> =
        scenarios.iter().map(|(id, verdict)| ScenarioResult::new(*id, "t", format!("{id}.toml"), *verdict)).collect();
    let report = RunReport {
        format_version: FORMAT_VERSION,
        harness: Harness { name: "pens-conform".into(), version: "0.1.0".into() },
        mode: "target".into(),
        started_at: format!("2026-06-01T00:00:0{index}Z"),
        duration_ms: u64::from(index) * 100,
        target: TargetInfo {
            url: format!("http://127.0.0.1:{}/pens", 8000 + index),
            name: Some("Acme LMS".into()),
            claims: pens_proto::TargetCapabilities::default(),
            observed: Vec::new(),
        },
        summary: Summary::of(&scenarios),
        aborted: None,
        baseline: None,
        scenario_digest: Some(DIGEST.into()),
        scenario_set: None,
        harness_notes: Vec::new(),
        partition: Some(Partition { index, count, kind: PartitionKind::Count, set_size }),
        merged_from: None,
        scenarios,
    };
    PartitionReport { file: format!("p{index}/report.json"), report }
}

/// Three partitions of a set of five: a, d | b, e | c.
fn three() -> Vec<PartitionReport> {
    vec![
        part(1, 3, 5, &[("a", Verdict::Pass), ("d", Verdict::Warn)]),
        part(2, 3, 5, &[("b", Verdict::Fail), ("e", Verdict::Pass)]),
        part(3, 3, 5, &[("c", Verdict::NotApplicable)]),
    ]
}

fn error_of(inputs: Vec<PartitionReport>) -> String {
    merge_partitions(inputs).expect_err("refused").to_string()
}

#[test]
fn partitions_merge_in_any_order_into_one_report_in_id_order() {
    let mut inputs = three();
    inputs.reverse();
    let merged = merge_partitions(inputs).expect("merged");
    let ids: Vec<&str> = merged.scenarios.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    assert_eq!((merged.summary.total, merged.summary.pass, merged.summary.fail), (5, 2, 1));
    assert_eq!((merged.summary.warn, merged.summary.not_applicable), (1, 1));
    assert_eq!(merged.started_at, "2026-06-01T00:00:01Z", "the earliest start");
    assert_eq!(merged.duration_ms, 300, "the longest partition");
    assert_eq!(merged.partition, None);
    assert_eq!(merged.target.url, "http://127.0.0.1:8001/pens", "partition 1's");
    assert_eq!(merged.scenario_digest.as_deref(), Some(DIGEST));
    assert_eq!(merged.aborted, None);
    let from = merged.merged_from.expect("merged_from");
    assert_eq!((from.count, from.kind, from.set_size), (3, PartitionKind::Count, 5));
    let indices: Vec<(u32, usize)> = from.partitions.iter().map(|p| (p.index, p.scenarios)).collect();
    assert_eq!(indices, [(1, 2), (2, 2), (3, 1)]);
}

#[test]
fn an_empty_partition_merges_and_a_single_partition_of_one_is_its_own_merge() {
    let inputs = vec![part(1, 2, 1, &[("a", Verdict::Pass)]), part(2, 2, 1, &[])];
    let merged = merge_partitions(inputs).expect("merged");
    assert_eq!(merged.summary.total, 1);
    let merged = merge_partitions(vec![part(1, 1, 1, &[("a", Verdict::Pass)])]).expect("merged");
    assert_eq!(merged.merged_from.map(|m| m.count), Some(1));
}

#[test]
fn an_aborted_partition_aborts_the_merged_report_and_is_named() {
    let mut inputs = three();
    inputs[1].report.aborted = Some("preflight inconclusive: no fetch".into());
    let merged = merge_partitions(inputs).expect("merged");
    assert_eq!(merged.aborted.as_deref(), Some("partition 2/3: preflight inconclusive: no fetch"));
    let from = merged.merged_from.expect("merged_from");
    assert_eq!(from.partitions[1].aborted.as_deref(), Some("preflight inconclusive: no fetch"));
}

#[test]
fn reports_that_are_not_partitions_of_one_run_are_refused_naming_the_file() {
    type Change = fn(&mut Vec<PartitionReport>);
    let cases: [(&str, Change, &str); 13] = [
        ("no reports", |i| i.clear(), "no report to merge"),
        (
            "a whole-set run",
            |i| i[1].report.partition = None,
            "p2/report.json: not a partition: it ran the whole scenario set; merge only the reports of runs \
             with --partition K/N",
        ),
        (
            "a merged report",
            |i| {
                i[0].report.partition = None;
                i[0].report.merged_from =
                    Some(MergedFrom { count: 3, kind: PartitionKind::Count, set_size: 5, partitions: Vec::new() });
            },
            "p1/report.json: not a partition: it is merged already; merge only the reports of runs with \
             --partition K/N",
        ),
        (
            "a partition past N",
            |i| i[2].report.partition.as_mut().expect("partition").index = 4,
            "p3/report.json: partition 4/3 does not exist: partitions are numbered 1 to 3",
        ),
        (
            "another mode",
            |i| i[1].report.mode = "client".into(),
            "p2/report.json: mode differs from p1/report.json: a client run, not a target run; merge the \
             partitions of one suite at a time",
        ),
        (
            "another harness",
            |i| i[2].report.harness.version = "0.2.0".into(),
            "p3/report.json: harness version differs from p1/report.json: pens-conform 0.2.0, not pens-conform \
             0.1.0; run every partition with the same harness",
        ),
        (
            "another scenario set",
            |i| i[1].report.scenario_digest = Some("cd34".into()),
            "p2/report.json: scenario_digest differs from p1/report.json: the partitions ran different scenario sets",
        ),
        (
            "another N",
            |i| i[1].report.partition.as_mut().expect("partition").count = 4,
            "p2/report.json: partition count differs from p1/report.json: 4 partitions, not 3; the partitions of \
             one run share N",
        ),
        (
            "another kind",
            |i| i[1].report.partition.as_mut().expect("partition").kind = PartitionKind::Hash,
            "p2/report.json: partition kind differs from p1/report.json: hash partitions, not count; the \
             partitions of one run share their kind",
        ),
        (
            "another target",
            |i| i[1].report.target.url = "https://lms.example/pens".into(),
            "p2/report.json: target URL differs from p1/report.json: `https://lms.example/pens`, not \
             `http://127.0.0.1:8001/pens`; the partitions tested different targets",
        ),
        (
            "a baseline in one only",
            |i| i[2].report.baseline = Some(BaselineOutcome { file: "b.toml".into(), ..Default::default() }),
            "p3/report.json: baseline differs from p1/report.json: baseline `b.toml` here, none there; run every \
             partition with the same --baseline, or none",
        ),
        (
            "a partition twice",
            |i| {
                *i = vec![part(1, 2, 3, &[("a", Verdict::Pass)]), part(1, 2, 3, &[("c", Verdict::Pass)])];
                i[1].file = "again/report.json".into();
            },
            "again/report.json: partition 1/2 again (also p1/report.json); give each partition once",
        ),
        (
            "a scenario twice",
            |i| i[2].report.scenarios.push(ScenarioResult::new("a", "t", "a.toml", Verdict::Pass)),
            "p3/report.json: scenario `a` is also in p1/report.json; every scenario belongs to one partition",
        ),
    ];
    for (name, change, expected) in cases {
        let mut inputs = three();
        change(&mut inputs);
        assert_eq!(error_of(inputs), expected, "{name}");
    }
}

#[test]
fn missing_partitions_are_listed() {
    let mut inputs = three();
    inputs.remove(1);
    assert_eq!(error_of(inputs), "partition 2/3 is missing; merge the reports of every partition");
    let inputs = vec![part(3, 4, 9, &[])];
    assert_eq!(error_of(inputs), "partitions 1/4, 2/4 and 4/4 are missing; merge the reports of every partition");
}

#[test]
fn a_target_on_loopback_may_listen_on_another_port_in_each_partition() {
    assert_eq!(endpoint("http://127.0.0.1:8001/pens"), endpoint("http://127.0.0.1:9/pens"));
    assert_eq!(endpoint("http://localhost:8001/pens"), endpoint("http://localhost/pens"));
    assert_eq!(endpoint("http://[::1]:8001/pens"), endpoint("http://[::1]:2/pens"));
    assert_ne!(endpoint("http://lms.example:8001/pens"), endpoint("http://lms.example:8002/pens"));
    assert_ne!(endpoint("http://127.0.0.1:8001/pens"), endpoint("http://127.0.0.1:8001/other"));
}

#[test]
fn in_client_mode_the_mock_target_address_is_not_compared() {
    let mut inputs = three();
    for input in &mut inputs {
        input.report.mode = "client".into();
    }
    inputs[1].report.target.url = "http://192.0.2.1:4000/pens".into();
    assert!(merge_partitions(inputs).is_ok());
}

#[test]
fn baseline_outcomes_are_combined_by_the_partition_holding_each_scenario() {
    let mut inputs = three();
    // Entries: b fails as expected (partition 2), a passes (an improvement, partition 1),
    // c is not applicable and z is in no partition (both not run).
    let outcome = |expected: &[&str], improved: &[&str], not_run: &[&str]| {
        let owned = |ids: &[&str]| ids.iter().map(|id| (*id).to_owned()).collect();
        Some(BaselineOutcome {
            file: "base.toml".into(),
            expected_failures: owned(expected),
            improvements: owned(improved),
            not_run: owned(not_run),
        })
    };
    inputs[0].report.baseline = outcome(&[], &["a"], &["z", "c", "b"]);
    inputs[1].report.baseline = outcome(&["b"], &[], &["z", "c", "a"]);
    inputs[2].report.baseline = outcome(&[], &[], &["z", "c", "b", "a"]);
    let merged = merge_partitions(inputs.clone()).expect("merged");
    assert_eq!(merged.baseline, outcome(&["b"], &["a"], &["c", "z"]));

    inputs[2].report.baseline = outcome(&[], &[], &["z", "b", "a"]);
    assert_eq!(
        error_of(inputs),
        "p3/report.json: baseline differs from p1/report.json: `base.toml` lists other expected failures than \
         `base.toml`; use one baseline for every partition"
    );
}

#[test]
fn the_earliest_start_is_found_by_time_not_by_text() {
    let times = ["2026-06-01T10:00:00+02:00", "2026-06-01T09:00:00Z"];
    assert_eq!(earliest(times.into_iter()), "2026-06-01T10:00:00+02:00");
}
