//! `pens-conform selftest`: both suites against the built-in parties. The target suite
//! runs against the reference target; the client suite drives the reference client.
//! Their parties are apart (reference target, staging server and collector; reference
//! client and mock target), so the two suites run at the same time: the target suite
//! prints as it runs, the client suite's block follows it (see [`Console`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use pens_parties::{Collector, RunCa, full_capabilities, reference_capabilities};
use pens_reference::{
    ClientDefect, PublishRequest, ReferenceClient, ReferenceClientOptions, ReferenceTarget, ReferenceTargetOptions,
};
use pens_runner::{ClientDeadlines, ClientRunOptions, Deadlines, RunOptions, Trigger, TriggerCall};

use crate::args::RunArgs;
use crate::baseline::BaselinePolicy;
use crate::bundle::{BundlePlan, finish, scenarios_json};
use crate::console::Console;
use crate::error::{Classify, CommandResult};
use crate::exit;
use crate::run_output::{
    Suite, apply_run_args, check_only, load_client_scenarios, load_scenarios, partition_set, report_dir, run_and_report,
};
use crate::shipped::{PackageSet, ScenarioSet, SuiteKind};

/// The package limit of the reference target in a self-test, declared to the run: small,
/// so that `security-oversized-package` streams a few MiB, not the default 256 MiB; above
/// the zip bomb's 2 MiB, which must reach the archive check.
pub(crate) const SELFTEST_MAX_PACKAGE_BYTES: u64 = 4 * 1024 * 1024;

/// `--jobs` of `selftest`: scenarios at once in each suite. Against a real LMS `target`
/// runs 8; the reference target is local and idles through each scenario's quiet window
/// (400 ms of the about 405 a scenario takes), so more at once costs it little CPU and
/// saves whole waves: with 32, the target suite's 55 applicable scenarios start in two.
pub(crate) const SELFTEST_JOBS: usize = 32;

/// Deadlines for a target on the same machine: short, so a broken one fails fast.
pub(crate) fn local_deadlines() -> Deadlines {
    Deadlines {
        ack: Duration::from_secs(5),
        fetch: Duration::from_secs(5),
        receipt: Duration::from_secs(10),
        quiet: Duration::from_millis(400),
    }
}

/// One `--baseline` serves both suites, matched by scenario id: each suite's report
/// lists the other suite's entries as not run.
/// Arguments of `selftest`.
#[derive(Debug, clap::Args)]
pub(crate) struct SelftestArgs {
    /// Seed one deviation into the reference target, to see the target suite catch it
    /// (`pens-conform serve target --help` lists them).
    #[arg(long, value_name = "NAME")]
    pub(crate) defect: Option<String>,
    /// Seed one deviation into the reference client, to see the client suite catch it:
    /// missing-expiry, local-time-expiry, pens-version-1.0, relative-package-url,
    /// package-not-staged, wrong-credentials, bad-receipt-answer, non-uri-package-id,
    /// get-instead-of-post, wrong-package-type, expired-expiry, no-receipt-url,
    /// strict-notifications.
    #[arg(long, value_name = "NAME")]
    pub(crate) client_defect: Option<String>,
    /// The folder of client scenarios. Default: `scenarios/client` when that folder
    /// exists under the current folder (a checkout: the files on disk run), else the
    /// set built into pens-conform (`pens-conform scenarios export` writes it out).
    #[arg(long, value_name = "DIR")]
    pub(crate) client_scenarios: Option<PathBuf>,
    /// Switch the reference target's optional transports off: HTTP and HTTPS only, so
    /// it answers 1304, 1306, 1510 and 1520 for FTP, FTPS and mailto. Default: FTP,
    /// explicit FTPS and mailto receipts and alerts on (mail goes to the run's sink).
    #[arg(long)]
    pub(crate) http_only: bool,
    /// Scenarios run at once, in each suite (the two suites run side by side). More than
    /// `target`'s 8: the reference target is on this machine and mostly idle while the
    /// scenarios watch their quiet windows.
    #[arg(long, value_name = "N", default_value_t = SELFTEST_JOBS, value_parser = crate::args::ranges::jobs)]
    pub(crate) jobs: usize,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

pub(crate) fn run(args: SelftestArgs) -> CommandResult {
    let baseline = BaselinePolicy::load(&args.run.baseline).usage()?;
    let defect = super::serve::target::parse_defect(args.defect.as_deref()).usage()?;
    let client_defect = args
        .client_defect
        .as_deref()
        .map(|name| name.parse::<ClientDefect>().map_err(|e| anyhow::anyhow!("--client-defect: {e}")))
        .transpose()
        .usage()?;
    let sets = Sets {
        target: ScenarioSet::resolve(args.run.scenarios.as_deref(), SuiteKind::Target),
        client: ScenarioSet::resolve(args.client_scenarios.as_deref(), SuiteKind::Client),
        packages: PackageSet::resolve(args.run.packages.as_deref())
            .context("cannot write the built-in package fixtures to a temporary folder")
            .harness()?,
    };
    let scenarios = load_scenarios(&sets.target).usage()?;
    crate::run_output::check_packages(&scenarios, &sets.packages).usage()?;
    let client_scenarios = load_client_scenarios(&sets.client).usage()?;
    // Either suite may hold what --only names; the other then runs nothing.
    check_only(
        args.run.only.as_deref(),
        &[
            (&sets.target.folder(), scenarios.iter().map(|s| s.id.value.as_str()).collect()),
            (&sets.client.folder(), client_scenarios.iter().map(|s| s.id.value.as_str()).collect()),
        ],
    )
    .usage()?;
    let base = report_dir(&args.run);
    let plan = match &args.run.bundle {
        Some(path) => Some(selftest_plan(path, &args, &sets, &base, &scenarios, &client_scenarios).usage()?),
        None => None,
    };
    // Each suite's set is partitioned on its own; the bundle lists both whole sets.
    let only = args.run.only.as_deref();
    let (scenarios, target_scope) = partition_set(&sets.target, scenarios, args.run.partition, only).usage()?;
    let (client_scenarios, client_scope) =
        partition_set(&sets.client, client_scenarios, args.run.partition, only).usage()?;
    for suite in ["target", "client"] {
        crate::run_output::probe_report_dir(&base.join(suite)).usage()?;
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime").harness()?;
    let code = runtime.block_on(async {
        // Target suite: the reference target, trusting the run CA for HTTPS packages.
        let ca = RunCa::generate(&[]).context("cannot create the run's certificate authority").harness()?;
        let deadlines = local_deadlines();
        // A slow acknowledgement is only a defect once it misses the ack deadline.
        // Every transport on, mail going to the run's own sink, unless --http-only.
        let claims = if args.http_only { reference_capabilities() } else { full_capabilities() };
        let collector = Collector::start(IpAddr::V4(Ipv4Addr::LOCALHOST), "")
            .await
            .context("cannot start the receipt and alert collector")
            .harness()?;
        let collector = Arc::new(collector);
        let target_options = ReferenceTargetOptions::builder()
            .defect(defect)
            .capabilities(claims.clone())
            .smtp_relay(collector.smtp_addr())
            .extra_root_pem(ca.ca_pem())
            .slow_ack_extra_delay(deadlines.ack.saturating_add(Duration::from_millis(500)))
            // Gives up on `staging-silent` well within the receipt deadline (and well past
            // `staging-slow-first-byte`'s two seconds).
            .fetch_timeout((deadlines.receipt / 2).min(pens_parties::DEFAULT_FETCH_TIMEOUT))
            .max_package_bytes(SELFTEST_MAX_PACKAGE_BYTES)
            .build();
        let target = ReferenceTarget::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), target_options)
            .context("cannot start the reference target")
            .harness()?;
        let mut options = RunOptions::new(target.url(), sets.packages.path());
        options.target_name = Some(match defect {
            Some(defect) => format!("pens-conform reference target (defect: {})", defect.name()),
            None => "pens-conform reference target".to_owned(),
        });
        options.claims = claims;
        options.deadlines = deadlines;
        options.ca = Some(Arc::new(ca));
        options.collector = Some(collector);
        options.declared_max_package_bytes = Some(SELFTEST_MAX_PACKAGE_BYTES);
        apply_run_args(&mut options, &args.run, args.jobs);

        // Client suite: the reference client publishes whenever a scenario asks.
        let client_options = ReferenceClientOptions::builder().defect(client_defect).build();
        let client = ReferenceClient::start(IpAddr::V4(Ipv4Addr::LOCALHOST), client_options)
            .await
            .context("cannot start the reference client")
            .harness()?;
        let client = Arc::new(client);
        let trust_pem = client.ca_pem().to_owned();
        let packages = sets.packages.path().to_path_buf();
        let publisher = Arc::clone(&client);
        let trigger = Trigger::Callback(Arc::new(move |call: TriggerCall| {
            let client = Arc::clone(&publisher);
            let packages = packages.clone();
            Box::pin(async move {
                match PublishRequest::from_fixture(&packages, pens_scenario::DEFAULT_PACKAGE, &call.scenario_id) {
                    Ok(request) => {
                        client.publish(&call.target_url, request).await;
                    }
                    Err(error) => tracing::error!(%error, "the reference client cannot stage its package"),
                }
            })
        }));
        let client_run = ClientRunOptions {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            advertise_host: None,
            deadlines: ClientDeadlines {
                collect: Duration::from_secs(10),
                answers: Duration::from_secs(10),
                quiet: Duration::from_millis(400),
            },
            jobs: args.jobs.max(1),
            only: args.run.only.clone(),
            harness_version: env!("CARGO_PKG_VERSION").to_owned(),
            trust_pem: Some(trust_pem),
            smtp_relay: None,
            limits: pens_runner::Limits::default(),
        };

        // Both at once. The client suite's output is held until the target suite's block
        // is out; Ctrl-C reaches both, and each reports what had finished.
        let client_console = Console::held();
        let (target_dir, client_dir) = (base.join("target"), base.join("client"));
        let (target_code, client_code) = tokio::join!(
            run_and_report(
                Suite::Target { scenarios: &scenarios, options: &options },
                &target_dir,
                &baseline,
                &target_scope,
                &Console::Live,
            ),
            run_and_report(
                Suite::Client { scenarios: &client_scenarios, options: &client_run, trigger: &trigger },
                &client_dir,
                &baseline,
                &client_scope,
                &client_console,
            ),
        );
        drop(target);
        client_console.release().harness()?;
        Ok(worst_exit(target_code.harness()?, client_code.harness()?))
    })?;
    Ok(finish(code, plan))
}

/// A selftest's bundle: both suites' reports under `target/` and `client/`, and instead
/// of a profile the built-in set-up (`setup.json`: which defects were seeded).
fn selftest_plan(
    path: &Path,
    args: &SelftestArgs,
    sets: &Sets,
    base: &Path,
    scenarios: &[pens_scenario::Scenario],
    client_scenarios: &[pens_scenario::ClientScenario],
) -> anyhow::Result<BundlePlan> {
    let mut plan = BundlePlan::new(path.to_owned(), Vec::new());
    plan.reports("target/", &base.join("target"));
    plan.reports("client/", &base.join("client"));
    let setup = serde_json::json!({
        "kind": "selftest",
        "target": "pens-conform reference target",
        "client": "pens-conform reference client",
        "defect": args.defect,
        "client_defect": args.client_defect,
        "http_only": args.http_only,
        "enforce_security": args.run.enforce_security,
        "max_package_bytes": SELFTEST_MAX_PACKAGE_BYTES,
    });
    plan.entry("setup.json", serde_json::to_vec_pretty(&setup)?);
    let target_sources: Vec<&Path> = scenarios.iter().map(|s| s.source.as_path()).collect();
    let client_sources: Vec<&Path> = client_scenarios.iter().map(|s| s.source.as_path()).collect();
    plan.entry(
        "scenarios.json",
        scenarios_json(
            &[("target", &sets.target, target_sources), ("client", &sets.client, client_sources)],
            Some(&sets.packages),
        )?,
    );
    Ok(plan)
}

/// What a selftest runs: its two scenario sets and the package fixtures, each from disk
/// or built in ([`crate::shipped`]). The packages' temporary folder, when built in,
/// lives as long as this value: the whole run.
struct Sets {
    target: ScenarioSet,
    client: ScenarioSet,
    packages: PackageSet,
}

/// The exit code of two suites: an incomplete run wins, then a failure.
fn worst_exit(a: u8, b: u8) -> u8 {
    for code in [exit::INCOMPLETE, exit::CHECK_FAILED] {
        if a == code || b == code {
            return code;
        }
    }
    exit::SUCCESS
}
