//! `pens-conform`: the command line of the PENS conformance harness. Thin by design:
//! parsing arguments, reading the profile, wiring logging and mapping outcomes to exit
//! codes; the protocol, the parties, the engine and the reports live in library crates.

mod args;
mod arguments;
mod atomic;
mod baseline;
mod bundle;
mod cli;
mod commands;
mod console;
mod error;
mod output;
mod partition;
mod progress;
#[cfg(test)]
mod publishing;
mod run_output;
#[cfg(test)]
mod shared_build;
mod shipped;
mod signals;

/// The exit codes: the one set, [`pens_report::exit_code`].
use pens_report::exit_code as exit;

fn main() -> std::process::ExitCode {
    cli::run()
}
