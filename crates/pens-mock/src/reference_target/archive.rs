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

use std::io::{self, Cursor, Read};
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use pens_proto::PackageType;

/// How many bytes the entries of one archive may expand to in total: a guard against
/// archive bombs, far above any course the harness serves.
const MAX_UNPACKED_BYTES: u64 = 1024 * 1024 * 1024;

/// The AICC course structure files (AICC CMI001 course interchange): each must be there.
const AICC_EXTENSIONS: [&str; 4] = ["crs", "au", "des", "cst"];

/// What a good archive held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ArchiveSummary {
    /// Files (not directories) in the archive.
    pub(crate) files: usize,
}

/// Checks `body` as a zip package of `package_type` (the raw collect value; an
/// unknown type is only checked for being a sound archive). `Err` holds the receipt's
/// `error-text` for 1432.
pub(crate) fn check_archive(body: &[u8], package_type: Option<&str>) -> Result<ArchiveSummary, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(body))
        .map_err(|e| format!("the package is not a readable zip archive: {e}"))?;
    let mut names = Vec::with_capacity(archive.len());
    let mut budget = MAX_UNPACKED_BYTES;
    for index in 0..archive.len() {
        let mut entry =
            archive.by_index(index).map_err(|e| format!("entry {index} of the archive is unreadable: {e}"))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_owned();
        // Reading to the end makes the zip crate compare the CRC-32.
        let read = io::copy(&mut (&mut entry).take(budget.saturating_add(1)), &mut io::sink())
            .map_err(|e| format!("`{name}` in the archive is corrupt: {e}"))?;
        if read > budget {
            return Err(format!("the archive expands beyond {MAX_UNPACKED_BYTES} bytes"));
        }
        budget -= read;
        names.push(name);
    }
    if let Some(package_type) = package_type.and_then(PackageType::parse) {
        fits_type(&names, package_type)?;
    }
    Ok(ArchiveSummary { files: names.len() })
}

/// The last small archive checked and what the check found: under load a target
/// fetches the same course thousands of times, and unzipping it every time was the
/// largest cost of the reference target's own. A package byte for byte equal to the
/// last one, with the same `package-type`, gets the same verdict without the unzip.
#[derive(Debug, Default)]
pub(crate) struct LastCheck {
    last: Mutex<Option<Checked>>,
}

#[derive(Debug)]
struct Checked {
    body: Bytes,
    package_type: Option<String>,
    result: Result<ArchiveSummary, String>,
}

impl LastCheck {
    /// [`check_archive`], or the verdict on the same bytes checked last. Meant for
    /// small packages: the bytes are kept until another package is checked.
    pub(crate) fn check(&self, body: &Bytes, package_type: Option<&str>) -> Result<ArchiveSummary, String> {
        let last = || self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(checked) = last().as_ref()
            && checked.body == *body
            && checked.package_type.as_deref() == package_type
        {
            return checked.result.clone();
        }
        // Checked without the lock held: exchanges running at once do not wait on it.
        let result = check_archive(body, package_type);
        *last() =
            Some(Checked { body: body.clone(), package_type: package_type.map(str::to_owned), result: result.clone() });
        result
    }
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
            let result = check_archive(body, Some(package_type));
            assert_eq!(result.is_ok(), *good, "{package_type}: {result:?}");
        }
        let missing = check_archive(&aicc_partial, Some("aicc-pkg")).err().unwrap_or_default();
        assert!(missing.contains(".des, .cst"), "{missing}");
    }

    #[test]
    fn the_last_verdict_is_reused_only_for_the_same_bytes_and_type() {
        let memo = LastCheck::default();
        let good = Bytes::from(zip_of(&[("imsmanifest.xml", "<manifest/>")]));
        let bad = Bytes::from_static(b"not a zip");
        assert!(memo.check(&good, Some("scorm-pif")).is_ok());
        assert!(memo.check(&good, Some("scorm-pif")).is_ok());
        assert!(memo.check(&good, Some("aicc-pkg")).is_err(), "another type is checked again");
        assert!(memo.check(&bad, Some("aicc-pkg")).is_err(), "other bytes are checked again");
        assert!(memo.check(&good, Some("scorm-pif")).is_ok());
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
            assert!(check_archive(body, Some("scorm-pif")).is_err(), "{what}");
        }
        assert_eq!(check_archive(&good, Some("scorm-pif")), Ok(ArchiveSummary { files: 1 }));
    }
}
