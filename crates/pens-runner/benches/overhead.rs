//! Harness overhead per scenario: what a run costs beyond the waits it makes on purpose.
//!
//! Each iteration is one `run_target_suite` against the reference target
//! (`pens_reference::ReferenceTarget`, set up as `pens-conform selftest` sets it up: every
//! transport, mail to the run's collector, the run's CA trusted), with the quiet window
//! at 0. The CA is made once; the target and the collector are started before each run,
//! outside the timed part (a collector keeps each key's receipts, and the keys, the
//! scenario ids, repeat from run to run). The time is taken from the run's own events:
//!
//! - `start-up: parties` — the call to `RunEvent::Started`: the staging server (HTTP,
//!   HTTPS, FTP, FTPS listeners) and the internal service, started per run;
//! - `start-up: run CA` — a fresh CA and server certificate, which a `target` run
//!   without `--ca-dir` makes (the self-test makes one per run too, before the suite);
//! - `start-up: preflight` — `Started` to `RunEvent::PreflightPassed`: one valid collect,
//!   fetch and receipt;
//! - `one scenario` — `PreflightPassed` to the run's end, `collect-post-valid`, one job;
//! - `applicable set` — the same for every scenario of `scenarios/target` that applies to
//!   the reference target and has no deliberate staging wait (`delay`, `dribble`, and
//!   `truncate`, whose staging server holds the broken body 100 ms so it is flushed), one
//!   job and eight; criterion's throughput line gives scenarios per second.
//!
//! The scenario times are the harness's work plus the reference target's own (it answers,
//! fetches, checks the package, sends the receipt, on the same two cores), with no
//! deliberate waits: "harness overhead per scenario" in BENCHMARKS.md.
//!
//! `cargo bench -p pens-runner --bench overhead` (criterion; HTML under `target/criterion/`).

// criterion_group! defines an undocumented `pub fn`.
#![allow(missing_docs)]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use pens_parties::{Collector, RunCa, full_capabilities};
use pens_reference::{ReferenceTarget, ReferenceTargetOptions};
use pens_report::Verdict;
use pens_runner::{Deadlines, RunEvent, RunOptions, run_target_suite};
use pens_scenario::{Scenario, StagingBehaviour};
use tokio::runtime::Runtime;

/// The package limit declared to the run, as in the self-test.
const MAX_PACKAGE_BYTES: u64 = 4 * 1024 * 1024;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What every run shares: the runtime, the run CA, the scenarios.
struct Setup {
    runtime: Runtime,
    ca: Arc<RunCa>,
    scenarios: Vec<Scenario>,
}

impl Setup {
    fn new() -> Setup {
        let runtime = Runtime::new().expect("a runtime");
        let ca = Arc::new(RunCa::generate(&[]).expect("a run CA"));
        let (scenarios, errors) = pens_scenario::load_dir(workspace().join("scenarios/target"));
        assert!(errors.is_empty(), "scenarios/target does not load");
        Setup { runtime, ca, scenarios }
    }

    /// A reference target, and the options of a run against it, as the self-test makes
    /// them (with its collector), with the quiet window at 0.
    async fn reference(&self, jobs: usize) -> (ReferenceTarget, RunOptions) {
        let collector = Collector::start(Ipv4Addr::LOCALHOST.into(), "").await.expect("the collector starts");
        let deadlines = Deadlines {
            ack: Duration::from_secs(5),
            fetch: Duration::from_secs(5),
            receipt: Duration::from_secs(10),
            quiet: Duration::ZERO,
        };
        let target_options = ReferenceTargetOptions::builder()
            .capabilities(full_capabilities())
            .smtp_relay(collector.smtp_addr())
            .extra_root_pem(self.ca.ca_pem())
            .slow_ack_extra_delay(deadlines.ack + Duration::from_millis(500))
            .max_package_bytes(MAX_PACKAGE_BYTES)
            .build();
        let target = ReferenceTarget::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), target_options)
            .expect("the reference target starts");
        let mut options = RunOptions::new(target.url(), workspace().join("fixtures/packages"));
        options.claims = full_capabilities();
        options.deadlines = deadlines;
        options.jobs = jobs;
        options.ca = Some(Arc::clone(&self.ca));
        options.collector = Some(Arc::new(collector));
        options.declared_max_package_bytes = Some(MAX_PACKAGE_BYTES);
        (target, options)
    }

    fn named(&self, id: &str) -> Vec<Scenario> {
        self.scenarios.iter().filter(|s| s.id.value == id).cloned().collect()
    }

    /// Every scenario that applies to a target claiming every transport (those with an
    /// `unless` check a target without one) and whose staging server does not wait on
    /// purpose.
    fn without_deliberate_waits(&self) -> Vec<Scenario> {
        self.scenarios
            .iter()
            .filter(|s| s.unless.is_empty())
            .filter(|s| {
                !matches!(
                    s.staging.value.behaviour.value,
                    StagingBehaviour::Delay { .. }
                        | StagingBehaviour::Dribble { .. }
                        | StagingBehaviour::Truncate { .. }
                )
            })
            .cloned()
            .collect()
    }

    /// One run; how long its parties took to start, its preflight, and its scenarios.
    fn run(&self, scenarios: &[Scenario], jobs: usize) -> Phases {
        self.runtime.block_on(async {
            let (_target, options) = self.reference(jobs).await;
            let called = Instant::now();
            let (mut started, mut passed) = (called, called);
            let output = run_target_suite(scenarios, &options, &mut |event| match event {
                RunEvent::Started { .. } => started = Instant::now(),
                RunEvent::PreflightPassed { .. } => passed = Instant::now(),
                _ => {}
            })
            .await
            .expect("the harness starts");
            let ended = Instant::now();
            let report = output.report;
            // A failing scenario would make the figures mean something else. (`info`: with
            // no quiet window, an optional alert may come after its scenario has ended.)
            assert!(report.aborted.is_none(), "{:?}", report.aborted);
            for scenario in &report.scenarios {
                let verdict = scenario.verdict;
                assert!(
                    matches!(verdict, Verdict::Pass | Verdict::Info),
                    "{}: {verdict}: {:#?}",
                    scenario.id,
                    scenario.checks
                );
            }
            Phases { parties: started - called, preflight: passed - started, scenarios: ended - passed }
        })
    }
}

struct Phases {
    parties: Duration,
    preflight: Duration,
    scenarios: Duration,
}

fn overhead(c: &mut Criterion) {
    let setup = Setup::new();
    let one = setup.named("collect-post-valid");
    assert_eq!(one.len(), 1, "collect-post-valid is in scenarios/target");
    let set = setup.without_deliberate_waits();

    // Criterion picks iteration counts from the time measured, and a run takes far longer
    // than its timed part: short warm-up and measurement times keep the number of runs
    // (and of loopback connections left in TIME_WAIT) bounded.
    let mut group = c.benchmark_group("harness overhead");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(400));
    group.bench_function("start-up: parties", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| setup.run(&[], 1).parties).sum())
    });
    group.bench_function("start-up: run CA", |b| b.iter(|| RunCa::generate(&[]).expect("a run CA")));
    group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.bench_function("start-up: preflight", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| setup.run(&[], 1).preflight).sum())
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("one scenario (collect-post-valid), jobs 1", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| setup.run(&one, 1).scenarios).sum())
    });
    group.finish();

    let mut group = c.benchmark_group("harness overhead, applicable set");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(set.len() as u64));
    for jobs in [1, 8] {
        group.bench_function(format!("{} scenarios without deliberate waits, jobs {jobs}", set.len()), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| setup.run(&set, jobs).scenarios).sum())
        });
    }
    group.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
