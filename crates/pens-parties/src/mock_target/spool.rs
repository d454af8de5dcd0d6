//! Where a package goes while it arrives: the reference target never holds a large
//! package whole in memory.
//!
//! A [`Spool`] takes the body chunk by chunk. Up to [`SPOOL_IN_MEMORY_BYTES`] it keeps
//! them in memory: most packages are small (a course of a few hundred kilobytes, and
//! `load` fetches thousands a second), and they must not pay a file created and
//! deleted each. Beyond that it rolls over to a temp file in the download folder
//! ([`super::MockTargetOptionsBuilder::download_dir`]) and appends every later
//! chunk there, through a small buffer and Tokio's file, so neither the runtime's
//! threads nor the harness's memory carry the package: a package of a gigabyte costs
//! the same few hundred kilobytes as one of two megabytes.
//!
//! The finished [`SpooledPackage`] is read back by the archive check (on a blocking
//! thread) through [`SpooledPackage::open`], and by client mode's inspection through the
//! [`KeptPackage`] kept for the key. Its file is deleted when the last handle on it is
//! dropped: after the check (or once the key is forgotten), on every error, and when
//! the job is abandoned (the target shuts down mid-fetch). A disk that fails (full, gone, not writable) is
//! the receipt's 1440, insufficient host storage (CMI010 §6.3), never a panic.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use pens_proto::ErrorCode;
use tempfile::TempPath;
use tokio::io::{AsyncWriteExt, BufWriter};

use super::fetch::FetchFailure;

/// The most of a package kept in memory while it arrives; a larger one goes to a
/// temp file. One MiB holds every package of the harness's fixtures and of a typical
/// `load` run many times over, while a large course goes to disk after its first MiB.
pub(crate) const SPOOL_IN_MEMORY_BYTES: usize = 1024 * 1024;

/// How the download folder's temp files begin, so that a leftover one is recognisable.
pub(crate) const SPOOL_FILE_PREFIX: &str = "pens-conform-download-";

/// The write buffer in front of a temp file: chunks from the network are a few
/// kilobytes each, and each write to a Tokio file is a trip to the blocking pool.
const SPOOL_WRITE_BUFFER: usize = 256 * 1024;

/// The read buffer of the archive check on a temp file: the zip crate reads entry
/// headers and data in small pieces.
const SPOOL_READ_BUFFER: usize = 64 * 1024;

/// A package on its way in: in memory, then in a temp file once it outgrows
/// [`SPOOL_IN_MEMORY_BYTES`]. Dropping it (an error, an abandoned job) deletes the file.
#[derive(Debug)]
pub struct Spool {
    dir: Arc<Path>,
    memory: BytesMut,
    file: Option<SpoolFile>,
    len: u64,
}

/// The temp file a spool writes to. The writer is declared first, so it is closed
/// before the path's drop deletes the file.
#[derive(Debug)]
struct SpoolFile {
    writer: BufWriter<tokio::fs::File>,
    path: TempPath,
}

impl Spool {
    /// An empty spool that rolls over into a temp file in `dir`.
    pub fn new(dir: Arc<Path>) -> Spool {
        Spool { dir, memory: BytesMut::new(), file: None, len: 0 }
    }

    /// The bytes received so far.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Appends `chunk`, rolling over to a temp file when the package outgrows memory.
    /// A failure is the receipt's 1440, saying what the disk answered.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), FetchFailure> {
        let received = self.len + chunk.len() as u64;
        if self.file.is_none() && self.memory.len() + chunk.len() <= SPOOL_IN_MEMORY_BYTES {
            self.memory.extend_from_slice(chunk);
            self.len = received;
            return Ok(());
        }
        if self.file.is_none() {
            let mut file = SpoolFile::create(&self.dir).await.map_err(|e| storage_failure(&e, None, received))?;
            let memory = std::mem::take(&mut self.memory);
            file.write(&memory).await.map_err(|e| storage_failure(&e, Some(&file.path), received))?;
            self.file = Some(file);
        }
        if let Some(file) = &mut self.file {
            file.write(chunk).await.map_err(|e| storage_failure(&e, Some(&file.path), received))?;
        }
        self.len = received;
        Ok(())
    }

    /// The whole package: the memory it was kept in, or its temp file, every byte
    /// written out.
    pub async fn finish(self) -> Result<SpooledPackage, FetchFailure> {
        let Some(mut file) = self.file else { return Ok(SpooledPackage::Memory(self.memory.freeze())) };
        // Tokio reports a failed write on the next operation: the flush is that one.
        file.writer.flush().await.map_err(|e| storage_failure(&e, Some(&file.path), self.len))?;
        let SpoolFile { writer, path } = file;
        drop(writer);
        Ok(SpooledPackage::File { path: Arc::new(path), len: self.len })
    }
}

impl SpoolFile {
    /// A new temp file in `dir`, created on the blocking pool.
    async fn create(dir: &Arc<Path>) -> io::Result<SpoolFile> {
        let dir = Arc::clone(dir);
        let created =
            tokio::task::spawn_blocking(move || tempfile::Builder::new().prefix(SPOOL_FILE_PREFIX).tempfile_in(&dir))
                .await
                .map_err(io::Error::other)??;
        let (file, path) = created.into_parts();
        let writer = BufWriter::with_capacity(SPOOL_WRITE_BUFFER, tokio::fs::File::from_std(file));
        Ok(SpoolFile { writer, path })
    }

    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes).await
    }
}

/// The failure of a spool that could not store `received` bytes: 1440, saying what
/// kind of failure it was. The receipt goes to the client, so it names no folder or
/// file of this host (what `leaky-receipts` gets wrong); the log says which, for
/// whoever runs the target.
fn storage_failure(error: &io::Error, path: Option<&TempPath>, received: u64) -> FetchFailure {
    match path {
        Some(path) => tracing::warn!(%error, path = ?&**path, "the reference target cannot store a package"),
        None => tracing::warn!(%error, "the reference target cannot store a package"),
    }
    let text = format!("cannot store the package on this host: {}", error.kind());
    FetchFailure { bytes: received, ..FetchFailure::new(ErrorCode::INSUFFICIENT_STORAGE, text) }
}

/// A package received whole: in memory, or in a temp file that is deleted when the
/// last clone is dropped. Cloning never copies the package.
#[derive(Clone, Debug)]
pub enum SpooledPackage {
    /// A package of at most [`SPOOL_IN_MEMORY_BYTES`].
    Memory(Bytes),
    /// A larger one, `len` bytes in the temp file at `path`.
    File {
        /// The temp file, deleted with its last handle.
        path: Arc<TempPath>,
        /// Its length in bytes.
        len: u64,
    },
}

impl SpooledPackage {
    /// Its size in bytes.
    pub(crate) fn len(&self) -> u64 {
        match self {
            SpooledPackage::Memory(body) => body.len() as u64,
            SpooledPackage::File { len, .. } => *len,
        }
    }

    /// The bytes, when the package is in memory.
    pub(crate) fn in_memory(&self) -> Option<&Bytes> {
        match self {
            SpooledPackage::Memory(body) => Some(body),
            SpooledPackage::File { .. } => None,
        }
    }

    /// Its first `n` bytes (fewer when it is shorter, none when its file cannot be
    /// read). Reads the file for a spooled package: call it off the runtime's threads.
    pub(crate) fn prefix(&self, n: usize) -> Vec<u8> {
        match self {
            SpooledPackage::Memory(body) => body[..body.len().min(n)].to_vec(),
            SpooledPackage::File { path, .. } => {
                let mut head = Vec::with_capacity(n);
                let read = File::open(path.as_ref()).and_then(|file| file.take(n as u64).read_to_end(&mut head));
                if read.is_err() {
                    head.clear();
                }
                head
            }
        }
    }

    /// A reader over the package, from its first byte. Opens the file for a spooled
    /// package: call it off the runtime's threads.
    pub(crate) fn open(&self) -> io::Result<PackageReader> {
        let source = match self {
            SpooledPackage::Memory(body) => Source::Memory(Cursor::new(body.clone())),
            SpooledPackage::File { path, .. } => {
                Source::File(BufReader::with_capacity(SPOOL_READ_BUFFER, File::open(path.as_ref())?))
            }
        };
        Ok(PackageReader(source))
    }

    /// The whole package in memory: the bytes themselves, or its file read back.
    /// Meant for a caller that asked for the bytes (a test, a small package), never for
    /// the fetch or the check. Reads the file: call it off the runtime's threads when
    /// it may be large.
    pub(crate) fn to_bytes(&self) -> io::Result<Bytes> {
        match self {
            SpooledPackage::Memory(body) => Ok(body.clone()),
            SpooledPackage::File { path, .. } => std::fs::read(path.as_ref()).map(Bytes::from),
        }
    }
}

/// A package the reference target fetched in full and kept for the key of its collect
/// ([`super::MockTargetState::kept_package`]), for client mode to inspect: the bytes
/// of a small one (at most a MiB), the temp file of a larger one, whatever its size. The
/// file is deleted once the key is forgotten or its package replaced and the last clone
/// is dropped, so a caller that holds one may read it after the key is forgotten.
/// Cloning never copies the package.
#[derive(Clone, Debug)]
pub struct KeptPackage(SpooledPackage);

impl KeptPackage {
    /// A package kept from `package` (observe mode's relay keeps what it relayed).
    #[doc(hidden)]
    pub fn new(package: SpooledPackage) -> Self {
        KeptPackage(package)
    }

    /// Its size in bytes.
    pub fn len(&self) -> u64 {
        self.0.len()
    }

    /// Whether it is empty (a staging server that served zero bytes).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether it is held in memory (a small package) rather than in a temp file.
    pub fn is_in_memory(&self) -> bool {
        self.0.in_memory().is_some()
    }

    /// A reader over the package from its first byte, [`Read`] and [`Seek`]: what
    /// `pens_package::inspect_reader` reads a package of any size from, a piece at a
    /// time. Opens the temp file of a large package: call it off the runtime's threads.
    pub fn open(&self) -> io::Result<PackageReader> {
        self.0.open()
    }

    /// The whole package in one buffer, its temp file read back: for tests and small
    /// packages only, since a large one is then held whole in memory. Blocking.
    pub fn to_bytes(&self) -> io::Result<Bytes> {
        self.0.to_bytes()
    }
}

impl From<Bytes> for KeptPackage {
    /// A package in memory, whatever its size: for callers (and tests) that have the
    /// bytes already.
    fn from(bytes: Bytes) -> Self {
        KeptPackage(SpooledPackage::Memory(bytes))
    }
}

/// A package being read ([`KeptPackage::open`]): [`Read`] and [`Seek`], as the zip
/// crate needs, over its bytes in memory or its temp file through a 64 KiB buffer.
#[derive(Debug)]
pub struct PackageReader(Source);

#[derive(Debug)]
enum Source {
    Memory(Cursor<Bytes>),
    File(BufReader<File>),
}

impl Read for PackageReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.0 {
            Source::Memory(cursor) => cursor.read(buf),
            Source::File(file) => file.read(buf),
        }
    }
}

impl Seek for PackageReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match &mut self.0 {
            Source::Memory(cursor) => cursor.seek(to),
            Source::File(file) => file.seek(to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `pens-conform-download-*` files in `dir`.
    fn spooled_files(dir: &Path) -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir)
            .expect("the folder")
            .map(|entry| entry.expect("an entry").path())
            .filter(|path| path.file_name().is_some_and(|name| name.to_string_lossy().starts_with(SPOOL_FILE_PREFIX)))
            .collect()
    }

    /// `len` bytes that differ from chunk to chunk, so a misplaced chunk shows.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    async fn spool_all(dir: &Path, body: &[u8], chunk: usize) -> Result<SpooledPackage, FetchFailure> {
        let mut spool = Spool::new(Arc::from(dir));
        for piece in body.chunks(chunk) {
            spool.write(piece).await?;
        }
        assert_eq!(spool.len(), body.len() as u64);
        spool.finish().await
    }

    fn read_all(package: &SpooledPackage) -> Vec<u8> {
        let mut read = Vec::new();
        package.open().expect("open").read_to_end(&mut read).expect("read");
        read
    }

    #[tokio::test]
    async fn a_small_package_stays_in_memory() {
        let dir = tempfile::tempdir().expect("a folder");
        let body = pattern(SPOOL_IN_MEMORY_BYTES);
        let package = spool_all(dir.path(), &body, 16 * 1024).await.expect("spooled");
        assert_eq!(package.in_memory().map(|b| b.len()), Some(SPOOL_IN_MEMORY_BYTES));
        assert_eq!(package.len(), body.len() as u64);
        assert_eq!(read_all(&package), body);
        assert_eq!(package.to_bytes().expect("bytes"), body);
        assert!(spooled_files(dir.path()).is_empty(), "no file for a package that fits in memory");
    }

    #[tokio::test]
    async fn a_large_package_goes_to_a_file_with_the_same_bytes_deleted_on_drop() {
        let dir = tempfile::tempdir().expect("a folder");
        let body = pattern(SPOOL_IN_MEMORY_BYTES * 3 + 12_345);
        let package = spool_all(dir.path(), &body, 10_000).await.expect("spooled");
        assert!(package.in_memory().is_none(), "beyond the threshold the package is on disk");
        assert_eq!(package.len(), body.len() as u64);
        let files = spooled_files(dir.path());
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(std::fs::read(&files[0]).expect("the file"), body);
        assert_eq!(read_all(&package), body);

        let mut reader = package.open().expect("open");
        reader.seek(SeekFrom::End(-5)).expect("seek");
        let mut tail = Vec::new();
        reader.read_to_end(&mut tail).expect("read");
        assert_eq!(tail, body[body.len() - 5..]);

        let clone = package.clone();
        drop(package);
        assert_eq!(spooled_files(dir.path()).len(), 1, "a clone keeps the file");
        drop(clone);
        assert!(spooled_files(dir.path()).is_empty(), "the last drop deletes the file");
    }

    #[tokio::test]
    async fn one_chunk_beyond_the_threshold_goes_to_the_file_whole() {
        let dir = tempfile::tempdir().expect("a folder");
        let body = pattern(SPOOL_IN_MEMORY_BYTES + 1);
        let package = spool_all(dir.path(), &body, body.len()).await.expect("spooled");
        assert!(package.in_memory().is_none());
        assert_eq!(read_all(&package), body);
    }

    #[tokio::test]
    async fn a_spool_dropped_half_way_leaves_no_file() {
        let dir = tempfile::tempdir().expect("a folder");
        let mut spool = Spool::new(Arc::from(dir.path()));
        spool.write(&pattern(SPOOL_IN_MEMORY_BYTES + 100)).await.expect("written");
        assert_eq!(spooled_files(dir.path()).len(), 1, "rolled over to a file");
        // What a fetch does when the body breaks off or grows past the limit.
        drop(spool);
        assert!(spooled_files(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn the_prefix_is_the_first_bytes_wherever_the_package_is() {
        let dir = tempfile::tempdir().expect("a folder");
        for len in [10, SPOOL_IN_MEMORY_BYTES * 2] {
            let body = pattern(len);
            let package = spool_all(dir.path(), &body, 4096).await.expect("spooled");
            assert_eq!(package.prefix(64), body[..len.min(64)], "{len} bytes");
            assert_eq!(package.prefix(0), Vec::<u8>::new());
        }
        assert_eq!(SpooledPackage::Memory(Bytes::from_static(b"PK")).prefix(64), b"PK");
    }

    #[tokio::test]
    async fn a_folder_that_cannot_take_the_file_is_1440_naming_the_error() {
        let dir = tempfile::tempdir().expect("a folder");
        let missing = dir.path().join("no-such-folder");
        let body = pattern(SPOOL_IN_MEMORY_BYTES + 1);
        let small = spool_all(&missing, &body[..100], 100).await.expect("memory needs no folder");
        assert_eq!(small.len(), 100);

        let failure = spool_all(&missing, &body, 64 * 1024).await.expect_err("no folder to write to");
        assert_eq!(failure.code, ErrorCode::INSUFFICIENT_STORAGE);
        assert_eq!(failure.bytes, body.len() as u64, "{failure:?}");
        assert!(failure.text.starts_with("cannot store the package on this host: "), "{}", failure.text);
        assert!(!failure.text.contains("no-such-folder"), "names no folder of the host: {}", failure.text);
        let not_found = io::ErrorKind::NotFound.to_string();
        assert!(failure.text.ends_with(&not_found), "names the kind of error: {}", failure.text);
        assert!(spooled_files(dir.path()).is_empty());
    }
}
