//! `pens-conform man`: the manual pages, in roff (clap_mangen), generated from the one
//! command-line definition. One page for the tool and one per subcommand, named as
//! git names its own (`pens-conform-target.1`, `pens-conform-serve-target.1`).
//!
//! Without `--dir` every page goes to standard output, the tool's first, so that
//! `pens-conform man | man -l -` reads them all; with `--dir DIR` each is written to
//! its own file, ready for a `man1` folder on the MANPATH.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::{Classify, CommandResult};
use crate::exit;
use crate::output;

/// Arguments of `man`.
#[derive(Debug, clap::Args)]
pub(crate) struct ManArgs {
    /// Write each page to its own file in DIR (pens-conform.1, pens-conform-<command>.1,
    /// …), creating DIR if needed, instead of printing them all.
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
}

/// One manual page: its file name and its roff text.
#[derive(Debug)]
pub(crate) struct Page {
    /// `pens-conform.1`, `pens-conform-target.1`, …
    pub(crate) file_name: String,
    /// The page, starting with its `.TH` line.
    pub(crate) roff: Vec<u8>,
}

/// Prints or writes the pages of `command` (the whole command line, given by `cli.rs`).
pub(crate) fn run(args: &ManArgs, command: clap::Command) -> CommandResult {
    let pages = pages(command).harness()?;
    match &args.dir {
        Some(dir) => write_pages(&pages, dir).harness()?,
        None => {
            for page in &pages {
                output::text(String::from_utf8_lossy(&page.roff)).harness()?;
            }
        }
    }
    Ok(exit::SUCCESS)
}

/// The page of `command`, then those of its subcommands, depth first in the order
/// `--help` lists them. Hidden commands and clap's `help` subcommand get none.
pub(crate) fn pages(command: clap::Command) -> std::io::Result<Vec<Page>> {
    let mut command = command.disable_help_subcommand(true);
    // Building gives each subcommand its display name, `pens-conform-serve-target`.
    command.build();
    let mut pages = Vec::new();
    collect(&command, &mut pages)?;
    Ok(pages)
}

fn collect(command: &clap::Command, pages: &mut Vec<Page>) -> std::io::Result<()> {
    let name = command.get_display_name().unwrap_or_else(|| command.get_name()).to_owned();
    let man = clap_mangen::Man::new(command.clone()).title(name.to_uppercase()).manual("pens-conform manual");
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    pages.push(Page { file_name: man.get_filename(), roff });
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        collect(sub, pages)?;
    }
    Ok(())
}

fn write_pages(pages: &[Page], dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for page in pages {
        let path = dir.join(&page.file_name);
        std::fs::write(&path, &page.roff).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::pages;

    fn sample() -> clap::Command {
        clap::Command::new("sample")
            .version("1.2.3")
            .about("Does things.")
            .subcommand(clap::Command::new("run").about("Runs."))
            .subcommand(clap::Command::new("secret").hide(true))
            .subcommand(clap::Command::new("serve").about("Serves.").subcommand(clap::Command::new("target")))
    }

    #[test]
    fn one_page_per_visible_command_parent_first_with_git_style_names() {
        let pages = pages(sample()).expect("pages");
        let names: Vec<&str> = pages.iter().map(|page| page.file_name.as_str()).collect();
        assert_eq!(names, ["sample.1", "sample-run.1", "sample-serve.1", "sample-serve-target.1"]);
    }

    /// The `.TH` line comes first, after only clap_mangen's definition of the
    /// apostrophe string (`.ie`/`.el`), which sets nothing on the page.
    #[test]
    fn every_page_starts_with_its_title_header_in_capitals() {
        for page in pages(sample()).expect("pages") {
            let text = String::from_utf8(page.roff).expect("utf-8");
            let title = page.file_name.trim_end_matches(".1").to_uppercase();
            let mut lines = text.lines().skip_while(|line| line.starts_with(".ie ") || line.starts_with(".el "));
            let header = lines.next().unwrap_or_default();
            assert!(header.starts_with(&format!(".TH {title} 1 ")), "{}:\n{text}", page.file_name);
        }
    }
}
