//! `pens-conform serve client`: the reference client on its own: one publish to a
//! target, its receipt and alerts answered, then exit.

use std::path::PathBuf;

use anyhow::Context;

use crate::error::{Classify, CommandResult};
use crate::exit;
use crate::output;

/// Arguments of `serve client`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeClientArgs {
    /// The target's PENS endpoint, as `--url` of `target` and `load` (default: the
    /// PENS_TARGET_URL environment variable, which `client --trigger` sets).
    #[arg(long, value_name = "URL", env = "PENS_TARGET_URL", visible_alias = "target")]
    pub(crate) url: String,
    /// The course id inside the package-id namespace; the same course keeps one namespace.
    #[arg(long, value_name = "ID", env = "PENS_SCENARIO_ID", default_value = "course-1")]
    pub(crate) course: String,
    /// The package fixture to stage (a folder under --packages, zipped).
    #[arg(long, value_name = "NAME", default_value = "scorm12-minimal.zip")]
    pub(crate) package: String,
    /// The folder of package fixtures. Default: `fixtures/packages` when that folder
    /// exists under the current folder, else the fixtures built into pens-conform.
    #[arg(long, value_name = "DIR")]
    pub(crate) packages: Option<PathBuf>,
    /// Stage the package on HTTPS (the target must trust the client's CA); the same as
    /// `--staging https`.
    #[arg(long, conflicts_with = "staging")]
    pub(crate) https: bool,
    /// The staging listener the package URL names: http, https, ftp or ftps (explicit
    /// FTPS; the target must trust the client's CA).
    #[arg(long, value_name = "PROTOCOL")]
    pub(crate) staging: Option<pens_reference::StagingProtocol>,
    /// Ask for `mailto:` receipts and alerts, delivered to the client's own mail sink;
    /// the target must mail through it (see --smtp-listen).
    #[arg(long)]
    pub(crate) mailto: bool,
    /// The address and port the mail sink listens on with --mailto (default: a free
    /// port on 127.0.0.1, printed).
    #[arg(long, value_name = "ADDR:PORT", requires = "mailto")]
    pub(crate) smtp_listen: Option<std::net::SocketAddr>,
    /// Seed one deviation (see `selftest --help`, --client-defect).
    #[arg(long, value_name = "NAME")]
    pub(crate) defect: Option<String>,
    /// How long to wait for the receipt once the target has answered: a duration
    /// (`90s`, `2m`) or whole seconds, 1 s to an hour.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "60",
        value_parser = crate::args::ranges::wait_seconds,
        visible_alias = "wait"
    )]
    pub(crate) receipt_timeout: std::time::Duration,
    /// After the receipt, how long to stay for further alerts once none has come: a
    /// duration (`2s`, `500ms`) or whole milliseconds, up to an hour.
    #[arg(long, value_name = "DURATION", default_value = "1500", value_parser = crate::args::ranges::wait_ms)]
    pub(crate) linger: std::time::Duration,
}

/// `serve client`: one publish, its receipt and alerts answered, then exit.
pub(crate) fn run(args: ServeClientArgs) -> CommandResult {
    use std::time::Instant;

    let defect = args
        .defect
        .as_deref()
        .map(|name| name.parse::<pens_reference::ClientDefect>().map_err(|e| anyhow::anyhow!("--defect: {e}")))
        .transpose()
        .usage()?;
    let packages = crate::shipped::PackageSet::resolve(args.packages.as_deref())
        .context("cannot write the built-in package fixtures to a temporary folder")
        .harness()?;
    let request = pens_reference::PublishRequest::from_fixture(packages.path(), &args.package, args.course.clone())
        .with_context(|| format!("cannot stage {}", args.package))
        .usage()?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime").harness()?;
    runtime.block_on(async {
        let staging = match (args.staging, args.https) {
            (Some(protocol), _) => protocol,
            (None, true) => pens_reference::StagingProtocol::Https,
            (None, false) => pens_reference::StagingProtocol::Http,
        };
        let mut options =
            pens_reference::ReferenceClientOptions::builder().defect(defect).staging(staging).mailto(args.mailto);
        if let Some(addr) = args.smtp_listen {
            options = options.smtp_listen(addr);
        }
        let client = pens_reference::ReferenceClient::start(std::net::IpAddr::from([127, 0, 0, 1]), options.build())
            .await
            .context("cannot start the reference client")
            .harness()?;
        if let Some(smtp) = client.smtp_addr() {
            output::line(format!("mail sink: {smtp} (the target must mail receipts and alerts through it)"))
                .harness()?;
        }
        let publication = client.publish(&args.url, request).await;
        let answer = publication.answer_code();
        output::line(format!(
            "published {} to {}: answered {}",
            publication.package_id().unwrap_or("(no package-id)"),
            args.url,
            answer.map_or_else(|| "nothing readable".to_owned(), |code| code.to_string())
        ))
        .harness()?;
        if answer.is_none_or(|code| !code.is_success()) {
            return Ok(exit::CHECK_FAILED);
        }
        let Some(receipt) = publication.wait_for_receipt(Instant::now() + args.receipt_timeout).await else {
            output::line(format!("no receipt within {}", humantime::format_duration(args.receipt_timeout)))
                .harness()?;
            return Ok(exit::CHECK_FAILED);
        };
        output::line(format!("receipt: error {}", receipt.notification.error.as_deref().unwrap_or("(missing)")))
            .harness()?;
        // Alerts may follow: stay while they keep coming, so each one is answered.
        let mut seen = publication.notifications().len();
        loop {
            let more = |events: &[pens_reference::ClientEvent]| {
                events
                    .iter()
                    .filter(|e| matches!(e.kind, pens_reference::ClientEventKind::NotificationReceived(_)))
                    .count()
                    > seen
            };
            if publication.wait_for(more, Instant::now() + args.linger).await.is_none() {
                break;
            }
            seen = publication.notifications().len();
        }
        output::line(format!("alerts: {}", seen.saturating_sub(1))).harness()?;
        Ok(exit::SUCCESS)
    })
}
