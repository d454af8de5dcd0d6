//! `pens-conform list` and `pens-conform lint`: the scenario files themselves.

use std::path::PathBuf;

use serde::Serialize;

use crate::cli::{Format, LintArgs, ListArgs};
use crate::exit;
use crate::output;
use crate::run_output::load_scenarios;

#[derive(Serialize)]
struct Listed<'a> {
    id: &'a str,
    title: &'a str,
    file: String,
    requirements: Vec<&'static str>,
    tags: Vec<&'a str>,
    needs: Vec<&'static str>,
    unless: Vec<&'static str>,
}

pub(crate) fn list(args: &ListArgs) -> anyhow::Result<u8> {
    let scenarios = load_scenarios(&args.scenarios)?;
    let listed: Vec<Listed<'_>> = scenarios
        .iter()
        .map(|s| Listed {
            id: &s.id.value,
            title: &s.title.value,
            file: s.source.display().to_string(),
            requirements: s.requirements.iter().map(|r| r.value.id).collect(),
            tags: s.tags.iter().map(|t| t.value.as_str()).collect(),
            needs: s.needs.iter().map(|c| c.value.name()).collect(),
            unless: s.unless.iter().map(|c| c.value.name()).collect(),
        })
        .collect();
    match args.format {
        Format::Json => output::line(serde_json::to_string_pretty(&listed)?)?,
        Format::Text => {
            let width = listed.iter().map(|l| l.id.len()).max().unwrap_or(0);
            for item in &listed {
                output::line(format!("{:<width$}  {}", item.id, item.title))?;
                output::line(format!("{:<width$}  requirements: {}", "", item.requirements.join(", ")))?;
                if !item.tags.is_empty() {
                    output::line(format!("{:<width$}  tags: {}", "", item.tags.join(", ")))?;
                }
            }
            output::line(pens_report::counted(listed.len() as u64, "scenario"))?;
        }
    }
    Ok(exit::SUCCESS)
}

pub(crate) fn lint(args: &LintArgs) -> anyhow::Result<u8> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("scenarios/target"), PathBuf::from("scenarios/client")]
    } else {
        args.paths.clone()
    };
    let mut loaded = 0;
    let mut errors = Vec::new();
    let mut target_scenarios = Vec::new();
    for path in &paths {
        match (path.is_dir(), holds_client_scenarios(path)) {
            (true, false) => {
                let (scenarios, found) = pens_scenario::load_dir(path);
                loaded += scenarios.len();
                target_scenarios.extend(scenarios);
                errors.extend(found);
            }
            (true, true) => {
                let (scenarios, found) = pens_scenario::load_client_dir(path);
                loaded += scenarios.len();
                errors.extend(found);
            }
            (false, false) => match pens_scenario::load_file(path) {
                Ok(scenario) => {
                    loaded += 1;
                    target_scenarios.push(scenario);
                }
                Err(error) => errors.push(error),
            },
            (false, true) => match pens_scenario::load_client_file(path) {
                Ok(_) => loaded += 1,
                Err(error) => errors.push(error),
            },
        }
    }
    for error in &errors {
        eprintln!("{}", pens_scenario::render_plain(error));
    }
    // The same check `target` makes before a run, so that lint is a complete preflight.
    let missing_packages = if args.packages.is_dir() {
        crate::run_output::report_missing_packages(&target_scenarios, &args.packages)
    } else {
        if !target_scenarios.is_empty() {
            eprintln!("note: package fixtures not checked: no folder {}; give --packages DIR", args.packages.display());
        }
        0
    };
    let problems = errors.len() + missing_packages;
    output::line(format!("{loaded} scenario(s) load cleanly, {problems} error(s)"))?;
    Ok(if problems == 0 { exit::SUCCESS } else { exit::USAGE })
}

/// Whether `path` holds client-mode scenarios: its folder, or that folder's parent, is
/// named `client` (`scenarios/client/x.toml`, `tests/golden/client/rejected/`);
/// everything else is target mode. Folders further up are not looked at: they are the
/// user's, not the scenario set's.
fn holds_client_scenarios(path: &std::path::Path) -> bool {
    let folder = if path.is_dir() { Some(path) } else { path.parent() };
    let named_client = |folder: &std::path::Path| folder.file_name().is_some_and(|name| name == "client");
    folder.is_some_and(|folder| named_client(folder) || folder.parent().is_some_and(named_client))
}
