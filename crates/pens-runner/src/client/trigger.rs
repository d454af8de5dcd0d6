//! Making the client publish: a shell command, an in-process callback, or nobody.

use std::process::Stdio;
use std::time::Instant;

use tokio::io::AsyncReadExt;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::process_group::Group;
use super::{Trigger, TriggerCall};

/// The most of a command's stdout and of its stderr kept for a note.
const MAX_OUTPUT_BYTES: usize = 4096;

/// The most of a failed command's stderr quoted when it stops the run: its last
/// characters, where the error usually is.
const MAX_STDERR_TAIL_CHARS: usize = 1000;

/// A trigger under way; [`Running::finish`] stops it and says what to note.
pub(crate) struct Running {
    task: Option<JoinHandle<Option<(bool, String)>>>,
    stop: Option<oneshot::Sender<()>>,
    /// Hears, once, that the command ended by itself and failed (could not start, or
    /// exited non-zero), with its exit status and the tail of its stderr.
    failed: Option<oneshot::Receiver<String>>,
}

/// Starts the trigger for one publish. `deadline` is the collect deadline: a command
/// still running then is killed.
pub(crate) fn start(trigger: &Trigger, call: TriggerCall, deadline: Instant) -> Running {
    match trigger {
        Trigger::Interactive => Running { task: None, stop: None, failed: None },
        Trigger::Callback(callback) => {
            let future = callback(call);
            let task = tokio::spawn(async move {
                future.await;
                None
            });
            Running { task: Some(task), stop: None, failed: None }
        }
        Trigger::Command(command) => {
            let (stop, stopped) = oneshot::channel();
            let (failed, heard) = oneshot::channel();
            let task = tokio::spawn(run_command(command.clone(), call, deadline, stopped, failed));
            Running { task: Some(task), stop: Some(stop), failed: Some(heard) }
        }
    }
}

impl Running {
    /// Resolves when the command has ended by itself and failed: it could not start or
    /// exited non-zero (not when it was killed at the deadline or stopped). Says how, with
    /// the tail of its stderr, bounded and with secret values hidden. Never resolves for
    /// a command that succeeds or is still running, nor for other triggers; resolves at
    /// most once.
    pub(crate) async fn failure(&mut self) -> String {
        match self.failed.as_mut() {
            Some(heard) => match heard.await {
                Ok(failure) => {
                    self.failed = None;
                    failure
                }
                Err(_) => {
                    self.failed = None;
                    std::future::pending().await
                }
            },
            None => std::future::pending().await,
        }
    }

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
///
/// Its process group is ended (see `process_group.rs`) when `stopped` fires or at the
/// deadline; a command that exits by itself may leave a process running in its group
/// (a tool that serves its staged package from the background), which is left alone
/// until `stopped` fires: the scenario may still need it.
async fn run_command(
    command: String,
    call: TriggerCall,
    deadline: Instant,
    mut stopped: oneshot::Receiver<()>,
    failed: oneshot::Sender<String>,
) -> Option<(bool, String)> {
    let mut shell = tokio::process::Command::new("sh");
    // Its own process group, so that ending it ends what it started too.
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
        Err(error) => {
            let note = format!("the trigger command could not start: {error}");
            let _ = failed.send(note.clone());
            return Some((true, note));
        }
    };
    // Ended whole below, whichever way the command ends; killed if this task is dropped.
    let group = Group::of(child.id());
    let stdout = child.stdout.take().map(|out| tokio::spawn(read_capped(out)));
    let stderr = child.stderr.take().map(|err| tokio::spawn(read_capped(err)));
    // Whether the command ended by itself, failing: the run may stop on it.
    let mut ended_failing = false;
    // Whether it ended by itself (its group may live on).
    let mut exited = false;
    let outcome = tokio::select! {
        status = child.wait() => {
            exited = true;
            match status {
                Ok(status) if status.success() => None,
                Ok(status) => {
                    ended_failing = true;
                    Some(format!("the trigger command exited with {status}"))
                }
                Err(error) => Some(format!("the trigger command could not be waited for: {error}")),
            }
        }
        () = tokio::time::sleep_until(deadline.into()) => {
            Some("the trigger command was still running at the collect deadline and was killed".to_owned())
        }
        // The scenario has been judged (or abandoned); a command still running is no
        // longer needed.
        _ = &mut stopped => None,
    };
    if !exited {
        // What the command started ends with it: `SIGTERM`, then `SIGKILL` after a grace.
        end(group.as_ref(), &mut child).await;
    }
    let stdout = collect_output(stdout).await;
    let stderr = collect_output(stderr).await;
    if let (true, Some(how)) = (ended_failing, &outcome) {
        let _ = failed.send(match stderr_tail(&stderr) {
            Some(tail) => format!("{how}; its stderr ends: {tail}"),
            None => format!("{how}, with nothing on stderr"),
        });
    }
    if exited {
        // What it left running serves the scenario until the scenario is over.
        if group.as_ref().is_some_and(Group::exists) {
            let _ = stopped.await;
        }
        end(group.as_ref(), &mut child).await;
    }
    let failed = outcome.is_some();
    let note = outcome.unwrap_or_else(|| "the trigger command exited with 0".to_owned());
    let mut parts = vec![note];
    // A tool may print the request it sent, credentials included: hidden as in the tail.
    if !stdout.trim().is_empty() {
        parts.push(format!("stdout: {}", redact_words(stdout.trim_end())));
    }
    if !stderr.trim().is_empty() {
        parts.push(format!("stderr: {}", redact_words(stderr.trim_end())));
    }
    Some((failed, parts.join("; ")))
}

/// Ends the command's process group, or kills the command alone when it has none.
async fn end(group: Option<&Group>, child: &mut tokio::process::Child) {
    match group {
        Some(group) => group.end(child).await,
        None => drop(child.kill().await),
    }
}

/// The last [`MAX_STDERR_TAIL_CHARS`] characters of `stderr`, trimmed, with secret
/// values hidden (`name=value` pairs of secret names, passwords in URLs); `None` when
/// it is empty.
fn stderr_tail(stderr: &str) -> Option<String> {
    let trimmed = stderr.trim();
    if trimmed.is_empty() {
        return None;
    }
    let chars = trimmed.chars().count();
    let tail: String = trimmed.chars().skip(chars.saturating_sub(MAX_STDERR_TAIL_CHARS)).collect();
    let cut = if chars > MAX_STDERR_TAIL_CHARS { "…" } else { "" };
    Some(format!("{cut}{}", redact_words(&tail)))
}

/// `text` with the value of every secret `name=value` word hidden, and every password
/// inside a URL: a tool may log the request it failed to send.
fn redact_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if c.is_whitespace() {
            out.push_str(&redact_word(&word));
            word.clear();
            out.push(c);
        } else {
            word.push(c);
        }
    }
    out.push_str(&redact_word(&word));
    out
}

/// One word of [`redact_words`]: secret pairs hidden, and the password of every URL
/// in it (`scheme://user:password@host`, plain or percent-encoded).
fn redact_word(word: &str) -> String {
    pens_proto::redact_userinfo(&pens_proto::redact_form(word))
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

/// How long stopping one publish's trigger may take: ending its process group
/// ([`super::process_group::TERM_GRACE`]), then waiting [`OUTPUT_GRACE`] for each of
/// its two output streams. Part of a scenario's
/// budget ([`crate::Limits::scenario_grace`]).
pub(crate) const STOP_ALLOWANCE: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads a stream to its end, keeping its last [`MAX_OUTPUT_BYTES`]: where a failing
/// command says why.
async fn read_capped(mut stream: impl tokio::io::AsyncRead + Unpin) -> String {
    let mut kept = Vec::new();
    let mut buffer = [0_u8; 1024];
    let mut cut = false;
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                kept.extend_from_slice(&buffer[..read]);
                // Trimmed in batches, so a long stream is not shifted for every read.
                if kept.len() > 2 * MAX_OUTPUT_BYTES {
                    kept.drain(..kept.len() - MAX_OUTPUT_BYTES);
                    cut = true;
                }
            }
        }
    }
    if kept.len() > MAX_OUTPUT_BYTES {
        kept.drain(..kept.len() - MAX_OUTPUT_BYTES);
        cut = true;
    }
    let text = String::from_utf8_lossy(&kept).into_owned();
    if cut { format!("[cut] {text}") } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether process `pid` is gone: no such process, or a zombie only its parent (not
    /// the trigger's group) has yet to reap.
    fn gone(pid: &str) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')),
        }
    }

    /// Held by every test that starts a trigger: `end_trigger_groups` ends every live
    /// group of the process, so a test calling it would end another test's trigger.
    static TRIGGERS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    /// Waits, at most 10 s, until `done` holds; says whether it did.
    async fn within_10_s(mut done: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while !done() {
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        true
    }

    /// A trigger that leaves a tool running in the background, and the pid of that tool
    /// once the trigger has written it.
    async fn start_with_grandchild(label: &str) -> (Running, std::path::PathBuf, String) {
        let pidfile = std::env::temp_dir().join(format!("pens-trigger-{label}-{}.pid", std::process::id()));
        let _ = std::fs::remove_file(&pidfile);
        let command = format!("sleep 300 & echo $! > '{}.tmp' && mv '{0}.tmp' '{0}'; exit 0", pidfile.display());
        let call = TriggerCall { target_url: "http://127.0.0.1:9/pens/x".into(), scenario_id: "x".into(), copy: 1 };
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        let running = start(&Trigger::Command(command), call, deadline);
        assert!(within_10_s(|| pidfile.exists()).await, "the trigger never wrote its tool's pid");
        let pid = std::fs::read_to_string(&pidfile).expect("the pid file").trim().to_owned();
        assert!(!gone(&pid), "the tool {pid} should be running");
        (running, pidfile, pid)
    }

    /// The output a failing trigger leaves in its scenario's note hides what the tail
    /// hides: a tool may print the URL it published to, password included.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_trigger_note_hides_the_secrets_the_tool_printed() {
        let _alone = TRIGGERS.lock().await;
        let command = "echo 'POST http://bob:pw0rd-1@lms/pens token=t0k3n'; echo 'API_TOKEN=s3cr3t' >&2; exit 1";
        let call = TriggerCall { target_url: "http://127.0.0.1:9/pens/x".into(), scenario_id: "x".into(), copy: 1 };
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        let mut running = start(&Trigger::Command(command.into()), call, deadline);
        let failure = running.failure().await;
        let note = running.finish(true).await.expect("a note for a failed trigger");
        assert!(note.contains("bob:[redacted]@lms") && failure.contains("API_TOKEN=[redacted]"), "{note}");
        for shown in [&failure, &note] {
            for secret in ["pw0rd-1", "t0k3n", "s3cr3t"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
        }
    }

    /// The trigger's shell exits at once, but the tool it started in the background
    /// would run on for five minutes: finishing the trigger ends its whole group.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn finishing_a_trigger_ends_what_it_left_running() {
        let _alone = TRIGGERS.lock().await;
        let (running, pidfile, pid) = start_with_grandchild("finish").await;
        assert_eq!(running.finish(true).await, None);
        assert!(within_10_s(|| gone(&pid)).await, "the tool {pid} outlived its trigger");
        let _ = std::fs::remove_file(pidfile);
    }

    /// A run stopped by a signal ends every live trigger group, whether or not its
    /// trigger has been finished.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ending_every_group_ends_a_trigger_still_running() {
        let _alone = TRIGGERS.lock().await;
        let (running, pidfile, pid) = start_with_grandchild("signal").await;
        super::super::process_group::end_trigger_groups(std::time::Duration::from_secs(2)).await;
        assert!(within_10_s(|| gone(&pid)).await, "the tool {pid} outlived the run");
        drop(running);
        let _ = std::fs::remove_file(pidfile);
    }

    #[test]
    fn the_stderr_tail_is_bounded_and_hides_secrets() {
        assert_eq!(stderr_tail(" \n"), None);
        let long = format!("{}\nPOST system-password=hunter2&x=1 to http://u:pw0rd@lms/pens\n", "a".repeat(3000));
        let tail = stderr_tail(&long).expect("a tail");
        assert!(tail.starts_with('…') && tail.chars().count() <= MAX_STDERR_TAIL_CHARS + 20, "{tail}");
        assert!(tail.ends_with("lms/pens"), "{tail}");
        assert!(!tail.contains("hunter2") && !tail.contains("pw0rd"), "{tail}");
    }
}
