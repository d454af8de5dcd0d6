//! The top of the command line: the parser, the subcommands and their dispatch. Each
//! command owns its arguments and its run in `commands/<name>.rs` (nextest's
//! dispatch); options shared by several commands live in `args/`. Nothing under
//! `commands/` imports from here.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::args::ConsoleArgs;
use crate::commands;
use crate::error::CommandResult;

/// Conformance test harness for AICC PENS (CMI010 1.0a).
///
/// Exit status: 0 nothing failed (expected failures of a --baseline allowed); 1 a check
/// failed, or a baseline's expected failure passed; 2 usage, profile, scenario-file or
/// baseline error; 3 the harness failed or the run could not complete.
#[derive(Debug, Parser)]
#[command(
    name = "pens-conform",
    version,
    about = "Conformance tests for AICC PENS (CMI010): test an LMS (the target) or an authoring tool (the client) \
             with evidence, or run both ends against the built-in reference pair (selftest)",
    long_about = None,
    after_help = "Exit status: 0 nothing failed (expected failures of a --baseline allowed); 1 a check failed, \
                  or a baseline's expected failure passed; 2 usage, profile, scenario-file or baseline error; 3 the \
                  harness failed or the run could not complete."
)]
pub(crate) struct Cli {
    #[command(flatten)]
    console: ConsoleArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Test an LMS (a PENS target) end to end: run the target scenarios against it.
    ///
    /// Exit status: 0 no scenario failed, or only those --baseline expects; 1 another
    /// scenario failed, or an expected failure passed (unless --allow-improvements); 2
    /// usage, profile, scenario-file or baseline error (also an expired baseline entry);
    /// 3 harness error or run incomplete (e.g. the LMS cannot reach the harness).
    Target(commands::target::TargetArgs),
    /// Test an authoring tool (a PENS client): pens-conform plays the target and judges
    /// its collects, its package and its answers to receipts and alerts.
    ///
    /// With `--trigger CMD`, CMD runs for every publish a scenario needs, with
    /// PENS_TARGET_URL and PENS_SCENARIO_ID set; without it, each scenario prints the URL
    /// to publish to and waits. Same exit status as `target`.
    Client(commands::client::ClientArgs),
    /// Judge a real authoring tool and a real LMS while they talk to each other: a
    /// PENS-aware relay forwards each collect, the package, the receipt and the alerts,
    /// and every check names the party it judges (client or target).
    ///
    /// Point the tool's PENS target URL at the URL printed when the run starts, then
    /// publish. One report entry per publish. Same exit status as `target`.
    Observe(commands::observe::ObserveArgs),
    /// Run both suites against the built-in reference target and reference client: the
    /// whole loop, no LMS or authoring tool needed. Same exit status as `target`; a
    /// --baseline applies to both suites, matched by scenario id.
    Selftest(commands::selftest::SelftestArgs),
    /// Drive many full publish cycles (collect, fetch, receipt) against a target and
    /// measure them: throughput, latency percentiles, lost and duplicated receipts.
    ///
    /// Exit status: 0 every cycle completed with answers and receipts of error=0 and no
    /// receipt came twice; 1 some cycle was refused, lost its receipt, or got a
    /// duplicated or failed one; 2 usage error (also a --concurrency that cannot fit the
    /// open-file limit); 3 the harness failed or no collect was answered at all.
    Load(commands::load::LoadArgs),
    /// Run a party of PENS on its own, e.g. the reference target for a manual test.
    #[command(subcommand)]
    Serve(commands::serve::ServeCommand),
    /// The scenario set built into pens-conform: `scenarios export DIR` writes the
    /// scenario files and package fixtures out, to read or adapt.
    #[command(subcommand)]
    Scenarios(commands::scenarios::ScenariosCommand),
    /// List the scenarios: ids, requirements, tags.
    List(commands::list::ListArgs),
    /// Load-check scenario files; exit 2 on any error.
    Lint(commands::lint::LintArgs),
    /// Check one PENS message against CMI010 and print its findings.
    ///
    /// Reads a collect (POST body, query string or whole GET URL), a receipt or alert,
    /// or a response body, from FILE or standard input. Exit status: 0 when no `must`
    /// requirement is violated, 1 when one is, 2 for usage or input errors.
    Validate(commands::validate::ValidateArgs),
    /// Say what a PENS error code or a requirement id means.
    ///
    /// Without TOPIC, lists every error code and every requirement.
    Explain(commands::explain::ExplainArgs),
    /// Compare two runs' report.json files: which scenarios regressed, improved,
    /// appeared or went away.
    ///
    /// Exit status: 0 nothing regressed; 1 some scenario regressed; 2 a file cannot be
    /// read or is not a pens-conform report, or the runs are of different modes.
    Diff(commands::diff::DiffArgs),
    /// Merge the report.json files of the partitions of one run (`--partition K/N` in
    /// each of N CI jobs) into one report, as if the whole set had run at once.
    ///
    /// The inputs must be every partition of one run, each once: the same mode, harness
    /// version, target, scenario set (scenario_digest), partition count and kind, and the
    /// same baseline or none. The merged report folder gets report.json, junit.xml,
    /// summary.md and report.html: scenarios in id order, totals recounted, started at
    /// the earliest partition's start, its duration the longest partition's (they ran in
    /// parallel). Exit status as for a run: 0 nothing failed; 1 a scenario failed (or a
    /// baseline improvement without --allow-improvements); 3 a partition stopped early,
    /// or a scenario is error or inconclusive; 2 the files cannot be read or are not the
    /// partitions of one run (the message names the file and what differs).
    Merge(commands::merge::MergeArgs),
    /// Check a certification bundle (`--bundle FILE.zip`): every file the manifest lists
    /// is there with its SHA-256 and size, and nothing else is.
    ///
    /// Exit status: 0 intact; 1 tampered or incomplete (each bad entry named); 2 the
    /// file is not a readable zip or not a pens-conform bundle.
    Verify(commands::verify::VerifyArgs),
    /// Print the shell completion script for bash, zsh, fish, powershell or elvish.
    ///
    /// E.g. `pens-conform completions bash > ~/.local/share/bash-completion/completions/pens-conform`;
    /// the README says where each shell looks.
    Completions(commands::completions::CompletionsArgs),
    /// Print the manual pages in roff: the tool's, then one per subcommand.
    ///
    /// `pens-conform man | man -l -` reads them; `--dir DIR` writes pens-conform.1 and
    /// pens-conform-<command>.1 files into DIR instead, for a man1 folder on the MANPATH.
    Man(commands::man::ManArgs),
}

impl Command {
    /// Runs the command; its exit code, or the error that ended it.
    fn run(self) -> CommandResult {
        match self {
            Command::Target(args) => commands::target::run(args),
            Command::Client(args) => commands::client::run(args),
            Command::Observe(args) => commands::observe::run(args),
            Command::Selftest(args) => commands::selftest::run(args),
            Command::Load(args) => commands::load::run(args),
            Command::Serve(command) => command.run(),
            Command::Scenarios(command) => command.run(),
            Command::List(args) => commands::list::run(&args),
            Command::Lint(args) => commands::lint::run(&args),
            Command::Validate(args) => commands::validate::run(&args),
            Command::Explain(args) => commands::explain::run(&args),
            Command::Diff(args) => commands::diff::run(&args),
            Command::Merge(args) => commands::merge::run(&args),
            Command::Verify(args) => commands::verify::run(&args),
            Command::Completions(args) => commands::completions::run(&args, Cli::command()),
            Command::Man(args) => commands::man::run(&args, Cli::command()),
        }
    }
}

/// Parses the command line, runs the command, returns the exit code.
pub(crate) fn run() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let verbosity = cli.console.verbosity();
    crate::console::configure(crate::console::Presentation::detect(cli.console.color, verbosity));
    let code = cli.command.run();
    match code {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("{}", error.message());
            ExitCode::from(error.exit_code())
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
mod conventions;

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The help of every command, as `--help` prints it: the help is user-facing, so a
    /// change of a flag, a default or a word shows here.
    #[test]
    fn every_help_text_is_as_snapshotted() {
        fn visit(command: &mut clap::Command, path: &str) {
            let name =
                if path.is_empty() { command.get_name().to_owned() } else { format!("{path}-{}", command.get_name()) };
            let help = command.render_long_help().to_string();
            insta::assert_snapshot!(format!("help-{name}"), help);
            for sub in command.get_subcommands_mut().filter(|sub| sub.get_name() != "help") {
                visit(sub, &name);
            }
        }
        let mut command = Cli::command();
        command.build();
        visit(&mut command, "");
    }
}
