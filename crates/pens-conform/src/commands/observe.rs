//! `pens-conform observe`: judge a real authoring tool and a real LMS while they talk to
//! each other, through the harness's relay.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use pens_runner::ObserveOptions;

use crate::args::BaselineArgs;
use crate::baseline::BaselinePolicy;
use crate::console::Console;
use crate::error::{Classify, CommandResult};
use crate::run_output::{RunScope, Suite, probe_report_dir, run_and_report};

/// Arguments of `observe`.
#[derive(Debug, clap::Args)]
pub(crate) struct ObserveArgs {
    /// The LMS's PENS endpoint, where each collect is forwarded (or `[target] url` in
    /// the profile). `--target URL` is the same option: `--url` is its name in every
    /// command that talks to a target.
    #[arg(long = "url", visible_alias = "target", value_name = "URL")]
    pub(crate) target: Option<String>,
    /// Where the relay takes the authoring tool's collects: point the tool's PENS target
    /// URL here (port 0: any free port; the URL is printed before the run waits).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:0")]
    pub(crate) listen: std::net::SocketAddr,
    /// Host name or address the tool and the LMS are told to reach the relay at (its
    /// staging and collector URLs); use it with --listen 0.0.0.0:PORT when they run
    /// elsewhere.
    #[arg(long, value_name = "HOST")]
    pub(crate) advertise_host: Option<String>,
    /// Stop after N publishes (1 to 1000).
    #[arg(long, value_name = "N", value_parser = crate::args::ranges::observed_publishes)]
    pub(crate) publishes: Option<usize>,
    /// Stop taking publishes after DURATION (`10m`, `2h`, or whole seconds; at most a
    /// week); publishes under way are followed to their end. Without --publishes or
    /// --duration the run lasts until Ctrl-C.
    #[arg(long, value_name = "DURATION", value_parser = crate::args::ranges::observe_duration)]
    pub(crate) duration: Option<Duration>,
    /// Forward each collect untouched: the fetch, the receipt and the alerts then go
    /// straight between the LMS and the tool, and only the collect and its answer are
    /// judged.
    #[arg(long)]
    pub(crate) no_rewrite: bool,
    /// The implementation profile of the LMS (TOML): its URL, claims, deadlines and
    /// limits.
    #[arg(long, value_name = "FILE")]
    pub(crate) profile: Option<PathBuf>,
    /// Keep the certificate authority of the relay's HTTPS staging in DIR (`ca.pem`,
    /// `ca-key.pem`; created on first use): the LMS must trust `ca.pem` to fetch a package
    /// the tool stages over HTTPS. Without it every run makes a fresh CA (written to the
    /// report folder).
    #[arg(long, value_name = "DIR")]
    pub(crate) ca_dir: Option<PathBuf>,
    /// A CA certificate (PEM) the relay trusts when it talks HTTPS to the tool's staging
    /// or receipt URL, or to the LMS.
    #[arg(long, value_name = "FILE")]
    pub(crate) trust_ca: Option<PathBuf>,
    /// Where the relay's mail sink listens for `mailto:` receipts and alerts; point the
    /// LMS's outgoing mail here. Without it a `mailto:` receipt or alerts URL is left
    /// alone and not judged.
    #[arg(long, value_name = "ADDR:PORT")]
    pub(crate) smtp_listen: Option<std::net::SocketAddr>,
    /// The SMTP server that mailed receipts and alerts are passed on through, toward the
    /// tool's addresses.
    #[arg(long, value_name = "ADDR:PORT")]
    pub(crate) smtp_relay: Option<std::net::SocketAddr>,
    /// Where report.json, junit.xml, summary.md and report.html go; default `reports/<timestamp>/`.
    #[arg(long, value_name = "DIR")]
    pub(crate) report_dir: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) baseline: BaselineArgs,
}

pub(crate) fn run(args: ObserveArgs) -> CommandResult {
    let baseline = BaselinePolicy::load(&args.baseline).usage()?;
    let profile = crate::run_output::profile_of(args.profile.as_deref(), args.target.is_none()).usage()?;
    if args.target.is_none() && profile.url.is_none() {
        return Err(anyhow::anyhow!(
            "no target URL: give --url URL (or --target URL) or `[target] url` in the --profile file"
        ))
        .usage();
    }
    let url = crate::run_output::target_url_of(args.target.as_deref(), &profile).usage()?;
    let mut options = ObserveOptions::new(url);
    options.listen = args.listen;
    options.target_name.clone_from(&profile.name);
    options.rewrite = !args.no_rewrite;
    options.advertise_host.clone_from(&args.advertise_host);
    options.publishes = args.publishes;
    options.duration = args.duration;
    options.deadlines = profile.deadlines;
    options.claims = profile.claims.clone();
    options.limits = profile.limits;
    options.smtp_listen = args.smtp_listen;
    options.smtp_relay = args.smtp_relay;
    if let Some(path) = &args.trust_ca {
        let pem = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display())).usage()?;
        options.trust_pem.push(pem);
    }
    if let Some(dir) = &args.ca_dir {
        let hosts: Vec<String> = args.advertise_host.iter().cloned().collect();
        let ca = pens_parties::RunCa::load_or_create(dir, &hosts)
            .with_context(|| format!("cannot use the certificate authority in {}", dir.display()))
            .usage()?;
        options.ca = Some(std::sync::Arc::new(ca));
    }
    let report_dir = args.report_dir.clone().unwrap_or_else(crate::run_output::default_report_dir);
    probe_report_dir(&report_dir).usage()?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime").harness()?;
    let code = runtime
        .block_on(run_and_report(
            Suite::Observe { options: &options },
            &report_dir,
            &baseline,
            &RunScope::observe(),
            &Console::Live,
        ))
        .harness()?;
    Ok(code)
}
