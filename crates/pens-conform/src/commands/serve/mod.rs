//! `pens-conform serve`: a party of PENS on its own, each a subcommand with its own
//! arguments and run.

use clap::Subcommand;

pub(crate) mod client;
pub(crate) mod staging;
pub(crate) mod target;

#[derive(Debug, Subcommand)]
pub(crate) enum ServeCommand {
    /// The built-in reference target: a correct PENS target, or one with a seeded defect.
    Target(target::ServeTargetArgs),
    /// The built-in reference client: stages a package, publishes it once to a target,
    /// answers the receipt and alerts, and exits (0 when the target accepted it and a
    /// receipt came). Usable as `client --trigger`.
    Client(client::ServeClientArgs),
    /// The staging server on its own: serves one package over HTTP, HTTPS, FTP and
    /// FTPS (explicit and implicit on one port), prints its URLs, and runs until Ctrl-C (exit 0). For staging a
    /// package by hand for an LMS, or for measuring download throughput (`--size`).
    Staging(staging::ServeStagingArgs),
}

impl ServeCommand {
    /// Runs the party until it is done (or stopped); returns the exit code.
    pub(crate) fn run(self) -> crate::error::CommandResult {
        match self {
            ServeCommand::Target(args) => target::run(args),
            ServeCommand::Client(args) => client::run(args),
            ServeCommand::Staging(args) => staging::run(args),
        }
    }
}
