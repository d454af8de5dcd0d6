//! What part of a scenario set a report covers, in one line for people: a partition of
//! a set spread over several runs (`--partition K/N`), or a report merged from all of
//! them. Whole-set runs have no such line. Shared by the console, Markdown and HTML
//! writers so that they say the same.

use crate::model::{MergedFrom, RunReport};

/// `partition 2/3: 18 of 53 scenarios`, or `merged from 3 partitions (count): 53 of 53
/// scenarios; …`; `None` for a run of the whole set.
pub(crate) fn scope_line(report: &RunReport) -> Option<String> {
    if let Some(partition) = &report.partition {
        return Some(format!(
            "partition {}: {} of {}",
            partition.label(),
            report.summary.total,
            crate::text::counted(partition.set_size as u64, "scenario")
        ));
    }
    report.merged_from.as_ref().map(|merged| merged_line(report, merged))
}

fn merged_line(report: &RunReport, merged: &MergedFrom) -> String {
    let partitions = if merged.count == 1 { "partition" } else { "partitions" };
    format!(
        "merged from {} {partitions} ({}): {} of {}; started is the earliest partition's start, \
         duration the longest partition's run (they ran in parallel)",
        merged.count,
        merged.kind.name(),
        report.summary.total,
        crate::text::counted(merged.set_size as u64, "scenario")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MergedPartition, Partition, PartitionKind, ScenarioResult};
    use crate::verdict::Verdict;

    fn report(total: usize) -> RunReport {
        let scenarios: Vec<ScenarioResult> =
            (0..total).map(|i| ScenarioResult::new(format!("s{i}"), "t", "f.toml", Verdict::Pass)).collect();
        crate::fixture::report(scenarios)
    }

    #[test]
    fn a_whole_set_run_has_no_scope_line() {
        assert_eq!(scope_line(&report(3)), None);
    }

    #[test]
    fn a_partition_and_a_merged_report_say_how_much_of_the_set_they_cover() {
        let mut run = report(2);
        run.partition = Some(Partition { index: 2, count: 3, kind: PartitionKind::Count, set_size: 7 });
        assert_eq!(scope_line(&run).as_deref(), Some("partition 2/3: 2 of 7 scenarios"));
        run.partition = Some(Partition { index: 3, count: 9, kind: PartitionKind::Hash, set_size: 7 });
        assert_eq!(scope_line(&run).as_deref(), Some("partition hash:3/9: 2 of 7 scenarios"));

        let mut merged = report(7);
        let part = |index| MergedPartition {
            index,
            started_at: "2026-01-01T00:00:00Z".into(),
            duration_ms: 1,
            scenarios: 1,
            aborted: None,
        };
        merged.merged_from =
            Some(MergedFrom { count: 2, kind: PartitionKind::Count, set_size: 7, partitions: vec![part(1), part(2)] });
        let line = scope_line(&merged).expect("a line");
        assert!(line.starts_with("merged from 2 partitions (count): 7 of 7 scenarios; "), "{line}");
        assert!(line.contains("duration the longest partition's run"), "{line}");
    }
}
