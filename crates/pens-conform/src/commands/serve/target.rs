//! `pens-conform serve target`: the reference target on its own, until Ctrl-C, SIGTERM or SIGHUP.

use std::path::PathBuf;

use anyhow::Context;
use pens_reference::{Defect, ReferenceTarget, ReferenceTargetOptions};

use crate::error::{Classify, CommandError, CommandResult, reference_target_error};
use crate::exit;
use crate::output;

/// Arguments of `serve target`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeTargetArgs {
    /// The address and port the reference target listens on, its one listener (port 0:
    /// a free port, printed).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8380")]
    pub(crate) listen: std::net::SocketAddr,
    /// Seed one deviation: lf-line-endings, no-receipt, receipt-before-download,
    /// wrong-ftp-code, lowest-error-code, ignore-credentials, always-success,
    /// receipt-wrong-package-id, slow-ack, html-response, alert-before-receipt, no-fetch,
    /// shallow-archive-check, no-package-size-limit, leaky-receipts, unescaped-html-answer.
    #[arg(long, value_name = "NAME")]
    pub(crate) defect: Option<String>,
    /// A CA certificate (PEM) the reference target trusts when it fetches over HTTPS or
    /// FTPS, e.g. a target run's `ca.pem` (or `DIR/ca.pem` of its `--ca-dir DIR`).
    #[arg(long, value_name = "FILE")]
    pub(crate) trust_ca: Option<PathBuf>,
    /// Mail `mailto:` receipts and alerts through this SMTP server (e.g. the address a
    /// target run prints as `smtp`). Without it the target answers 1510 and 1520.
    #[arg(long, value_name = "ADDR:PORT")]
    pub(crate) smtp_relay: Option<std::net::SocketAddr>,
    /// HTTP and HTTPS only: answer 1304 and 1306 for FTP and FTPS packages (and 1510,
    /// 1520 for mailto). Default: FTP and explicit FTPS are fetched.
    #[arg(long)]
    pub(crate) http_only: bool,
    /// Keep at most N events of the target's activity in memory, the most recent ones,
    /// so that a long run (a `load` of many publishes) does not grow without bound; 0
    /// keeps none and, with logging off, spares the work of building them. At most 1000000.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = crate::args::ranges::keep_events)]
    pub(crate) keep_events: usize,
    /// Download packages larger than 1 MiB to temp files in DIR (default: the system's
    /// temp folder) rather than into memory; each is deleted once checked. DIR needs
    /// room for the largest package expected; one that cannot take a package makes its
    /// receipt 1440.
    #[arg(long, value_name = "DIR")]
    pub(crate) download_dir: Option<PathBuf>,
    /// The largest package the target takes, in bytes or with a unit (`2GiB`): a larger
    /// one is refused with 1440 (insufficient host storage). Default 256MiB; at most 64GiB.
    #[arg(long, value_name = "SIZE", value_parser = crate::args::ranges::served_package_limit)]
    pub(crate) max_package_bytes: Option<u64>,
    /// Serve at most N connections at once; more wait until one ends. Raise it to put
    /// a `load` of more than about 250 publishes in flight on the target itself.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub(crate) connections: u64,
}

/// The `--defect NAME` of `serve target` and `selftest`.
pub(crate) fn parse_defect(name: Option<&str>) -> anyhow::Result<Option<Defect>> {
    name.map(|name| name.parse::<Defect>().map_err(|e| anyhow::anyhow!("--defect: {e}"))).transpose()
}

pub(crate) fn run(args: ServeTargetArgs) -> CommandResult {
    let defect = parse_defect(args.defect.as_deref()).usage()?;
    let mut options = ReferenceTargetOptions::builder()
        .defect(defect)
        .capabilities(serve_claims(&args))
        .activity_limit(args.keep_events)
        // Nobody reads a kept package of a target on its own: keep none on disk.
        .keep_packages(false);
    options = options.connections(usize::try_from(args.connections).unwrap_or(usize::MAX));
    if let Some(limit) = args.max_package_bytes {
        options = options.max_package_bytes(limit);
    }
    if let Some(path) = &args.trust_ca {
        let pem = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display())).usage()?;
        options = options.extra_root_pem(pem);
    }
    if let Some(relay) = args.smtp_relay {
        options = options.smtp_relay(relay);
    }
    if let Some(dir) = &args.download_dir {
        if !dir.is_dir() {
            let problem = anyhow::anyhow!("--download-dir: {} is not a folder", dir.display());
            return Err(CommandError::Usage(problem));
        }
        options = options.download_dir(dir);
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime").harness()?;
    runtime.block_on(async {
        // SIGTERM (a service manager, `timeout`) and SIGHUP stop it as Ctrl-C does: a
        // clean end, exit 0, rather than 143 or 129.
        let mut stop_signals = crate::signals::StopSignals::install().harness()?;
        // Its error names the address already.
        let target = ReferenceTarget::start(args.listen, options.build()).map_err(reference_target_error)?;
        output::line(format!("reference target listening: {}", target.url())).harness()?;
        output::line(format!("transports: {}", transports_line(&target.state().options().capabilities))).harness()?;
        if let Some(defect) = defect {
            output::line(format!("seeded defect: {} ({})", defect.name(), defect.description())).harness()?;
        }
        output::line("press Ctrl-C to stop").harness()?;
        stop_signals.received().await;
        Ok(exit::SUCCESS)
    })
}

/// What `serve target` claims: FTP and FTPS unless `--http-only`; mail only with a
/// relay to send it through.
fn serve_claims(args: &ServeTargetArgs) -> pens_proto::TargetCapabilities {
    use pens_proto::Support;
    let mut claims = pens_parties::full_capabilities();
    if args.http_only {
        return pens_parties::reference_capabilities();
    }
    if args.smtp_relay.is_none() {
        (claims.mailto_receipt, claims.mailto_alerts) = (Support::No, Support::No);
    }
    claims
}

/// `http, https, ftp, ftps, mailto receipts, mailto alerts`: what the target serves.
fn transports_line(claims: &pens_proto::TargetCapabilities) -> String {
    use pens_proto::Support;
    let mut on = vec!["http", "https"];
    for (support, name) in [
        (claims.ftp, "ftp"),
        (claims.ftps, "ftps (explicit)"),
        (claims.mailto_receipt, "mailto receipts"),
        (claims.mailto_alerts, "mailto alerts"),
    ] {
        if support == Support::Yes {
            on.push(name);
        }
    }
    on.join(", ")
}
