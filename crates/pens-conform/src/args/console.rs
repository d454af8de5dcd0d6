//! `--color`, `--quiet` and `--verbose`: how a run is shown on the console.

/// How runs are shown on the console; global, so they go before or after the command.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ConsoleArgs {
    /// When to colour verdict words: auto (a terminal whose TERM is not `dumb`; NO_COLOR
    /// turns it off, CLICOLOR_FORCE on), always, never.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = crate::console::ColorWhen::Auto, global = true)]
    pub(crate) color: crate::console::ColorWhen,
    /// Print only the summary and what fails the run (fail, error, inconclusive): no
    /// line per scenario, no progress, no warnings.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// Also print the scenarios that passed and every check of every scenario.
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,
}

impl ConsoleArgs {
    /// How much the console report says: `--quiet`, `--verbose` or neither.
    pub(crate) fn verbosity(&self) -> pens_report::Verbosity {
        match (self.quiet, self.verbose) {
            (true, _) => pens_report::Verbosity::Quiet,
            (false, true) => pens_report::Verbosity::Verbose,
            (false, false) => pens_report::Verbosity::Normal,
        }
    }
}
