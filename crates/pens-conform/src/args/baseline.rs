//! `--baseline FILE` and `--allow-improvements`, on every command that runs a suite.

use std::path::PathBuf;

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
