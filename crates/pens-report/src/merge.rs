//! Merging the reports of the partitions of one run into one report, as if the whole
//! scenario set had run at once.
//!
//! A large scenario set is spread over N CI jobs with `--partition K/N`; each job writes
//! its own `report.json`, and `pens-conform merge` reads them back and calls
//! [`merge_partitions`]. The reports are only merged when they are provably the
//! partitions of one run: the same mode, harness version, implementation under test,
//! scenario set ([`RunReport::scenario_digest`]), partition count and kind, every
//! partition exactly once, and no scenario in two of them. Anything else is a
//! [`MergeError`] naming the file and what differs, never a report that quietly mixes
//! two runs.
//!
//! The merged report has the scenarios in id order and the summary recounted; its
//! `started_at` is the earliest partition's and its `duration_ms` the longest
//! partition's (the partitions ran in parallel, so that is the wall-clock time of the
//! whole); `partition` is absent and [`RunReport::merged_from`] records each partition.
//! When a partition stopped early, `aborted` says which and why. Baseline outcomes are
//! combined: either every partition ran with the same baseline entries or none did
//! (mixing is refused); an entry is an expected failure or an improvement when it was
//! one in the partition holding its scenario, and "not run" otherwise. The combined
//! lists are in scenario id order (a single run lists them in file order, which the
//! partitions' reports do not preserve).

use std::collections::{BTreeMap, BTreeSet};

use crate::baseline::BaselineOutcome;
use crate::model::{FORMAT_VERSION, MergedFrom, MergedPartition, Partition, RunReport, Summary};

/// One input of [`merge_partitions`]: a report and where it was read from (the name
/// errors use).
#[derive(Clone, Debug)]
pub struct PartitionReport {
    /// The file, as given on the command line.
    pub file: String,
    /// Its contents.
    pub report: RunReport,
}

/// Why reports cannot be merged. Each message names the file involved and says what to
/// do; the binary exits 2 with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no report to merge")]
    NoReports,
    /// A report of a whole-set run, or one merged already.
    #[error("{file}: not a partition: it {what}; merge only the reports of runs with --partition K/N")]
    NotPartitioned {
        /// The file.
        file: String,
        /// What it is instead (`ran the whole scenario set`, `is merged already`).
        what: &'static str,
    },
    /// A partition number outside 1..=N (a hand-edited report).
    #[error("{file}: partition {index}/{count} does not exist: partitions are numbered 1 to {count}")]
    NoSuchPartition {
        /// The file.
        file: String,
        /// Its K.
        index: u32,
        /// Its N.
        count: u32,
    },
    /// A field that all partitions of a run share differs from the first report's.
    #[error("{file}: {field} differs from {first}: {why}")]
    Differs {
        /// The report that differs.
        file: String,
        /// The first report given, which the others are held to.
        first: String,
        /// What differs: `mode`, `harness version`, `scenario_digest`, ...
        field: &'static str,
        /// Both values and what it means.
        why: String,
    },
    /// The same partition twice.
    #[error("{file}: partition {label} again (also {first}); give each partition once")]
    DuplicatePartition {
        /// The second report of that partition.
        file: String,
        /// The first one.
        first: String,
        /// `2/3`, `hash:2/3`.
        label: String,
    },
    /// Some partitions are not among the inputs.
    #[error("{}", missing_message(labels))]
    MissingPartitions {
        /// The missing ones, as `2/3`.
        labels: Vec<String>,
    },
    /// A scenario in two partitions (which assignment never does: a hand-edited or
    /// mislabelled report).
    #[error("{file}: scenario `{id}` is also in {first}; every scenario belongs to one partition")]
    DuplicateScenario {
        /// The second report with it.
        file: String,
        /// The first one.
        first: String,
        /// The scenario id.
        id: String,
    },
}

fn missing_message(labels: &[String]) -> String {
    match labels {
        [one] => format!("partition {one} is missing; merge the reports of every partition"),
        [init @ .., last] => {
            format!("partitions {} and {last} are missing; merge the reports of every partition", init.join(", "))
        }
        [] => "no partition is missing".to_owned(),
    }
}

/// Merges the reports of every partition of one run (in any order) into one report;
/// see the module documentation for the rules.
pub fn merge_partitions(inputs: Vec<PartitionReport>) -> Result<RunReport, MergeError> {
    let first = inputs.first().ok_or(MergeError::NoReports)?;
    let mut partitions = Vec::with_capacity(inputs.len());
    for input in &inputs {
        partitions.push(partition_of(input)?);
    }
    let reference = partitions[0];
    for (input, partition) in inputs.iter().zip(&partitions).skip(1) {
        check_same_run(first, input, &reference, partition)?;
    }
    let mut by_index: BTreeMap<u32, usize> = BTreeMap::new();
    for (position, (input, partition)) in inputs.iter().zip(&partitions).enumerate() {
        if let Some(&earlier) = by_index.get(&partition.index) {
            return Err(MergeError::DuplicatePartition {
                file: input.file.clone(),
                first: inputs[earlier].file.clone(),
                label: partition.label(),
            });
        }
        by_index.insert(partition.index, position);
    }
    let missing: Vec<String> = (1..=reference.count)
        .filter(|index| !by_index.contains_key(index))
        .map(|index| Partition { index, ..reference }.label())
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::MissingPartitions { labels: missing });
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for &position in by_index.values() {
        let input = &inputs[position];
        for scenario in &input.report.scenarios {
            if let Some(first) = seen.insert(&scenario.id, &input.file) {
                return Err(MergeError::DuplicateScenario {
                    file: input.file.clone(),
                    first: first.to_owned(),
                    id: scenario.id.clone(),
                });
            }
        }
    }
    Ok(combine(inputs, by_index.into_values().collect(), reference))
}

/// The partition a report covers; an error for a whole-set or merged report.
fn partition_of(input: &PartitionReport) -> Result<Partition, MergeError> {
    let not_partitioned = |what| MergeError::NotPartitioned { file: input.file.clone(), what };
    match (&input.report.partition, &input.report.merged_from) {
        (Some(partition), _) if partition.index == 0 || partition.index > partition.count => {
            Err(MergeError::NoSuchPartition {
                file: input.file.clone(),
                index: partition.index,
                count: partition.count,
            })
        }
        (Some(partition), _) => Ok(*partition),
        (None, Some(_)) => Err(not_partitioned("is merged already")),
        (None, None) => Err(not_partitioned("ran the whole scenario set")),
    }
}

/// Holds `input` to `first`: everything the partitions of one run share.
fn check_same_run(
    first: &PartitionReport,
    input: &PartitionReport,
    reference: &Partition,
    partition: &Partition,
) -> Result<(), MergeError> {
    let (a, b) = (&first.report, &input.report);
    let differs =
        |field, why: String| MergeError::Differs { file: input.file.clone(), first: first.file.clone(), field, why };
    if a.mode != b.mode {
        return Err(differs(
            "mode",
            format!("a {} run, not a {} run; merge the partitions of one suite at a time", b.mode, a.mode),
        ));
    }
    if a.harness != b.harness {
        return Err(differs(
            "harness version",
            format!(
                "{} {}, not {} {}; run every partition with the same harness",
                b.harness.name, b.harness.version, a.harness.name, a.harness.version
            ),
        ));
    }
    if a.scenario_digest != b.scenario_digest {
        return Err(differs("scenario_digest", "the partitions ran different scenario sets".to_owned()));
    }
    if partition.count != reference.count {
        return Err(differs(
            "partition count",
            format!("{} partitions, not {}; the partitions of one run share N", partition.count, reference.count),
        ));
    }
    if partition.kind != reference.kind {
        return Err(differs(
            "partition kind",
            format!(
                "{} partitions, not {}; the partitions of one run share their kind",
                partition.kind.name(),
                reference.kind.name()
            ),
        ));
    }
    if partition.set_size != reference.set_size {
        return Err(differs(
            "scenario set size",
            format!(
                "{}, not {}; the partitions ran different scenario sets",
                crate::text::counted(partition.set_size as u64, "scenario"),
                reference.set_size
            ),
        ));
    }
    // In client mode the URL is the harness's own mock target, not the implementation.
    if a.mode != "client" && endpoint(&a.target.url) != endpoint(&b.target.url) {
        return Err(differs(
            "target URL",
            format!("`{}`, not `{}`; the partitions tested different targets", b.target.url, a.target.url),
        ));
    }
    if a.target.name != b.target.name {
        let name = |name: &Option<String>| name.as_deref().map_or_else(|| "no name".to_owned(), |n| format!("`{n}`"));
        return Err(differs(
            "target name",
            format!("{}, not {}; the partitions tested different targets", name(&b.target.name), name(&a.target.name)),
        ));
    }
    if a.target.claims != b.target.claims {
        return Err(differs(
            "target claims",
            "the profiles claim different features, so the scenarios were selected differently".to_owned(),
        ));
    }
    match (&a.baseline, &b.baseline) {
        (None, None) => {}
        (Some(x), Some(y)) if entries(x) == entries(y) => {}
        (Some(x), Some(y)) => {
            return Err(differs(
                "baseline",
                format!(
                    "`{}` lists other expected failures than `{}`; use one baseline for every partition",
                    y.file, x.file
                ),
            ));
        }
        (Some(x), None) => {
            return Err(differs(
                "baseline",
                format!("no baseline here, `{}` there; run every partition with the same --baseline, or none", x.file),
            ));
        }
        (None, Some(y)) => {
            return Err(differs(
                "baseline",
                format!(
                    "baseline `{}` here, none there; run every partition with the same --baseline, or none",
                    y.file
                ),
            ));
        }
    }
    Ok(())
}

/// A target URL as far as it identifies the implementation: on a loopback host the port
/// is left out, because a target on the job's own machine (a CI service, or the
/// selftest's reference target) listens on a port of its own in every job.
fn endpoint(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if is_loopback(&parsed) => {
            let _ = parsed.set_port(None);
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Every entry of a baseline outcome, whatever became of it.
fn entries(outcome: &BaselineOutcome) -> BTreeSet<&str> {
    [&outcome.expected_failures, &outcome.improvements, &outcome.not_run]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect()
}

/// Builds the merged report from checked inputs; `order` lists them by partition index.
fn combine(inputs: Vec<PartitionReport>, order: Vec<usize>, reference: Partition) -> RunReport {
    let mut slots: Vec<Option<PartitionReport>> = inputs.into_iter().map(Some).collect();
    let ordered: Vec<RunReport> = order
        .into_iter()
        .filter_map(|position| slots.get_mut(position).and_then(Option::take))
        .map(|i| i.report)
        .collect();
    let merged_from = MergedFrom {
        count: reference.count,
        kind: reference.kind,
        set_size: reference.set_size,
        partitions: ordered
            .iter()
            .map(|report| MergedPartition {
                index: report.partition.map_or(0, |p| p.index),
                started_at: report.started_at.clone(),
                duration_ms: report.duration_ms,
                scenarios: report.scenarios.len(),
                aborted: report.aborted.clone(),
            })
            .collect(),
    };
    let aborted: Vec<String> = ordered
        .iter()
        .filter_map(|report| {
            let reason = report.aborted.as_ref()?;
            Some(format!("partition {}: {reason}", report.partition.map(|p| p.label()).unwrap_or_default()))
        })
        .collect();
    let baseline = combine_baselines(&ordered);
    // Each partition discovered capabilities from its own scenarios only.
    let observed = crate::observed::combine(ordered.iter().map(|r| r.target.observed.as_slice()));
    let started_at = earliest(ordered.iter().map(|r| r.started_at.as_str())).to_owned();
    let duration_ms = ordered.iter().map(|r| r.duration_ms).max().unwrap_or(0);
    let mut reports = ordered.into_iter();
    let Some(mut merged) = reports.next() else {
        unreachable!("merge_partitions checked that there is at least one report")
    };
    for report in reports {
        merged.scenarios.extend(report.scenarios);
        // Each partition ran its own parties, so its notes stay its own.
        merged.harness_notes.extend(report.harness_notes);
    }
    merged.scenarios.sort_by(|a, b| a.id.cmp(&b.id));
    merged.format_version = FORMAT_VERSION;
    merged.started_at = started_at;
    merged.duration_ms = duration_ms;
    merged.summary = Summary::of(&merged.scenarios);
    merged.aborted = (!aborted.is_empty()).then(|| aborted.join("; "));
    merged.baseline = baseline;
    merged.target.observed = observed;
    merged.partition = None;
    merged.merged_from = Some(merged_from);
    merged
}

/// The baseline outcome of the whole run: an entry is an expected failure or an
/// improvement when it was one in its scenario's partition, else not run.
fn combine_baselines(reports: &[RunReport]) -> Option<BaselineOutcome> {
    let first = reports.first()?.baseline.as_ref()?;
    let outcomes: Vec<&BaselineOutcome> = reports.iter().filter_map(|r| r.baseline.as_ref()).collect();
    let expected: BTreeSet<&str> = outcomes.iter().flat_map(|o| &o.expected_failures).map(String::as_str).collect();
    let improvements: BTreeSet<&str> = outcomes.iter().flat_map(|o| &o.improvements).map(String::as_str).collect();
    let not_run: Vec<String> = entries(first)
        .into_iter()
        .filter(|id| !expected.contains(id) && !improvements.contains(id))
        .map(str::to_owned)
        .collect();
    Some(BaselineOutcome {
        file: first.file.clone(),
        expected_failures: expected.into_iter().map(str::to_owned).collect(),
        improvements: improvements.into_iter().map(str::to_owned).collect(),
        not_run,
    })
}

/// The earliest of RFC 3339 times; text order, which is time order for the fixed-width
/// UTC form the harness writes, when one does not parse.
fn earliest<'a>(times: impl Iterator<Item = &'a str>) -> &'a str {
    let parse = |text: &str| time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok();
    times
        .min_by(|a, b| match (parse(a), parse(b)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => a.cmp(b),
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
