//! Where a suite's output for people goes: standard output, and the GitHub step summary.
//!
//! `target` and `client` print as they run. `selftest` runs its two suites at once: the
//! target suite prints as it runs, and the client suite's lines (and its step summary)
//! are held and given out as one block once the target suite is done, so the two never
//! interleave and the output reads as if they had run one after the other.

use std::fmt::Display;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use crate::output;

/// A suite's console: live, or held for later.
#[derive(Debug)]
pub(crate) enum Console {
    /// Straight out (with a live progress line on a terminal).
    Live,
    /// Kept until [`Console::release`].
    Held(Mutex<Held>),
}

/// What a held console keeps.
#[derive(Debug, Default)]
pub(crate) struct Held {
    /// For standard output.
    text: String,
    /// Markdown for the GitHub step summary.
    step_summaries: Vec<String>,
}

impl Console {
    /// A console whose output waits for [`Console::release`].
    pub(crate) fn held() -> Self {
        Console::Held(Mutex::new(Held::default()))
    }

    /// Whether lines reach standard output as they come (and a progress line may show).
    pub(crate) fn is_live(&self) -> bool {
        matches!(self, Console::Live)
    }

    /// `text` and a line break.
    pub(crate) fn line(&self, text: impl Display) -> std::io::Result<()> {
        match self {
            Console::Live => output::line(text),
            Console::Held(held) => {
                let _ = writeln!(lock(held).text, "{text}");
                Ok(())
            }
        }
    }

    /// `text` as is.
    pub(crate) fn text(&self, text: impl Display) -> std::io::Result<()> {
        match self {
            Console::Live => output::text(text),
            Console::Held(held) => {
                let _ = write!(lock(held).text, "{text}");
                Ok(())
            }
        }
    }

    /// A run's Markdown summary, for the GitHub step summary.
    pub(crate) fn step_summary(&self, summary: &str) {
        match self {
            Console::Live => append_step_summary(summary),
            Console::Held(held) => lock(held).step_summaries.push(summary.to_owned()),
        }
    }

    /// Gives out what was held, in the order it came; a live console has nothing held.
    pub(crate) fn release(&self) -> std::io::Result<()> {
        let Console::Held(held) = self else { return Ok(()) };
        let held = std::mem::take(&mut *lock(held));
        for summary in &held.step_summaries {
            append_step_summary(summary);
        }
        output::text(held.text)
    }
}

fn lock(held: &Mutex<Held>) -> std::sync::MutexGuard<'_, Held> {
    held.lock().unwrap_or_else(PoisonError::into_inner)
}

/// On GitHub Actions, `GITHUB_STEP_SUMMARY` names a file whose Markdown becomes the
/// job's summary page; other steps write to it too, so we append. A summary that cannot
/// be appended only costs the page, never the run: warn and go on.
fn append_step_summary(summary: &str) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let path = PathBuf::from(path);
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| writeln!(file, "{summary}"));
    if let Err(error) = appended {
        eprintln!("warning: cannot append the summary to {} (GITHUB_STEP_SUMMARY): {error}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::{Console, lock};

    #[test]
    fn a_held_console_keeps_lines_text_and_summaries_in_order_until_released() {
        let console = Console::held();
        assert!(!console.is_live());
        console.line("pens-conform client run · 2 scenarios").expect("held");
        console.text("2 scenarios: ").expect("held");
        console.line("2 pass").expect("held");
        console.step_summary("## first");
        console.step_summary("## second");
        let Console::Held(held) = &console else { unreachable!("a held console") };
        let held = lock(held);
        assert_eq!(held.text, "pens-conform client run · 2 scenarios\n2 scenarios: 2 pass\n");
        assert_eq!(held.step_summaries, ["## first", "## second"]);
        assert!(Console::Live.is_live());
    }
}
