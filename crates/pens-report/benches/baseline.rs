//! Baseline cost: reading a `--baseline` file of many `[[expected-failure]]` entries and
//! applying it to a report, as a run does before it starts and after it ends.
//!
//! A baseline grows with the scenarios a vendor accepts failing, and a generated one
//! (one entry per scenario of several suites, or per scenario and partition) can hold
//! tens of thousands. Reading one must cost time in proportion to its size: it once
//! counted newlines from the start of the file for every entry and searched the entries
//! read so far for a duplicate, so 40 000 entries took over two minutes.
//!
//! `cargo bench -p pens-report --bench baseline` (criterion).

// criterion_group! defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pens_report::{Baseline, RunReport, ScenarioResult, Verdict};

/// A baseline of `entries` entries, every key written (issue and expiry too), the
/// expiry alternating between the TOML date and the quoted form.
fn baseline_text(entries: usize) -> String {
    let mut text = String::with_capacity(entries * 160);
    for n in 0..entries {
        let expires = if n % 2 == 0 { "2099-12-31".to_owned() } else { "\"2099-12-31\"".to_owned() };
        text.push_str(&format!(
            "[[expected-failure]]\nscenario = \"scenario-{n}\"\nreason = \"LMS-{n}: a known failure\"\n\
             issue = \"https://tracker.example/LMS-{n}\"\nexpires = {expires}\n\n"
        ));
    }
    text
}

/// A report of `scenarios` scenarios, every other one failing.
fn report(scenarios: usize) -> RunReport {
    let mut report: RunReport = serde_json::from_value(serde_json::json!({
        "format_version": pens_report::FORMAT_VERSION,
        "harness": { "name": "pens-conform", "version": "0" },
        "mode": "target",
        "started_at": "2026-01-01T00:00:00Z",
        "duration_ms": 1,
        "target": { "url": "http://127.0.0.1:1/pens", "claims": {} },
        "summary": pens_report::Summary::default(),
        "scenarios": [],
    }))
    .expect("a minimal report");
    report.scenarios = (0..scenarios)
        .map(|n| {
            let verdict = if n % 2 == 0 { Verdict::Fail } else { Verdict::Pass };
            ScenarioResult::new(format!("scenario-{n}"), "t", "f.toml", verdict)
        })
        .collect();
    report.summary = pens_report::Summary::of(&report.scenarios);
    report
}

fn baseline(c: &mut Criterion) {
    let mut group = c.benchmark_group("baseline");
    group.sample_size(10).measurement_time(Duration::from_secs(5));
    for entries in [1_000, 10_000, 40_000] {
        let text = baseline_text(entries);
        group.throughput(Throughput::Elements(entries as u64));
        group.bench_with_input(BenchmarkId::new("parse", entries), &text, |b, text| {
            b.iter(|| black_box(Baseline::parse("baseline.toml", text).expect("a valid baseline")))
        });
    }
    let entries = 40_000;
    let parsed = Baseline::parse("baseline.toml", &baseline_text(entries)).expect("a valid baseline");
    let run = report(entries);
    group.throughput(Throughput::Elements(entries as u64));
    group.bench_function(BenchmarkId::new("apply", entries), |b| {
        b.iter_batched_ref(|| run.clone(), |run| parsed.apply(run), criterion::BatchSize::LargeInput)
    });
    group.finish();
}

criterion_group!(benches, baseline);
criterion_main!(benches);
