//! The live progress of a run: a bar on a terminal (`[12/68] 3 running · 00:07`), plain
//! lines elsewhere (CI logs, pipes, a held console), and nothing but what needs the
//! reader with `-q`.
//!
//! The bar redraws itself with escape sequences, so it is drawn only where
//! [`Presentation::progress_allowed`](crate::console::Presentation::progress_allowed)
//! says a terminal understands them; everywhere else not one escape sequence is written.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pens_report::{ScenarioResult, Verbosity, render_scenario_line_with};

use crate::console::{Console, Presentation};

/// How often the bar redraws, so its clock moves while no scenario finishes.
const TICK: Duration = Duration::from_millis(500);

/// `[finished/total] N running · mm:ss` (`h:mm:ss` from an hour on): what the bar shows
/// before the last scenario to finish.
pub(crate) fn progress_text(finished: u64, total: u64, running: usize, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs();
    let clock = if seconds >= 3600 {
        format!("{}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60)
    } else {
        format!("{:02}:{:02}", seconds / 60, seconds % 60)
    };
    format!("[{finished}/{total}] {running} running · {clock}")
}

/// The progress of one suite's run.
pub(crate) struct Progress<'a> {
    console: &'a Console,
    presentation: Presentation,
    bar: Option<indicatif::ProgressBar>,
    interactive: bool,
    /// Started and not yet finished; shared with the bar's renderer.
    running: Arc<AtomicUsize>,
}

impl<'a> Progress<'a> {
    /// For `console`; a bar only when `console` is live and the terminal takes one.
    pub(crate) fn new(console: &'a Console, presentation: Presentation) -> Self {
        let interactive = console.is_live() && presentation.progress_allowed();
        Progress { console, presentation, bar: None, interactive, running: Arc::default() }
    }

    /// The run has `total` scenarios: the bar appears.
    pub(crate) fn start(&mut self, total: usize) {
        if !self.interactive {
            return;
        }
        let bar = indicatif::ProgressBar::new(total as u64);
        let running = Arc::clone(&self.running);
        let status = move |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let text =
                progress_text(state.pos(), state.len().unwrap_or(0), running.load(Ordering::Relaxed), state.elapsed());
            let _ = w.write_str(&text);
        };
        let style = indicatif::ProgressStyle::with_template("{status} {wide_msg}")
            .map(|style| style.with_key("status", status))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(TICK);
        self.bar = Some(bar);
    }

    /// A line the reader needs whatever the verbosity (a preflight warning, a URL to
    /// publish to), above the bar or plainly.
    pub(crate) fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => {
                let _ = self.console.line(text);
            }
        }
    }

    /// A line of the run's header (where the parties listen, the preflight passed):
    /// not with `-q`.
    pub(crate) fn info(&self, text: &str) {
        if self.presentation.verbosity != Verbosity::Quiet {
            self.line(text);
        }
    }

    /// A scenario started.
    pub(crate) fn started(&self) {
        self.running.fetch_add(1, Ordering::Relaxed);
    }

    /// A scenario finished: its line (not with `-q`), and the bar moves on.
    pub(crate) fn finished(&self, result: &ScenarioResult) {
        let _ = self.running.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| Some(n.saturating_sub(1)));
        self.info(&render_scenario_line_with(result, self.presentation.color));
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!("(last: {})", result.id));
        }
    }

    /// The run is over: the bar goes.
    pub(crate) fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_shows_counts_running_and_elapsed_time() {
        let cases = [
            (12, 68, 3, 7, "[12/68] 3 running · 00:07"),
            (0, 5, 0, 0, "[0/5] 0 running · 00:00"),
            (60, 68, 8, 754, "[60/68] 8 running · 12:34"),
            (1, 2, 1, 3723, "[1/2] 1 running · 1:02:03"),
        ];
        for (finished, total, running, seconds, expected) in cases {
            assert_eq!(progress_text(finished, total, running, Duration::from_secs(seconds)), expected);
        }
    }

    #[test]
    fn without_a_terminal_lines_are_plain_and_quiet_drops_scenario_lines() {
        let console = Console::held();
        let quiet = Presentation { color: true, verbosity: Verbosity::Quiet };
        let mut progress = Progress::new(&console, quiet);
        progress.start(2);
        assert!(progress.bar.is_none(), "a held console never gets a bar");
        progress.info("staging http://127.0.0.1:1");
        progress.started();
        progress.finished(&ScenarioResult::new("a", "t", "a.toml", pens_report::Verdict::Fail));
        progress.line("a: publish to http://127.0.0.1:2/pens/a now (waiting)");
        progress.finish();
        assert_eq!(console.held_text(), "a: publish to http://127.0.0.1:2/pens/a now (waiting)\n");
        assert_eq!(progress.running.load(Ordering::Relaxed), 0);

        let console = Console::held();
        let progress = Progress::new(&console, Presentation { color: false, verbosity: Verbosity::Normal });
        progress.info("staging http://127.0.0.1:1");
        progress.finished(&ScenarioResult::new("a", "t", "a.toml", pens_report::Verdict::Fail));
        let text = console.held_text();
        assert!(text.starts_with("staging http://127.0.0.1:1\nFAIL           a  (0 ms)\n"), "{text:?}");
        assert!(!text.contains('\x1b'), "{text:?}");
    }
}
