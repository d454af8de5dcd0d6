//! `pens-conform scenarios export DIR`: writes the scenario files and package fixtures
//! built into the binary out to a folder, to read them or to adapt them and run them
//! with `--scenarios DIR/target`, `--client-scenarios DIR/client` (or `client
//! --scenarios DIR/client`) and `--packages DIR/packages`.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::{Classify, CommandResult};
use crate::exit;
use crate::output;
use crate::shipped::{export_files, write_file};

/// `scenarios`: the scenario set built into pens-conform.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ScenariosCommand {
    /// Write the built-in scenario files and package fixtures to DIR: `DIR/target/`,
    /// `DIR/client/`, `DIR/packages/` and `DIR/README.md`.
    ///
    /// Refuses to overwrite an existing file (naming each, writing nothing) unless
    /// --force. Exit status: 0 written; 2 DIR is not a folder, cannot be created or
    /// written, or holds one of the files already.
    Export(ExportArgs),
}

/// Arguments of `scenarios export`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExportArgs {
    /// The folder to write into (created when missing).
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub(crate) force: bool,
}

impl ScenariosCommand {
    /// Runs the subcommand.
    pub(crate) fn run(&self) -> CommandResult {
        match self {
            ScenariosCommand::Export(args) => export(args),
        }
    }
}

fn export(args: &ExportArgs) -> CommandResult {
    let written = export_into(&args.dir, args.force).usage()?;
    output::line(format!("wrote {} files to {}", written, args.dir.display())).harness()?;
    Ok(exit::SUCCESS)
}

/// Writes every shipped file under `dir`; how many. Every check comes before the first
/// write, so a refusal leaves `dir` as it was.
fn export_into(dir: &Path, force: bool) -> anyhow::Result<usize> {
    if dir.exists() && !dir.is_dir() {
        anyhow::bail!("{} is not a folder", dir.display());
    }
    let files = export_files();
    if !force {
        let existing: Vec<String> = files
            .iter()
            .map(|(relative, _)| dir.join(relative))
            .filter(|path| path.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            anyhow::bail!(
                "{} of the files to export already exist{}; nothing was written (--force overwrites them):\n  {}",
                existing.len(),
                if existing.len() == 1 { "s" } else { "" },
                existing.join("\n  ")
            );
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (relative, bytes) in &files {
        let path = dir.join(relative);
        write_file(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_refuses_to_overwrite_without_force_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("temp");
        let count = export_into(dir.path(), false).expect("a first export");
        assert!(count > 20, "{count}");
        let readme = dir.path().join("README.md");
        std::fs::write(&readme, "mine").expect("edited");
        std::fs::remove_file(dir.path().join("target/collect-post-valid.toml")).expect("removed");
        let refused = export_into(dir.path(), false).expect_err("refused").to_string();
        assert!(refused.contains("README.md") && refused.contains("--force"), "{refused}");
        assert!(!dir.path().join("target/collect-post-valid.toml").exists(), "nothing written on refusal");
        assert_eq!(std::fs::read_to_string(&readme).expect("kept"), "mine");
        export_into(dir.path(), true).expect("forced");
        assert_ne!(std::fs::read_to_string(&readme).expect("overwritten"), "mine");
        assert!(dir.path().join("target/collect-post-valid.toml").is_file());
    }

    #[test]
    fn a_file_where_the_folder_should_be_is_refused() {
        let dir = tempfile::tempdir().expect("temp");
        let file = dir.path().join("a-file");
        std::fs::write(&file, "").expect("written");
        let error = export_into(&file, false).expect_err("refused").to_string();
        assert!(error.contains("is not a folder"), "{error}");
        let error = export_into(&file.join("below"), false).expect_err("refused").to_string();
        assert!(error.contains("cannot create"), "{error}");
    }
}
