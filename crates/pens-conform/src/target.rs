//! `pens-conform target`: test an LMS.

use std::path::Path;

use anyhow::Context;
use pens_runner::RunOptions;

use crate::baseline::BaselinePolicy;
use crate::bundle::{BundlePlan, finish, scenarios_json};
use crate::cli::TargetArgs;
use crate::console::Console;
use crate::run_output::{
    Suite, apply_run_args, check_only, load_scenarios, partition_set, probe_report_dir, report_dir, run_and_report,
};

pub(crate) fn run(args: TargetArgs) -> anyhow::Result<u8> {
    let baseline = BaselinePolicy::load(&args.run.baseline)?;
    let profile = crate::run_output::profile_of(args.profile.as_deref())?;
    let url = crate::run_output::target_url_of(args.url.as_deref(), &profile)?;
    let loaded = load_scenarios(&args.run.scenarios)?;
    crate::run_output::check_packages(&loaded, &args.run.packages)?;
    // The bundle lists the whole set, which the report's scenario_digest covers.
    let loaded_sources: Vec<std::path::PathBuf> = loaded.iter().map(|s| s.source.clone()).collect();
    let ids: Vec<&str> = loaded.iter().map(|s| s.id.value.as_str()).collect();
    check_only(args.run.only.as_deref(), &[(&args.run.scenarios, ids)])?;
    let (scenarios, scope) = partition_set(loaded, args.run.partition, args.run.only.as_deref())?;
    let mut options = RunOptions::new(url, args.run.packages.clone());
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
            .with_context(|| format!("cannot use the certificate authority in {}", dir.display()))?;
        options.ca = Some(std::sync::Arc::new(ca));
    }
    apply_run_args(&mut options, &args.run, args.jobs);
    let report_dir = report_dir(&args.run);
    probe_report_dir(&report_dir)?;
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
            plan.entry("scenarios.json", scenarios_json(&[("target", &args.run.scenarios, sources)])?);
            Some(plan)
        }
        None => None,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let code = runtime.block_on(run_and_report(
        Suite::Target { scenarios: &scenarios, options: &options },
        &report_dir,
        &baseline,
        &scope,
        &Console::Live,
    ))?;
    Ok(finish(code, plan))
}
