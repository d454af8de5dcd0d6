//! `pens-conform completions SHELL`: the shell completion script, printed on standard
//! output (clap_complete). Generated from the one command-line definition, so it never
//! falls behind a new command or flag; the README says where each shell looks for it.

use clap_complete::Shell;

use crate::error::{Classify, CommandResult};
use crate::exit;
use crate::output;

/// Arguments of `completions`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

/// Prints the completion script of `command` (the whole command line, given by
/// `cli.rs`) for the shell asked.
pub(crate) fn run(args: &CompletionsArgs, command: clap::Command) -> CommandResult {
    let script = script(args.shell, command);
    output::text(String::from_utf8_lossy(&script)).harness()?;
    Ok(exit::SUCCESS)
}

/// The completion script of `command` for `shell`, completing the command's own name.
pub(crate) fn script(shell: Shell, mut command: clap::Command) -> Vec<u8> {
    let name = command.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut script);
    script
}

#[cfg(test)]
mod tests {
    use clap_complete::Shell;

    use super::script;

    /// A small command line with a nested subcommand, standing for the real one (which
    /// the CLI tests complete for every shell).
    fn sample() -> clap::Command {
        clap::Command::new("sample")
            .arg(clap::Arg::new("color").long("color"))
            .subcommand(clap::Command::new("run").arg(clap::Arg::new("report-dir").long("report-dir")))
            .subcommand(clap::Command::new("serve").subcommand(clap::Command::new("target")))
    }

    #[test]
    fn every_shell_gets_a_script_naming_the_subcommands_and_flags() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell, Shell::Elvish] {
            let text = String::from_utf8(script(shell, sample())).expect("utf-8");
            for word in ["sample", "run", "serve", "report-dir"] {
                assert!(text.contains(word), "{shell}: `{word}` missing:\n{text}");
            }
        }
    }
}
