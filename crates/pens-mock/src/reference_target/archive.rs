//! Checking a retrieved package: is it an archive the target can import?
//!
//! CMI010 §6.3 gives 1432 ("internal package error") for a package that is bad after
//! retrieval. The reference target checks what a real LMS would trip over first: the
//! zip must open and every entry must decompress with a matching checksum, and the
//! contents must fit the `package-type` of the collect (CMI010 §6.2): a SCORM package
//! interchange file has `imsmanifest.xml` at its root, an AICC course carries its
//! `.crs`, `.au`, `.des` and `.cst` files, an IMS QTI package holds XML.
//!
//! Every package is read as a zip archive, whatever its `package-format` says: the
//! harness stages zip packages only, so a `url` or bare `xml` package gets 1432 here.
//!
//! It is also a careful importer (security best practice, the `security` scenarios): an
//! entry whose name leaves the import folder (`../`, an absolute path, a drive letter)
//! is refused before anything is unpacked (zip-slip), and so is an archive whose entries
//! declare more than [`MAX_UNPACKED_BYTES`] in all (a zip bomb), before a byte is
//! inflated; entries that lie about their size still stop at the same budget.

use std::io::{self, Cursor, Read};

use pens_proto::PackageType;

/// How many bytes the entries of one archive may expand to in total: a guard against
/// archive bombs, far above any course the harness serves.
pub(crate) const MAX_UNPACKED_BYTES: u64 = 1024 * 1024 * 1024;

/// The AICC course structure files (AICC CMI001 course interchange): each must be there.
const AICC_EXTENSIONS: [&str; 4] = ["crs", "au", "des", "cst"];

/// How thoroughly an archive is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArchiveCheck {
    /// Entry names, declared sizes, every entry unpacked against its CRC-32.
    Full,
    /// The directory only: names listed, nothing unpacked or judged
    /// (`shallow-archive-check`).
    Shallow,
}

/// What a good archive held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ArchiveSummary {
    /// Files (not directories) in the archive.
    pub(crate) files: usize,
}

/// Checks `body` as a zip package of `package_type` (the raw collect value; an
/// unknown type is only checked for being a sound archive). `Err` holds the receipt's
/// `error-text` for 1432.
pub(crate) fn check_archive(
    body: &[u8],
    package_type: Option<&str>,
    depth: ArchiveCheck,
) -> Result<ArchiveSummary, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(body))
        .map_err(|e| format!("the package is not a readable zip archive: {e}"))?;
    // The central directory first: names and declared sizes, nothing inflated yet.
    let mut names = Vec::with_capacity(archive.len());
    let mut declared: u64 = 0;
    for index in 0..archive.len() {
        let entry =
            archive.by_index_raw(index).map_err(|e| format!("entry {index} of the archive is unreadable: {e}"))?;
        if depth == ArchiveCheck::Full && leaves_the_folder(entry.name()) {
            return Err(format!("entry `{}` would be unpacked outside the import folder", entry.name().escape_debug()));
        }
        declared = declared.saturating_add(entry.size());
        if !entry.is_dir() {
            names.push(entry.name().to_owned());
        }
    }
    if depth == ArchiveCheck::Full {
        if declared > MAX_UNPACKED_BYTES {
            return Err(format!(
                "the archive's entries declare {declared} bytes unpacked, beyond the {MAX_UNPACKED_BYTES} this target unpacks"
            ));
        }
        unpack_all(&mut archive)?;
    }
    if let Some(package_type) = package_type.and_then(PackageType::parse) {
        fits_type(&names, package_type)?;
    }
    Ok(ArchiveSummary { files: names.len() })
}

/// Inflates every file entry to nowhere, which makes the zip crate compare its CRC-32,
/// within [`MAX_UNPACKED_BYTES`] in all whatever the entries declare.
fn unpack_all(archive: &mut zip::ZipArchive<Cursor<&[u8]>>) -> Result<(), String> {
    let mut budget = MAX_UNPACKED_BYTES;
    for index in 0..archive.len() {
        let mut entry =
            archive.by_index(index).map_err(|e| format!("entry {index} of the archive is unreadable: {e}"))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_owned();
        let read = io::copy(&mut (&mut entry).take(budget.saturating_add(1)), &mut io::sink())
            .map_err(|e| format!("`{name}` in the archive is corrupt: {e}"))?;
        if read > budget {
            return Err(format!("the archive expands beyond {MAX_UNPACKED_BYTES} bytes"));
        }
        budget -= read;
    }
    Ok(())
}

/// Whether an entry name would land outside the folder the archive is unpacked into:
/// absolute (`/x`, `\x`, `C:x`), or climbing above its start with `..` (either slash).
pub(crate) fn leaves_the_folder(name: &str) -> bool {
    let name = name.replace('\\', "/");
    let drive = name.len() >= 2 && name.as_bytes()[1] == b':' && name.as_bytes()[0].is_ascii_alphabetic();
    if name.starts_with('/') || drive || name.contains('\0') {
        return true;
    }
    let mut depth: i64 = 0;
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

/// Whether the file names fit the package type.
fn fits_type(names: &[String], package_type: PackageType) -> Result<(), String> {
    let extension = |name: &str| name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase());
    match package_type {
        PackageType::ScormPif if names.iter().any(|n| n == "imsmanifest.xml") => Ok(()),
        PackageType::ScormPif => Err("a scorm-pif package has no imsmanifest.xml at its root".to_owned()),
        PackageType::AiccPkg => {
            let missing: Vec<String> = AICC_EXTENSIONS
                .into_iter()
                .filter(|wanted| !names.iter().any(|n| extension(n).as_deref() == Some(*wanted)))
                .map(|ext| format!(".{ext}"))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("an aicc-pkg package lacks its {} file(s)", missing.join(", ")))
            }
        }
        PackageType::ImsQti if names.iter().any(|n| extension(n).as_deref() == Some("xml")) => Ok(()),
        PackageType::ImsQti => Err("an ims-qti package holds no .xml file".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in files {
            writer.start_file(*name, zip::write::SimpleFileOptions::default()).expect("start");
            writer.write_all(content.as_bytes()).expect("write");
        }
        writer.finish().expect("finish").into_inner()
    }

    #[test]
    fn each_type_needs_its_files() {
        let scorm = zip_of(&[("imsmanifest.xml", "<manifest/>"), ("index.html", "hi")]);
        let nested = zip_of(&[("course/imsmanifest.xml", "<manifest/>")]);
        let aicc = zip_of(&[("c.crs", "x"), ("c.au", "x"), ("c.des", "x"), ("c.CST", "x")]);
        let aicc_partial = zip_of(&[("c.crs", "x"), ("c.au", "x")]);
        let qti = zip_of(&[("items/q1.xml", "<item/>")]);
        let cases: &[(&[u8], &str, bool)] = &[
            (&scorm, "scorm-pif", true),
            (&nested, "scorm-pif", false),
            (&qti, "scorm-pif", false),
            (&aicc, "aicc-pkg", true),
            (&aicc_partial, "aicc-pkg", false),
            (&scorm, "aicc-pkg", false),
            (&qti, "ims-qti", true),
            (&scorm, "ims-qti", true),
            (&aicc, "ims-qti", false),
            (&aicc, "some-other-type", true),
        ];
        for (body, package_type, good) in cases {
            let result = check_archive(body, Some(package_type), ArchiveCheck::Full);
            assert_eq!(result.is_ok(), *good, "{package_type}: {result:?}");
        }
        let missing = check_archive(&aicc_partial, Some("aicc-pkg"), ArchiveCheck::Full).err().unwrap_or_default();
        assert!(missing.contains(".des, .cst"), "{missing}");
    }

    #[test]
    fn broken_archives_are_refused_without_panicking() {
        let good = zip_of(&[("imsmanifest.xml", "<manifest>some content to compress</manifest>")]);
        let truncated = &good[..good.len() / 2];
        let mut flipped = good.clone();
        // The first entry's data starts after its 30-byte local header and 15-byte name.
        flipped[30 + 15 + 2] ^= 0xff;
        for (what, body) in [
            ("empty", &b""[..]),
            ("text", &b"this is not a zip"[..]),
            ("truncated", truncated),
            ("flipped", &flipped[..]),
        ] {
            assert!(check_archive(body, Some("scorm-pif"), ArchiveCheck::Full).is_err(), "{what}");
        }
        assert_eq!(check_archive(&good, Some("scorm-pif"), ArchiveCheck::Full), Ok(ArchiveSummary { files: 1 }));
    }

    #[test]
    fn names_that_leave_the_folder_are_recognised() {
        for bad in ["../x", "a/../../x", "/etc/passwd", "\\\\server\\x", "..\\..\\x", "C:x", "c:/x", "a\0b"] {
            assert!(leaves_the_folder(bad), "{bad}");
        }
        for good in ["x", "a/b/c.xml", "a/../b", "./a", "a//b", "res/", "..x", "a..b/c"] {
            assert!(!leaves_the_folder(good), "{good}");
        }
    }

    #[test]
    fn hostile_archives_are_refused_and_a_shallow_check_lets_them_through() {
        let package = zip_of(&[("imsmanifest.xml", "<manifest/>")]);
        let slip = crate::zip_slip(&package).to_bytes(1 << 20).expect("small");
        let error = check_archive(&slip, Some("scorm-pif"), ArchiveCheck::Full).expect_err("refused");
        assert!(error.contains("`../../pens-conform-zip-slip.txt` would be unpacked outside"), "{error}");

        let bomb = crate::zip_bomb(&package).to_bytes(16 << 20).expect("a few MiB");
        let started = std::time::Instant::now();
        let error = check_archive(&bomb, Some("scorm-pif"), ArchiveCheck::Full).expect_err("refused");
        assert!(error.contains("declare 2147483659 bytes unpacked"), "{error}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "refused without inflating");

        for hostile in [&slip, &bomb] {
            assert_eq!(check_archive(hostile, Some("scorm-pif"), ArchiveCheck::Shallow).map(|s| s.files > 1), Ok(true));
        }
    }
}
