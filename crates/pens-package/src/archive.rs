//! Reading a zip archive without trusting it: entries are listed from the central
//! directory, contents are decompressed in memory only (nothing is ever extracted to
//! disk), every read is capped by the entry's declared size, by the caller's cap and
//! by one budget of uncompressed bytes for the whole inspection ([`Budget`]).
//!
//! The archive is read through [`ReadSeek`]: from memory or from a file, its central
//! directory by seeking, its entries a chunk at a time, never the package whole.
//!
//! A zip bomb is caught twice: an archive whose declared sizes add up to more than the
//! budget at a ratio no real package reaches is not decompressed at all, and an entry
//! that expands beyond the size it declares is cut one byte past it.

use std::io::{ErrorKind, Read};

use zip::{CompressionMethod, ZipArchive};

use crate::options::Limits;
use crate::source::ReadSeek;

/// One examined entry, as the central directory and its local header describe it.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Index in the archive.
    pub index: usize,
    /// Decoded name (UTF-8 when flagged, CP437 otherwise).
    pub name: String,
    /// Declared uncompressed size.
    pub size: u64,
    /// Declared compressed size.
    pub compressed_size: u64,
    pub is_dir: bool,
    pub encrypted: bool,
    pub symlink: bool,
    pub method: CompressionMethod,
    /// Why the local header could not be read, if it could not.
    pub broken: Option<String>,
    /// The raw name bytes are not the UTF-8 of `name` (not flagged UTF-8, or invalid).
    pub non_utf8_name: bool,
}

impl Entry {
    /// Whether the entry's contents can be read at all (a file, not encrypted, a
    /// compression method this reader supports, a readable local header).
    pub fn readable(&self) -> bool {
        !self.is_dir && !self.encrypted && self.broken.is_none() && supported(self.method)
    }

    /// The last path component, e.g. `imsmanifest.xml` for `course/imsmanifest.xml`.
    pub fn file_name(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }

    /// The folder part with its trailing `/`, empty at the root.
    pub fn folder(&self) -> &str {
        self.name.rfind('/').map_or("", |slash| &self.name[..=slash])
    }

    /// Whether the entry sits at the root of the archive.
    pub fn at_root(&self) -> bool {
        !self.is_dir && !self.name.contains('/')
    }
}

/// Stored and deflate: the methods every importer reads, and the ones compiled in.
pub(crate) fn supported(method: CompressionMethod) -> bool {
    matches!(method, CompressionMethod::Stored | CompressionMethod::Deflated)
}

/// The uncompressed bytes an inspection may still decompress.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget {
    limit: u64,
    used: u64,
}

impl Budget {
    pub fn new(limit: u64) -> Self {
        Budget { limit, used: 0 }
    }

    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }

    pub fn used(&self) -> u64 {
        self.used
    }
}

/// How a read ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Read to the end; the checksum matched (the zip reader checks it at the end).
    Complete,
    /// Stopped at the caller's cap: the bytes are a prefix.
    Capped,
    /// More bytes than the entry declares: cut one byte past the declared size.
    OverDeclared,
    /// The data ended before the declared size.
    ShortOfDeclared { read: u64 },
    /// The budget ran out.
    Budget,
    /// The entry could not be opened or decompressed, or its checksum is wrong.
    Failed(String),
}

/// What one read produced.
#[derive(Clone, Debug)]
pub(crate) struct Contents {
    /// The bytes read (empty when the caller did not keep them).
    pub bytes: Vec<u8>,
    pub outcome: Outcome,
}

/// An archive opened for inspection.
pub(crate) struct Archive<'a> {
    zip: ZipArchive<&'a mut dyn ReadSeek>,
    /// The first [`Limits::max_entries`] entries.
    pub entries: Vec<Entry>,
    /// How many entries the central directory holds.
    pub total: usize,
    /// Bytes before the archive proper (a self-extracting stub), 0 for a plain zip.
    pub offset: u64,
}

/// Opens the package `reader` reads as a zip archive and describes its first
/// `limits.max_entries` entries. `Err` carries what the zip reader said: the archive
/// cannot be opened at all.
pub(crate) fn open<'a>(reader: &'a mut dyn ReadSeek, limits: &Limits) -> Result<Archive<'a>, String> {
    let mut zip = ZipArchive::new(reader).map_err(|error| error.to_string())?;
    let total = zip.len();
    let examined = total.min(limits.max_entries);
    let mut entries = Vec::with_capacity(examined);
    for index in 0..examined {
        entries.push(describe(&mut zip, index));
    }
    let offset = zip.offset();
    Ok(Archive { zip, entries, total, offset })
}

fn describe(zip: &mut ZipArchive<&mut dyn ReadSeek>, index: usize) -> Entry {
    let fallback_name = zip.name_for_index(index).unwrap_or_default().to_owned();
    match zip.by_index_raw(index) {
        Ok(file) => {
            let name = file.name().to_owned();
            let raw = file.name_raw();
            let non_utf8_name = !raw.is_ascii() && std::str::from_utf8(raw) != Ok(name.as_str());
            Entry {
                index,
                is_dir: file.is_dir(),
                size: file.size(),
                compressed_size: file.compressed_size(),
                encrypted: file.encrypted(),
                symlink: file.is_symlink(),
                method: file.compression(),
                broken: None,
                non_utf8_name,
                name,
            }
        }
        Err(error) => Entry {
            index,
            is_dir: fallback_name.ends_with('/'),
            name: fallback_name,
            size: 0,
            compressed_size: 0,
            encrypted: false,
            symlink: false,
            method: CompressionMethod::Stored,
            broken: Some(error.to_string()),
            non_utf8_name: false,
        },
    }
}

impl Archive<'_> {
    /// Sum of the declared uncompressed sizes of the examined entries.
    pub fn declared_size(&self) -> u64 {
        self.entries.iter().fold(0u64, |sum, entry| sum.saturating_add(entry.size))
    }

    /// Decompresses entry `index` (a position in [`Archive::entries`]), reading at most
    /// `cap` bytes, one past its declared size and one past the budget; keeps the bytes
    /// when `keep`.
    pub fn read(&mut self, position: usize, cap: u64, keep: bool, budget: &mut Budget) -> Contents {
        let failed = |reason: String| Contents { bytes: Vec::new(), outcome: Outcome::Failed(reason) };
        let Some(entry) = self.entries.get(position) else {
            return failed("no such entry".to_owned());
        };
        let declared = entry.size;
        let left = budget.remaining();
        let limit = cap.min(declared.saturating_add(1)).min(left.saturating_add(1));
        let mut file = match self.zip.by_index(entry.index) {
            Ok(file) => file,
            Err(error) => return failed(error.to_string()),
        };
        let mut limited = (&mut file).take(limit);
        let mut bytes = Vec::new();
        let mut chunk = vec![0u8; 16 * 1024];
        let mut read = 0u64;
        let mut error = None;
        loop {
            match limited.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    read += n as u64;
                    if keep {
                        bytes.extend_from_slice(&chunk[..n]);
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        budget.used = budget.used.saturating_add(read);
        let outcome = if let Some(error) = error {
            Outcome::Failed(error.to_string())
        } else if read < limit {
            if read < declared { Outcome::ShortOfDeclared { read } } else { Outcome::Complete }
        } else if read > declared {
            Outcome::OverDeclared
        } else if limit == cap {
            Outcome::Capped
        } else {
            Outcome::Budget
        };
        Contents { bytes, outcome }
    }
}

/// Whether the declared sizes make the archive a zip bomb: more content than the budget,
/// at an expansion per staged byte above [`Limits::bomb_ratio`]. Returns the ratio.
pub(crate) fn bomb_ratio(declared: u64, staged: u64, limits: &Limits) -> Option<u64> {
    let ratio = declared / staged.max(1);
    (declared > limits.max_uncompressed && ratio > limits.bomb_ratio).then_some(ratio)
}

/// Whether an entry name would land outside the folder the archive is unpacked into:
/// an absolute path (`/x`, `\x`), a drive letter (`C:x`), a NUL byte, or `..`
/// components (either slash) that climb above the folder's top. An inner `..` that
/// climbs back within the folder (`a/../b` is `b`) does not leave it: APPNOTE 4.4.17
/// does not forbid `..`, so by the lenient reading such a name is no finding. The one
/// reading of an entry name the harness has: the package findings and the mock
/// target's archive check (pens-parties) both use it.
pub fn escapes_folder(name: &str) -> bool {
    let bytes = name.as_bytes();
    let absolute = name.starts_with('/') || name.starts_with('\\');
    let drive = bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic();
    if absolute || drive || name.contains('\0') {
        return true;
    }
    let mut depth: u64 = 0;
    for part in name.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => match depth.checked_sub(1) {
                Some(up) => depth = up,
                None => return true,
            },
            _ => depth += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::ZipWriter;
    use zip::write::SimpleFileOptions;

    use super::*;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in files {
            writer.start_file(*name, SimpleFileOptions::default()).expect("entry");
            writer.write_all(content).expect("content");
        }
        writer.finish().expect("finished").into_inner()
    }

    #[test]
    fn reads_stop_at_the_cap_the_declared_size_and_the_budget() {
        let mut bytes = Cursor::new(zip_of(&[("a.txt", b"0123456789"), ("b.txt", b"abc")]));
        let mut archive = open(&mut bytes, &Limits::default()).expect("opens");
        let mut budget = Budget::new(1000);
        let whole = archive.read(0, u64::MAX, true, &mut budget);
        assert_eq!((whole.bytes.as_slice(), whole.outcome), (&b"0123456789"[..], Outcome::Complete));
        let prefix = archive.read(0, 4, true, &mut budget);
        assert_eq!((prefix.bytes.as_slice(), prefix.outcome), (&b"0123"[..], Outcome::Capped));
        assert_eq!(budget.used(), 14);

        let mut tight = Budget::new(5);
        assert_eq!(archive.read(0, u64::MAX, false, &mut tight).outcome, Outcome::Budget);
        assert_eq!(tight.remaining(), 0);
        assert_eq!(archive.read(1, u64::MAX, false, &mut tight).outcome, Outcome::Budget);
    }

    #[test]
    fn entries_know_their_folder_and_root() {
        let mut bytes = Cursor::new(zip_of(&[("imsmanifest.xml", b"<m/>"), ("course/index.html", b"")]));
        let archive = open(&mut bytes, &Limits::default()).expect("opens");
        let [root, nested] = archive.entries.as_slice() else { panic!("two entries") };
        assert!(root.at_root() && !nested.at_root());
        assert_eq!((nested.folder(), nested.file_name()), ("course/", "index.html"));
        assert_eq!((root.folder(), root.file_name()), ("", "imsmanifest.xml"));
        assert!(root.readable());
    }

    #[test]
    fn escaping_names_are_told_apart() {
        for name in
            ["../x", "a/../../x", "/etc/passwd", "\\x", "C:\\x", "c:/x", "x:y", "a\\..\\..\\x", "a\0b", "./../x"]
        {
            assert!(escapes_folder(name), "{name}");
        }
        for name in ["a/b", "a..b", "..a/b", "a/b/", "ab:c", "a/../b", "a\\..\\x", "a/b/../../c"] {
            assert!(!escapes_folder(name), "{name}");
        }
    }

    #[test]
    fn a_bomb_needs_both_size_and_ratio() {
        let limits = Limits::default();
        assert_eq!(bomb_ratio(1 << 30, 1 << 20, &limits), Some(1024));
        assert_eq!(bomb_ratio(1 << 30, 100 << 20, &limits), None);
        assert_eq!(bomb_ratio(1 << 20, 10, &limits), None);
    }
}
