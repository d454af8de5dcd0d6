//! Scenario-file load cost: parsing, checking and converting every shipped scenario, as
//! each run does before it starts (`scenarios/target/`, `scenarios/client/`).
//!
//! `cargo bench -p pens-scenario` (criterion).

// criterion_group! defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn scenario_dir(mode: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(mode)
}

fn texts(mode: &str) -> Vec<(PathBuf, String)> {
    let mut files: Vec<(PathBuf, String)> = std::fs::read_dir(scenario_dir(mode))
        .expect("the scenario folder")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable");
            (path, text)
        })
        .collect();
    files.sort();
    files
}

fn load(c: &mut Criterion) {
    let target = texts("target");
    let client = texts("client");
    let mut group = c.benchmark_group("scenario load");
    group.throughput(Throughput::Elements(target.len() as u64));
    group.bench_function(format!("parse {} target scenarios", target.len()), |b| {
        b.iter(|| {
            for (path, text) in &target {
                black_box(pens_scenario::parse_scenario(path.clone(), text).expect("a shipped scenario loads"));
            }
        })
    });
    group.throughput(Throughput::Elements(client.len() as u64));
    group.bench_function(format!("parse {} client scenarios", client.len()), |b| {
        b.iter(|| {
            for (path, text) in &client {
                black_box(pens_scenario::parse_client_scenario(path.clone(), text).expect("a shipped scenario loads"));
            }
        })
    });
    group.throughput(Throughput::Elements(target.len() as u64));
    group.bench_function("load_dir target (reads the files too)", |b| {
        b.iter(|| black_box(pens_scenario::load_dir(scenario_dir("target"))))
    });
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
