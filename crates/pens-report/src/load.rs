//! The result of a load run (`pens-conform load`): how many full publish cycles
//! (collect → fetch → receipt, CMI010 App. A §2 steps 2-5) a target completed, how
//! fast, and what went missing on the way. Built by `pens_runner::run_load`; the table
//! ([`render_load_table`]) and `--json` are functions of it.
//!
//! Latencies are summarised per stage from HdrHistograms (microseconds, three
//! significant digits) and written in microseconds, so the JSON loses nothing a
//! percentile can tell. `schemas/load-report.schema.json` is the JSON form's schema
//! ([`crate::load_report_schema`]).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the load report's JSON form; fields are only ever added within a version.
pub const LOAD_FORMAT_VERSION: u32 = 1;

/// One load run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LoadReport {
    /// The version of this JSON form, [`LOAD_FORMAT_VERSION`].
    pub format_version: u32,
    /// The target's PENS endpoint.
    pub target_url: String,
    /// Publish cycles asked for (`--publishes`).
    #[schemars(range(min = 1))]
    pub publishes: u64,
    /// Cycles in flight at most (`--concurrency`).
    #[schemars(range(min = 1))]
    pub concurrency: usize,
    /// How long a cycle waits for its receipt, from sending the collect.
    pub receipt_timeout_ms: u64,
    /// The fixture staged for every cycle (`--package`), e.g. `scorm12-minimal.zip`.
    /// Empty in a report written before this field existed.
    #[serde(default)]
    pub package: String,
    /// The length in bytes of what was staged: the fixture's own, or the size it was
    /// grown to (`--size`). 0 in a report written before this field existed.
    #[serde(default)]
    pub package_bytes: u64,
    /// Publish cycles that ended (all of them, unless the run was cut short).
    pub cycles: u64,
    /// Cycles whose collect was answered 0 and whose receipt came in time.
    pub completed: u64,
    /// Cycles whose collect was answered 0 but whose receipt did not come in time.
    pub lost: u64,
    /// Receipts beyond the first for one publish (CMI010 §5.1: exactly one receipt),
    /// whenever they came before the run ended, the grace window after the last cycle
    /// included.
    pub duplicated: u64,
    /// First receipts that came after their cycle had ended: after its deadline (the
    /// cycle counts as lost) or after a refusal.
    pub late: u64,
    /// Alerts received: only asked for with `--alerts` (the reference target then sends
    /// one per successful receipt).
    pub alerts: u64,
    /// Answers to the collects by PENS error code (`"0"`, `"1310"`, ...), or
    /// `"no answer"` (transport error or timeout) and `"unreadable"` (no `error` line).
    pub answers: BTreeMap<String, u64>,
    /// First receipts of the cycles by the `error` they carried (`"missing"` when none).
    pub receipts: BTreeMap<String, u64>,
    /// Completed cycles for which no staging request was seen before the receipt.
    pub fetch_missing: u64,
    /// Wall-clock time from the first collect to the last cycle's end (the grace window
    /// not included).
    pub wall_time_ms: u64,
    /// Completed cycles per second of wall-clock time.
    #[schemars(range(min = 0))]
    pub throughput: f64,
    /// Latency percentiles per stage.
    pub latency: LoadLatencies,
}

/// Latency percentiles of each stage of a cycle, all measured from the moment the
/// collect is sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LoadLatencies {
    /// Until the whole answer to the collect was read.
    pub ack: LatencySummary,
    /// Until the first staging request of the cycle's package arrived.
    pub fetch_start: LatencySummary,
    /// Until the receipt arrived.
    pub receipt: LatencySummary,
}

/// Percentiles of one stage, in microseconds; all zero without samples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LatencySummary {
    /// How many cycles contributed.
    pub samples: u64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// The slowest.
    pub max_us: u64,
}

impl LoadReport {
    /// Whether every cycle completed with an answer of 0 and a receipt of 0, and no
    /// receipt came twice: exit status 0 of `pens-conform load`.
    pub fn clean(&self) -> bool {
        let only_zero = |counts: &BTreeMap<String, u64>| counts.keys().all(|code| code == "0");
        self.completed == self.publishes
            && self.duplicated == 0
            && self.late == 0
            && only_zero(&self.answers)
            && only_zero(&self.receipts)
    }

    /// Whether any collect got an answer at all: a run where none did never reached
    /// the target (exit status 3 of `pens-conform load`).
    pub fn reached_target(&self) -> bool {
        self.answers.iter().any(|(code, count)| code != NO_ANSWER && *count > 0)
    }

    /// Package bytes the staging server served per second of wall-clock time, counting
    /// one whole package per completed cycle ([`LoadReport::package_bytes`] ×
    /// [`LoadReport::completed`]); `None` when the package's length is not known (a
    /// report written before it was recorded) or no time passed.
    pub fn served_bytes_per_second(&self) -> Option<f64> {
        if self.package_bytes == 0 || self.wall_time_ms == 0 {
            return None;
        }
        Some(self.package_bytes as f64 * self.completed as f64 / (self.wall_time_ms as f64 / 1000.0))
    }
}

/// The [`LoadReport::answers`] entry of collects that got no answer.
pub const NO_ANSWER: &str = "no answer";

/// The [`LoadReport::answers`] entry of answers without a readable `error` line.
pub const UNREADABLE: &str = "unreadable";

/// The [`LoadReport::receipts`] entry of receipts without an `error`.
pub const MISSING_ERROR: &str = "missing";

/// The report as a table for people:
///
/// ```text
/// publishes              20000   concurrency 64, receipt timeout 30 s
/// package               scorm12-minimal.zip, 1.1 KiB (1157 bytes)
/// completed              20000
/// lost receipts              0
/// ...
/// latency (ms)      p50     p90     p99   p99.9     max  samples
/// ack              1.23    2.05 ...
/// ```
pub fn render_load_table(report: &LoadReport) -> String {
    let mut out = String::new();
    let mut row = |label: &str, value: String| out.push_str(&format!("{label:<22}{value}\n"));
    row(
        "publishes",
        format!(
            "{:>8}   concurrency {}, receipt timeout {}",
            report.publishes,
            report.concurrency,
            seconds(report.receipt_timeout_ms)
        ),
    );
    if !report.package.is_empty() {
        row("package", format!("{}, {}", report.package, size(report.package_bytes)));
    }
    row("completed", format!("{:>8}", report.completed));
    row("lost receipts", format!("{:>8}", report.lost));
    row("duplicated receipts", format!("{:>8}", report.duplicated));
    if report.late > 0 {
        row("late receipts", format!("{:>8}", report.late));
    }
    if report.fetch_missing > 0 {
        row("receipts without fetch", format!("{:>8}", report.fetch_missing));
    }
    if report.alerts > 0 {
        row("alerts", format!("{:>8}", report.alerts));
    }
    row("answers", counts(&report.answers));
    row("receipts", counts(&report.receipts));
    row("wall time", format!("{:>8}", seconds(report.wall_time_ms)));
    let served = report.served_bytes_per_second().map(|rate| format!(", {:.1} MiB/s served", rate / MIB));
    row("throughput", format!("{:>8.0} cycles/s{}", report.throughput, served.unwrap_or_default()));
    out.push('\n');
    out.push_str(&format!(
        "{:<14}{:>9}{:>9}{:>9}{:>9}{:>9}{:>9}\n",
        "latency (ms)", "p50", "p90", "p99", "p99.9", "max", "samples"
    ));
    for (stage, summary) in [
        ("ack", &report.latency.ack),
        ("fetch start", &report.latency.fetch_start),
        ("receipt", &report.latency.receipt),
    ] {
        out.push_str(&format!(
            "{stage:<14}{:>9}{:>9}{:>9}{:>9}{:>9}{:>9}\n",
            millis(summary.p50_us),
            millis(summary.p90_us),
            millis(summary.p99_us),
            millis(summary.p999_us),
            millis(summary.max_us),
            summary.samples
        ));
    }
    out
}

/// `error=0: 19998, 1310: 2`, or `none`.
fn counts(counts: &BTreeMap<String, u64>) -> String {
    if counts.is_empty() {
        return "none".to_owned();
    }
    let mut ordered: Vec<(&String, &u64)> = counts.iter().collect();
    // Codes in numeric order, the words (no answer, unreadable, missing) last.
    ordered.sort_by_key(|(code, _)| (code.parse::<u32>().unwrap_or(u32::MAX), (*code).clone()));
    let parts: Vec<String> = ordered
        .into_iter()
        .map(|(code, count)| match code.parse::<u32>() {
            Ok(_) => format!("error={code}: {count}"),
            Err(_) => format!("{code}: {count}"),
        })
        .collect();
    parts.join(", ")
}

const MIB: f64 = 1024.0 * 1024.0;

/// `812 bytes`, or `3.0 MiB (3145728 bytes)`: the exact length, and a readable one.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {} ({bytes} bytes)", UNITS[unit])
}

/// Microseconds as milliseconds with two decimals.
fn millis(us: u64) -> String {
    format!("{}.{:02}", us / 1000, (us % 1000) / 10)
}

/// Milliseconds as seconds, `2.35 s`, or `30 s` when whole.
fn seconds(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        return format!("{} s", ms / 1000);
    }
    format!("{}.{:02} s", ms / 1000, (ms % 1000) / 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(base: u64, samples: u64) -> LatencySummary {
        LatencySummary {
            samples,
            p50_us: base,
            p90_us: base * 2,
            p99_us: base * 4,
            p999_us: base * 8,
            max_us: base * 16 + 7,
        }
    }

    fn report() -> LoadReport {
        LoadReport {
            format_version: LOAD_FORMAT_VERSION,
            target_url: "http://127.0.0.1:8380/pens".into(),
            publishes: 20_000,
            concurrency: 64,
            receipt_timeout_ms: 30_000,
            package: "scorm12-minimal.zip".into(),
            package_bytes: 64 * 1024,
            cycles: 20_000,
            completed: 19_997,
            lost: 1,
            duplicated: 0,
            late: 0,
            alerts: 19_997,
            answers: BTreeMap::from([("0".into(), 19_998), ("1310".into(), 1), (NO_ANSWER.into(), 1)]),
            receipts: BTreeMap::from([("0".into(), 19_997)]),
            fetch_missing: 0,
            wall_time_ms: 3_456,
            throughput: 5_786.4,
            latency: LoadLatencies {
                ack: summary(1_234, 19_999),
                fetch_start: summary(2_345, 19_998),
                receipt: summary(6_789, 19_997),
            },
        }
    }

    #[test]
    fn the_table_shows_counts_codes_throughput_and_percentiles() {
        insta::assert_snapshot!(render_load_table(&report()));
    }

    #[test]
    fn a_run_is_clean_only_when_every_cycle_completed_with_zeros() {
        let mut clean = report();
        clean.completed = clean.publishes;
        clean.lost = 0;
        clean.answers = BTreeMap::from([("0".into(), clean.publishes)]);
        assert!(clean.clean());
        assert!(!report().clean());
        let spoilers: [fn(&mut LoadReport); 4] = [
            |r: &mut LoadReport| r.duplicated = 1,
            |r: &mut LoadReport| r.late = 1,
            |r: &mut LoadReport| r.completed -= 1,
            |r: &mut LoadReport| {
                r.receipts.insert("1432".into(), 1);
            },
        ];
        for spoil in spoilers {
            let mut spoiled = clean.clone();
            spoil(&mut spoiled);
            assert!(!spoiled.clean(), "{spoiled:?}");
        }
    }

    #[test]
    fn a_run_without_any_answer_never_reached_the_target() {
        let mut report = report();
        assert!(report.reached_target());
        report.answers = BTreeMap::from([(NO_ANSWER.into(), 20_000)]);
        assert!(!report.reached_target());
    }

    #[test]
    fn the_json_form_round_trips_with_its_version() {
        let json = serde_json::to_value(report()).expect("serialises");
        assert_eq!(json["format_version"], LOAD_FORMAT_VERSION);
        assert_eq!(json["latency"]["receipt"]["p999_us"], 6_789 * 8);
        let back: LoadReport = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, report());
    }

    #[test]
    fn a_report_from_before_the_package_fields_still_reads_and_renders() {
        let mut json = serde_json::to_value(report()).expect("serialises");
        let fields = json.as_object_mut().expect("an object");
        fields.remove("package");
        fields.remove("package_bytes");
        let old: LoadReport = serde_json::from_value(json).expect("reads without the package fields");
        assert_eq!((old.package.as_str(), old.package_bytes), ("", 0));
        assert_eq!(old.served_bytes_per_second(), None);
        let table = render_load_table(&old);
        assert!(!table.contains("package"), "{table}");
        assert!(!table.contains("MiB/s"), "{table}");
    }

    #[test]
    fn the_bytes_served_count_one_package_per_completed_cycle() {
        let mut report = report();
        report.package_bytes = 1_000_000;
        report.completed = 50;
        report.wall_time_ms = 2_000;
        assert_eq!(report.served_bytes_per_second(), Some(25_000_000.0));
        report.wall_time_ms = 0;
        assert_eq!(report.served_bytes_per_second(), None);
    }

    #[test]
    fn sizes_show_their_exact_bytes_and_a_readable_unit() {
        for (bytes, shown) in [
            (0, "0 bytes"),
            (1023, "1023 bytes"),
            (1024, "1.0 KiB (1024 bytes)"),
            (3 * 1024 * 1024, "3.0 MiB (3145728 bytes)"),
            ((4 << 30) - 1, "4.0 GiB (4294967295 bytes)"),
        ] {
            assert_eq!(size(bytes), shown);
        }
    }
}
