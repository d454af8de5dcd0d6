//! `pens-conform client`: test an authoring tool.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use pens_runner::{ClientDeadlines, ClientRunOptions, Trigger};

use crate::baseline::BaselinePolicy;
use crate::bundle::{BundlePlan, finish, scenarios_json};
use crate::cli::ClientArgs;
use crate::console::Console;
use crate::run_output::{Suite, check_only, load_client_scenarios, partition_set, run_and_report};

pub(crate) fn run(args: ClientArgs) -> anyhow::Result<u8> {
    let baseline = BaselinePolicy::load(&args.baseline)?;
    let profile = crate::run_output::profile_of(args.profile.as_deref())?;
    let loaded = load_client_scenarios(&args.scenarios)?;
    // The bundle lists the whole set, which the report's scenario_digest covers.
    let loaded_sources: Vec<std::path::PathBuf> = loaded.iter().map(|s| s.source.clone()).collect();
    let ids: Vec<&str> = loaded.iter().map(|s| s.id.value.as_str()).collect();
    check_only(args.only.as_deref(), &[(&args.scenarios, ids)])?;
    let (scenarios, scope) = partition_set(loaded, args.partition, args.only.as_deref())?;
    let trust_pem = match &args.trust_ca {
        Some(path) => Some(std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?),
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
            collect: Duration::from_secs(args.publish_timeout.max(1)),
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
    crate::run_output::probe_report_dir(&report_dir)?;
    let plan = match &args.bundle {
        Some(path) => {
            let mut plan = BundlePlan::new(path.clone(), profile.system_password.iter().cloned().collect());
            plan.reports("", &report_dir);
            if args.profile.is_some() {
                plan.entry("profile.toml", profile.public_toml().into_bytes());
            }
            let sources: Vec<&Path> = loaded_sources.iter().map(|s| s.as_path()).collect();
            plan.entry("scenarios.json", scenarios_json(&[("client", &args.scenarios, sources)])?);
            Some(plan)
        }
        None => None,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let code = runtime.block_on(run_and_report(
        Suite::Client { scenarios: &scenarios, options: &options, trigger: &trigger },
        &report_dir,
        &baseline,
        &scope,
        &Console::Live,
    ))?;
    Ok(finish(code, plan))
}
