//! `pens-conform`: the command line of the PENS conformance harness. Thin by design:
//! parsing arguments, reading the profile, wiring logging and mapping outcomes to exit
//! codes; the protocol, the parties, the engine and the reports live in library crates.

mod arg_ranges;
mod arguments;
mod atomic;
mod baseline;
mod bundle;
mod cli;
mod client;
mod console;
mod diff;
mod exit;
mod explain;
mod input;
mod load;
mod merge;
mod output;
mod partition;
mod progress;
mod render;
mod run_output;
mod scenarios;
mod selftest;
mod serve;
mod signals;
mod staging;
mod target;
mod validate;
mod verify;

fn main() -> std::process::ExitCode {
    cli::run()
}
