//! `pens-conform serve target`: the reference target on its own, until Ctrl-C, SIGTERM or SIGHUP.

use anyhow::Context;
use pens_reference::{Defect, ReferenceTarget, ReferenceTargetOptions};

use crate::cli::{ServeClientArgs, ServeTargetArgs};
use crate::exit;
use crate::output;

/// The `--defect NAME` of `serve target` and `selftest`.
pub(crate) fn parse_defect(name: Option<&str>) -> anyhow::Result<Option<Defect>> {
    name.map(|name| name.parse::<Defect>().map_err(|e| anyhow::anyhow!("--defect: {e}"))).transpose()
}

pub(crate) fn target(args: ServeTargetArgs) -> anyhow::Result<u8> {
    let defect = parse_defect(args.defect.as_deref())?;
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
        let pem = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        options = options.extra_root_pem(pem);
    }
    if let Some(relay) = args.smtp_relay {
        options = options.smtp_relay(relay);
    }
    if let Some(dir) = &args.download_dir {
        if !dir.is_dir() {
            anyhow::bail!("--download-dir: {} is not a folder", dir.display());
        }
        options = options.download_dir(dir);
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        // SIGTERM (a service manager, `timeout`) and SIGHUP stop it as Ctrl-C does: a
        // clean end, exit 0, rather than 143 or 129.
        let mut stop_signals = crate::signals::StopSignals::install()?;
        // Its error names the address already.
        let target = ReferenceTarget::start(args.listen, options.build())?;
        output::line(format!("reference target listening: {}", target.url()))?;
        output::line(format!("transports: {}", transports_line(&target.state().options().capabilities)))?;
        if let Some(defect) = defect {
            output::line(format!("seeded defect: {} ({})", defect.name(), defect.description()))?;
        }
        output::line("press Ctrl-C to stop")?;
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

/// `serve client`: one publish, its receipt and alerts answered, then exit.
pub(crate) fn client(args: ServeClientArgs) -> anyhow::Result<u8> {
    use std::time::{Duration, Instant};

    let defect = args
        .defect
        .as_deref()
        .map(|name| name.parse::<pens_reference::ClientDefect>().map_err(|e| anyhow::anyhow!("--defect: {e}")))
        .transpose()?;
    let request = pens_reference::PublishRequest::from_fixture(&args.packages, &args.package, args.course.clone())
        .with_context(|| format!("cannot stage {}", args.package))?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
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
            .context("cannot start the reference client")?;
        if let Some(smtp) = client.smtp_addr() {
            output::line(format!("mail sink: {smtp} (the target must mail receipts and alerts through it)"))?;
        }
        let publication = client.publish(&args.target, request).await;
        let answer = publication.answer_code();
        output::line(format!(
            "published {} to {}: answered {}",
            publication.package_id().unwrap_or("(no package-id)"),
            args.target,
            answer.map_or_else(|| "nothing readable".to_owned(), |code| code.to_string())
        ))?;
        if answer.is_none_or(|code| !code.is_success()) {
            return Ok(exit::CHECK_FAILED);
        }
        let Some(receipt) = publication.wait_for_receipt(Instant::now() + Duration::from_secs(args.wait)).await else {
            output::line(format!("no receipt within {} s", args.wait))?;
            return Ok(exit::CHECK_FAILED);
        };
        output::line(format!("receipt: error {}", receipt.notification.error.as_deref().unwrap_or("(missing)")))?;
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
            if publication.wait_for(more, Instant::now() + Duration::from_millis(args.linger)).await.is_none() {
                break;
            }
            seen = publication.notifications().len();
        }
        output::line(format!("alerts: {}", seen.saturating_sub(1)))?;
        Ok(exit::SUCCESS)
    })
}
