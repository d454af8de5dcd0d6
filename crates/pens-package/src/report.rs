//! The report: what [`crate::inspect`] found in a staged package, as data.
//!
//! A report never fails: a package that cannot be opened is a report whose
//! [`PackageReport::unreadable`] says why (a conformant target answers such a package
//! with 1432, CMI010 §6.3), and every deviation from the declared `package-format` and
//! `package-type` is a [`Finding`] of `client.package.format` (CMI010 §6.2).

use std::fmt;

use pens_proto::{Finding, PackageType};
use serde::{Serialize, Serializer};

use crate::manifest::Manifest;

/// The container the staged bytes are, as far as their first bytes and structure tell.
///
/// The reserved `package-format` values of CMI010 §6.2 that name a container: `jar` and
/// `war` are zip archives with a `META-INF/` or `WEB-INF/` folder; `url` names no
/// container at all (the package is whatever the URL serves).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PackageFormat {
    /// A zip archive (APPNOTE), without the folders that make it a jar or a war.
    Zip,
    /// A zip archive with a `META-INF/` folder at the root (and no `WEB-INF/`).
    Jar,
    /// A zip archive with a `WEB-INF/` folder at the root.
    War,
    /// An XML document (optionally behind a byte-order mark).
    Xml,
    /// Anything else: empty, an HTML page, another archive format, random bytes.
    Unknown,
}

impl PackageFormat {
    /// The lower-case name used in reports; the `package-format` value for all but `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            PackageFormat::Zip => "zip",
            PackageFormat::Jar => "jar",
            PackageFormat::War => "war",
            PackageFormat::Xml => "xml",
            PackageFormat::Unknown => "unknown",
        }
    }

    /// Whether the bytes are a zip archive (`zip`, `jar` or `war`).
    pub fn is_zip(self) -> bool {
        matches!(self, PackageFormat::Zip | PackageFormat::Jar | PackageFormat::War)
    }
}

impl fmt::Display for PackageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a package holds, told from its files (see the crate documentation for the rules).
///
/// Listed in order of precedence: when a package holds several (a SCORM course with
/// QTI item files), [`PackageReport::kinds`] lists them in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[non_exhaustive]
pub enum ContentKind {
    /// A SCORM 1.2 package: `imsmanifest.xml` at the root with schemaversion `1.2` or
    /// the SCORM 1.2 namespaces.
    #[serde(rename = "scorm-1.2")]
    Scorm12,
    /// A SCORM 2004 package: `imsmanifest.xml` at the root with schemaversion
    /// `CAM 1.3` or `2004 … Edition`, or the SCORM 2004 namespaces.
    #[serde(rename = "scorm-2004")]
    Scorm2004,
    /// An IMS QTI document or package: an XML file whose root element is
    /// `questestinterop` (QTI 1.x), `assessmentItem`/`assessmentTest` (QTI 2.x) or
    /// `qti-assessment-item`/`qti-assessment-test` (QTI 3).
    #[serde(rename = "ims-qti")]
    ImsQti,
    /// An AICC course: the four course structure files (`.crs`, `.au`, `.des`, `.cst`)
    /// at the root.
    #[serde(rename = "aicc")]
    Aicc,
    /// An IMS content package whose `imsmanifest.xml` (at the root) carries no SCORM
    /// marker: no `ADL SCORM` schema, no known schemaversion, no ADL namespace.
    #[serde(rename = "ims-cp")]
    ImsContentPackage,
    /// None of the above.
    #[serde(rename = "unknown")]
    Unknown,
}

impl ContentKind {
    /// The name used in reports and findings.
    pub fn name(self) -> &'static str {
        match self {
            ContentKind::Scorm12 => "scorm-1.2",
            ContentKind::Scorm2004 => "scorm-2004",
            ContentKind::ImsQti => "ims-qti",
            ContentKind::Aicc => "aicc",
            ContentKind::ImsContentPackage => "ims-cp",
            ContentKind::Unknown => "unknown",
        }
    }

    /// The `package-type` (CMI010 §6.2) that announces this content, if one does.
    pub fn package_type(self) -> Option<PackageType> {
        match self {
            ContentKind::Scorm12 | ContentKind::Scorm2004 => Some(PackageType::ScormPif),
            ContentKind::ImsQti => Some(PackageType::ImsQti),
            ContentKind::Aicc => Some(PackageType::AiccPkg),
            ContentKind::ImsContentPackage | ContentKind::Unknown => None,
        }
    }
}

impl fmt::Display for ContentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One entry of an archive, as its central directory describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    /// The name as stored, `/`-separated; decoded as UTF-8 when flagged so, as CP437
    /// otherwise (what the zip format says), with invalid bytes replaced.
    pub name: String,
    /// Uncompressed size in bytes, as declared (not necessarily the truth).
    pub size: u64,
    /// Compressed size in bytes, as declared.
    pub compressed_size: u64,
    /// Whether the entry is a folder (its name ends in `/`).
    pub is_dir: bool,
}

/// The entries of an archive: the first [`crate::Limits::max_listed`], and how many
/// there are in all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileList {
    /// The first entries, in central-directory order.
    pub entries: Vec<FileEntry>,
    /// How many entries the archive holds.
    pub total: usize,
    /// The sum of the declared uncompressed sizes of all examined entries.
    pub total_size: u64,
}

/// Longest evidence string [`FileList::evidence`] builds, below the cut of
/// [`pens_proto::redact`] so that the entry count at its end survives.
const EVIDENCE_CHARS: usize = 180;

impl FileList {
    /// Whether some entries are not in [`FileList::entries`].
    pub fn is_truncated(&self) -> bool {
        self.entries.len() < self.total
    }

    /// The names of the listed entries.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|entry| entry.name.as_str())
    }

    /// The file list as one line of evidence for a finding: the first names, then the
    /// entry count, e.g. `course/imsmanifest.xml, course/index.html (2 entries)`.
    pub fn evidence(&self) -> String {
        let names: Vec<&str> = self.names().collect();
        evidence_line(&names, self.total, ("entry", "entries"))
    }
}

/// `a, b, c, … (N things)`, short enough to be quoted whole; `noun` is (one, many).
pub(crate) fn evidence_line(names: &[&str], total: usize, noun: (&str, &str)) -> String {
    let (one, many) = noun;
    if total == 0 {
        return format!("(no {many})");
    }
    let mut line = String::new();
    let mut shown = 0;
    for name in names {
        let separator = if shown == 0 { "" } else { ", " };
        if line.chars().count() + separator.len() + name.chars().count() > EVIDENCE_CHARS {
            break;
        }
        line.push_str(separator);
        line.push_str(name);
        shown += 1;
    }
    if shown < total {
        line.push_str(if shown == 0 { "…" } else { ", …" });
    }
    format!("{line} ({total} {})", if total == 1 { one } else { many })
}

/// `812 bytes`, `6.4 KiB`, `200.0 MiB`: sizes as a person reads them in a finding.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Why a package cannot be opened as what it was declared to be: the hard error, the
/// one a target answers with 1432 (internal package error, CMI010 §6.3).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unreadable {
    /// Zero bytes.
    #[error("the staged file is empty")]
    Empty,
    /// Declared a zip, jar or war; the bytes are something else.
    #[error("declared {declared} but the bytes are not a zip archive ({seen})")]
    NotAnArchive {
        /// The declared `package-format`.
        declared: String,
        /// What the bytes look like instead.
        seen: String,
    },
    /// The bytes look like a zip archive (or were declared one) but no reader opens it.
    #[error("the zip archive cannot be opened: {reason}")]
    BrokenArchive {
        /// What the zip reader said.
        reason: String,
    },
    /// The bytes look like XML (or were declared XML) but are not well-formed.
    #[error("the XML document does not parse: {reason}")]
    BrokenXml {
        /// Where and why, e.g. `line 3: expected </item>`.
        reason: String,
    },
    /// Declared `xml`; the bytes are something else.
    #[error("declared xml but the bytes are not an XML document ({seen})")]
    NotXml {
        /// What the bytes look like instead.
        seen: String,
    },
    /// The reader the package was inspected from failed ([`crate::inspect_reader`]: a
    /// disk error, a file shorter than announced). Says nothing about the package
    /// itself, which was not judged: a caller reports the inspection as not done, not
    /// the package as broken.
    #[error("the package could not be read for inspection: {reason}")]
    ReadFailed {
        /// What the reader said.
        reason: String,
    },
}

impl Serialize for Unreadable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

/// Everything [`crate::inspect`] found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PackageReport {
    /// The container the bytes are.
    pub format: PackageFormat,
    /// How many bytes were staged.
    pub size: u64,
    /// Why the package cannot be opened as declared; `None` when it can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<Unreadable>,
    /// The archive's entries (empty unless the bytes are a readable zip).
    pub files: FileList,
    /// What the package holds, in order of precedence; empty when nothing is recognised.
    pub kinds: Vec<ContentKind>,
    /// What the root `imsmanifest.xml` (or a bare XML manifest) says, when it parses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Manifest>,
    /// Whether every entry was decompressed and its checksum verified; `false` when a
    /// limit stopped the check early or an entry could not be read.
    pub verified: bool,
    /// Uncompressed bytes actually decompressed (never more than
    /// [`crate::Limits::max_uncompressed`] plus one per entry).
    pub bytes_decompressed: u64,
    /// Deviations, each citing `client.package.format` (CMI010 §6.2).
    pub findings: Vec<Finding>,
}

impl PackageReport {
    /// Whether the bytes open as the declared `package-format` (or, with none declared,
    /// as what they look like). A target answers an unreadable package with 1432.
    pub fn is_readable(&self) -> bool {
        self.unreadable.is_none()
    }

    /// The main content kind: the first of [`PackageReport::kinds`], or
    /// [`ContentKind::Unknown`].
    pub fn kind(&self) -> ContentKind {
        self.kinds.first().copied().unwrap_or(ContentKind::Unknown)
    }

    /// Whether the package holds content of `kind`.
    pub fn holds(&self, kind: ContentKind) -> bool {
        self.kinds.contains(&kind)
    }

    pub(crate) fn new(format: PackageFormat, size: u64) -> Self {
        PackageReport {
            format,
            size,
            unreadable: None,
            files: FileList::default(),
            kinds: Vec::new(),
            manifest: None,
            verified: false,
            bytes_decompressed: 0,
            findings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(names: &[&str]) -> FileList {
        FileList {
            entries: names
                .iter()
                .map(|name| FileEntry { name: (*name).to_owned(), size: 1, compressed_size: 1, is_dir: false })
                .collect(),
            total: names.len(),
            total_size: names.len() as u64,
        }
    }

    #[test]
    fn evidence_names_the_files_and_counts_them() {
        let cases: &[(&[&str], &str)] = &[
            (&[], "(no entries)"),
            (&["a.xml"], "a.xml (1 entry)"),
            (&["imsmanifest.xml", "index.html"], "imsmanifest.xml, index.html (2 entries)"),
        ];
        for (names, expected) in cases {
            assert_eq!(list(names).evidence(), *expected);
        }
    }

    #[test]
    fn long_evidence_is_cut_before_the_count() {
        let names: Vec<String> = (0..500).map(|i| format!("folder/file-{i:04}.html")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let line = evidence_line(&refs, 5000, ("entry", "entries"));
        assert!(line.ends_with(", … (5000 entries)"), "{line}");
        assert!(line.chars().count() <= EVIDENCE_CHARS + 30, "{line}");
        assert_eq!(pens_proto::redact(&line), line);
        let one_huge = "x".repeat(400);
        assert_eq!(evidence_line(&[&one_huge], 1, ("entry", "entries")), "… (1 entry)");
    }

    #[test]
    fn sizes_read_like_sizes() {
        let cases = [
            (0, "0 bytes"),
            (1023, "1023 bytes"),
            (1024, "1.0 KiB"),
            (64 << 20, "64.0 MiB"),
            (u64::MAX, "16777216.0 TiB"),
        ];
        for (bytes, expected) in cases {
            assert_eq!(human_size(bytes), expected);
        }
    }

    #[test]
    fn kinds_map_to_package_types() {
        assert_eq!(ContentKind::Scorm2004.package_type(), Some(PackageType::ScormPif));
        assert_eq!(ContentKind::Aicc.package_type(), Some(PackageType::AiccPkg));
        assert_eq!(ContentKind::ImsContentPackage.package_type(), None);
        assert_eq!(serde_json::to_string(&ContentKind::Scorm12).ok().as_deref(), Some("\"scorm-1.2\""));
    }
}
