//! Packages the staging server serves, built at run time from fixture folders so that
//! no binary archive lives in git (`fixtures/packages/README.md` lists the folders).
//!
//! Archives are deterministic: entries sorted by path, one fixed timestamp, fixed
//! permissions. The same folder always yields the same bytes, so a report that quotes
//! a size or a digest stays stable from run to run.
//!
//! No package is held whole in memory unless it is small: a fixture file is served
//! from disk as it is sent, a folder of more than [`IN_MEMORY_FOLDER_BYTES`] is zipped
//! into an unnamed temporary file (gone when the last transfer of it ends), and a
//! package grown to a size ([`sized_package`]) is generated while it is sent.

use std::fs::{self, File};
use std::io::{Cursor, Seek, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::error::MockError;
use pens_package::PackageBody;
use pens_package::oversized_zip;

/// The most a fixture folder may hold and still be zipped in memory: the shipped
/// fixtures are a few KiB; a real course of hundreds of MiB goes to a temporary file.
pub const IN_MEMORY_FOLDER_BYTES: u64 = 8 * 1024 * 1024;

/// The largest package a size can be given to ([`sized_package`]) or that the hostile
/// behaviours rewrite: their entries are read into memory to be written again.
pub const REWRITABLE_PACKAGE_BYTES: u64 = 64 * 1024 * 1024;

/// The signature a zip archive starts with (local file header, APPNOTE 4.3.7).
pub const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";

/// The signature of the end-of-central-directory record, which every archive reader
/// that seeks the central directory looks for from the end (APPNOTE 4.3.16).
const END_OF_CENTRAL_DIRECTORY: [u8; 4] = *b"PK\x05\x06";

/// Zips the files under `dir`, paths relative to it with `/` separators, in sorted order,
/// each stamped 1980-01-01 00:00:00 (the zip epoch) with mode 0644. Sub-folders get
/// their own entries so that every unzip tool recreates them, empty ones included.
pub fn zip_directory(dir: &Path) -> Result<Bytes, MockError> {
    let cursor = zip_directory_into(dir, Cursor::new(Vec::new()))?;
    Ok(Bytes::from(cursor.into_inner()))
}

/// [`zip_directory`] into `out` (a file, for a large folder); returns it, finished.
fn zip_directory_into<W: Write + Seek>(dir: &Path, out: W) -> Result<W, MockError> {
    let mut entries = Vec::new();
    collect_entries(dir, dir, &mut entries)?;
    entries.sort_by(|a, b| a.name.cmp(&b.name));

    let file_options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644)
        .large_file(false);
    let dir_options = file_options.unix_permissions(0o755);
    let zip_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MockError::Zip { path, source }
    };

    let mut writer = ZipWriter::new(out);
    for entry in &entries {
        if entry.is_dir {
            writer.add_directory(entry.name.as_str(), dir_options).map_err(zip_error(&entry.path))?;
            continue;
        }
        let mut content =
            File::open(&entry.path).map_err(|source| MockError::Read { path: entry.path.clone(), source })?;
        let options = file_options.large_file(entry.len >= u64::from(u32::MAX));
        writer.start_file(entry.name.as_str(), options).map_err(zip_error(&entry.path))?;
        std::io::copy(&mut content, &mut writer)
            .map_err(|source| MockError::Zip { path: entry.path.clone(), source: source.into() })?;
    }
    writer.finish().map_err(zip_error(dir))
}

/// The package named `name` in the fixture folder `packages_dir`: `scorm12-minimal.zip`
/// is the folder `scorm12-minimal/` zipped by [`zip_directory`] when that folder exists
/// (in memory when it holds at most [`IN_MEMORY_FOLDER_BYTES`], else into an unnamed
/// temporary file), otherwise the file itself, served from disk as it is sent.
/// Scenario files name packages this way.
pub fn fixture_package(packages_dir: &Path, name: &str) -> Result<PackageBody, MockError> {
    if let Some(stem) = name.strip_suffix(".zip") {
        let folder = packages_dir.join(stem);
        if folder.is_dir() {
            return zip_folder(&folder);
        }
    }
    let path = packages_dir.join(name);
    let read_error = |source| MockError::Read { path: path.clone(), source };
    let file = File::open(&path).map_err(read_error)?;
    let metadata = file.metadata().map_err(read_error)?;
    if !metadata.is_file() {
        return Err(MockError::Unpackable { path, reason: "not a file" });
    }
    Ok(PackageBody::file(file, metadata.len()))
}

/// A fixture folder zipped: in memory when small, else into an unnamed temporary file.
fn zip_folder(folder: &Path) -> Result<PackageBody, MockError> {
    let mut entries = Vec::new();
    collect_entries(folder, folder, &mut entries)?;
    let content: u64 = entries.iter().map(|entry| entry.len).sum();
    if content <= IN_MEMORY_FOLDER_BYTES {
        return zip_directory(folder).map(PackageBody::from);
    }
    let temporary = |source| MockError::Read { path: std::env::temp_dir(), source };
    let mut file = zip_directory_into(folder, tempfile::tempfile().map_err(temporary)?)?;
    let len = file.stream_position().map_err(temporary)?;
    file.flush().map_err(temporary)?;
    Ok(PackageBody::file(file, len))
}

/// `package` grown to exactly `size` bytes by a stored entry of zeros
/// ([`crate::FILLER_ENTRY`]), generated as it is sent: a sound package of any size up to
/// 4 GiB that no disk holds (`[staging] size = "1GiB"`). Its entries are those of
/// `package`, stored; an error when they alone need more than `size`, or when `package`
/// is larger than [`REWRITABLE_PACKAGE_BYTES`] or no readable zip.
pub fn sized_package(package: &PackageBody, size: u64) -> Result<PackageBody, SizedPackageError> {
    let Some(bytes) = package.to_bytes(REWRITABLE_PACKAGE_BYTES) else {
        return Err(SizedPackageError::NotRewritable { len: package.len() });
    };
    if zip::ZipArchive::new(Cursor::new(&bytes[..])).is_err() {
        return Err(SizedPackageError::NotAZip);
    }
    let grown = oversized_zip(&bytes, size);
    if grown.len() != size {
        return Err(SizedPackageError::TooSmall { needed: grown.len(), size });
    }
    Ok(grown)
}

/// Why [`sized_package`] cannot grow a package to the size asked for (`[staging]
/// size`, `--size`): the scenario or command asks for what cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SizedPackageError {
    /// The package is too large to be rewritten, or a file that cannot be read.
    #[error(
        "the package is {len} bytes; a size can only be given to a package of at most {REWRITABLE_PACKAGE_BYTES} \
         bytes, or one that cannot be read"
    )]
    NotRewritable {
        /// The package's length in bytes.
        len: u64,
    },
    /// The package is no readable zip archive.
    #[error("the package is not a zip archive that can be read, so it cannot be grown to a size")]
    NotAZip,
    /// The package's own entries, stored, already need more than the size.
    #[error("the package's own entries need {needed} bytes when stored, more than the size of {size} bytes")]
    TooSmall {
        /// The bytes its entries need.
        needed: u64,
        /// The size asked for.
        size: u64,
    },
}

/// Bytes that look like a zip (they start with [`ZIP_MAGIC`]) but that no reader can
/// open: everything after the magic is scrambled, which breaks the local headers for
/// streaming readers, and no end-of-central-directory signature is left for readers
/// that seek it. A target must answer such a package with 1432 (CMI010 §6.3).
pub fn corrupt(bytes: &[u8]) -> Bytes {
    let rest = bytes.strip_prefix(&ZIP_MAGIC).unwrap_or(bytes);
    let mut out = Vec::with_capacity(ZIP_MAGIC.len() + rest.len());
    out.extend_from_slice(&ZIP_MAGIC);
    out.extend(rest.iter().map(|b| b ^ 0xA5));
    // Scrambling could, by chance, spell a signature; break every one of them.
    let mut at = ZIP_MAGIC.len();
    while let Some(offset) = find(&out[at..], &END_OF_CENTRAL_DIRECTORY) {
        let position = at + offset;
        out[position] = b'X';
        at = position + 1;
    }
    Bytes::from(out)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// One file or folder to put in the archive.
struct Entry {
    /// The name inside the archive: relative, `/`-separated, folders ending in `/`.
    name: String,
    path: PathBuf,
    is_dir: bool,
    /// The file's length (0 for a folder).
    len: u64,
}

fn collect_entries(root: &Path, dir: &Path, into: &mut Vec<Entry>) -> Result<(), MockError> {
    let read_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MockError::Read { path, source }
    };
    for item in fs::read_dir(dir).map_err(read_error(dir))? {
        let path = item.map_err(read_error(dir))?.path();
        // `metadata` follows symbolic links: a linked file is packaged as its content.
        let metadata = fs::metadata(&path).map_err(read_error(&path))?;
        let name = archive_name(root, &path)?;
        if metadata.is_dir() {
            into.push(Entry { name: format!("{name}/"), path: path.clone(), is_dir: true, len: 0 });
            collect_entries(root, &path, into)?;
        } else if metadata.is_file() {
            into.push(Entry { name, path, is_dir: false, len: metadata.len() });
        } else {
            return Err(MockError::Unpackable { path, reason: "neither a file nor a folder" });
        }
    }
    Ok(())
}

fn archive_name(root: &Path, path: &Path) -> Result<String, MockError> {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let parts: Option<Vec<&str>> = relative.components().map(|c| c.as_os_str().to_str()).collect();
    match parts {
        Some(parts) => Ok(parts.join("/")),
        None => Err(MockError::Unpackable { path: path.to_path_buf(), reason: "the path is not valid UTF-8" }),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/packages")
    }

    fn names(bytes: &[u8]) -> Vec<String> {
        let archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("a readable archive");
        archive.file_names().map(str::to_owned).collect()
    }

    #[test]
    fn every_fixture_folder_zips_with_its_expected_entries() {
        let cases: &[(&str, &[&str])] = &[
            ("scorm12-minimal", &["imsmanifest.xml", "index.html"]),
            ("aicc-minimal", &["course.au", "course.crs", "course.cst", "course.des"]),
            ("qti-minimal", &["assessment.xml"]),
        ];
        for (folder, expected) in cases {
            let bytes = zip_directory(&fixtures().join(folder)).expect("zipped");
            let mut found = names(&bytes);
            found.sort();
            assert_eq!(found, *expected, "{folder}");
        }
    }

    #[test]
    fn zipping_is_deterministic_and_sorted_with_folder_entries() {
        let dir = std::env::temp_dir().join(format!("pens-parties-zip-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("b/empty")).expect("folders");
        fs::write(dir.join("z.txt"), "z").expect("file");
        fs::write(dir.join("a.txt"), "a").expect("file");
        fs::write(dir.join("b/inner.txt"), "inner").expect("file");

        let first = zip_directory(&dir).expect("zipped");
        let second = zip_directory(&dir).expect("zipped");
        assert_eq!(first, second);
        assert_eq!(names(&first), ["a.txt", "b/", "b/empty/", "b/inner.txt", "z.txt"]);

        let mut archive = zip::ZipArchive::new(Cursor::new(first.to_vec())).expect("readable");
        let mut inner = String::new();
        let mut file = archive.by_name("b/inner.txt").expect("entry");
        assert_eq!(file.last_modified(), Some(DateTime::default()));
        file.read_to_string(&mut inner).expect("content");
        assert_eq!(inner, "inner");
        drop(file);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_it() {
        let error = zip_directory(Path::new("/nonexistent/pens-parties")).expect_err("no folder");
        assert!(error.to_string().starts_with("cannot read /nonexistent/pens-parties"), "{error}");
    }

    #[test]
    fn fixture_package_zips_a_folder_or_reads_a_file() {
        let zipped = fixture_package(&fixtures(), "qti-minimal.zip").expect("the folder zipped");
        assert!(zipped.to_bytes(u64::MAX).expect("small").starts_with(&ZIP_MAGIC));
        let readme = fixture_package(&fixtures(), "README.md").expect("a plain file");
        let on_disk = fs::read(fixtures().join("README.md")).expect("read");
        assert_eq!(readme.len(), on_disk.len() as u64);
        assert_eq!(readme.to_bytes(u64::MAX).as_deref(), Some(&on_disk[..]));
        assert!(fixture_package(&fixtures(), "absent.zip").is_err());
        assert!(fixture_package(&fixtures(), "scorm12-minimal").is_err(), "a folder named without .zip");
    }

    #[test]
    fn a_large_folder_is_zipped_to_a_temporary_file_with_the_same_bytes() {
        let dir = std::env::temp_dir().join(format!("pens-parties-large-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("folder");
        fs::write(dir.join("imsmanifest.xml"), "<manifest/>").expect("file");
        // Incompressible enough that the archive is large too.
        let noise: Vec<u8> =
            (0..IN_MEMORY_FOLDER_BYTES + 1).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        fs::write(dir.join("media.bin"), &noise).expect("file");
        let body = fixture_package(
            dir.parent().expect("parent"),
            &format!("{}.zip", dir.file_name().expect("name").to_string_lossy()),
        )
        .expect("zipped");
        let in_memory = zip_directory(&dir).expect("zipped in memory");
        assert_eq!(body.len(), in_memory.len() as u64);
        assert_eq!(body.to_bytes(u64::MAX), Some(in_memory));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_sized_package_is_exactly_that_long_and_keeps_its_entries() {
        let package = PackageBody::from(zip_directory(&fixtures().join("scorm12-minimal")).expect("zipped"));
        for size in [4096, 1_000_003] {
            let grown = sized_package(&package, size).expect("grown");
            assert_eq!(grown.len(), size);
            let bytes = grown.to_bytes(u64::MAX).expect("small enough");
            let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("a sound zip");
            let mut names: Vec<String> = archive.file_names().map(str::to_owned).collect();
            names.sort();
            assert_eq!(names, ["imsmanifest.xml", "index.html", crate::FILLER_ENTRY]);
            let mut filler = archive.by_name(crate::FILLER_ENTRY).expect("filler");
            let mut zeros = Vec::new();
            filler.read_to_end(&mut zeros).expect("its CRC matches");
            assert!(zeros.iter().all(|b| *b == 0));
        }
    }

    #[test]
    fn a_size_too_small_or_a_package_that_is_no_zip_is_refused() {
        let package = PackageBody::from(zip_directory(&fixtures().join("scorm12-minimal")).expect("zipped"));
        let error = sized_package(&package, 100).expect_err("too small");
        assert!(matches!(error, SizedPackageError::TooSmall { size: 100, .. }), "{error:?}");
        assert!(error.to_string().contains("more than the size of 100 bytes"), "{error}");
        let error = sized_package(&PackageBody::from(Bytes::from_static(b"not a zip")), 4096).expect_err("no zip");
        assert_eq!(error, SizedPackageError::NotAZip);
        assert!(error.to_string().contains("not a zip archive"), "{error}");
    }

    #[test]
    fn corrupt_keeps_the_magic_and_no_reader_opens_it() {
        let good = zip_directory(&fixtures().join("scorm12-minimal")).expect("zipped");
        let bad = corrupt(&good);
        assert!(bad.starts_with(&ZIP_MAGIC));
        assert_eq!(bad.len(), good.len());
        assert_ne!(bad, good);
        assert!(zip::ZipArchive::new(Cursor::new(bad.to_vec())).is_err());
        assert!(find(&bad, &END_OF_CENTRAL_DIRECTORY).is_none());
    }

    #[test]
    fn corrupt_breaks_signatures_that_scrambling_would_spell() {
        let spelled: Vec<u8> = END_OF_CENTRAL_DIRECTORY.iter().map(|b| b ^ 0xA5).collect();
        let input = [&ZIP_MAGIC[..], &spelled, &spelled].concat();
        let bad = corrupt(&input);
        assert!(find(&bad, &END_OF_CENTRAL_DIRECTORY).is_none());
        assert!(corrupt(b"").starts_with(&ZIP_MAGIC));
    }
}
