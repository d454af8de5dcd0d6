//! The options of a suite run that `target` and `selftest` share.

use std::path::PathBuf;

use super::BaselineArgs;

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
    /// The folder of target scenarios. Default: `scenarios/target` when that folder
    /// exists under the current folder (a checkout: the files on disk run, edits need no
    /// rebuild), else the set built into pens-conform. The run header says which ran;
    /// `pens-conform scenarios export DIR` writes the built-in files out.
    #[arg(long, value_name = "DIR")]
    pub(crate) scenarios: Option<PathBuf>,
    /// The folder of package fixtures the staging server serves. Default:
    /// `fixtures/packages` when that folder exists under the current folder, else the
    /// fixtures built into pens-conform.
    #[arg(long, value_name = "DIR")]
    pub(crate) packages: Option<PathBuf>,
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
