//! The process group of a `--trigger` command, and ending it whole.
//!
//! A trigger is `sh -c CMD`, and CMD often starts the authoring tool, which may start
//! helpers of its own. Killing `sh` alone leaves them running after the run (a CI job
//! that never ends, a port held for the next run), so each trigger runs in a process
//! group of its own (`process_group(0)`: its group id is its pid), and the group is
//! what gets ended: `SIGTERM` first, so the tool can clean up, then `SIGKILL` after
//! [`TERM_GRACE`] for whatever is still there.
//!
//! Every live group is registered here, so that a run ended by a signal (Ctrl-C,
//! `SIGTERM`, `SIGHUP`) can end them all before the process exits
//! ([`end_trigger_groups`]); a [`Group`] dropped without being ended (its task
//! cancelled when the runtime shuts down) kills its group at once.

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::time::Instant;

/// How long a group has between `SIGTERM` and `SIGKILL`.
pub const TERM_GRACE: Duration = Duration::from_millis(500);

/// How often [`Group::end`] and [`end_trigger_groups`] look whether a group is gone
/// (the processes in it are not all our children: nothing signals their end to us).
const GONE_POLL: Duration = Duration::from_millis(10);

/// The ids of the live trigger groups.
static LIVE: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// The process group of one trigger command, registered while it lives.
#[derive(Debug)]
pub(crate) struct Group {
    id: Pid,
}

impl Group {
    /// The group led by the just-spawned `pid` (spawned with `process_group(0)`);
    /// `None` without a pid (the process is already reaped) or one out of range.
    pub(crate) fn of(pid: Option<u32>) -> Option<Group> {
        let id = i32::try_from(pid?).ok().filter(|id| *id > 1)?;
        LIVE.lock().unwrap_or_else(PoisonError::into_inner).insert(id);
        Some(Group { id: Pid::from_raw(id) })
    }

    /// Sends `signal` to every process of the group; a group already gone is fine.
    fn signal(&self, signal: Signal) {
        let _ = killpg(self.id, signal);
    }

    /// Whether any process of the group is left (a zombie not yet reaped counts).
    pub(crate) fn exists(&self) -> bool {
        killpg(self.id, None).is_ok()
    }

    /// Ends the group: `SIGTERM`, then waits up to [`TERM_GRACE`] for `shell` (its
    /// leader, reaped here) and the rest of the group to exit, then `SIGKILL` for what
    /// is left. Returns at once for a group that is already gone.
    pub(crate) async fn end(&self, shell: &mut tokio::process::Child) {
        if !self.exists() {
            return;
        }
        self.signal(Signal::SIGTERM);
        let deadline = Instant::now() + TERM_GRACE;
        let _ = tokio::time::timeout_at(deadline, shell.wait()).await;
        while self.exists() && Instant::now() < deadline {
            tokio::time::sleep(GONE_POLL).await;
        }
        self.signal(Signal::SIGKILL);
        let _ = shell.kill().await;
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // Ended already, or abandoned: nothing of it may outlive its run.
        self.signal(Signal::SIGKILL);
        LIVE.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.id.as_raw());
    }
}

/// Ends every live trigger group: `SIGTERM` to each, then waits up to `grace` for all
/// of them to be gone, then `SIGKILL` to what is left. For a run that a signal stops:
/// the tool a trigger started must not outlive the harness.
pub async fn end_trigger_groups(grace: Duration) {
    let live: Vec<Pid> =
        LIVE.lock().unwrap_or_else(PoisonError::into_inner).iter().map(|id| Pid::from_raw(*id)).collect();
    if live.is_empty() {
        return;
    }
    for id in &live {
        let _ = killpg(*id, Signal::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    while live.iter().any(|id| killpg(*id, None).is_ok()) && Instant::now() < deadline {
        tokio::time::sleep(GONE_POLL).await;
    }
    for id in &live {
        let _ = killpg(*id, Signal::SIGKILL);
    }
}
