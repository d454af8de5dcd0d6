//! `pens-conform client`: test an authoring tool.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use pens_runner::{ClientDeadlines, ClientRunOptions, Trigger};

use crate::args::BaselineArgs;
use crate::baseline::BaselinePolicy;
use crate::bundle::{BundlePlan, finish, scenarios_json};
use crate::console::Console;
use crate::error::{Classify, CommandResult, reference_target_error};
use crate::run_output::{Suite, check_only, load_client_scenarios, partition_set, run_and_report};
use crate::shipped::{ScenarioSet, SuiteKind};

/// Arguments of `client`.
#[derive(Debug, clap::Args)]
pub(crate) struct ClientArgs {
    /// The address and port the mock target listens on, its one listener (port 0: a
    /// free port, printed). Not `--bind`: that is an address without a port for every
    /// listener of a target run.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:0")]
    pub(crate) listen: std::net::SocketAddr,
    /// Host name or address the authoring tool is told to publish to.
    #[arg(long, value_name = "HOST")]
    pub(crate) advertise_host: Option<String>,
    /// A command that makes the authoring tool publish once (run with `sh -c`).
    #[arg(long, value_name = "CMD")]
    pub(crate) trigger: Option<String>,
    /// A CA certificate (PEM) the mock target trusts when it fetches the tool's
    /// packages over HTTPS or FTPS: the CA of the tool's staging server. Not a CA the
    /// harness keeps for itself: that is `--ca-dir DIR` (target mode).
    #[arg(long, value_name = "FILE")]
    pub(crate) trust_ca: Option<PathBuf>,
    /// How long to wait for each publish: a duration (`90s`, `2m`) or whole seconds, 1 s
    /// to an hour.
    #[arg(long, value_name = "DURATION", default_value = "60", value_parser = crate::args::ranges::wait_seconds)]
    pub(crate) publish_timeout: Duration,
    /// An implementation profile (TOML): client mode reads its `[limits]` (what the mock
    /// target takes from the tool); the other sections are checked but not used.
    #[arg(long, value_name = "FILE")]
    pub(crate) profile: Option<PathBuf>,
    /// Mail `mailto:` receipts and alerts through this SMTP server (the tool's mail
    /// server, or a sink it reads). Without it the mock target answers 1510 and 1520 to
    /// a mailto: receipt or alerts URL.
    #[arg(long, value_name = "ADDR:PORT")]
    pub(crate) smtp_relay: Option<std::net::SocketAddr>,
    /// Where report.json, junit.xml, summary.md and report.html go; default `reports/<timestamp>/`.
    #[arg(long, value_name = "DIR")]
    pub(crate) report_dir: Option<PathBuf>,
    /// Scenarios run at once (with --trigger; interactive runs go one at a time), 1 to 1024.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = crate::args::ranges::jobs)]
    pub(crate) jobs: usize,
    /// Only scenarios whose id matches PATTERN (`*` matches anything). A PATTERN that
    /// matches no scenario of the set is a usage error (exit 2); one that matches only
    /// scenarios of other partitions (--partition) leaves an empty partition, which runs
    /// nothing and exits 0.
    #[arg(long, value_name = "PATTERN")]
    pub(crate) only: Option<String>,
    /// Run one partition of the scenario set, to spread it over N CI jobs; `merge` joins
    /// their reports. `K/N` (or `count:K/N`): the set sorted by id, every N-th scenario
    /// from the K-th. `hash:K/N`: by a hash of the id, so a scenario keeps its partition
    /// when others are added. Applied before --only.
    #[arg(long, value_name = "K/N")]
    pub(crate) partition: Option<crate::partition::PartitionSpec>,
    /// The folder of client scenarios. Default: `scenarios/client` when that folder
    /// exists under the current folder (a checkout: the files on disk run), else the
    /// set built into pens-conform (`pens-conform scenarios export` writes it out).
    #[arg(long, value_name = "DIR")]
    pub(crate) scenarios: Option<PathBuf>,
    /// After the run, pack a certification bundle into FILE (a zip): the reports, the
    /// profile without its password, the harness version and arguments, the scenario
    /// files' SHA-256 and a manifest that `verify` checks. Not written when the run is
    /// incomplete (exit 3); a failing run gets one, it is evidence.
    #[arg(long, value_name = "FILE.zip")]
    pub(crate) bundle: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) baseline: BaselineArgs,
}

pub(crate) fn run(args: ClientArgs) -> CommandResult {
    let baseline = BaselinePolicy::load(&args.baseline).usage()?;
    let profile = crate::run_output::profile_of(args.profile.as_deref(), false).usage()?;
    let set = ScenarioSet::resolve(args.scenarios.as_deref(), SuiteKind::Client);
    let loaded = load_client_scenarios(&set).usage()?;
    // The bundle lists the whole set, which the report's scenario_digest covers.
    let loaded_sources: Vec<std::path::PathBuf> = loaded.iter().map(|s| s.source.clone()).collect();
    let ids: Vec<&str> = loaded.iter().map(|s| s.id.value.as_str()).collect();
    check_only(args.only.as_deref(), &[(&set.folder(), ids)]).usage()?;
    let (scenarios, scope) = partition_set(&set, loaded, args.partition, args.only.as_deref()).usage()?;
    let trust_pem = match &args.trust_ca {
        Some(path) => {
            Some(std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display())).usage()?)
        }
        None => None,
    };
    let trigger = match &args.trigger {
        Some(command) => Trigger::Command(command.clone()),
        None => Trigger::Interactive,
    };
    let options = ClientRunOptions {
        listen: args.listen,
        advertise_host: args.advertise_host.clone(),
        deadlines: ClientDeadlines {
            collect: args.publish_timeout,
            answers: Duration::from_secs(10),
            quiet: Duration::from_secs(1),
        },
        jobs: args.jobs.max(1),
        only: args.only.clone(),
        harness_version: env!("CARGO_PKG_VERSION").to_owned(),
        trust_pem,
        smtp_relay: args.smtp_relay,
        limits: profile.limits,
    };
    let report_dir = args.report_dir.clone().unwrap_or_else(crate::run_output::default_report_dir);
    crate::run_output::probe_report_dir(&report_dir).usage()?;
    let plan = match &args.bundle {
        Some(path) => {
            let mut plan = BundlePlan::new(path.clone(), profile.system_password.iter().cloned().collect());
            plan.reports("", &report_dir);
            if args.profile.is_some() {
                plan.entry("profile.toml", profile.public_toml().into_bytes());
            }
            let sources: Vec<&Path> = loaded_sources.iter().map(|s| s.as_path()).collect();
            plan.entry("scenarios.json", scenarios_json(&[("client", &set, sources)], None).usage()?);
            Some(plan)
        }
        None => None,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime").harness()?;
    let code = runtime
        .block_on(run_and_report(
            Suite::Client { scenarios: &scenarios, options: &options, trigger: &trigger },
            &report_dir,
            &baseline,
            &scope,
            &Console::Live,
        ))
        .map_err(reference_target_error)?;
    Ok(finish(code, plan))
}
