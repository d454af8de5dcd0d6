//! Packages the staging server serves, built at run time from fixture folders so that
//! no binary archive lives in git (`fixtures/packages/README.md` lists the folders).
//!
//! Archives are deterministic: entries sorted by path, one fixed timestamp, fixed
//! permissions. The same folder always yields the same bytes, so a report that quotes
//! a size or a digest stays stable from run to run.

use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::error::MockError;

/// The signature a zip archive starts with (local file header, APPNOTE 4.3.7).
pub const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";

/// The signature of the end-of-central-directory record, which every archive reader
/// that seeks the central directory looks for from the end (APPNOTE 4.3.16).
const END_OF_CENTRAL_DIRECTORY: [u8; 4] = *b"PK\x05\x06";

/// Zips the files under `dir`, paths relative to it with `/` separators, in sorted order,
/// each stamped 1980-01-01 00:00:00 (the zip epoch) with mode 0644. Sub-folders get
/// their own entries so that every unzip tool recreates them, empty ones included.
pub fn zip_directory(dir: &Path) -> Result<Bytes, MockError> {
    let mut entries = Vec::new();
    collect_entries(dir, dir, &mut entries)?;
    entries.sort_by(|a, b| a.name.cmp(&b.name));

    let file_options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    let dir_options = file_options.unix_permissions(0o755);
    let zip_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MockError::Zip { path, source }
    };

    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for entry in &entries {
        if entry.is_dir {
            writer.add_directory(entry.name.as_str(), dir_options).map_err(zip_error(&entry.path))?;
            continue;
        }
        let content = fs::read(&entry.path).map_err(|source| MockError::Read { path: entry.path.clone(), source })?;
        writer.start_file(entry.name.as_str(), file_options).map_err(zip_error(&entry.path))?;
        writer
            .write_all(&content)
            .map_err(|source| MockError::Zip { path: entry.path.clone(), source: source.into() })?;
    }
    let cursor = writer.finish().map_err(zip_error(dir))?;
    Ok(Bytes::from(cursor.into_inner()))
}

/// The package named `name` in the fixture folder `packages_dir`: `scorm12-minimal.zip`
/// is the folder `scorm12-minimal/` zipped by [`zip_directory`] when that folder exists,
/// otherwise the file itself, read as is. Scenario files name packages this way.
pub fn fixture_package(packages_dir: &Path, name: &str) -> Result<Bytes, MockError> {
    if let Some(stem) = name.strip_suffix(".zip") {
        let folder = packages_dir.join(stem);
        if folder.is_dir() {
            return zip_directory(&folder);
        }
    }
    let path = packages_dir.join(name);
    fs::read(&path).map(Bytes::from).map_err(|source| MockError::Read { path, source })
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
            into.push(Entry { name: format!("{name}/"), path: path.clone(), is_dir: true });
            collect_entries(root, &path, into)?;
        } else if metadata.is_file() {
            into.push(Entry { name, path, is_dir: false });
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
        let dir = std::env::temp_dir().join(format!("pens-mock-zip-{}", std::process::id()));
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
        let error = zip_directory(Path::new("/nonexistent/pens-mock")).expect_err("no folder");
        assert!(error.to_string().starts_with("cannot read /nonexistent/pens-mock"), "{error}");
    }

    #[test]
    fn fixture_package_zips_a_folder_or_reads_a_file() {
        let zipped = fixture_package(&fixtures(), "qti-minimal.zip").expect("the folder zipped");
        assert!(zipped.starts_with(&ZIP_MAGIC));
        let readme = fixture_package(&fixtures(), "README.md").expect("a plain file");
        assert!(readme.starts_with(b"#"));
        assert!(fixture_package(&fixtures(), "absent.zip").is_err());
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
