//! Argument parsing (clap derive) and dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

use crate::exit;

/// Conformance test harness for AICC PENS (CMI010 1.0a).
#[derive(Debug, Parser)]
#[command(name = "pens-conform", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check one PENS message against CMI010 and print its findings.
    ///
    /// Reads a collect (POST body, query string or whole GET URL), a receipt or alert,
    /// or a response body, from FILE or standard input. Exit status: 0 when no `must`
    /// requirement is violated, 1 when one is, 2 for usage or input errors.
    Validate(ValidateArgs),
    /// Say what a PENS error code or a requirement id means.
    ///
    /// Without TOPIC, lists every error code and every requirement.
    Explain(ExplainArgs),
}

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    /// The message file; `-` or nothing for standard input. One final line break of a
    /// collect, receipt or alert file is ignored (editors add one); response bodies are
    /// read byte for byte.
    pub(crate) file: Option<PathBuf>,
    /// What the message is; `auto` tells by its content.
    #[arg(long, value_enum, default_value_t = KindArg::Auto)]
    pub(crate) kind: KindArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// The instant to judge package-url-expiry against (RFC 3339, e.g.
    /// `2026-06-01T00:00:00Z`); default: now. Set it for reproducible output.
    #[arg(long, value_name = "RFC3339")]
    pub(crate) now: Option<String>,
}

/// Arguments of `explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    /// An error code (e.g. `1304`) or a requirement id (e.g. `collect.package-url.scheme`).
    pub(crate) topic: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

/// Message kinds accepted by `--kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum KindArg {
    /// Tell by content.
    Auto,
    /// A collect: POST body, query string or GET URL (told apart by content).
    Collect,
    /// A collect POST body (application/x-www-form-urlencoded).
    CollectForm,
    /// A collect GET URL or bare query string.
    CollectQuery,
    /// A receipt (form body or query).
    Receipt,
    /// An alert (form body or query).
    Alert,
    /// A PENS response body.
    Response,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people.
    Text,
    /// For programs: one JSON document with a `format_version`.
    Json,
}

/// Parses the command line, runs the command, returns the exit code.
pub(crate) fn run() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Validate(args) => crate::validate::run(&args),
        Command::Explain(args) => crate::explain::run(&args),
    };
    match code {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}

/// Logs go to standard error, filtered by `RUST_LOG` (default: warnings only), so
/// standard output stays the report.
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
