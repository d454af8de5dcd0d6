//! Where a suite's output for people goes: standard output, and the GitHub step summary.
//!
//! `target` and `client` print as they run. `selftest` runs its two suites at once: the
//! target suite prints as it runs, and the client suite's lines (and its step summary)
//! are held and given out as one block once the target suite is done, so the two never
//! interleave and the output reads as if they had run one after the other.

use std::fmt::Display;
use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock, PoisonError};

use pens_report::{ConsoleOptions, Verbosity};

use crate::output;

/// `--color`: when verdict words are coloured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorWhen {
    /// When standard output is a terminal and TERM is not `dumb`; NO_COLOR (set and not
    /// empty) turns it off, CLICOLOR_FORCE on.
    #[default]
    Auto,
    /// Always, even into a pipe or a file (the flag beats NO_COLOR).
    Always,
    /// Never.
    Never,
}

/// How this process presents runs on the console: `--color`, `-q` and `-v`, which are
/// global flags. Set once by `cli::run` before any command runs; process-wide like the
/// terminal it describes, so the commands need not thread it through their arguments.
static PRESENTATION: OnceLock<Presentation> = OnceLock::new();

/// Colour and verbosity of the console, decided once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Presentation {
    /// Verdict words in colour.
    pub(crate) color: bool,
    /// How much the console says.
    pub(crate) verbosity: Verbosity,
}

impl Presentation {
    /// From the flags and this process's environment and standard output.
    pub(crate) fn detect(when: ColorWhen, verbosity: Verbosity) -> Self {
        let color = color_wanted(
            when,
            &Environment {
                no_color: anstyle_query::no_color(),
                clicolor_force: anstyle_query::clicolor_force(),
                stdout_is_terminal: std::io::stdout().is_terminal(),
                term_supports_color: anstyle_query::term_supports_color(),
            },
        );
        Presentation { color, verbosity }
    }

    /// The options of the end-of-run report.
    pub(crate) fn console_options(self) -> ConsoleOptions {
        ConsoleOptions { verbosity: self.verbosity, color: self.color }
    }

    /// Whether a live progress bar may be drawn: never with `-q`, and only on terminals
    /// (standard output, and standard error, where indicatif draws) whose TERM is set
    /// and not `dumb`, since the bar redraws with escape sequences (`\e[2K`).
    pub(crate) fn progress_allowed(self) -> bool {
        bar_allowed(
            self.verbosity,
            std::io::stdout().is_terminal(),
            std::io::stderr().is_terminal(),
            anstyle_query::term_supports_color(),
        )
    }
}

/// See [`Presentation::progress_allowed`]; `term_ok` is TERM set and not `dumb`.
fn bar_allowed(verbosity: Verbosity, stdout_tty: bool, stderr_tty: bool, term_ok: bool) -> bool {
    verbosity != Verbosity::Quiet && stdout_tty && stderr_tty && term_ok
}

/// Records the presentation for the whole process; a second call is ignored.
pub(crate) fn configure(presentation: Presentation) {
    let _ = PRESENTATION.set(presentation);
}

/// The presentation [`configure`] recorded (plain, normal verbosity before that).
pub(crate) fn presentation() -> Presentation {
    PRESENTATION.get().copied().unwrap_or_default()
}

/// What the colour decision reads from the environment, apart so it can be tested.
struct Environment {
    /// `NO_COLOR` is set and not empty (<https://no-color.org>).
    no_color: bool,
    /// `CLICOLOR_FORCE` is set and not empty and not `0` (<https://bixense.com/clicolors/>).
    clicolor_force: bool,
    stdout_is_terminal: bool,
    /// `TERM` is set and not `dumb`.
    term_supports_color: bool,
}

/// `--color always` and `never` are what they say (a flag beats the environment, as
/// no-color.org asks); `auto` colours a terminal whose TERM is not `dumb`, unless
/// NO_COLOR says no, and anything when CLICOLOR_FORCE says yes (NO_COLOR first, as
/// anstream orders them).
fn color_wanted(when: ColorWhen, env: &Environment) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto if env.no_color => false,
        ColorWhen::Auto if env.clicolor_force => true,
        ColorWhen::Auto => env.stdout_is_terminal && env.term_supports_color,
    }
}

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

    /// What a held console holds for standard output so far (empty for a live one).
    #[cfg(test)]
    pub(crate) fn held_text(&self) -> String {
        match self {
            Console::Live => String::new(),
            Console::Held(held) => lock(held).text.clone(),
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
    use super::{ColorWhen, Console, Environment, bar_allowed, color_wanted, lock};
    use pens_report::Verbosity;

    #[test]
    fn the_progress_bar_needs_two_terminals_a_term_that_is_not_dumb_and_no_q() {
        assert!(bar_allowed(Verbosity::Normal, true, true, true));
        assert!(bar_allowed(Verbosity::Verbose, true, true, true));
        assert!(!bar_allowed(Verbosity::Normal, true, true, false), "TERM=dumb");
        assert!(!bar_allowed(Verbosity::Normal, false, true, true), "stdout piped");
        assert!(!bar_allowed(Verbosity::Normal, true, false, true), "stderr piped");
        assert!(!bar_allowed(Verbosity::Quiet, true, true, true), "-q");
    }

    #[test]
    fn colour_follows_the_flag_then_no_color_then_clicolor_force_then_the_terminal() {
        let env = |no_color, clicolor_force, stdout_is_terminal, term_supports_color| Environment {
            no_color,
            clicolor_force,
            stdout_is_terminal,
            term_supports_color,
        };
        let cases = [
            (ColorWhen::Auto, env(false, false, true, true), true),
            (ColorWhen::Auto, env(false, false, false, true), false),
            (ColorWhen::Auto, env(false, false, true, false), false),
            (ColorWhen::Auto, env(true, false, true, true), false),
            (ColorWhen::Auto, env(false, true, false, false), true),
            (ColorWhen::Auto, env(true, true, true, true), false),
            (ColorWhen::Always, env(true, false, false, false), true),
            (ColorWhen::Never, env(false, true, true, true), false),
        ];
        for (when, env, expected) in cases {
            assert_eq!(
                color_wanted(when, &env),
                expected,
                "{when:?} no_color={} force={} tty={} term={}",
                env.no_color,
                env.clicolor_force,
                env.stdout_is_terminal,
                env.term_supports_color
            );
        }
    }

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
