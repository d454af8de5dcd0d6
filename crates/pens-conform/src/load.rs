//! `pens-conform load`: many full publish cycles against one target, with a progress
//! bar, then a table (and `--json FILE`) of throughput, latency percentiles and what got
//! lost or duplicated. The engine is `pens_runner::run_load`.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use pens_report::{LoadReport, render_load_table};
use pens_runner::{LoadError, LoadEvent, LoadOptions, LoadProgress, run_load};

use crate::cli::LoadArgs;
use crate::exit;
use crate::output;

pub(crate) fn run(args: LoadArgs) -> anyhow::Result<u8> {
    let profile = crate::run_output::profile_of(args.profile.as_deref())?;
    let url = crate::run_output::target_url_of(args.url.as_deref(), &profile)?;
    let mut options = LoadOptions::new(url, args.packages.clone());
    options.publishes = args.publishes;
    options.package.clone_from(&args.package);
    options.size = args.size;
    options.concurrency = args.concurrency;
    options.receipt_timeout = args.receipt_timeout.unwrap_or(profile.deadlines.receipt);
    options.ack_timeout = profile.deadlines.ack;
    options.grace = args.grace;
    options.alerts = args.alerts;
    options.https = args.https;
    options.bind = args.bind;
    options.advertise_host.clone_from(&args.advertise_host);
    options.system_user_id.clone_from(&profile.system_user_id);
    options.system_password.clone_from(&profile.system_password);
    if let Some(dir) = &args.ca_dir {
        let hosts: Vec<String> = args.advertise_host.iter().cloned().collect();
        let ca = pens_parties::RunCa::load_or_create(dir, &hosts)
            .with_context(|| format!("cannot use the certificate authority in {}", dir.display()))?;
        options.ca = Some(std::sync::Arc::new(ca));
    }

    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let mut progress = Progress::new(std::io::stdout().is_terminal(), &options);
    let run = runtime.block_on(async {
        // Ctrl-C, SIGTERM or SIGHUP: their handlers are installed before the run starts.
        let mut stop_signals = crate::signals::StopSignals::install()?;
        anyhow::Ok(tokio::select! {
            biased;
            signal = stop_signals.received() => Err(signal),
            report = run_load(&options, |event| progress.event(event)) => Ok(report),
        })
    })?;
    progress.finish();
    let report = match run {
        Err(signal) => {
            eprintln!("error: interrupted ({signal}): the load did not finish, nothing is reported");
            return Ok(exit::INCOMPLETE);
        }
        // Nothing ran because of what the command line asked for: a bad option, a
        // package that is not there or cannot take the size.
        Ok(Err(
            error @ (LoadError::Options(_)
            | LoadError::TooManyConnections { .. }
            | LoadError::Package { .. }
            | LoadError::Size { .. }),
        )) => {
            eprintln!("error: {error}");
            return Ok(exit::USAGE);
        }
        Ok(Err(error)) => {
            eprintln!("error: {error}");
            return Ok(exit::INCOMPLETE);
        }
        Ok(Ok(report)) => report,
    };
    output::line("")?;
    output::text(render_load_table(&report))?;
    if let Some(path) = &args.json {
        write_json(path, &report)?;
    }
    Ok(exit_code(&report))
}

/// 0 when every cycle completed cleanly, 3 when no collect was answered at all (the
/// target was never reached), 1 otherwise.
fn exit_code(report: &LoadReport) -> u8 {
    if report.clean() {
        exit::SUCCESS
    } else if !report.reached_target() {
        eprintln!("error: no collect was answered: is the target listening at {}?", report.target_url);
        exit::INCOMPLETE
    } else {
        exit::CHECK_FAILED
    }
}

fn write_json(path: &Path, report: &LoadReport) -> anyhow::Result<()> {
    let mut json = serde_json::to_string_pretty(report).context("cannot serialise the load report")?;
    json.push('\n');
    crate::atomic::write_atomically(path, json).with_context(|| format!("cannot write {}", path.display()))
}

/// The progress display: a bar on a terminal, otherwise a plain line at every tenth.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    interactive: bool,
    /// The tenths already reported as plain lines.
    tenths: u64,
    header: String,
    publishes: u64,
}

impl Progress {
    fn new(interactive: bool, options: &LoadOptions) -> Self {
        let header = format!(
            "pens-conform load · {} · {} publishes, {} at once",
            pens_proto::redact_userinfo(&options.target_url),
            options.publishes,
            options.concurrency
        );
        Progress { bar: None, interactive, tenths: 0, header, publishes: options.publishes }
    }

    fn event(&mut self, event: &LoadEvent) {
        match event {
            LoadEvent::Started { staging, collector } => {
                let _ = output::line(format!("{}\nstaging   {staging}\ncollector {collector}", self.header));
                if self.interactive {
                    self.bar = Some(bar(self.publishes));
                }
            }
            LoadEvent::Progress(progress) => self.progress(progress),
            _ => {}
        }
    }

    fn progress(&mut self, progress: &LoadProgress) {
        let rate = per_second(progress.completed, progress.elapsed);
        if let Some(bar) = &self.bar {
            bar.set_position(progress.ended);
            bar.set_message(format!("{rate:.0} cycles/s · {} lost · {} failed", progress.lost, progress.failed));
            return;
        }
        let tenths = progress.ended.saturating_mul(10) / progress.publishes.max(1);
        if tenths > self.tenths {
            self.tenths = tenths;
            let _ = output::line(format!(
                "{:>3}% {}/{} cycles · {rate:.0} cycles/s · {} lost · {} failed",
                tenths * 10,
                progress.ended,
                progress.publishes,
                progress.lost,
                progress.failed
            ));
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

fn bar(length: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(length);
    let style = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} cycles · {wide_msg}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

fn per_second(count: u64, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 { count as f64 / seconds } else { 0.0 }
}

/// Parses `--receipt-timeout` and `--grace`: seconds, fractions allowed (`0.5`).
pub(crate) fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text.trim().parse().map_err(|_| format!("`{text}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is not a usable number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_may_have_fractions_but_not_signs_or_words() {
        assert_eq!(parse_seconds("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        for bad in ["-1", "soon", "", "inf", "NaN"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }
}
