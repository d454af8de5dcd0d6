//! `pens-conform lint`: load-check scenario files, each with its own mode's rules.
//!
//! Without paths it lints the set a run would load, decided per suite as `target` and
//! `client` decide it ([`crate::shipped`]): the default folder under the current folder
//! when it exists, else the built-in set. So `lint` in a vendor's own repository checks
//! what `target` would run there, and says which set that is.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::{Classify, CommandResult};
use crate::exit;
use crate::output;
use crate::shipped::{ScenarioSet, SuiteKind};

/// Arguments of `lint`.
#[derive(Debug, clap::Args)]
pub(crate) struct LintArgs {
    /// Scenario files or folders. Default: the sets a run would load, named first:
    /// `scenarios/target` and `scenarios/client` when they exist under the current
    /// folder, else the set built into pens-conform. A path with a folder named `client`
    /// in it holds client-mode scenarios, one named `target` target-mode ones; a set's
    /// folder (`scenarios`) has each of its `target` and `client` folders linted with its
    /// own mode's rules.
    pub(crate) paths: Vec<PathBuf>,
    /// Where the package fixtures that target scenarios name are looked for; a missing
    /// one is an error, as it is for `target`. Not checked when the folder given does not
    /// exist. Default, as for `target`: `fixtures/packages` when that folder exists under
    /// the current folder, else the fixtures built into pens-conform.
    #[arg(long, value_name = "DIR")]
    pub(crate) packages: Option<PathBuf>,
}

pub(crate) fn run(args: &LintArgs) -> CommandResult {
    let mut lint = Lint::default();
    // The same check `target` makes before a run, so that lint is a complete preflight.
    let packages = crate::shipped::PackageSet::resolve(args.packages.as_deref())
        .context("cannot write the built-in package fixtures to a temporary folder")
        .harness()?;
    if args.paths.is_empty() {
        for kind in [SuiteKind::Target, SuiteKind::Client] {
            let set = ScenarioSet::resolve(None, kind);
            output::line(format!("{} scenarios {}", kind.folder(), set.label())).harness()?;
            lint.set(&set, kind);
        }
        output::line(format!("package fixtures {}", packages.label())).harness()?;
    }
    for path in &args.paths {
        lint.path(path);
    }
    let Lint { loaded, errors, target_scenarios } = lint;
    for error in &errors {
        eprintln!("{}", pens_scenario::render_plain(error));
    }
    let missing_packages = if packages.path().is_dir() {
        crate::run_output::report_missing_packages(&target_scenarios, &packages)
    } else {
        if !target_scenarios.is_empty() {
            eprintln!(
                "note: package fixtures not checked: no folder {}; give --packages DIR",
                packages.path().display()
            );
        }
        0
    };
    let problems = errors.len() + missing_packages;
    output::line(format!("{loaded} scenario(s) load cleanly, {problems} error(s)")).harness()?;
    Ok(if problems == 0 { exit::SUCCESS } else { exit::USAGE })
}

/// Which rules a scenario file is read with: target and client scenarios are two
/// languages (`scenarios/target/`, `scenarios/client/`), and a file read with the other
/// mode's rules reports errors that are not there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Target,
    Client,
}

/// What `lint` has found so far over its arguments.
#[derive(Default)]
struct Lint {
    loaded: usize,
    errors: Vec<pens_scenario::ScenarioError>,
    /// Kept for the package-fixture check, which only target scenarios need.
    target_scenarios: Vec<pens_scenario::Scenario>,
}

impl Lint {
    /// Lints a set a run would load: its folder with the suite's rules, or the files
    /// built into pens-conform, parsed as a run parses them.
    fn set(&mut self, set: &ScenarioSet, kind: SuiteKind) {
        let mode = match kind {
            SuiteKind::Target => Mode::Target,
            SuiteKind::Client => Mode::Client,
        };
        let Some(files) = set.built_in_files() else {
            return self.folder(&set.folder(), mode);
        };
        for (name, text) in files {
            let parsed = match mode {
                Mode::Target => pens_scenario::parse_scenario(name, text).map(|s| self.target_scenarios.push(s)),
                Mode::Client => pens_scenario::parse_client_scenario(name, text).map(drop),
            };
            match parsed {
                Ok(()) => self.loaded += 1,
                Err(file_errors) => self.errors.extend(file_errors),
            }
        }
    }

    /// Lints one argument: a file or folder whose mode its path says, or a folder of a
    /// scenario set (`scenarios/`) whose `target/` and `client/` folders are each linted
    /// with their own rules.
    fn path(&mut self, path: &Path) {
        match (path.is_dir(), mode_of_path(path)) {
            (true, Some(mode)) => self.folder(path, mode),
            (true, None) => self.neutral_folder(path),
            (false, Some(mode)) => self.file(path, mode),
            (false, None) => self.neutral_file(path),
        }
    }

    fn folder(&mut self, path: &Path, mode: Mode) {
        match mode {
            Mode::Target => {
                let (scenarios, found) = pens_scenario::load_dir(path);
                self.loaded += scenarios.len();
                self.target_scenarios.extend(scenarios);
                self.errors.extend(found);
            }
            Mode::Client => {
                let (scenarios, found) = pens_scenario::load_client_dir(path);
                self.loaded += scenarios.len();
                self.errors.extend(found);
            }
        }
    }

    /// A folder whose path names no mode. When it holds a `target` or `client` folder
    /// (the layout of `scenarios/`), each is linted with its mode's rules and every
    /// other entry on its own; otherwise the whole folder is target scenarios, the
    /// default mode.
    fn neutral_folder(&mut self, path: &Path) {
        let mode_folders = [("target", Mode::Target), ("client", Mode::Client)];
        if !mode_folders.iter().any(|(name, _)| path.join(name).is_dir()) {
            return self.folder(path, Mode::Target);
        }
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(entries) => entries.filter_map(Result::ok).map(|entry| entry.path()).collect(),
            // The folder loader reports an unreadable folder with its path.
            Err(_) => return self.folder(path, Mode::Target),
        };
        entries.sort();
        for entry in entries {
            let name = entry.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if name.starts_with('.') {
                continue;
            }
            if let Some((_, mode)) = mode_folders.iter().find(|(folder, _)| *folder == name && entry.is_dir()) {
                self.folder(&entry, *mode);
            } else if entry.is_dir() {
                self.neutral_folder(&entry);
            } else if entry.extension().is_some_and(|e| e == "toml") {
                self.neutral_file(&entry);
            }
        }
    }

    fn file(&mut self, path: &Path, mode: Mode) {
        match mode {
            Mode::Target => match pens_scenario::load_file(path) {
                Ok(scenario) => {
                    self.loaded += 1;
                    self.target_scenarios.push(scenario);
                }
                Err(error) => self.errors.push(error),
            },
            Mode::Client => match pens_scenario::load_client_file(path) {
                Ok(_) => self.loaded += 1,
                Err(error) => self.errors.push(error),
            },
        }
    }

    /// A file whose path names no mode: the scenario format has no mode field, so the
    /// content decides. A file that loads as a client scenario but not as a target one
    /// is a client scenario; anything else is read with the target rules (the default
    /// mode), whose errors are reported.
    fn neutral_file(&mut self, path: &Path) {
        match pens_scenario::load_file(path) {
            Ok(scenario) => {
                self.loaded += 1;
                self.target_scenarios.push(scenario);
            }
            Err(error) => match pens_scenario::load_client_file(path) {
                Ok(_) => self.loaded += 1,
                Err(_) => self.errors.push(error),
            },
        }
    }
}

/// The mode a path's name says: its folder (the path itself for a folder, its parent
/// for a file), or that folder's parent, is named `client` or `target`
/// (`scenarios/client/x.toml`, `tests/golden/client/rejected/`). Folders further up are
/// not looked at: they are the user's, not the scenario set's.
fn mode_of_path(path: &Path) -> Option<Mode> {
    let folder = if path.is_dir() { Some(path) } else { path.parent() };
    let named = |folder: &Path| match folder.file_name().and_then(|name| name.to_str()) {
        Some("client") => Some(Mode::Client),
        Some("target") => Some(Mode::Target),
        _ => None,
    };
    let folder = folder?;
    named(folder).or_else(|| folder.parent().and_then(named))
}
