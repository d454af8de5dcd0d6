//! Argument parsing (clap derive) and dispatch.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

use crate::exit;

/// Conformance test harness for AICC PENS (CMI010 1.0a).
///
/// Exit status: 0 nothing failed (expected failures of a --baseline allowed); 1 a check
/// failed, or a baseline's expected failure passed; 2 usage, profile, scenario-file or
/// baseline error; 3 the harness failed or the run could not complete.
#[derive(Debug, Parser)]
#[command(name = "pens-conform", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(flatten)]
    console: ConsoleArgs,
    #[command(subcommand)]
    command: Command,
}

/// How runs are shown on the console; global, so they go before or after the command.
#[derive(Debug, Clone, clap::Args)]
struct ConsoleArgs {
    /// When to colour verdict words: auto (a terminal whose TERM is not `dumb`; NO_COLOR
    /// turns it off, CLICOLOR_FORCE on), always, never.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = crate::console::ColorWhen::Auto, global = true)]
    color: crate::console::ColorWhen,
    /// Print only the summary and what fails the run (fail, error, inconclusive): no
    /// line per scenario, no progress, no warnings.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Also print the scenarios that passed and every check of every scenario.
    #[arg(short, long, global = true)]
    verbose: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Test an LMS (a PENS target) end to end: run the target scenarios against it.
    ///
    /// Exit status: 0 no scenario failed, or only those --baseline expects; 1 another
    /// scenario failed, or an expected failure passed (unless --allow-improvements); 2
    /// usage, profile, scenario-file or baseline error (also an expired baseline entry);
    /// 3 harness error or run incomplete (e.g. the LMS cannot reach the harness).
    Target(TargetArgs),
    /// Test an authoring tool (a PENS client): pens-conform plays the target and judges
    /// its collects, its package and its answers to receipts and alerts.
    ///
    /// With `--trigger CMD`, CMD runs for every publish a scenario needs, with
    /// PENS_TARGET_URL and PENS_SCENARIO_ID set; without it, each scenario prints the URL
    /// to publish to and waits. Same exit status as `target`.
    Client(ClientArgs),
    /// Run both suites against the built-in reference target and reference client: the
    /// whole loop, no LMS or authoring tool needed. Same exit status as `target`; a
    /// --baseline applies to both suites, matched by scenario id.
    Selftest(SelftestArgs),
    /// Drive many full publish cycles (collect, fetch, receipt) against a target and
    /// measure them: throughput, latency percentiles, lost and duplicated receipts.
    ///
    /// Exit status: 0 every cycle completed with answers and receipts of error=0 and no
    /// receipt came twice; 1 some cycle was refused, lost its receipt, or got a
    /// duplicated or failed one; 2 usage error (also a --concurrency that cannot fit the
    /// open-file limit); 3 the harness failed or no collect was answered at all.
    Load(LoadArgs),
    /// Run a party of PENS on its own, e.g. the reference target for a manual test.
    #[command(subcommand)]
    Serve(ServeCommand),
    /// List the scenarios: ids, requirements, tags.
    List(ListArgs),
    /// Load-check scenario files; exit 2 on any error.
    Lint(LintArgs),
    /// Check one PENS message against CMI010 and print its findings.
    ///
    /// Reads a collect (POST body, query string or whole GET URL), a receipt or alert,
    /// or a response body, from FILE or standard input. Exit status: 0 when no `must`
    /// requirement is violated, 1 when one is, 2 for usage or input errors.
    Validate(ValidateArgs),
    /// Say what a PENS error code or a requirement id means.
    ///
    /// Without TOPIC, lists every error code and every requirement.
    Explain(ExplainArgs),
    /// Compare two runs' report.json files: which scenarios regressed, improved,
    /// appeared or went away.
    ///
    /// Exit status: 0 nothing regressed; 1 some scenario regressed; 2 a file cannot be
    /// read or is not a pens-conform report, or the runs are of different modes.
    Diff(DiffArgs),
    /// Merge the report.json files of the partitions of one run (`--partition K/N` in
    /// each of N CI jobs) into one report, as if the whole set had run at once.
    ///
    /// The inputs must be every partition of one run, each once: the same mode, harness
    /// version, target, scenario set (scenario_digest), partition count and kind, and the
    /// same baseline or none. The merged report folder gets report.json, junit.xml,
    /// summary.md and report.html: scenarios in id order, totals recounted, started at
    /// the earliest partition's start, its duration the longest partition's (they ran in
    /// parallel). Exit status as for a run: 0 nothing failed; 1 a scenario failed (or a
    /// baseline improvement without --allow-improvements); 3 a partition stopped early,
    /// or a scenario is error or inconclusive; 2 the files cannot be read or are not the
    /// partitions of one run (the message names the file and what differs).
    Merge(MergeArgs),
    /// Check a certification bundle (`--bundle FILE.zip`): every file the manifest lists
    /// is there with its SHA-256 and size, and nothing else is.
    ///
    /// Exit status: 0 intact; 1 tampered or incomplete (each bad entry named); 2 the
    /// file is not a readable zip or not a pens-conform bundle.
    Verify(VerifyArgs),
}

/// Options shared by `target` and `selftest`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RunArgs {
    /// Where report.json, junit.xml, summary.md, report.html and ca.pem go; default `reports/<timestamp>/`.
    #[arg(long, value_name = "DIR")]
    pub(crate) report_dir: Option<PathBuf>,
    /// Only scenarios whose id matches PATTERN (`*` matches anything), e.g. `missing-*`.
    /// A PATTERN that matches no scenario of the set is a usage error (exit 2); one that
    /// matches only scenarios of other partitions (--partition) leaves an empty
    /// partition, which runs nothing and exits 0. With `selftest`, it must match in one
    /// of the two suites.
    #[arg(long, value_name = "PATTERN")]
    pub(crate) only: Option<String>,
    /// Run one partition of the scenario set, to spread it over N CI jobs; `merge` joins
    /// their reports. `K/N` (or `count:K/N`): the set sorted by id, every N-th scenario
    /// from the K-th. `hash:K/N`: by a hash of the id, so a scenario keeps its partition
    /// when others are added. Applied before --only. With `selftest`, to both suites.
    #[arg(long, value_name = "K/N")]
    pub(crate) partition: Option<crate::partition::PartitionSpec>,
    /// The folder of target scenarios.
    #[arg(long, value_name = "DIR", default_value = "scenarios/target")]
    pub(crate) scenarios: PathBuf,
    /// The folder of package fixtures the staging server serves.
    #[arg(long, value_name = "DIR", default_value = "fixtures/packages")]
    pub(crate) packages: PathBuf,
    /// After the run, pack a certification bundle into FILE (a zip): the reports, the
    /// profile without its password, the harness version and arguments, the scenario
    /// files' SHA-256 and a manifest that `verify` checks. Not written when the run is
    /// incomplete (exit 3); a failing run gets one, it is evidence.
    #[arg(long, value_name = "FILE.zip")]
    pub(crate) bundle: Option<PathBuf>,
    /// Make the checks of `security` scenarios (zip-slip, zip bomb, oversized package,
    /// internal URLs, credentials in URLs, markup in answers) failures. By default they
    /// are advisory: what they find is reported as a warning.
    #[arg(long)]
    pub(crate) enforce_security: bool,
    #[command(flatten)]
    pub(crate) baseline: BaselineArgs,
}

/// `--baseline` and `--allow-improvements`, on every command that runs a suite.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct BaselineArgs {
    /// Known failures to accept (TOML `[[expected-failure]]` entries: scenario, reason,
    /// optional issue URL and expires date). A scenario listed there that fails keeps the
    /// exit status 0 and is reported as expected; one that passes is an improvement and
    /// fails the run. Only `fail` is matched: `error` and `inconclusive` still exit 3.
    /// A malformed file or an entry past its expiry date is exit 2 before anything runs.
    /// With `selftest` it applies to the target and the client suite alike, by scenario id.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// An expected failure of --baseline that now passes is reported but does not fail
    /// the run (exit 1 otherwise, so the entry gets removed).
    #[arg(long, requires = "baseline")]
    pub(crate) allow_improvements: bool,
}

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
    /// Address the harness's servers listen on; use 0.0.0.0 when the LMS runs elsewhere.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub(crate) bind: IpAddr,
    /// Host name or address the LMS is told to fetch from and send receipts to.
    #[arg(long, value_name = "HOST")]
    pub(crate) advertise_host: Option<String>,
    /// Keep the certificate authority of the HTTPS staging server in DIR (`ca.pem`,
    /// `ca-key.pem`; created on first use), so the LMS needs to trust `ca.pem` once.
    /// Without it every run makes a fresh CA.
    #[arg(long, value_name = "DIR")]
    pub(crate) ca_dir: Option<PathBuf>,
    /// Where the mail sink listens for `mailto:` receipts and alerts; point the LMS's
    /// outgoing mail (SMTP relay) here. Default: a free port on --bind, printed when
    /// the run starts.
    #[arg(long, value_name = "ADDR")]
    pub(crate) smtp_listen: Option<std::net::SocketAddr>,
    /// The largest package the LMS accepts, in bytes or with a unit (`512MiB`): scenario
    /// `security-oversized-package` serves a valid package at least 1 MiB beyond it and
    /// expects a refusal (without it, that scenario is not applicable), and scenarios
    /// staging a larger package (`package-large`, 1 GiB) are not applicable.
    #[arg(long, value_name = "SIZE", value_parser = declared_package_limit)]
    pub(crate) max_package_bytes: Option<u64>,
    /// Scenarios run at once (1 to 1024).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = crate::arg_ranges::jobs)]
    pub(crate) jobs: usize,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

// The largest `--max-package-bytes`, as the profile's `[security] max-package-bytes`:
// the oversized package is a plain (not zip64) archive, which stays under 4 GiB.
use pens_runner::profile_ranges::MAX_DECLARED_PACKAGE_BYTES;

/// A size of bytes on the command line: `1073741824`, `512MiB`, `1GiB`.
pub(crate) fn size_arg(text: &str) -> Result<u64, String> {
    match pens_scenario::parse_size(text) {
        Some(0) | None => Err(format!("`{text}` is not a size: {}, greater than 0", pens_scenario::SIZE_HINT)),
        Some(bytes) => Ok(bytes),
    }
}

/// `--max-package-bytes` of a run: a size up to [`MAX_DECLARED_PACKAGE_BYTES`].
fn declared_package_limit(text: &str) -> Result<u64, String> {
    let bytes = size_arg(text)?;
    if bytes > MAX_DECLARED_PACKAGE_BYTES {
        return Err(format!("{bytes} bytes is more than the {MAX_DECLARED_PACKAGE_BYTES} (3GiB) a run can declare"));
    }
    Ok(bytes)
}

/// Arguments of `client`.
#[derive(Debug, clap::Args)]
pub(crate) struct ClientArgs {
    /// Address the mock target listens on (port 0: any free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub(crate) listen: std::net::SocketAddr,
    /// Host name or address the authoring tool is told to publish to.
    #[arg(long, value_name = "HOST")]
    pub(crate) advertise_host: Option<String>,
    /// A command that makes the authoring tool publish once (run with `sh -c`).
    #[arg(long, value_name = "CMD")]
    pub(crate) trigger: Option<String>,
    /// A CA certificate (PEM) to trust when fetching the tool's packages over HTTPS.
    #[arg(long, value_name = "FILE")]
    pub(crate) trust_ca: Option<PathBuf>,
    /// How long to wait for each publish, in seconds (1 to 3600).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = crate::arg_ranges::wait_seconds)]
    pub(crate) publish_timeout: u64,
    /// An implementation profile (TOML): client mode reads its `[limits]` (what the mock
    /// target takes from the tool); the other sections are checked but not used.
    #[arg(long, value_name = "FILE")]
    pub(crate) profile: Option<PathBuf>,
    /// Mail `mailto:` receipts and alerts through this SMTP server (the tool's mail
    /// server, or a sink it reads). Without it the mock target answers 1510 and 1520 to
    /// a mailto: receipt or alerts URL.
    #[arg(long, value_name = "ADDR")]
    pub(crate) smtp_relay: Option<std::net::SocketAddr>,
    /// Where report.json, junit.xml, summary.md and report.html go; default `reports/<timestamp>/`.
    #[arg(long, value_name = "DIR")]
    pub(crate) report_dir: Option<PathBuf>,
    /// Scenarios run at once (with --trigger; interactive runs go one at a time), 1 to 1024.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = crate::arg_ranges::jobs)]
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
    /// The folder of client scenarios.
    #[arg(long, value_name = "DIR", default_value = "scenarios/client")]
    pub(crate) scenarios: PathBuf,
    /// After the run, pack a certification bundle into FILE (a zip): the reports, the
    /// profile without its password, the harness version and arguments, the scenario
    /// files' SHA-256 and a manifest that `verify` checks. Not written when the run is
    /// incomplete (exit 3); a failing run gets one, it is evidence.
    #[arg(long, value_name = "FILE.zip")]
    pub(crate) bundle: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) baseline: BaselineArgs,
}

/// Arguments of `selftest`.
#[derive(Debug, clap::Args)]
pub(crate) struct SelftestArgs {
    /// Seed one deviation into the reference target, to see the target suite catch it
    /// (`pens-conform serve target --help` lists them).
    #[arg(long, value_name = "NAME")]
    pub(crate) defect: Option<String>,
    /// Seed one deviation into the reference client, to see the client suite catch it:
    /// missing-expiry, local-time-expiry, pens-version-1.0, relative-package-url,
    /// package-not-staged, wrong-credentials, bad-receipt-answer, non-uri-package-id,
    /// get-instead-of-post, wrong-package-type, expired-expiry, no-receipt-url,
    /// strict-notifications.
    #[arg(long, value_name = "NAME")]
    pub(crate) client_defect: Option<String>,
    /// The folder of client scenarios.
    #[arg(long, value_name = "DIR", default_value = "scenarios/client")]
    pub(crate) client_scenarios: PathBuf,
    /// Switch the reference target's optional transports off: HTTP and HTTPS only, so
    /// it answers 1304, 1306, 1510 and 1520 for FTP, FTPS and mailto. Default: FTP,
    /// explicit FTPS and mailto receipts and alerts on (mail goes to the run's sink).
    #[arg(long)]
    pub(crate) http_only: bool,
    /// Scenarios run at once, in each suite (the two suites run side by side). More than
    /// `target`'s 8: the reference target is on this machine and mostly idle while the
    /// scenarios watch their quiet windows.
    #[arg(long, value_name = "N", default_value_t = crate::selftest::SELFTEST_JOBS, value_parser = crate::arg_ranges::jobs)]
    pub(crate) jobs: usize,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ServeCommand {
    /// The built-in reference target: a correct PENS target, or one with a seeded defect.
    Target(ServeTargetArgs),
    /// The built-in reference client: stages a package, publishes it once to a target,
    /// answers the receipt and alerts, and exits (0 when the target accepted it and a
    /// receipt came). Usable as `client --trigger`.
    Client(ServeClientArgs),
    /// The staging server on its own: serves one package over HTTP, HTTPS, FTP and
    /// FTPS (explicit and implicit on one port), prints its URLs, and runs until Ctrl-C (exit 0). For staging a
    /// package by hand for an LMS, or for measuring download throughput (`--size`).
    Staging(ServeStagingArgs),
}

/// Arguments of `serve staging`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeStagingArgs {
    /// Address the four listeners bind (each on a free port; the URLs are printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub(crate) listen: IpAddr,
    /// Host name or address the URLs name (and the HTTPS certificate covers), when the
    /// LMS reaches this machine by another name than --listen.
    #[arg(long, value_name = "HOST")]
    pub(crate) advertise_host: Option<String>,
    /// The package fixture to serve (a folder under --packages, zipped, or a file there).
    #[arg(long, value_name = "NAME", default_value = pens_scenario::DEFAULT_PACKAGE)]
    pub(crate) package: String,
    /// The folder of package fixtures.
    #[arg(long, value_name = "DIR", default_value = "fixtures/packages")]
    pub(crate) packages: PathBuf,
    /// Serve the package grown to exactly SIZE bytes (e.g. `1GiB`, below 4 GiB) by a
    /// stored entry of zeros, generated while it is sent and never held in memory.
    #[arg(long, value_name = "SIZE", value_parser = crate::staging::parse_served_size)]
    pub(crate) size: Option<u64>,
    /// Require these basic credentials (HTTP) or this login (FTP); the password is read
    /// from the environment variable named by --password-env.
    #[arg(long, value_name = "USER", requires = "password_env")]
    pub(crate) user: Option<String>,
    /// The environment variable holding the password of --user (never printed).
    #[arg(long, value_name = "VAR", requires = "user")]
    pub(crate) password_env: Option<String>,
    /// Keep the certificate authority of the HTTPS and FTPS listeners in DIR (`ca.pem`,
    /// `ca-key.pem`; created on first use), so a client can trust `DIR/ca.pem`. Without
    /// it every start makes a fresh CA that nobody can trust.
    #[arg(long, value_name = "DIR")]
    pub(crate) ca_dir: Option<PathBuf>,
}

/// Arguments of `serve client`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeClientArgs {
    /// The target's PENS URL (default: the PENS_TARGET_URL environment variable).
    #[arg(long, value_name = "URL", env = "PENS_TARGET_URL")]
    pub(crate) target: String,
    /// The course id inside the package-id namespace; the same course keeps one namespace.
    #[arg(long, value_name = "ID", env = "PENS_SCENARIO_ID", default_value = "course-1")]
    pub(crate) course: String,
    /// The package fixture to stage (a folder under --packages, zipped).
    #[arg(long, value_name = "NAME", default_value = "scorm12-minimal.zip")]
    pub(crate) package: String,
    /// The folder of package fixtures.
    #[arg(long, value_name = "DIR", default_value = "fixtures/packages")]
    pub(crate) packages: PathBuf,
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
    /// Where the mail sink listens with --mailto (default: a free port, printed).
    #[arg(long, value_name = "ADDR", requires = "mailto")]
    pub(crate) smtp_listen: Option<std::net::SocketAddr>,
    /// Seed one deviation (see `selftest --help`, --client-defect).
    #[arg(long, value_name = "NAME")]
    pub(crate) defect: Option<String>,
    /// How long to wait for the receipt, in seconds (1 to 3600).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = crate::arg_ranges::wait_seconds)]
    pub(crate) wait: u64,
    /// After the receipt, how long to stay for further alerts once none has come, in
    /// milliseconds (0 to 3600000).
    #[arg(long, value_name = "MS", default_value_t = 1500, value_parser = crate::arg_ranges::wait_ms)]
    pub(crate) linger: u64,
}

/// Arguments of `serve target`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeTargetArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8380")]
    pub(crate) listen: std::net::SocketAddr,
    /// Seed one deviation: lf-line-endings, no-receipt, receipt-before-download,
    /// wrong-ftp-code, lowest-error-code, ignore-credentials, always-success,
    /// receipt-wrong-package-id, slow-ack, html-response, alert-before-receipt, no-fetch,
    /// shallow-archive-check, no-package-size-limit, leaky-receipts, unescaped-html-answer.
    #[arg(long, value_name = "NAME")]
    pub(crate) defect: Option<String>,
    /// A CA certificate (PEM) to trust when fetching over HTTPS or FTPS, e.g. a run's ca.pem.
    #[arg(long, value_name = "FILE")]
    pub(crate) trust_ca: Option<PathBuf>,
    /// Mail `mailto:` receipts and alerts through this SMTP server (e.g. the address a
    /// target run prints as `smtp`). Without it the target answers 1510 and 1520.
    #[arg(long, value_name = "ADDR")]
    pub(crate) smtp_relay: Option<std::net::SocketAddr>,
    /// HTTP and HTTPS only: answer 1304 and 1306 for FTP and FTPS packages (and 1510,
    /// 1520 for mailto). Default: FTP and explicit FTPS are fetched.
    #[arg(long)]
    pub(crate) http_only: bool,
    /// Keep at most N events of the target's activity in memory, the most recent ones,
    /// so that a long run (a `load` of many publishes) does not grow without bound; 0
    /// keeps none and, with logging off, spares the work of building them. At most 1000000.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = crate::arg_ranges::keep_events)]
    pub(crate) keep_events: usize,
    /// Download packages larger than 1 MiB to temp files in DIR (default: the system's
    /// temp folder) rather than into memory; each is deleted once checked. DIR needs
    /// room for the largest package expected; one that cannot take a package makes its
    /// receipt 1440.
    #[arg(long, value_name = "DIR")]
    pub(crate) download_dir: Option<PathBuf>,
    /// The largest package the target takes, in bytes or with a unit (`2GiB`): a larger
    /// one is refused with 1440 (insufficient host storage). Default 256MiB; at most 64GiB.
    #[arg(long, value_name = "SIZE", value_parser = crate::arg_ranges::served_package_limit)]
    pub(crate) max_package_bytes: Option<u64>,
    /// Serve at most N connections at once; more wait until one ends. Raise it to put
    /// a `load` of more than about 250 publishes in flight on the target itself.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub(crate) connections: u64,
}

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
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = crate::arg_ranges::publishes)]
    pub(crate) publishes: u64,
    /// How many cycles may be in flight at once (1 to 65536).
    #[arg(long, value_name = "C", default_value_t = 16, value_parser = crate::arg_ranges::concurrency)]
    pub(crate) concurrency: usize,
    /// How long a cycle waits for its receipt, in seconds from sending the collect,
    /// before it counts as lost (default: the profile's receipt deadline, 30 s); at most 3600.
    #[arg(long, value_name = "SECONDS", value_parser = crate::arg_ranges::fractional_seconds)]
    pub(crate) receipt_timeout: Option<std::time::Duration>,
    /// After the last cycle, how long to keep watching for duplicated receipts, in seconds
    /// (at most 3600).
    #[arg(long, value_name = "SECONDS", default_value = "0.5", value_parser = crate::arg_ranges::fractional_seconds)]
    pub(crate) grace: std::time::Duration,
    /// Also write the results as JSON to FILE (`format_version` 1; its JSON Schema is
    /// `schemas/load-report.schema.json`).
    #[arg(long, value_name = "FILE")]
    pub(crate) json: Option<PathBuf>,
    /// Address the staging server and the collector listen on.
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
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    pub(crate) size: Option<u64>,
    /// Ask for alerts too: every collect carries an `alerts` URL, and the alerts that
    /// come are counted. A cycle still ends at its receipt.
    #[arg(long)]
    pub(crate) alerts: bool,
    /// Serve the package over HTTPS (the target must trust the CA: see --ca-dir).
    #[arg(long)]
    pub(crate) https: bool,
    /// Keep the certificate authority of the HTTPS staging server in DIR (`ca.pem`,
    /// `ca-key.pem`; created on first use).
    #[arg(long, value_name = "DIR")]
    pub(crate) ca_dir: Option<PathBuf>,
    /// The folder of package fixtures; --package names the one staged.
    #[arg(long, value_name = "DIR", default_value = "fixtures/packages")]
    pub(crate) packages: PathBuf,
}

/// Arguments of `list`.
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    /// The folder of scenarios.
    #[arg(long, value_name = "DIR", default_value = "scenarios/target")]
    pub(crate) scenarios: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

/// Arguments of `lint`.
#[derive(Debug, clap::Args)]
pub(crate) struct LintArgs {
    /// Scenario files or folders (default: scenarios/target and scenarios/client). A
    /// path with a folder named `client` in it holds client-mode scenarios, one named
    /// `target` target-mode ones; a set's folder (`scenarios`) has each of its `target`
    /// and `client` folders linted with its own mode's rules.
    pub(crate) paths: Vec<PathBuf>,
    /// Where the package fixtures that target scenarios name are looked for; a missing
    /// one is an error, as it is for `target`. Not checked when the folder does not exist.
    #[arg(long, value_name = "DIR", default_value = "fixtures/packages")]
    pub(crate) packages: PathBuf,
}

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    /// The message file; `-` or nothing for standard input. One final line break of a
    /// collect, receipt or alert file is ignored (editors add one); response bodies are
    /// read byte for byte.
    pub(crate) file: Option<PathBuf>,
    /// What the message is; `auto` tells by its content.
    #[arg(long, value_enum, default_value_t = KindArg::Auto)]
    pub(crate) kind: KindArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// The instant to judge package-url-expiry against (RFC 3339, e.g.
    /// `2026-06-01T00:00:00Z`); default: now. Set it for reproducible output.
    #[arg(long, value_name = "RFC3339")]
    pub(crate) now: Option<String>,
}

/// Arguments of `explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    /// An error code (e.g. `1304`) or a requirement id (e.g. `collect.package-url.scheme`).
    pub(crate) topic: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

/// Arguments of `diff`.
#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
    /// The earlier run's report.json.
    pub(crate) old: PathBuf,
    /// The later run's report.json.
    pub(crate) new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

/// Arguments of `merge`.
#[derive(Debug, clap::Args)]
pub(crate) struct MergeArgs {
    /// The report.json of every partition, in any order.
    #[arg(value_name = "REPORT.json", required = true)]
    pub(crate) reports: Vec<PathBuf>,
    /// Where the merged report.json, junit.xml, summary.md and report.html go; default
    /// `reports/<timestamp>/`.
    #[arg(long, value_name = "DIR")]
    pub(crate) report_dir: Option<PathBuf>,
    /// An expected failure of the partitions' baseline that now passes is reported but
    /// does not fail the merge (exit 1 otherwise); give it when the runs had it.
    #[arg(long)]
    pub(crate) allow_improvements: bool,
    /// Output format: the console report, or the merged report.json on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

/// Arguments of `verify`.
#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    /// The bundle (zip) to check.
    #[arg(value_name = "FILE.zip")]
    pub(crate) bundle: PathBuf,
}

/// Message kinds accepted by `--kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum KindArg {
    /// Tell by content.
    Auto,
    /// A collect: POST body, query string or GET URL (told apart by content).
    Collect,
    /// A collect POST body (application/x-www-form-urlencoded).
    CollectForm,
    /// A collect GET URL or bare query string.
    CollectQuery,
    /// A receipt (form body or query).
    Receipt,
    /// An alert (form body or query).
    Alert,
    /// A PENS response body.
    Response,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people.
    Text,
    /// For programs: one JSON document with a `format_version`.
    Json,
}

/// Parses the command line, runs the command, returns the exit code.
pub(crate) fn run() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let verbosity = match (cli.console.quiet, cli.console.verbose) {
        (true, _) => pens_report::Verbosity::Quiet,
        (false, true) => pens_report::Verbosity::Verbose,
        (false, false) => pens_report::Verbosity::Normal,
    };
    crate::console::configure(crate::console::Presentation::detect(cli.console.color, verbosity));
    let code = match cli.command {
        Command::Validate(args) => crate::validate::run(&args),
        Command::Explain(args) => crate::explain::run(&args),
        Command::Diff(args) => crate::diff::run(&args),
        Command::Verify(args) => Ok(crate::verify::run(&args)),
        Command::Merge(args) => crate::merge::run(&args),
        Command::List(args) => crate::scenarios::list(&args),
        Command::Lint(args) => crate::scenarios::lint(&args),
        Command::Target(args) => crate::target::run(args),
        Command::Client(args) => crate::client::run(args),
        Command::Selftest(args) => crate::selftest::run(args),
        Command::Load(args) => crate::load::run(args),
        Command::Serve(ServeCommand::Target(args)) => crate::serve::target(args),
        Command::Serve(ServeCommand::Client(args)) => crate::serve::client(args),
        Command::Serve(ServeCommand::Staging(args)) => crate::staging::run(args),
    };
    match code {
        Ok(code) => ExitCode::from(code),
        // The run went through but its report could not be written: not a usage error
        // (exit 3, naming the file and the reason).
        Err(error) if error.chain().any(|cause| cause.is::<crate::atomic::WriteError>()) => {
            eprintln!("error: the report could not be written: {}", error_chain(&error));
            ExitCode::from(exit::INCOMPLETE)
        }
        Err(error) => {
            eprintln!("error: {}", error_chain(&error));
            ExitCode::from(exit::USAGE)
        }
    }
}

/// `error` and its causes, each said once. Library errors often repeat their source in
/// their own message (`cannot listen on ADDR: Address already in use`, whose source is
/// the `Address already in use`), and a caller's context may repeat theirs (`cannot
/// listen on ADDR` around `cannot listen on ADDR: …`): printed as a plain chain, that
/// read `cannot listen on ADDR: cannot listen on ADDR: Address already in use`. A cause
/// already said is left out; one that extends the part before it replaces that part.
pub(crate) fn error_chain(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if text.is_empty() || parts.iter().any(|part| part.contains(&text)) {
            continue;
        }
        match parts.last_mut() {
            Some(last) if text.starts_with(last.as_str()) => *last = text,
            _ => parts.push(text),
        }
    }
    parts.join(": ")
}

/// Logs go to standard error, filtered by `RUST_LOG` (default: warnings only), so
/// standard output stays the report.
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Each part of an error chain is said once, however the layers repeat each other.
    #[test]
    fn an_error_chain_says_each_cause_once() {
        let os = || std::io::Error::new(std::io::ErrorKind::AddrInUse, "Address already in use (os error 98)");
        #[derive(Debug, thiserror::Error)]
        #[error("cannot listen on 127.0.0.1:80: {source}")]
        struct WithSource {
            source: std::io::Error,
        }
        #[derive(Debug, thiserror::Error)]
        #[error("cannot listen on 127.0.0.1:80")]
        struct Plain(#[source] std::io::Error);
        let expected = "cannot listen on 127.0.0.1:80: Address already in use (os error 98)";
        let cases = [
            anyhow::Error::new(WithSource { source: os() }),
            anyhow::Error::new(Plain(os())).context("cannot listen on 127.0.0.1:80"),
            anyhow::Error::new(WithSource { source: os() }).context("cannot listen on 127.0.0.1:80"),
        ];
        for error in cases {
            assert_eq!(super::error_chain(&error), expected, "{error:#}");
        }
        let distinct = anyhow::Error::new(Plain(os())).context("cannot start the mock target");
        assert_eq!(
            super::error_chain(&distinct),
            "cannot start the mock target: cannot listen on 127.0.0.1:80: Address already in use (os error 98)"
        );
    }
}
