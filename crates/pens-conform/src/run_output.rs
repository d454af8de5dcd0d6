//! What `target` and `selftest` share: loading the scenarios, running them with a live
//! line per scenario, writing the reports and choosing the exit code.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use pens_report::{RunReport, Verdict, render_console, render_junit, render_scenario_line};
use pens_runner::{RunEvent, RunOptions, run_target_suite};
use pens_scenario::Scenario;

use crate::cli::RunArgs;
use crate::exit;

/// Loads every scenario of `dir`; any load error is a usage error (exit 2) with the
/// diagnostics printed.
pub(crate) fn load_scenarios(dir: &Path) -> anyhow::Result<Vec<Scenario>> {
    if !dir.is_dir() {
        anyhow::bail!("no scenario folder at {}; give --scenarios DIR", dir.display());
    }
    let (scenarios, errors) = pens_scenario::load_dir(dir);
    if !errors.is_empty() {
        for error in &errors {
            eprintln!("{}", pens_scenario::render_plain(error));
        }
        anyhow::bail!("{} scenario file error(s) in {}; nothing was run", errors.len(), dir.display());
    }
    Ok(scenarios)
}

/// Runs the suite, prints progress and the console report, writes the report files.
pub(crate) async fn run_and_report(scenarios: &[Scenario], options: &RunOptions, args: &RunArgs) -> anyhow::Result<u8> {
    let report_dir = args.report_dir.clone().unwrap_or_else(default_report_dir);
    std::fs::create_dir_all(&report_dir)
        .with_context(|| format!("cannot create the report folder {}", report_dir.display()))?;
    let mut on_event = |event: &RunEvent| {
        let mut out = std::io::stdout().lock();
        let _ = match event {
            RunEvent::Started { staging, collector, scenarios } => writeln!(
                out,
                "pens-conform target run · {} · {scenarios} scenarios\nstaging   {staging}\ncollector {collector}\npreflight ...",
                options.target_url
            ),
            RunEvent::PreflightPassed { warning: None } => {
                writeln!(out, "preflight passed: the target answers, fetches and receipts")
            }
            RunEvent::PreflightPassed { warning: Some(warning) } => writeln!(out, "preflight warning: {warning}"),
            RunEvent::ScenarioFinished(result) => writeln!(out, "{}", render_scenario_line(result)),
            _ => Ok(()),
        };
    };
    let output = run_target_suite(scenarios, options, &mut on_event).await?;
    print!("{}", render_console(&output.report));
    write_reports(&report_dir, &output.report, &output.ca_pem)?;
    println!("reports   {}", report_dir.display());
    Ok(exit_code(&output.report))
}

fn write_reports(dir: &Path, report: &RunReport, ca_pem: &str) -> anyhow::Result<()> {
    let write = |name: &str, contents: &str| {
        let path = dir.join(name);
        std::fs::write(&path, contents).with_context(|| format!("cannot write {}", path.display()))
    };
    write("report.json", &serde_json::to_string_pretty(report)?)?;
    write("junit.xml", &render_junit(report)?)?;
    write("ca.pem", ca_pem)?;
    Ok(())
}

/// 3 when the run is incomplete or the harness failed, 1 when a scenario failed, else 0.
pub(crate) fn exit_code(report: &RunReport) -> u8 {
    let summary = &report.summary;
    if report.aborted.is_some() || summary.count(Verdict::Error) > 0 || summary.count(Verdict::Inconclusive) > 0 {
        exit::INCOMPLETE
    } else if summary.count(Verdict::Fail) > 0 {
        exit::CHECK_FAILED
    } else {
        exit::SUCCESS
    }
}

fn default_report_dir() -> PathBuf {
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

/// Applies the shared run arguments to the options.
pub(crate) fn apply_run_args(options: &mut RunOptions, args: &RunArgs) {
    options.jobs = args.jobs.max(1);
    options.only.clone_from(&args.only);
}
