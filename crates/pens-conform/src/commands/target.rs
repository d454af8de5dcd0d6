//! `pens-conform target`: test an LMS.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use pens_runner::RunOptions;

use crate::args::RunArgs;
use crate::baseline::BaselinePolicy;
use crate::bundle::{BundlePlan, finish, scenarios_json};
use crate::console::Console;
use crate::error::{Classify, CommandResult};
use crate::run_output::{
    Suite, apply_run_args, check_only, load_scenarios, partition_set, probe_report_dir, report_dir, run_and_report,
};
use crate::shipped::{PackageSet, ScenarioSet, SuiteKind};

/// Arguments of `target`.
#[derive(Debug, clap::Args)]
pub(crate) struct TargetArgs {
    /// The LMS's PENS endpoint (or `[target] url` in the profile).
    #[arg(long)]
    pub(crate) url: Option<String>,
    /// The implementation profile (TOML): credentials, claimed features, deadlines,
    /// limits.
    #[arg(long, value_name = "FILE")]
    pub(crate) profile: Option<PathBuf>,
    /// The IP address every listener of the harness binds (staging server, collector,
    /// mail sink), each on a port the system picks; 0.0.0.0 when the LMS runs elsewhere.
    /// An address without a port: one listener with its port is `--smtp-listen`.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub(crate) bind: IpAddr,
    /// Host name or address the LMS is told to fetch from and send receipts to.
    #[arg(long, value_name = "HOST")]
    pub(crate) advertise_host: Option<String>,
    /// Keep the harness's own certificate authority, which signs its HTTPS and FTPS
    /// staging certificates, in DIR across runs (`ca.pem`, `ca-key.pem`; created on
    /// first use), so the LMS trusts `DIR/ca.pem` once. Without it every run makes a
    /// fresh CA. Not a CA the harness trusts: that is `--trust-ca FILE` (client mode).
    #[arg(long, value_name = "DIR")]
    pub(crate) ca_dir: Option<PathBuf>,
    /// Where the mail sink listens for `mailto:` receipts and alerts; point the LMS's
    /// outgoing mail (SMTP relay) here. Default: a free port on --bind, printed when
    /// the run starts.
    #[arg(long, value_name = "ADDR:PORT")]
    pub(crate) smtp_listen: Option<std::net::SocketAddr>,
    /// The largest package the LMS accepts, in bytes or with a unit (`512MiB`): scenario
    /// `security-oversized-package` serves a valid package at least 1 MiB beyond it and
    /// expects a refusal (without it, that scenario is not applicable), and scenarios
    /// staging a larger package (`package-large`, 1 GiB) are not applicable.
    #[arg(long, value_name = "SIZE", value_parser = crate::args::ranges::declared_package_limit)]
    pub(crate) max_package_bytes: Option<u64>,
    /// Scenarios run at once (1 to 1024).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = crate::args::ranges::jobs)]
    pub(crate) jobs: usize,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

pub(crate) fn run(args: TargetArgs) -> CommandResult {
    let baseline = BaselinePolicy::load(&args.run.baseline).usage()?;
    let profile = crate::run_output::profile_of(args.profile.as_deref(), args.url.is_none()).usage()?;
    let url = crate::run_output::target_url_of(args.url.as_deref(), &profile).usage()?;
    let set = ScenarioSet::resolve(args.run.scenarios.as_deref(), SuiteKind::Target);
    let loaded = load_scenarios(&set).usage()?;
    let packages = PackageSet::resolve(args.run.packages.as_deref())
        .context("cannot write the built-in package fixtures to a temporary folder")
        .harness()?;
    crate::run_output::check_packages(&loaded, &packages).usage()?;
    // The bundle lists the whole set, which the report's scenario_digest covers.
    let loaded_sources: Vec<std::path::PathBuf> = loaded.iter().map(|s| s.source.clone()).collect();
    let ids: Vec<&str> = loaded.iter().map(|s| s.id.value.as_str()).collect();
    check_only(args.run.only.as_deref(), &[(&set.folder(), ids)]).usage()?;
    let (scenarios, scope) = partition_set(&set, loaded, args.run.partition, args.run.only.as_deref()).usage()?;
    let mut options = RunOptions::new(url, packages.path());
    options.target_name.clone_from(&profile.name);
    options.claims = profile.claims.clone();
    options.deadlines = profile.deadlines;
    options.limits = profile.limits;
    options.system_user_id.clone_from(&profile.system_user_id);
    options.system_password.clone_from(&profile.system_password);
    options.bind = args.bind;
    options.advertise_host.clone_from(&args.advertise_host);
    options.smtp_listen = args.smtp_listen;
    options.declared_max_package_bytes = args.max_package_bytes.or(profile.max_package_bytes);
    options.enforce_security |= profile.enforce_security;
    if let Some(dir) = &args.ca_dir {
        let hosts: Vec<String> = args.advertise_host.iter().cloned().collect();
        let ca = pens_parties::RunCa::load_or_create(dir, &hosts)
            .with_context(|| format!("cannot use the certificate authority in {}", dir.display()))
            .usage()?;
        options.ca = Some(std::sync::Arc::new(ca));
    }
    apply_run_args(&mut options, &args.run, args.jobs);
    let report_dir = report_dir(&args.run);
    probe_report_dir(&report_dir).usage()?;
    let plan = match &args.run.bundle {
        Some(path) => {
            // Values no argument may show: the system password, the target URL's password.
            let url_password = pens_proto::userinfo_of(&options.target_url).map(|(_, password)| password.to_owned());
            let secrets = profile.system_password.iter().cloned().chain(url_password).collect();
            let mut plan = BundlePlan::new(path.clone(), secrets);
            plan.reports("", &report_dir);
            if args.profile.is_some() {
                plan.entry("profile.toml", profile.public_toml().into_bytes());
            }
            let sources: Vec<&Path> = loaded_sources.iter().map(|s| s.as_path()).collect();
            plan.entry("scenarios.json", scenarios_json(&[("target", &set, sources)], Some(&packages)).usage()?);
            Some(plan)
        }
        None => None,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime").harness()?;
    let code = runtime
        .block_on(run_and_report(
            Suite::Target { scenarios: &scenarios, options: &options },
            &report_dir,
            &baseline,
            &scope,
            &Console::Live,
        ))
        .harness()?;
    Ok(finish(code, plan))
}
