//! Options that several commands share, each a small `clap::Args` group a command
//! takes with `#[command(flatten)]`, and the parsers of command-line values. A command's
//! own options live in its module under `commands/`.

mod baseline;
mod console;
mod format;
pub(crate) mod ranges;
mod run;

pub(crate) use baseline::BaselineArgs;
pub(crate) use console::ConsoleArgs;
pub(crate) use format::Format;
pub(crate) use run::RunArgs;
