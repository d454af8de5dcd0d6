//! The staged plans as a read-only FTP file system: `/s/<key>/<file_name>` for every
//! staged package, nothing else, no writes.
//!
//! RETR is where the plan plays: credentials are judged against the plan of the key
//! (the login only showed they belong to *some* plan), then the behaviour decides
//! between a shaped [`Transfer`] and a refusal (550 not there or not for this login,
//! 451 a plan's 5xx). Every RETR is recorded as a staging event, refusals at once,
//! transfers when they end. SIZE answers the length RETR would announce; a file the
//! session may not fetch has no size.

use std::collections::HashMap;
use std::fmt::{self, Debug};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use unftp_core::storage::{Error, ErrorKind, Fileinfo, Metadata, Permissions, Result, StorageBackend};

use super::FtpProtocol;
use super::login::FtpUser;
use super::place::{Located, Place, locate};
use super::transfer::{Shape, TRANSFER_ABORTED, Transfer};
use crate::staging::{CredentialsPresented, PendingEvent, Shared, Staged, StagingBehaviour};
use pens_package::PackageBody;

/// Reply 550: file unavailable (not found, or no access).
const FILE_UNAVAILABLE: u16 = 550;
/// Reply 451: requested action aborted, local error in processing.
const LOCAL_ERROR: u16 = 451;

/// The FTP command every staging event of this back-end records.
const RETR: &str = "RETR";

/// Bytes read and written at a time; each write is flushed so that paced chunks leave
/// on their own and a break comes after the bytes before it.
const COPY_CHUNK: usize = 64 * 1024;

/// How long a silent plan's RETR waits before its first byte: longer than any run, so
/// in effect until the listener stops (which ends every transfer).
const SILENT_FTP_WAIT: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// What a refused request is told; the reply code says the rest.
const READ_ONLY: &str = "the staging server is read-only";

/// The storage back-end of one FTP listener; libunftp clones it for every session.
#[derive(Clone)]
pub(crate) struct StagedFiles {
    shared: Arc<Shared>,
    protocol: FtpProtocol,
    /// Closes when the listener is dropped: ends transfers still running.
    stop: watch::Receiver<()>,
}

impl StagedFiles {
    pub(super) fn new(shared: Arc<Shared>, protocol: FtpProtocol, stop: watch::Receiver<()>) -> Self {
        StagedFiles { shared, protocol, stop }
    }

    /// What `path` names, what `user`'s login counts as there, and what a RETR gets.
    fn look_up(&self, user: &FtpUser, path: &Path) -> (Located, CredentialsPresented, Retr) {
        let plans = self.shared.plans();
        let located = locate(path, &plans);
        let (credentials, retr) = decide(&located.place, &plans, user);
        (located, credentials, retr)
    }
}

impl Debug for StagedFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StagedFiles").field("protocol", &self.protocol).finish_non_exhaustive()
    }
}

/// What a RETR gets.
#[derive(Debug)]
enum Retr {
    /// The served bytes (the package, or its corrupt stand-in), shaped by the plan.
    Serve { data: PackageBody, shape: Shape },
    /// No transfer: the reply code and the error that makes libunftp send it.
    Refuse { status: u16, kind: ErrorKind },
}

impl Retr {
    fn not_found() -> Self {
        Retr::Refuse { status: FILE_UNAVAILABLE, kind: ErrorKind::PermanentFileNotAvailable }
    }

    fn denied() -> Self {
        Retr::Refuse { status: FILE_UNAVAILABLE, kind: ErrorKind::PermissionDenied }
    }
}

/// Chooses what a RETR of `place` gets: credentials first, then the behaviour.
fn decide(place: &Place, plans: &HashMap<String, Staged>, user: &FtpUser) -> (CredentialsPresented, Retr) {
    let staged = match place {
        Place::File { key, file } => plans.get(key).filter(|staged| staged.plan.file_name == *file),
        _ => None,
    };
    let Some(Staged { plan, served, .. }) = staged else {
        return (user.judge(None), Retr::not_found());
    };
    let credentials = user.judge(plan.credentials.as_ref());
    if plan.credentials.is_some() && credentials != CredentialsPresented::Valid {
        return (credentials, Retr::denied());
    }
    let serve = |shape| Retr::Serve { data: served.clone(), shape };
    let retr = match plan.behaviour {
        // FTP has no redirect: the package is served where it was asked for.
        // FTP holds nothing: the gate of `after-answer` is HTTP and HTTPS only.
        StagingBehaviour::Serve
        | StagingBehaviour::AfterAnswer
        | StagingBehaviour::Corrupt
        | StagingBehaviour::Redirect
        | StagingBehaviour::ZipSlip
        | StagingBehaviour::ZipBomb
        | StagingBehaviour::Oversized { .. } => serve(Shape::default()),
        StagingBehaviour::Status { status } => refusal_for_status(u16::try_from(status).unwrap_or(0)),
        StagingBehaviour::Delay { .. } | StagingBehaviour::Dribble { .. } | StagingBehaviour::Truncate { .. } => {
            let (delay, pacing, truncate_after) = plan.shape();
            serve(Shape { delay, pacing, truncate_after })
        }
        // The data never comes: the transfer waits until the listener stops.
        StagingBehaviour::Silent => serve(Shape { delay: Some(SILENT_FTP_WAIT), ..Shape::default() }),
    };
    (credentials, retr)
}

/// FTP's nearest reply to an HTTP status a plan answers: a 4xx means the file is not
/// there or not for this client (550), anything else a failure on our side (451).
fn refusal_for_status(code: u16) -> Retr {
    match code {
        401 | 403 | 407 => Retr::denied(),
        400..=499 => Retr::not_found(),
        _ => Retr::Refuse { status: LOCAL_ERROR, kind: ErrorKind::LocalError },
    }
}

/// A file or folder of the staging tree.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    len: u64,
    dir: bool,
}

impl Entry {
    fn dir() -> Self {
        Entry { len: 0, dir: true }
    }

    fn file(len: u64) -> Self {
        Entry { len, dir: false }
    }
}

impl Metadata for Entry {
    fn len(&self) -> u64 {
        self.len
    }

    fn is_dir(&self) -> bool {
        self.dir
    }

    fn is_file(&self) -> bool {
        !self.dir
    }

    fn is_symlink(&self) -> bool {
        false
    }

    /// Staged packages have no history worth reporting: now.
    fn modified(&self) -> Result<SystemTime> {
        Ok(SystemTime::now())
    }

    fn gid(&self) -> u32 {
        0
    }

    fn uid(&self) -> u32 {
        0
    }

    fn permissions(&self) -> Permissions {
        Permissions(if self.dir { 0o555 } else { 0o444 })
    }
}

#[async_trait]
impl StorageBackend<FtpUser> for StagedFiles {
    type Metadata = Entry;

    async fn metadata<P: AsRef<Path> + Send + Debug>(&self, user: &FtpUser, path: P) -> Result<Entry> {
        let (located, _, retr) = self.look_up(user, path.as_ref());
        match (located.place, retr) {
            (Place::Root | Place::Staging, _) => Ok(Entry::dir()),
            (Place::KeyDir(key), _) if self.shared.plans().contains_key(&key) => Ok(Entry::dir()),
            (Place::File { .. }, Retr::Serve { data, .. }) => Ok(Entry::file(data.len())),
            (Place::File { .. }, Retr::Refuse { kind, .. }) => Err(kind.into()),
            _ => Err(ErrorKind::PermanentFileNotAvailable.into()),
        }
    }

    /// `/` holds `s`; `/s` shows no keys (other scenarios' packages are none of a
    /// client's business); `/s/<key>` shows its file when the session may fetch it.
    async fn list<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &FtpUser,
        path: P,
    ) -> Result<Vec<Fileinfo<PathBuf, Entry>>> {
        let plans = self.shared.plans();
        match locate(path.as_ref(), &plans).place {
            Place::Root => Ok(vec![Fileinfo { path: PathBuf::from("s"), metadata: Entry::dir() }]),
            Place::Staging => Ok(Vec::new()),
            Place::KeyDir(key) => {
                let Some(file_name) = plans.get(&key).map(|staged| staged.plan.file_name.clone()) else {
                    return Err(ErrorKind::PermanentDirectoryNotAvailable.into());
                };
                let file = Place::File { key, file: file_name.clone() };
                match decide(&file, &plans, user).1 {
                    Retr::Serve { data, .. } => {
                        Ok(vec![Fileinfo { path: PathBuf::from(file_name), metadata: Entry::file(data.len()) }])
                    }
                    Retr::Refuse { .. } => Ok(Vec::new()),
                }
            }
            Place::File { .. } | Place::Nowhere { .. } => Err(ErrorKind::PermanentDirectoryNotAvailable.into()),
        }
    }

    /// Records the RETR and hands out the shaped transfer, or refuses it.
    async fn get<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &FtpUser,
        path: P,
        _start_pos: u64,
    ) -> Result<Box<dyn AsyncRead + Send + Sync + Unpin>> {
        // `_start_pos` is always 0: we advertise no FEATURE_RESTART, so libunftp refuses REST.
        let (located, credentials, retr) = self.look_up(user, path.as_ref());
        let key = located.place.key().to_owned();
        let protocol = self.protocol.as_str();
        match retr {
            Retr::Refuse { status, kind } => {
                let mut event = self.shared.arrival(key, protocol, RETR.to_owned(), located.path, credentials, status);
                event.ftps_mode = self.protocol.ftps_mode();
                PendingEvent::new(Arc::clone(&self.shared), event).conclude(status, 0, false);
                Err(Error::new(kind, "the staging plan refuses this file"))
            }
            Retr::Serve { data, shape } => {
                // 426 until the transfer says otherwise: a transfer dropped early broke off.
                let mut event =
                    self.shared.arrival(key, protocol, RETR.to_owned(), located.path, credentials, TRANSFER_ABORTED);
                event.ftps_mode = self.protocol.ftps_mode();
                event.body_bytes = data.len();
                let pending = PendingEvent::new(Arc::clone(&self.shared), event);
                Ok(Box::new(Transfer::new(data, shape, pending)))
            }
        }
    }

    /// libunftp's default copies with `tokio::io::copy`, which may read past what it has
    /// written and return a read error with bytes still in its buffer. Here every chunk
    /// is written and flushed before the next read, so a truncated plan delivers exactly
    /// its bytes before the 426, and the transfer stops when the listener does.
    async fn get_into<'a, P, W: ?Sized>(
        &self,
        user: &FtpUser,
        path: P,
        start_pos: u64,
        output: &'a mut W,
    ) -> Result<u64>
    where
        W: AsyncWrite + Unpin + Sync + Send,
        P: AsRef<Path> + Send + Debug,
    {
        let mut transfer = self.get(user, path, start_pos).await?;
        let mut stop = self.stop.clone();
        tokio::select! {
            copied = copy_flushed(&mut transfer, output) => copied,
            _ = stop.changed() => Err(Error::new(ErrorKind::ConnectionClosed, "the staging server stopped")),
        }
    }

    async fn put<P: AsRef<Path> + Send + Debug, R: AsyncRead + Send + Sync + Unpin + 'static>(
        &self,
        _user: &FtpUser,
        _input: R,
        _path: P,
        _start_pos: u64,
    ) -> Result<u64> {
        Err(read_only())
    }

    async fn del<P: AsRef<Path> + Send + Debug>(&self, _user: &FtpUser, _path: P) -> Result<()> {
        Err(read_only())
    }

    async fn mkd<P: AsRef<Path> + Send + Debug>(&self, _user: &FtpUser, _path: P) -> Result<()> {
        Err(read_only())
    }

    async fn rename<P: AsRef<Path> + Send + Debug>(&self, _user: &FtpUser, _from: P, _to: P) -> Result<()> {
        Err(read_only())
    }

    async fn rmd<P: AsRef<Path> + Send + Debug>(&self, _user: &FtpUser, _path: P) -> Result<()> {
        Err(read_only())
    }

    /// Into `/`, `/s` and the folder of a staged key; nowhere else.
    async fn cwd<P: AsRef<Path> + Send + Debug>(&self, _user: &FtpUser, path: P) -> Result<()> {
        let plans = self.shared.plans();
        match locate(path.as_ref(), &plans).place {
            Place::Root | Place::Staging => Ok(()),
            Place::KeyDir(key) if plans.contains_key(&key) => Ok(()),
            _ => Err(ErrorKind::PermanentDirectoryNotAvailable.into()),
        }
    }
}

fn read_only() -> Error {
    Error::new(ErrorKind::PermissionDenied, READ_ONLY)
}

/// Copies `reader` to `output` a chunk at a time, flushing each; read errors end the
/// copy before anything more is read (an io error of kind `ConnectionAborted` becomes
/// libunftp's 426).
async fn copy_flushed<R, W>(reader: &mut R, output: &mut W) -> Result<u64>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buffer = vec![0u8; COPY_CHUNK];
    let mut copied = 0u64;
    loop {
        let read = reader.read(&mut buffer).await?;
        if read == 0 {
            return Ok(copied);
        }
        output.write_all(&buffer[..read]).await?;
        output.flush().await?;
        copied += read as u64;
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use std::time::Duration;

    use super::*;
    use crate::staging::StagingPlan;

    fn staged(plan: StagingPlan) -> HashMap<String, Staged> {
        let served = plan.body.clone();
        HashMap::from([("k".to_owned(), Staged { plan, served, silence: None, hold: None })])
    }

    fn course() -> Place {
        Place::File { key: "k".into(), file: "course.zip".into() }
    }

    fn status_of(retr: &Retr) -> u16 {
        match retr {
            Retr::Serve { .. } => 150,
            Retr::Refuse { status, .. } => *status,
        }
    }

    #[test]
    fn plan_statuses_become_ftp_replies() {
        let cases = [(401, 550), (403, 550), (404, 550), (410, 550), (500, 451), (503, 451), (302, 451)];
        for (code, reply) in cases {
            assert_eq!(status_of(&refusal_for_status(code)), reply, "{code}");
        }
    }

    #[test]
    fn credentials_are_judged_before_the_behaviour() {
        let plan = StagingPlan::new("course.zip", Bytes::from_static(b"zip"))
            .credentials("pens", "s3cret")
            .behaviour(StagingBehaviour::Status { status: 500 });
        let plans = staged(plan);
        let cases = [
            (FtpUser::anonymous(), CredentialsPresented::None, 550),
            (FtpUser::named("pens", "other"), CredentialsPresented::Wrong { user: "pens".into() }, 550),
            (FtpUser::named("pens", "s3cret"), CredentialsPresented::Valid, 451),
        ];
        for (user, credentials, reply) in cases {
            let (judged, retr) = decide(&course(), &plans, &user);
            assert_eq!((judged, status_of(&retr)), (credentials, reply), "{user:?}");
        }
    }

    #[test]
    fn behaviours_shape_the_transfer() {
        let interval = Duration::from_millis(5);
        let cases = [
            (StagingBehaviour::Redirect, None, None, None),
            (StagingBehaviour::Delay { delay_ms: 5 }, Some(interval), None, None),
            (StagingBehaviour::Dribble { delay_ms: 5, chunk_bytes: 2 }, None, Some(2), None),
            (StagingBehaviour::Truncate { after_bytes: 1 }, None, None, Some(1)),
        ];
        for (behaviour, delay, chunk, after) in cases {
            let plans = staged(StagingPlan::new("course.zip", Bytes::from_static(b"zip")).behaviour(behaviour));
            let (judged, retr) = decide(&course(), &plans, &FtpUser::named("pens", "pw"));
            assert_eq!(judged, CredentialsPresented::Unrequested { user: "pens".into() });
            let Retr::Serve { data, shape } = retr else { panic!("{behaviour:?} refused") };
            assert_eq!(data.to_bytes(16).as_deref(), Some(&b"zip"[..]));
            assert_eq!(shape.delay, delay, "{behaviour:?}");
            assert_eq!(shape.pacing.map(|p| p.chunk), chunk, "{behaviour:?}");
            assert_eq!(shape.truncate_after, after, "{behaviour:?}");
        }
    }

    #[test]
    fn another_file_under_a_staged_key_is_not_found() {
        let plans = staged(StagingPlan::new("course.zip", Bytes::from_static(b"zip")));
        let other = Place::File { key: "k".into(), file: "other.zip".into() };
        assert_eq!(status_of(&decide(&other, &plans, &FtpUser::anonymous()).1), 550);
        assert_eq!(status_of(&decide(&course(), &plans, &FtpUser::anonymous()).1), 150);
    }

    #[tokio::test]
    async fn copying_stops_at_a_read_error_after_writing_what_came_before() {
        let mut reader = abc_then_broken();
        let mut output = Vec::new();
        let error = copy_flushed(&mut reader, &mut output).await.expect_err("the read error");
        assert_eq!(error.kind(), ErrorKind::ConnectionClosed);
        assert_eq!(output, b"abc");
    }

    /// `abc`, then a `ConnectionAborted` read error.
    fn abc_then_broken() -> impl AsyncRead + Unpin {
        let broken = std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "cut");
        AsyncReadExt::chain(&b"abc"[..], Failing(Some(broken)))
    }

    struct Failing(Option<std::io::Error>);

    impl AsyncRead for Failing {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
            _buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(match self.0.take() {
                Some(error) => Err(error),
                None => Ok(()),
            })
        }
    }
}
