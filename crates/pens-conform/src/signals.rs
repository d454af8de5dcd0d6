//! The signals that stop a run: Ctrl-C (`SIGINT`), `SIGTERM` (what CI runners,
//! `timeout` and `docker stop` send) and `SIGHUP` (a closed terminal or SSH session).
//!
//! All three take the same path: the run stops, the trigger commands' process groups
//! are ended, and what finished is reported as an aborted run (exit 3). Left to their
//! default action, `SIGTERM` and `SIGHUP` would end the process at once: no report,
//! exit 143 or 129, and a trigger's tool running on after the harness.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// The handlers of the signals that stop a run, installed when made.
pub(crate) struct StopSignals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl StopSignals {
    /// Installs the handlers now: from here on these signals no longer kill the
    /// process, they resolve [`StopSignals::received`].
    pub(crate) fn install() -> anyhow::Result<StopSignals> {
        use anyhow::Context;
        let install =
            |kind: SignalKind, name: &str| signal(kind).with_context(|| format!("cannot install a handler for {name}"));
        Ok(StopSignals {
            interrupt: install(SignalKind::interrupt(), "SIGINT")?,
            terminate: install(SignalKind::terminate(), "SIGTERM")?,
            hangup: install(SignalKind::hangup(), "SIGHUP")?,
        })
    }

    /// Resolves when one of the signals arrives, with how a report names it.
    pub(crate) async fn received(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "Ctrl-C",
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.hangup.recv() => "SIGHUP",
        }
    }
}
