//! Telling what a package holds from its files.
//!
//! The rules, in the order of [`ContentKind`]:
//! - **SCORM** (`scorm-pif`): a file named exactly `imsmanifest.xml` at the root of
//!   the archive (IMS CP 1.1.4 §3, SCORM CAM: "the manifest must be at the root of the
//!   package interchange file"), whose schemaversion or namespaces say which edition.
//!   A manifest elsewhere, or differently cased, does not make a SCORM package: a
//!   target will not find it. It is reported where it is.
//! - **QTI** (`ims-qti`): any XML entry (`*.xml`, anywhere: QTI 2 packages keep items
//!   in folders) whose root element is a QTI root; the first
//!   [`Limits::max_sniffed_entries`] XML entries are looked at, each from its first
//!   [`Limits::max_sniff_bytes`].
//! - **AICC** (`aicc-pkg`): the four course structure files of CMI001 (`.crs`, `.au`,
//!   `.des`, `.cst`, extension case-insensitive) at the root, where importers look for
//!   them; a complete set in a sub-folder is reported as misplaced.
//! - **IMS content package**: a root `imsmanifest.xml` without any SCORM marker.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::archive::{Archive, Budget, Contents, Entry, Outcome};
use crate::manifest::{Manifest, read_manifest};
use crate::options::Limits;
use crate::report::ContentKind;
use crate::xml::{XmlError, decode, root_element};

/// The manifest a SCORM package has at its root.
pub(crate) const MANIFEST: &str = "imsmanifest.xml";

/// The four AICC course structure files, by extension (CMI001 §5).
pub const AICC_EXTENSIONS: [&str; 4] = ["crs", "au", "des", "cst"];

/// Root element names of QTI documents: 1.x, 2.x, 3.0.
const QTI_ROOTS: [&str; 5] =
    ["questestinterop", "assessmentItem", "assessmentTest", "qti-assessment-item", "qti-assessment-test"];

/// What became of the root manifest.
#[derive(Clone, Debug, Default)]
pub(crate) enum ManifestState {
    /// There is none at the root.
    #[default]
    Absent,
    /// It parses.
    Parsed(Manifest),
    /// It is not well-formed.
    Invalid(XmlError),
    /// It is bigger than [`Limits::max_xml_bytes`] (declared or actual).
    TooLarge,
    /// It could not be read (see the archive findings).
    Unread,
}

/// Everything the content rules found.
#[derive(Clone, Debug, Default)]
pub(crate) struct Facts {
    pub kinds: Vec<ContentKind>,
    pub manifest: ManifestState,
    /// Entries named like the manifest but not exactly `imsmanifest.xml` at the root.
    pub misplaced_manifests: Vec<String>,
    /// The AICC files at the root, by extension.
    pub aicc_at_root: BTreeMap<&'static str, Vec<String>>,
    /// The shallowest folder holding all four AICC files, when the root does not.
    pub aicc_folder: Option<String>,
    /// The AICC extensions found anywhere in the archive (any folder).
    pub aicc_anywhere: BTreeSet<&'static str>,
    /// Whether every entry of the archive was examined (an absent name proves
    /// something only then).
    pub listed_all: bool,
    /// `.crs` files at the root with no `[Course]` group.
    pub crs_without_course: Vec<String>,
    /// Entries with a QTI root element.
    pub qti: Vec<String>,
    /// Whether there were more XML entries than were looked at.
    pub xml_unsniffed: bool,
    /// Files the root manifest references that are not in the archive.
    pub missing_files: Vec<String>,
    /// Referenced files present only with another letter case.
    pub miscased_files: Vec<String>,
}

fn extension(name: &str) -> Option<String> {
    name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase())
}

fn is_xml(entry: &Entry) -> bool {
    !entry.is_dir && extension(entry.file_name()).as_deref() == Some("xml")
}

/// Reads what the rules need from `archive`, within `budget`, and applies them.
pub(crate) fn examine(archive: &mut Archive<'_>, budget: &mut Budget, limits: &Limits) -> (Facts, HashSet<usize>) {
    let mut facts = Facts::default();
    let mut verified = HashSet::new();

    // SCORM: the manifest at the root, and any other entry that looks like one.
    let root_manifest = archive.entries.iter().position(|e| e.name == MANIFEST);
    facts.misplaced_manifests = archive
        .entries
        .iter()
        .filter(|e| !e.is_dir && e.name != MANIFEST && e.file_name().eq_ignore_ascii_case(MANIFEST))
        .map(|e| e.name.clone())
        .collect();
    if let Some(position) = root_manifest {
        let entry = &archive.entries[position];
        let cap = limits.max_xml_bytes as u64;
        facts.manifest = if entry.size > cap {
            ManifestState::TooLarge
        } else if !entry.readable() {
            ManifestState::Unread
        } else {
            let contents = archive.read(position, cap.saturating_add(1), true, budget);
            note_verified(position, &contents, &mut verified);
            match contents.outcome {
                Outcome::Complete => match decode(&contents.bytes, false).and_then(|text| read_manifest(&text)) {
                    Ok(manifest) => ManifestState::Parsed(manifest),
                    Err(error) => ManifestState::Invalid(error),
                },
                Outcome::Capped => ManifestState::TooLarge,
                _ => ManifestState::Unread,
            }
        };
    }
    if let ManifestState::Parsed(manifest) = &facts.manifest {
        (facts.missing_files, facts.miscased_files) = check_references(manifest, archive);
    }

    // QTI: the first XML entries other than the manifest.
    let candidates: Vec<usize> = archive
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| is_xml(e) && e.readable() && !e.file_name().eq_ignore_ascii_case(MANIFEST))
        .map(|(position, _)| position)
        .collect();
    facts.xml_unsniffed = candidates.len() > limits.max_sniffed_entries;
    for position in candidates.into_iter().take(limits.max_sniffed_entries) {
        let contents = archive.read(position, limits.max_sniff_bytes as u64, true, budget);
        note_verified(position, &contents, &mut verified);
        if matches!(contents.outcome, Outcome::Complete | Outcome::Capped) && is_qti(&contents.bytes) {
            facts.qti.push(archive.entries[position].name.clone());
        }
    }

    // AICC: the four files at the root, or a complete set elsewhere.
    for entry in archive.entries.iter().filter(|e| e.at_root()) {
        if let Some(ext) = extension(&entry.name).and_then(|ext| AICC_EXTENSIONS.into_iter().find(|a| *a == ext)) {
            facts.aicc_at_root.entry(ext).or_default().push(entry.name.clone());
        }
    }
    if facts.aicc_at_root.len() < AICC_EXTENSIONS.len() {
        facts.aicc_folder = complete_aicc_folder(&archive.entries);
    }
    facts.aicc_anywhere = archive
        .entries
        .iter()
        .filter(|e| !e.is_dir)
        .filter_map(|e| extension(e.file_name()).and_then(|ext| AICC_EXTENSIONS.into_iter().find(|a| *a == ext)))
        .collect();
    facts.listed_all = archive.entries.len() >= archive.total;
    let crs: Vec<usize> = archive
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.at_root() && e.readable() && extension(&e.name).as_deref() == Some("crs"))
        .map(|(position, _)| position)
        .collect();
    for position in crs {
        let contents = archive.read(position, limits.max_sniff_bytes as u64, true, budget);
        note_verified(position, &contents, &mut verified);
        let readable = matches!(contents.outcome, Outcome::Complete | Outcome::Capped);
        if readable && !has_course_group(&contents.bytes) {
            facts.crs_without_course.push(archive.entries[position].name.clone());
        }
    }

    facts.kinds = kinds(&facts);
    (facts, verified)
}

/// An entry read to its end has had its checksum verified: no need to read it again.
fn note_verified(position: usize, contents: &Contents, verified: &mut HashSet<usize>) {
    if contents.outcome == Outcome::Complete {
        verified.insert(position);
    }
}

/// The kinds found, in order of precedence.
fn kinds(facts: &Facts) -> Vec<ContentKind> {
    let mut kinds = Vec::new();
    if let ManifestState::Parsed(manifest) = &facts.manifest
        && let Some(kind) = manifest.kind()
    {
        kinds.push(kind);
    }
    if !facts.qti.is_empty() {
        kinds.push(ContentKind::ImsQti);
    }
    if facts.aicc_at_root.len() == AICC_EXTENSIONS.len() {
        kinds.push(ContentKind::Aicc);
    }
    kinds.sort();
    kinds
}

/// A bare XML package: a QTI document, or a manifest on its own.
pub(crate) fn examine_xml(text: &str) -> (Vec<ContentKind>, Option<Manifest>) {
    match root_element(text) {
        Ok(root) if QTI_ROOTS.contains(&root.local.as_str()) => (vec![ContentKind::ImsQti], None),
        Ok(root) if root.local == "manifest" => match read_manifest(text) {
            Ok(manifest) => (manifest.kind().into_iter().collect(), Some(manifest)),
            Err(_) => (Vec::new(), None),
        },
        _ => (Vec::new(), None),
    }
}

/// Whether the bytes (possibly only the start of a document) have a QTI root element.
pub(crate) fn is_qti(bytes: &[u8]) -> bool {
    decode(bytes, true).and_then(|text| root_element(&text)).is_ok_and(|root| QTI_ROOTS.contains(&root.local.as_str()))
}

/// Whether an AICC course description file has its `[Course]` group (CMI001 §5.1.1;
/// group names are case-insensitive).
fn has_course_group(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.lines().any(|line| line.trim().eq_ignore_ascii_case("[course]"))
}

/// The shallowest folder (then the first by name) that holds all four AICC files.
fn complete_aicc_folder(entries: &[Entry]) -> Option<String> {
    let mut by_folder: HashMap<&str, HashSet<String>> = HashMap::new();
    for entry in entries.iter().filter(|e| !e.is_dir && !e.folder().is_empty()) {
        if let Some(ext) = extension(entry.file_name()).filter(|ext| AICC_EXTENSIONS.contains(&ext.as_str())) {
            by_folder.entry(entry.folder()).or_default().insert(ext);
        }
    }
    by_folder
        .into_iter()
        .filter(|(_, found)| found.len() == AICC_EXTENSIONS.len())
        .map(|(folder, _)| folder)
        .min_by_key(|folder| (folder.matches('/').count(), *folder))
        .map(str::to_owned)
}

/// Files the manifest references that the archive lacks, and those it holds only with
/// another letter case. Skipped when not every entry was examined: an absent name
/// proves nothing then.
fn check_references(manifest: &Manifest, archive: &Archive<'_>) -> (Vec<String>, Vec<String>) {
    let (mut missing, mut miscased) = (Vec::new(), Vec::new());
    if archive.entries.len() < archive.total {
        return (missing, miscased);
    }
    let names: HashSet<&str> = archive.entries.iter().map(|e| e.name.as_str()).collect();
    let lowered: HashSet<String> = names.iter().map(|name| name.to_lowercase()).collect();
    let mut seen = HashSet::new();
    for href in &manifest.hrefs {
        if names.contains(href.as_str()) || !seen.insert(href.as_str()) {
            continue;
        }
        if lowered.contains(&href.to_lowercase()) {
            miscased.push(href.clone());
        } else {
            missing.push(href.clone());
        }
    }
    (missing, miscased)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qti_roots_are_recognised_in_a_prefix() {
        let cases: &[(&[u8], bool)] = &[
            (b"<?xml version='1.0'?><questestinterop><assessment ident='x'>", true),
            (b"<assessmentItem xmlns='http://www.imsglobal.org/xsd/imsqti_v2p1' identifier='i'>", true),
            (b"\xEF\xBB\xBF<qti-assessment-test identifier='t'/>", true),
            (b"<manifest/>", false),
            (b"<html><body>", false),
            (b"not xml", false),
        ];
        for (bytes, expected) in cases {
            assert_eq!(is_qti(bytes), *expected, "{}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn a_course_file_needs_its_course_group() {
        assert!(has_course_group(b"[Course]\r\nCourse_ID=1\r\n"));
        assert!(has_course_group(b"  [COURSE]  \n"));
        assert!(!has_course_group(b"[Course_Behavior]\nMax_Normal=1\n"));
    }

    #[test]
    fn bare_xml_is_qti_or_a_manifest() {
        assert_eq!(examine_xml("<questestinterop/>").0, [ContentKind::ImsQti]);
        let (kinds, manifest) =
            examine_xml("<manifest><metadata><schemaversion>1.2</schemaversion></metadata></manifest>");
        assert_eq!(kinds, [ContentKind::Scorm12]);
        assert!(manifest.is_some());
        assert_eq!(examine_xml("<html/>").0, []);
    }
}
