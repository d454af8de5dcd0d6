//! `pens-conform`: the command line of the PENS conformance harness. Thin by design:
//! parsing arguments, wiring logging and mapping outcomes to exit codes; the protocol
//! knowledge lives in `pens-proto`.

mod cli;
mod exit;
mod explain;
mod input;
mod render;
mod validate;

fn main() -> std::process::ExitCode {
    cli::run()
}
