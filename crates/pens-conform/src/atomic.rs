//! Writing a file so that it is either absent or whole: the bytes go to a temporary file
//! beside it, which is then renamed over it (a rename within a folder is atomic). A run
//! killed mid-write leaves at most a `.partial` file, never a report that looks complete
//! but is cut short.
//!
//! A file that cannot be written is a [`WriteError`], which the command line turns into
//! exit 3 (the run could not complete) naming the file and the operating system's
//! reason, never a usage error: the run itself was fine, its output was not (a full
//! disk, a read-only folder, no descriptor left).

use std::path::{Path, PathBuf};

/// A report (or bundle) file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub(crate) struct WriteError {
    /// The file that was to be written (its `.partial` sibling when that failed).
    pub(crate) path: PathBuf,
    /// What the operating system said.
    pub(crate) source: std::io::Error,
}

/// How often, and how long apart, a write that found no file descriptor free is tried
/// again: the run's parties close their connections as they stop, which takes the
/// runtime a moment after the run has returned.
const DESCRIPTOR_RETRIES: u32 = 20;
const DESCRIPTOR_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// Writes `bytes` to `path` through `<path>.partial` and a rename.
pub(crate) fn write_atomically(path: &Path, bytes: impl AsRef<[u8]>) -> anyhow::Result<()> {
    let partial = partial_path(path);
    let mut tries = 0;
    let written = loop {
        match std::fs::write(&partial, bytes.as_ref()) {
            Err(error) if pens_parties::is_exhaustion(&error) && tries < DESCRIPTOR_RETRIES => {
                tries += 1;
                std::thread::sleep(DESCRIPTOR_RETRY_PAUSE);
            }
            other => break other,
        }
    };
    written.map_err(|source| WriteError { path: partial.clone(), source })?;
    std::fs::rename(&partial, path).map_err(|source| WriteError { path: path.to_owned(), source })?;
    Ok(())
}

/// `<path>.partial`, whatever the extension.
fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pens-conform-atomic-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir
    }

    #[test]
    fn the_file_is_replaced_whole_and_no_partial_file_stays() {
        let dir = scratch("replace");
        let path = dir.join("report.json");
        std::fs::write(&path, "old").expect("seed");
        // A leftover from a killed run is simply overwritten.
        std::fs::write(dir.join("report.json.partial"), "cut sh").expect("leftover");
        write_atomically(&path, "{\"new\": true}").expect("written");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "{\"new\": true}");
        assert!(!dir.join("report.json.partial").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_untouched() {
        let dir = scratch("fail");
        let path = dir.join("junit.xml");
        std::fs::write(&path, "old").expect("seed");
        // The partial file cannot be created: a folder stands in its place.
        std::fs::create_dir_all(dir.join("junit.xml.partial")).expect("blocker");
        let error = write_atomically(&path, "new").expect_err("cannot write");
        assert!(error.to_string().contains("junit.xml.partial"), "{error}");
        assert!(error.downcast_ref::<WriteError>().is_some(), "a named error, for exit 3: {error:?}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "old");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
