//! Making the client publish: a shell command, an in-process callback, or nobody.

use std::process::Stdio;
use std::time::Instant;

use tokio::io::AsyncReadExt;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{Trigger, TriggerCall};

/// The most of a command's stdout and of its stderr kept for a note.
const MAX_OUTPUT_BYTES: usize = 4096;

/// A trigger under way; [`Running::finish`] stops it and says what to note.
pub(crate) struct Running {
    task: Option<JoinHandle<Option<(bool, String)>>>,
    stop: Option<oneshot::Sender<()>>,
}

/// Starts the trigger for one publish. `deadline` is the collect deadline: a command
/// still running then is killed.
pub(crate) fn start(trigger: &Trigger, call: TriggerCall, deadline: Instant) -> Running {
    match trigger {
        Trigger::Interactive => Running { task: None, stop: None },
        Trigger::Callback(callback) => {
            let future = callback(call);
            let task = tokio::spawn(async move {
                future.await;
                None
            });
            Running { task: Some(task), stop: None }
        }
        Trigger::Command(command) => {
            let (stop, stopped) = oneshot::channel();
            let task = tokio::spawn(run_command(command.clone(), call, deadline, stopped));
            Running { task: Some(task), stop: Some(stop) }
        }
    }
}

impl Running {
    /// Stops the trigger (kills a command still running, abandons a callback) and
    /// returns what the report should say about it, if anything. `collected` says
    /// whether its collect arrived: output is only noted when something went wrong.
    pub(crate) async fn finish(mut self, collected: bool) -> Option<String> {
        let command = self.stop.is_some();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let task = self.task.take()?;
        if !command && !task.is_finished() {
            // A callback: its publish is over or beyond saving; never wait on it.
            task.abort();
            return None;
        }
        let (failed, note) = match task.await {
            Ok(Some(outcome)) => outcome,
            Ok(None) => return None,
            Err(error) if error.is_cancelled() => return None,
            Err(error) => (true, format!("the trigger failed: {error}")),
        };
        match (failed, collected) {
            (false, true) => None,
            (true, true) => Some(note),
            (_, false) => Some(format!("no collect after the trigger; {note}")),
        }
    }
}

/// Runs `sh -c command` with the call's environment until it exits, the deadline
/// passes or `stopped` fires; returns a note when it failed or was killed. The note
/// holds its output; it is the only place where the command's output goes.
async fn run_command(
    command: String,
    call: TriggerCall,
    deadline: Instant,
    stopped: oneshot::Receiver<()>,
) -> Option<(bool, String)> {
    let mut shell = tokio::process::Command::new("sh");
    // Its own process group, so that killing it kills what it started too.
    #[cfg(unix)]
    shell.process_group(0);
    let spawned = shell
        .arg("-c")
        .arg(&command)
        .env("PENS_TARGET_URL", &call.target_url)
        .env("PENS_SCENARIO_ID", &call.scenario_id)
        .env("PENS_COPY", call.copy.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => return Some((true, format!("the trigger command could not start: {error}"))),
    };
    let stdout = child.stdout.take().map(|out| tokio::spawn(read_capped(out)));
    let stderr = child.stderr.take().map(|err| tokio::spawn(read_capped(err)));
    let outcome = tokio::select! {
        status = child.wait() => match status {
            Ok(status) if status.success() => None,
            Ok(status) => Some(format!("the trigger command exited with {status}")),
            Err(error) => Some(format!("the trigger command could not be waited for: {error}")),
        },
        () = tokio::time::sleep_until(deadline.into()) => {
            kill_group(&mut child).await;
            Some("the trigger command was still running at the collect deadline and was killed".to_owned())
        }
        _ = stopped => {
            // The scenario has been judged; a command still running is no longer needed.
            kill_group(&mut child).await;
            None
        }
    };
    let stdout = collect_output(stdout).await;
    let stderr = collect_output(stderr).await;
    let failed = outcome.is_some();
    let note = outcome.unwrap_or_else(|| "the trigger command exited with 0".to_owned());
    let mut parts = vec![note];
    if !stdout.trim().is_empty() {
        parts.push(format!("stdout: {}", stdout.trim_end()));
    }
    if !stderr.trim().is_empty() {
        parts.push(format!("stderr: {}", stderr.trim_end()));
    }
    Some((failed, parts.join("; ")))
}

/// Kills the command and every process of its group.
async fn kill_group(child: &mut tokio::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id() {
        // `sh`'s own `kill` reaches the whole group (the negative pid).
        let _ = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(format!("kill -9 -{pid}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await;
    }
    let _ = child.kill().await;
}

/// What a reader task read, waiting briefly: a process the command left behind may
/// hold the pipe open long after the command itself ended.
async fn collect_output(task: Option<JoinHandle<String>>) -> String {
    let Some(mut task) = task else { return String::new() };
    match tokio::time::timeout(OUTPUT_GRACE, &mut task).await {
        Ok(read) => read.unwrap_or_default(),
        Err(_) => {
            task.abort();
            "(output still open when the command ended; not read)".to_owned()
        }
    }
}

/// How long to wait for a command's output once it has ended.
const OUTPUT_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// How long stopping one publish's trigger may take: killing the command, then
/// waiting [`OUTPUT_GRACE`] for each of its two output streams. Part of a scenario's
/// budget ([`crate::Limits::scenario_grace`]).
pub(crate) const STOP_ALLOWANCE: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads a stream to its end, keeping at most [`MAX_OUTPUT_BYTES`].
async fn read_capped(mut stream: impl tokio::io::AsyncRead + Unpin) -> String {
    let mut kept = Vec::new();
    let mut buffer = [0_u8; 1024];
    let mut cut = false;
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                let room = MAX_OUTPUT_BYTES.saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..read.min(room)]);
                cut |= read > room;
            }
        }
    }
    let mut text = String::from_utf8_lossy(&kept).into_owned();
    if cut {
        text.push_str(" [cut]");
    }
    text
}
