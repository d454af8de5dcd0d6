//! `pens-conform load`: many full publish cycles against one target, with a progress
//! bar, then a table of throughput, latency percentiles and what got lost or
//! duplicated; or, with `--format json`, the load report as JSON on standard output (the
//! header and progress then go to standard error). `--report-dir DIR` writes the same
//! JSON as `DIR/load.json`, as the other commands write their reports into
//! `--report-dir`; `--json FILE`, its older spelling, still writes it to FILE. The
//! engine is `pens_runner::run_load`.

use std::io::IsTerminal;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use pens_report::{LoadReport, render_load_table};
use pens_runner::{LoadError, LoadEvent, LoadOptions, LoadProgress, run_load};

use crate::args::Format;
use crate::error::{Classify, CommandError, CommandResult};
use crate::exit;
use crate::output;

/// Arguments of `load`.
#[derive(Debug, clap::Args)]
pub(crate) struct LoadArgs {
    /// The target's PENS endpoint (or `[target] url` in the profile).
    #[arg(long)]
    pub(crate) url: Option<String>,
    /// The implementation profile (TOML): its URL, system credentials and deadlines
    /// (`ack` for each answer, `receipt` unless --receipt-timeout says otherwise).
    #[arg(long, value_name = "FILE")]
    pub(crate) profile: Option<PathBuf>,
    /// How many publish cycles to run (1 to 100000000).
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = crate::args::ranges::publishes)]
    pub(crate) publishes: u64,
    /// How many cycles may be in flight at once (1 to 65536).
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = crate::args::ranges::concurrency)]
    pub(crate) concurrency: usize,
    /// How long a cycle waits for its receipt from sending the collect before it counts
    /// as lost: a duration (`45s`, `2m`) or seconds (`0.5`, `30`), at most an hour
    /// (default: the profile's receipt deadline, 30 s).
    #[arg(long, value_name = "DURATION", value_parser = crate::args::ranges::fractional_seconds)]
    pub(crate) receipt_timeout: Option<std::time::Duration>,
    /// After the last cycle, how long to keep watching for duplicated receipts: a
    /// duration (`500ms`, `2s`) or seconds (`0.5`), at most an hour.
    #[arg(long, value_name = "DURATION", default_value = "0.5", value_parser = crate::args::ranges::fractional_seconds)]
    pub(crate) grace: std::time::Duration,
    /// What standard output shows: the table, or the load report as one JSON document
    /// (`format_version` 1, the schema `schemas/load-report.schema.json`), with the
    /// header and progress on standard error.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Write the load report as JSON into DIR, as `load.json` (created when missing,
    /// checked before the run: exit 2 when it cannot be written). Without it, and
    /// without --json, nothing is written to disk.
    #[arg(long, value_name = "DIR")]
    pub(crate) report_dir: Option<PathBuf>,
    /// Write the load report as JSON to FILE: the older spelling, kept working;
    /// `--report-dir DIR` writes the same document as `DIR/load.json`.
    #[arg(long, value_name = "FILE")]
    pub(crate) json: Option<PathBuf>,
    /// The IP address every listener of the harness binds (staging server, collector),
    /// each on a port the system picks; 0.0.0.0 when the target runs elsewhere.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub(crate) bind: IpAddr,
    /// Host name or address the target is told to fetch from and send receipts to.
    #[arg(long, value_name = "HOST")]
    pub(crate) advertise_host: Option<String>,
    /// The package fixture every cycle stages, named as in scenario files: `course.zip`
    /// is the folder `course/` under --packages (zipped once), or else the file
    /// `course.zip` there.
    #[arg(long, value_name = "NAME", default_value = pens_scenario::DEFAULT_PACKAGE)]
    pub(crate) package: String,
    /// Grow the package to exactly SIZE (bytes, or `64MiB`, `1GiB`; under 4 GiB) by a
    /// stored filler entry, generated as it is sent and never held in memory: a load of
    /// large transfers. The target's package limit must allow it.
    #[arg(long, value_name = "SIZE", value_parser = crate::args::ranges::size_arg)]
    pub(crate) size: Option<u64>,
    /// Ask for alerts too: every collect carries an `alerts` URL, and the alerts that
    /// come are counted. A cycle still ends at its receipt.
    #[arg(long)]
    pub(crate) alerts: bool,
    /// Serve the package over HTTPS (the target must trust the CA: see --ca-dir).
    #[arg(long)]
    pub(crate) https: bool,
    /// Keep the harness's own certificate authority, which signs its HTTPS staging
    /// certificate, in DIR across runs (`ca.pem`, `ca-key.pem`; created on first use),
    /// so the target trusts `DIR/ca.pem` once. Without it every run makes a fresh CA.
    #[arg(long, value_name = "DIR")]
    pub(crate) ca_dir: Option<PathBuf>,
    /// The folder of package fixtures; --package names the one staged. Default:
    /// `fixtures/packages` when that folder exists under the current folder, else the
    /// fixtures built into pens-conform.
    #[arg(long, value_name = "DIR")]
    pub(crate) packages: Option<PathBuf>,
}

pub(crate) fn run(args: LoadArgs) -> CommandResult {
    let profile = crate::run_output::profile_of(args.profile.as_deref(), args.url.is_none()).usage()?;
    let url = crate::run_output::target_url_of(args.url.as_deref(), &profile).usage()?;
    if let Some(dir) = &args.report_dir {
        crate::run_output::probe_report_dir(dir).usage()?;
    }
    let packages = crate::shipped::PackageSet::resolve(args.packages.as_deref())
        .context("cannot write the built-in package fixtures to a temporary folder")
        .harness()?;
    let mut options = LoadOptions::new(url, packages.path());
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
            .with_context(|| format!("cannot use the certificate authority in {}", dir.display()))
            .usage()?;
        options.ca = Some(std::sync::Arc::new(ca));
    }

    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime").harness()?;
    // Standard output holds only the JSON document with --format json: what people
    // watch goes to standard error then.
    let to_stderr = args.format == Format::Json;
    let interactive = if to_stderr { std::io::stderr().is_terminal() } else { std::io::stdout().is_terminal() };
    let mut progress = Progress::new(interactive, to_stderr, &options);
    let run = runtime.block_on(async {
        // Ctrl-C, SIGTERM or SIGHUP: their handlers are installed before the run starts.
        let mut stop_signals = crate::signals::StopSignals::install().harness()?;
        Ok(tokio::select! {
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
        )) => return Err(CommandError::Usage(said_as_is(&error))),
        // It could not start its servers, or not a single collect went out.
        Ok(Err(error)) => return Err(CommandError::Harness(said_as_is(&error))),
        Ok(Ok(report)) => report,
    };
    let json = report_json(&report).harness()?;
    match args.format {
        Format::Text => {
            output::line("").harness()?;
            output::text(render_load_table(&report)).harness()?;
        }
        Format::Json => output::text(&json).harness()?,
    }
    let files = args.report_dir.iter().map(|dir| dir.join(LOAD_REPORT_FILE)).chain(args.json.iter().cloned());
    for path in files {
        crate::atomic::write_atomically(&path, &json)
            .with_context(|| format!("cannot write {}", path.display()))
            .harness()?;
    }
    Ok(exit_code(&report))
}

/// `error` as its own message says it, without its sources appended: the load errors
/// already say what went wrong in their own words.
fn said_as_is(error: &LoadError) -> anyhow::Error {
    anyhow::anyhow!("{error}")
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

/// The file `--report-dir DIR` writes the load report to.
const LOAD_REPORT_FILE: &str = "load.json";

/// The load report as the JSON document `--format json`, `--report-dir` and `--json`
/// give, with a final line break.
fn report_json(report: &LoadReport) -> anyhow::Result<String> {
    let mut json = serde_json::to_string_pretty(report).context("cannot serialise the load report")?;
    json.push('\n');
    Ok(json)
}

/// The progress display: a bar on a terminal, otherwise a plain line at every tenth.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    interactive: bool,
    /// Lines go to standard error (`--format json`), not standard output.
    to_stderr: bool,
    /// The tenths already reported as plain lines.
    tenths: u64,
    header: String,
    publishes: u64,
}

impl Progress {
    fn new(interactive: bool, to_stderr: bool, options: &LoadOptions) -> Self {
        let header = format!(
            "pens-conform load · {} · {} publishes, {} at once",
            pens_proto::redact_userinfo(&options.target_url),
            options.publishes,
            options.concurrency
        );
        Progress { bar: None, interactive, to_stderr, tenths: 0, header, publishes: options.publishes }
    }

    /// One line for the person watching: on standard output, or on standard error when
    /// standard output is the JSON document.
    fn say(&self, text: String) {
        if self.to_stderr {
            eprintln!("{text}");
        } else {
            let _ = output::line(text);
        }
    }

    fn event(&mut self, event: &LoadEvent) {
        match event {
            LoadEvent::Started { staging, collector } => {
                self.say(format!("{}\nstaging   {staging}\ncollector {collector}", self.header));
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
            self.say(format!(
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
