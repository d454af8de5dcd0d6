//! What `target`, `client` and `selftest` share: loading the scenarios, running them
//! with a live line per scenario, writing the reports and choosing the exit code.

use std::path::{Path, PathBuf};

use anyhow::Context;
use pens_report::{
    Partition, RunReport, TargetInfo, Verdict, counted, render_console_with, render_html, render_junit, render_markdown,
};
use pens_runner::profile::Profile;
use pens_runner::{
    ClientRunOptions, ObserveOptions, ReportBuilder, RunEvent, RunOptions, Trigger, matches_pattern, run_client_suite,
    run_observe, run_target_suite,
};
use pens_scenario::{ClientScenario, Scenario};

use crate::args::RunArgs;
use crate::baseline::BaselinePolicy;
use crate::console::Console;
use crate::exit;
use crate::partition::{LoadedScenario, PartitionSpec};
use crate::progress::Progress;
use crate::shipped::{PackageSet, ScenarioSet};

/// Loads every scenario of `set` (a folder, or the built-in set: see [`crate::shipped`]);
/// any load error is a usage error (exit 2) with the diagnostics printed.
pub(crate) fn load_scenarios(set: &ScenarioSet) -> anyhow::Result<Vec<Scenario>> {
    load_set(set, "scenario", |dir| pens_scenario::load_dir(dir), pens_scenario::parse_scenario)
}

/// Loads every client scenario of `set`; any load error is a usage error (exit 2).
pub(crate) fn load_client_scenarios(set: &ScenarioSet) -> anyhow::Result<Vec<ClientScenario>> {
    load_set(set, "client scenario", |dir| pens_scenario::load_client_dir(dir), pens_scenario::parse_client_scenario)
}

/// One loader for both languages: a folder through `load_dir`, the built-in files
/// through `parse` (in path order, as `load_dir` reads a folder).
fn load_set<S>(
    set: &ScenarioSet,
    what: &str,
    load_dir: fn(&Path) -> (Vec<S>, Vec<pens_scenario::ScenarioError>),
    parse: fn(PathBuf, &str) -> Result<S, Vec<pens_scenario::ScenarioError>>,
) -> anyhow::Result<Vec<S>> {
    let (scenarios, errors) = match set.built_in_files() {
        Some(files) => {
            let (mut scenarios, mut errors) = (Vec::new(), Vec::new());
            for (name, text) in files {
                match parse(name, text) {
                    Ok(scenario) => scenarios.push(scenario),
                    Err(file_errors) => errors.extend(file_errors),
                }
            }
            (scenarios, errors)
        }
        None => {
            let dir = set.folder();
            if !dir.is_dir() {
                anyhow::bail!("no {what} folder at {}; give --scenarios DIR", dir.display());
            }
            load_dir(&dir)
        }
    };
    if !errors.is_empty() {
        for error in &errors {
            eprintln!("{}", pens_scenario::render_plain(error));
        }
        anyhow::bail!("{} scenario file error(s) in {}; nothing was run", errors.len(), set.folder().display());
    }
    Ok(scenarios)
}

/// A suite to run: the target suite against an LMS, or the client suite against an
/// authoring tool.
pub(crate) enum Suite<'a> {
    /// Target mode.
    Target { scenarios: &'a [Scenario], options: &'a RunOptions },
    /// Client mode.
    Client { scenarios: &'a [ClientScenario], options: &'a ClientRunOptions, trigger: &'a Trigger },
    /// Observe mode: one scenario per publish the relay sees.
    Observe { options: &'a ObserveOptions },
}

/// What part of the loaded scenario set a run covers: all of it, or one partition
/// (`--partition K/N`); the run header and the report say which.
pub(crate) struct RunScope {
    /// The digest of the whole loaded set, not of the partition: every partition of one
    /// run records the same, which is how `merge` knows they belong together.
    digest: String,
    /// The partition, with `--partition`.
    partition: Option<Partition>,
    /// How many scenarios the run was given (its partition's, before `--only`).
    size: usize,
    /// How many of them `--only` keeps.
    selected: usize,
    /// Which set ran: `./scenarios/target` or `built-in (pens-conform 0.1.0)`
    /// ([`ScenarioSet::label`]).
    set: String,
}

impl RunScope {
    /// Observe mode's: no scenario set (each publish is a scenario), so the report
    /// names none.
    pub(crate) fn observe() -> Self {
        RunScope { digest: String::new(), partition: None, size: 0, selected: 1, set: String::new() }
    }

    /// `scenarios ./scenarios/target`, the run header's line that says which set ran.
    fn set_line(&self) -> String {
        format!("scenarios {}", self.set)
    }

    /// `partition 2/3: 18 of 53 scenarios`, for the run header; `None` without a partition.
    fn header(&self) -> Option<String> {
        let partition = self.partition.as_ref()?;
        let mut line = format!(
            "partition {}: {} of {}",
            partition.label(),
            self.size,
            counted(partition.set_size as u64, "scenario")
        );
        if self.size == 0 {
            line.push_str(": an empty partition (more partitions than scenarios), nothing to run");
        } else if self.selected == 0 {
            line.push_str(": --only matches none of them (only scenarios of other partitions), nothing to run");
        }
        Some(line)
    }

    /// A partition with nothing to run, before or after `--only`: legitimate (N jobs
    /// share a set, whatever its size), so it contacts nobody and is a complete run.
    fn is_empty_partition(&self) -> bool {
        self.partition.is_some() && self.selected == 0
    }
}

/// Applies `--partition` to a loaded scenario set (all of it, before `--only`, so a
/// scenario's partition does not depend on other flags): the scenarios to run, and what
/// the run covers.
pub(crate) fn partition_set<T: LoadedScenario>(
    set: &ScenarioSet,
    loaded: Vec<T>,
    spec: Option<PartitionSpec>,
    only: Option<&str>,
) -> anyhow::Result<(Vec<T>, RunScope)> {
    let digest = {
        let sources: Vec<&Path> = loaded.iter().map(LoadedScenario::source).collect();
        scenario_digest(&sources)?
    };
    let (scenarios, partition) = match spec {
        Some(spec) => {
            let (selected, partition) = spec.select(&loaded);
            (selected, Some(partition))
        }
        None => (loaded, None),
    };
    let size = scenarios.len();
    let selected = scenarios.iter().filter(|s| only.is_none_or(|p| matches_pattern(p, s.scenario_id()))).count();
    Ok((scenarios, RunScope { digest, partition, size, selected, set: set.label() }))
}

/// Refuses an `--only` that matches no scenario of the whole loaded sets (before
/// `--partition`): a typo would otherwise run nothing and pass (nextest's
/// `--no-tests=fail`). One that matches only scenarios of other partitions is fine: the
/// partition runs nothing ([`RunScope::header`] says so).
pub(crate) fn check_only(only: Option<&str>, sets: &[(&Path, Vec<&str>)]) -> anyhow::Result<()> {
    let Some(pattern) = only else { return Ok(()) };
    if sets.iter().flat_map(|(_, ids)| ids).any(|id| matches_pattern(pattern, id)) {
        return Ok(());
    }
    let folders: Vec<String> = sets.iter().map(|(dir, ids)| format!("{} in {}", ids.len(), dir.display())).collect();
    anyhow::bail!(
        "--only `{pattern}` matches no scenario (of {}); nothing was run. `pens-conform list` shows the ids \
         (`*` matches any run of characters)",
        folders.join(", ")
    )
}

/// Runs a suite, applies the baseline to its report, prints progress and the console
/// report to `console`, writes the report files (report.json, junit.xml, summary.md,
/// report.html, ca.pem) into `report_dir`, and returns the exit code. `scope` says what
/// part of the scenario set the suite's scenarios are; an empty partition runs nothing
/// (not even the preflight) and is a complete run of no scenarios, exit 0.
///
/// Ctrl-C, `SIGTERM` or `SIGHUP` ends the run (exit 3, with a report of what finished,
/// the triggers' process groups ended). Every suite running at that moment hears it:
/// `selftest`'s two suites both stop.
pub(crate) async fn run_and_report(
    suite: Suite<'_>,
    report_dir: &Path,
    baseline: &BaselinePolicy,
    scope: &RunScope,
    console: &Console,
) -> anyhow::Result<u8> {
    std::fs::create_dir_all(report_dir)
        .with_context(|| format!("cannot create the report folder {}", report_dir.display()))?;
    let mode = match suite {
        Suite::Target { .. } => "target",
        Suite::Client { .. } => "client",
        Suite::Observe { .. } => "observe",
    };
    let presentation = crate::console::presentation();
    let end_report = |report: &RunReport| render_console_with(report, presentation.console_options());
    let target_info = match suite {
        Suite::Target { options, .. } => TargetInfo {
            url: pens_proto::redact_userinfo(&options.target_url),
            name: options.target_name.clone(),
            claims: options.claims.clone(),
            observed: Vec::new(),
        },
        Suite::Client { .. } => {
            TargetInfo { url: String::new(), name: None, claims: Default::default(), observed: Vec::new() }
        }
        Suite::Observe { options } => TargetInfo {
            url: pens_proto::redact_userinfo(&options.target_url),
            name: options.target_name.clone(),
            claims: options.claims.clone(),
            observed: Vec::new(),
        },
    };
    if scope.is_empty_partition() {
        console.line(format!("pens-conform {mode} run · 0 scenarios"))?;
        console.line(scope.set_line())?;
        console.line(scope.header().unwrap_or_default())?;
        // A run of no scenarios: the report of a run that heard no event.
        let mut report = scoped(ReportBuilder::new(mode, env!("CARGO_PKG_VERSION"), target_info).finish(), scope);
        baseline.apply(&mut report);
        console.text(end_report(&report))?;
        write_reports(report_dir, &report, "", console)?;
        console.line(format!("reports   {}", report_dir.display()))?;
        return Ok(exit_code(&report, baseline.allow_improvements));
    }
    // Before anything is printed or started: see the `select!` below.
    let mut stop_signals = crate::signals::StopSignals::install()?;
    let mut progress = Progress::new(console, presentation);
    // The report of an interrupted run: built from the events heard so far (what has
    // finished, where the mock target listens), as the runner builds a finished run's.
    let interrupted = std::sync::Mutex::new(ReportBuilder::new(mode, env!("CARGO_PKG_VERSION"), target_info));
    let mut show = |event: &RunEvent| match event {
        RunEvent::Started { staging, collector, smtp, scenarios } => {
            progress.info(&format!(
                "pens-conform {mode} run · {}\nstaging   {staging}\ncollector {collector}\n\
                 smtp      {smtp} (point the target's outgoing mail here for mailto: receipts)",
                counted(*scenarios as u64, "scenario")
            ));
            progress.info(&scope.set_line());
            if let Some(line) = scope.header() {
                progress.info(&line);
            }
            progress.start(*scenarios);
        }
        RunEvent::PreflightPassed { warning: None } => {
            progress.info("preflight passed: the target answers, fetches and receipts");
        }
        RunEvent::PreflightPassed { warning: Some(warning) } => progress.line(&format!("preflight warning: {warning}")),
        RunEvent::ClientStarted { target, scenarios } => {
            progress.info(&format!(
                "pens-conform {mode} run · {}\nmock target {target}",
                counted(*scenarios as u64, "scenario")
            ));
            progress.info(&scope.set_line());
            if let Some(line) = scope.header() {
                progress.info(&line);
            }
            progress.start(*scenarios);
        }
        RunEvent::ObserveStarted { collect_url, target, publishes } => {
            let until =
                publishes.map_or_else(|| "until stopped".to_owned(), |n| format!("until {}", publishes_text(n)));
            progress.info(&format!("pens-conform observe run · {until}\ntarget    {target}"));
            // Said even with -q: nothing happens until the tool publishes here.
            progress.line(&format!("publish to {collect_url} (the authoring tool's PENS target URL); waiting"));
        }
        RunEvent::AwaitingPublish { scenario, url } => {
            progress.line(&format!("{scenario}: publish to {url} now (waiting)"));
        }
        RunEvent::ScenarioStarted { .. } => progress.started(),
        RunEvent::ScenarioFinished(result) => progress.finished(result),
        _ => {}
    };
    let mut on_event = |event: &RunEvent| {
        interrupted.lock().unwrap_or_else(std::sync::PoisonError::into_inner).record(event);
        show(event)
    };
    let run = async {
        match suite {
            Suite::Target { scenarios, options } => run_target_suite(scenarios, options, &mut on_event).await,
            Suite::Client { scenarios, options, trigger } => {
                run_client_suite(scenarios, options, trigger, &mut on_event).await
            }
            Suite::Observe { options } => run_observe(options, &mut on_event).await,
        }
    };
    // Ctrl-C, SIGTERM or SIGHUP ends the run: the parties stop with the dropped run,
    // the triggers' process groups are ended, and what finished is reported as an
    // incomplete run (exit 3), never as one that looks complete. The handlers were
    // installed before the run header was printed, so a signal right after it never
    // finds the default action, which would kill the process without a report.
    let outcome = tokio::select! {
        biased;
        signal = stop_signals.received() => Err(signal),
        output = run => Ok(output?),
    };
    progress.finish();
    let mut output = match outcome {
        Ok(output) => output,
        Err(signal) => {
            // What a trigger started must not outlive the run.
            pens_runner::end_trigger_groups(2 * pens_runner::TERM_GRACE).await;
            let mut builder = interrupted.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
            let reason = match suite {
                Suite::Observe { .. } => format!(
                    "interrupted ({signal}) after {} had been judged; any under way was not",
                    publishes_text(builder.finished())
                ),
                _ => format!(
                    "interrupted ({signal}) after {} had finished; the others did not run",
                    counted(builder.finished() as u64, "scenario")
                ),
            };
            builder.record(&RunEvent::Aborted { reason });
            let report = scoped(builder.finish(), scope);
            console.text(end_report(&report))?;
            write_reports(report_dir, &report, "", console)?;
            console.line(format!("reports   {}", report_dir.display()))?;
            return Ok(exit::INCOMPLETE);
        }
    };

    output.report = scoped(output.report, scope);
    baseline.apply(&mut output.report);
    console.text(end_report(&output.report))?;
    write_reports(report_dir, &output.report, &output.ca_pem, console)?;
    console.line(format!("reports   {}", report_dir.display()))?;
    Ok(exit_code(&output.report, baseline.allow_improvements))
}

/// `1 publish`, `3 publishes`.
fn publishes_text(n: usize) -> String {
    if n == 1 { "1 publish".to_owned() } else { format!("{n} publishes") }
}

/// `report`, saying what part of the scenario set it covers. No baseline is applied
/// here.
fn scoped(mut report: RunReport, scope: &RunScope) -> RunReport {
    // Observe mode runs no scenario set: the report names none.
    report.scenario_digest = (!scope.digest.is_empty()).then(|| scope.digest.clone());
    report.scenario_set = (!scope.set.is_empty()).then(|| scope.set.clone());
    report.partition = scope.partition;
    report
}

/// The digest of the scenario set: SHA-256 over `<file name> <sha256>` lines, sorted, so
/// it names the files' contents, not where the folder lies (see
/// [`pens_report::RunReport::scenario_digest`]).
fn scenario_digest(sources: &[&Path]) -> anyhow::Result<String> {
    let mut lines = Vec::with_capacity(sources.len());
    for source in sources {
        let bytes =
            crate::shipped::scenario_bytes(source).with_context(|| format!("cannot read {}", source.display()))?;
        let name = source.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        lines.push(format!("{name} {}\n", crate::bundle::sha256_hex(&bytes)));
    }
    lines.sort();
    Ok(crate::bundle::sha256_hex(lines.concat().as_bytes()))
}

/// Makes sure the reports can be written to `dir` before anything is contacted: creates
/// it, then writes, syncs and removes a small file in it, so a folder that cannot be
/// created, is read-only or sits on a full disk is a usage error (exit 2) naming the
/// folder and the operating system's error, not found after a whole run.
pub(crate) fn probe_report_dir(dir: &Path) -> anyhow::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the report folder {} (--report-dir)", dir.display()))?;
    let probe = dir.join(format!(".pens-conform-probe-{}", std::process::id()));
    let written = std::fs::File::create_new(&probe).and_then(|mut file| {
        // A few KiB and a sync: a full disk often takes an empty file but not its data.
        file.write_all(&[0_u8; 4096])?;
        file.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    written.with_context(|| format!("cannot write reports into {} (--report-dir)", dir.display()))
}

/// `--report-dir`, or `reports/<timestamp>/`.
pub(crate) fn report_dir(args: &RunArgs) -> PathBuf {
    args.report_dir.clone().unwrap_or_else(default_report_dir)
}

/// Checks that every scenario's `[staging] package` exists under `packages_dir` (a
/// folder `NAME` for `NAME.zip`, or the file itself), before anything runs: a missing
/// fixture is the user's mistake, reported like a load error with file, line and
/// column (exit 2), not a harness error halfway through a run.
pub(crate) fn check_packages(scenarios: &[Scenario], packages: &PackageSet) -> anyhow::Result<()> {
    let missing = report_missing_packages(scenarios, packages);
    if missing > 0 {
        anyhow::bail!(
            "{} {} a package fixture that does not exist; nothing was run",
            counted(missing as u64, "scenario"),
            if missing == 1 { "names" } else { "name" }
        );
    }
    Ok(())
}

/// Prints a diagnostic for each scenario whose package fixture is missing; returns how
/// many there were.
pub(crate) fn report_missing_packages(scenarios: &[Scenario], packages: &PackageSet) -> usize {
    let packages_dir = packages.path();
    let mut missing = 0;
    for scenario in scenarios {
        let package = &scenario.staging.value.package;
        let name = package.value.as_str();
        let folder = name.strip_suffix(".zip").map(|stem| packages_dir.join(stem));
        if folder.is_some_and(|f| f.is_dir()) || packages_dir.join(name).is_file() {
            continue;
        }
        missing += 1;
        let help = match packages {
            PackageSet::Folder(dir) => format!(
                "add the folder {} (zipped at run time) or the file, or give --packages DIR",
                dir.join(name.strip_suffix(".zip").unwrap_or(name)).display()
            ),
            PackageSet::BuiltIn(_) => "give --packages DIR, a folder that holds it".to_owned(),
        };
        eprintln!(
            "error: package fixture `{name}` not found in {}\n --> {}:{}:{}\n  = help: {help}",
            packages.shown(),
            scenario.source.display(),
            package.span.line,
            package.span.col,
        );
    }
    missing
}

/// Writes the report files into `dir`, and hands the Markdown summary to `console` for
/// the GitHub step summary.
pub(crate) fn write_reports(dir: &Path, report: &RunReport, ca_pem: &str, console: &Console) -> anyhow::Result<()> {
    // Each file whole or absent, and report.json, the one tools read as "the run is
    // done", last: a run killed while writing never leaves a report that looks complete.
    let write = |name: &str, contents: &str| crate::atomic::write_atomically(&dir.join(name), contents);
    if !ca_pem.is_empty() {
        write("ca.pem", ca_pem)?;
    }
    write("junit.xml", &render_junit(report)?)?;
    let summary = render_markdown(report);
    write("summary.md", &summary)?;
    write("report.html", &render_html(report))?;
    write("report.json", &serde_json::to_string_pretty(report)?)?;
    console.step_summary(&summary);
    Ok(())
}

/// 3 when the run is incomplete or the harness failed; 1 when a scenario failed that the
/// baseline does not expect, or (unless `allow_improvements`) an expected failure did
/// not fail; else 0. A baseline never hides 3: an `error` or `inconclusive` is the
/// harness's or the environment's problem, not a known defect of the implementation.
pub(crate) fn exit_code(report: &RunReport, allow_improvements: bool) -> u8 {
    let summary = &report.summary;
    let unexpected_failure =
        report.scenarios.iter().any(|s| s.verdict == Verdict::Fail && s.expected_failure.is_none());
    let improved = report.baseline.as_ref().is_some_and(|b| !b.improvements.is_empty());
    if report.aborted.is_some() || summary.count(Verdict::Error) > 0 || summary.count(Verdict::Inconclusive) > 0 {
        exit::INCOMPLETE
    } else if unexpected_failure || (improved && !allow_improvements) {
        exit::CHECK_FAILED
    } else {
        exit::SUCCESS
    }
}

pub(crate) fn default_report_dir() -> PathBuf {
    let now = time::OffsetDateTime::now_utc();
    PathBuf::from("reports").join(format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    ))
}

/// Applies the shared run arguments, and the command's `--jobs`, to the options.
pub(crate) fn apply_run_args(options: &mut RunOptions, args: &RunArgs, jobs: usize) {
    options.jobs = jobs.max(1);
    options.only.clone_from(&args.only);
    options.enforce_security |= args.enforce_security;
}

/// The `--profile` file, read; without one, the defaults. A profile with problems: each
/// printed as a scenario file's are (rustc's layout, every one of them), then an error
/// that counts them (the caller makes it a usage error, exit 2). `url_used`: the run
/// sends its collects to the profile's `[target] url` (no `--url` stands in for it), so
/// a URL no collect can reach is one of those problems, at its line.
pub(crate) fn profile_of(path: Option<&Path>, url_used: bool) -> anyhow::Result<Profile> {
    let Some(path) = path else { return Ok(Profile::default()) };
    let loaded = if url_used { Profile::load_as_endpoint(path) } else { Profile::load(path) };
    match loaded {
        Ok(profile) => Ok(profile),
        Err(error) if !error.problems().is_empty() => {
            let problems = error.problems();
            for problem in problems {
                eprintln!("{}", pens_scenario::render_plain(problem));
            }
            let s = if problems.len() == 1 { "" } else { "s" };
            anyhow::bail!("{} error{s} in profile {}; nothing was run", problems.len(), path.display())
        }
        Err(error) => Err(error.into()),
    }
}

/// The target's URL: `--url`, else `[target] url` of the profile. It must be an
/// absolute `http` or `https` URL with a host (CMI010 §5: a collect is an HTTP GET or
/// POST; [`pens_runner::check_endpoint`]), checked before any server starts or anything
/// is sent, so a typo is a usage error (exit 2) naming where the URL came from, not a
/// run that could not complete (exit 3). A profile's URL was checked as the profile was
/// read ([`profile_of`]), with its other problems; it is checked again here all the same.
pub(crate) fn target_url_of(url: Option<&str>, profile: &Profile) -> anyhow::Result<String> {
    let (text, from) = match (url, &profile.url) {
        (Some(url), _) => (url.to_owned(), "--url"),
        (None, Some(url)) => (url.clone(), "`[target] url` of the profile"),
        (None, None) => anyhow::bail!("no target URL: give --url URL or `[target] url` in the --profile file"),
    };
    pens_runner::check_endpoint(&text).map_err(|problem| anyhow::anyhow!("{from} `{}` {problem}", shown_url(&text)))?;
    Ok(text)
}

/// `text` to show in a message: a password in it hidden, as everywhere a URL is shown.
fn shown_url(text: &str) -> String {
    pens_proto::redact_userinfo(text)
}
