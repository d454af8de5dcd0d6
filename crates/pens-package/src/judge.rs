//! Judging what was found against what the collect declared (CMI010 §6.2): does the
//! container match `package-format`, do the contents fit `package-type` and
//! `package-type-version`, and is the content itself sound (a manifest that parses, the
//! files it references present).
//!
//! Two levels, by what a target can do with the package (CMI010 §6.3): a defect after
//! which a target can only answer 1432 ("internal package error": the archive does not
//! open, the manifest the declared type cannot do without is missing or does not
//! parse, the AICC course files are not there) cites `client.package.importable`, a
//! must; every other deviation (a best practice, a detail an importer may forgive, or
//! something this check cannot be sure of) cites `client.package.format`, a should.

use pens_proto::{Finding, Level, PackageType, req};

use crate::content::{AICC_EXTENSIONS, Facts, MANIFEST, ManifestState};
use crate::manifest::Scorm;
use crate::options::{Declared, Limits};
use crate::report::{ContentKind, PackageFormat, PackageReport, evidence_line, human_size};
use crate::xml::{decode, root_element};

fn finding(message: impl Into<String>) -> Finding {
    Finding::new(&req::CLIENT_PACKAGE_FORMAT, message)
}

/// What a fatal finding's message ends with, before any hint.
pub(crate) const ONLY_1432: &str = "; a target can only answer it with 1432";

/// A defect a target can only answer with 1432 (CMI010 §6.3): `client.package.importable`.
pub(crate) fn fatal(message: impl Into<String>) -> Finding {
    Finding::new(&req::CLIENT_PACKAGE_IMPORTABLE, message)
}

/// What the declared `package-type` needs of a root `imsmanifest.xml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ManifestNeed {
    /// The package cannot do without it: SCORM (a package interchange file is defined
    /// by its root manifest, SCORM CAM) and QTI 2 and later (IMS QTI 2.x and 3.0 package
    /// items and tests as IMS content packages).
    Required,
    /// It may be there or not (AICC, QTI 1.x, a type this check does not know).
    Optional,
}

fn manifest_need(declared: &Declared<'_>) -> ManifestNeed {
    match declared.package_type().as_deref().and_then(PackageType::parse) {
        Some(PackageType::ScormPif) => ManifestNeed::Required,
        Some(PackageType::ImsQti) if qti_major(declared) == Some(QtiMajor::TwoOrLater) => ManifestNeed::Required,
        _ => ManifestNeed::Optional,
    }
}

/// The QTI generation a `package-type-version` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QtiMajor {
    /// QTI 1.x (`1.2`, `1.2.1`): items travel as bare XML documents, packaging optional.
    One,
    /// QTI 2.x or 3.x (`2.1`, `v2p2`, `3.0`): packages are IMS content packages.
    TwoOrLater,
}

/// Reads `1.2`, `2.1`, `v2p1`, `QTI 3.0`; `None` for anything else (not judged).
fn qti_major(declared: &Declared<'_>) -> Option<QtiMajor> {
    let version = declared.package_type_version?.trim().to_ascii_lowercase();
    let version = version.strip_prefix("qti").unwrap_or(&version).trim_start();
    let version = version.strip_prefix('v').unwrap_or(version);
    match version.chars().next()? {
        '1' => Some(QtiMajor::One),
        '2' | '3' => Some(QtiMajor::TwoOrLater),
        _ => None,
    }
}

/// A zip declared as `jar` or `war` without the folder that makes one. Worth knowing,
/// not a warning: a jar or war is read as a zip all the same.
pub(crate) fn zip_flavour(declared: Option<&str>, format: PackageFormat) -> Option<Finding> {
    let message = match (declared, format) {
        (Some("jar"), PackageFormat::Zip) => "declared jar but the archive has no META-INF/ folder",
        (Some("war"), PackageFormat::Zip | PackageFormat::Jar) => "declared war but the archive has no WEB-INF/ folder",
        _ => return None,
    };
    Some(finding(message).element("package-format").at_most(Level::Info))
}

/// Findings about the content itself, whatever was declared: the root manifest, the
/// AICC course file.
///
/// A manifest that does not parse, or whose root is not `<manifest>`, is fatal where
/// the declared type cannot do without it (an importer of SCORM or QTI 2 reads it
/// first, and stops there), a warning elsewhere (an AICC course may carry a stray one).
pub(crate) fn content(facts: &Facts, report: &PackageReport, declared: &Declared<'_>, limits: &Limits) -> Vec<Finding> {
    let evidence = report.files.evidence();
    let mut findings = Vec::new();
    let manifest_finding = |message: String| finding(message).element(MANIFEST).value(&evidence);
    let broken_manifest = |message: String| match manifest_need(declared) {
        ManifestNeed::Required => fatal(format!("{message}{ONLY_1432}")).element(MANIFEST).value(&evidence),
        ManifestNeed::Optional => manifest_finding(message),
    };
    match &facts.manifest {
        // An undeclared prefix only: some importers read it, some refuse it. A warning.
        ManifestState::Invalid(error) if error.is_namespace_only() => findings.push(manifest_finding(format!(
            "imsmanifest.xml does not parse as namespaced XML: {error} (namespace-aware importers refuse it, others \
             read it)"
        ))),
        ManifestState::Invalid(error) => {
            findings.push(broken_manifest(format!("imsmanifest.xml does not parse as XML: {error}")));
        }
        ManifestState::TooLarge => findings.push(manifest_finding(format!(
            "imsmanifest.xml is larger than the {} this check parses: not read",
            human_size(limits.max_xml_bytes as u64)
        ))),
        ManifestState::Parsed(manifest) => {
            if manifest.root != "manifest" {
                findings.push(broken_manifest(format!(
                    "imsmanifest.xml's root element is <{}>, not <manifest>",
                    manifest.root
                )));
            }
            if let Some((by_version, by_namespaces)) = manifest.conflict() {
                findings.push(manifest_finding(format!(
                    "imsmanifest.xml says schemaversion `{}` ({}) but declares {} namespaces",
                    manifest.schemaversion.as_deref().unwrap_or_default(),
                    by_version.name(),
                    by_namespaces.name()
                )));
            }
        }
        ManifestState::Absent | ManifestState::Unread => {}
    }
    let lists: [(&Vec<String>, &str); 3] = [
        (&facts.missing_files, "imsmanifest.xml references files the archive does not hold"),
        (
            &facts.miscased_files,
            "imsmanifest.xml references files whose letter case differs from the archive's: a target on a \
             case-sensitive file system does not find them",
        ),
        (&facts.crs_without_course, "AICC course files (.crs) without a [Course] group"),
    ];
    for (names, message) in lists {
        if !names.is_empty() {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let element = if message.starts_with("AICC") { names[0] } else { MANIFEST };
            findings.push(finding(message).element(element).value(&evidence_line(
                &names,
                names.len(),
                ("file", "files"),
            )));
        }
    }
    findings
}

/// Whether the contents fit the declared `package-type` (and, for SCORM, the
/// `package-type-version`). `facts` is `None` for a bare XML package.
pub(crate) fn package_type(
    declared: &Declared<'_>,
    report: &PackageReport,
    facts: Option<&Facts>,
    bytes: &[u8],
) -> Vec<Finding> {
    let Some(value) = declared.package_type() else {
        return Vec::new();
    };
    let Some(package_type) = PackageType::parse(&value) else {
        let message = format!(
            "package-type `{value}` is not one of aicc-pkg, scorm-pif, ims-qti: the contents were not judged against it"
        );
        return vec![finding(message).element("package-type").at_most(Level::Info)];
    };
    let evidence = match facts {
        Some(_) => report.files.evidence(),
        None => format!("an XML document, root element <{}>", xml_root(bytes)),
    };
    let mut findings = Vec::new();
    let problem = match facts {
        Some(facts) => zip_misfit(package_type, declared, report, facts),
        None => xml_misfit(package_type, report, bytes),
    };
    if let Some(Misfit { message, fatal: is_fatal }) = problem {
        let hint = holds_instead(package_type, report);
        let found =
            if is_fatal { fatal(format!("{message}{ONLY_1432}{hint}")) } else { finding(format!("{message}{hint}")) };
        findings.push(found.element("package-type").value(&evidence));
    }
    if let Some(message) = version_misfit(declared, package_type, report) {
        findings.push(finding(message).element("package-type-version").value(&evidence));
    }
    findings
}

/// `; the package holds scorm-2004` when what was found is another declared type.
fn holds_instead(package_type: PackageType, report: &PackageReport) -> String {
    let others: Vec<&str> =
        report.kinds.iter().filter(|kind| kind.package_type() != Some(package_type)).map(|kind| kind.name()).collect();
    if others.is_empty() || report.kinds.iter().any(|kind| kind.package_type() == Some(package_type)) {
        String::new()
    } else {
        format!("; the package holds {}", others.join(" and "))
    }
}

/// Contents that do not fit the declared type: `fatal` when a target can only answer
/// 1432 to them (the type's must-have is missing), a warning when an importer may cope
/// or this check cannot be sure.
struct Misfit {
    message: String,
    fatal: bool,
}

impl Misfit {
    fn fatal(message: impl Into<String>) -> Option<Misfit> {
        Some(Misfit { message: message.into(), fatal: true })
    }

    fn warning(message: impl Into<String>) -> Option<Misfit> {
        Some(Misfit { message: message.into(), fatal: false })
    }
}

fn zip_misfit(
    package_type: PackageType,
    declared: &Declared<'_>,
    report: &PackageReport,
    facts: &Facts,
) -> Option<Misfit> {
    match package_type {
        PackageType::ScormPif => match &facts.manifest {
            ManifestState::Absent => {
                let mut message = "declared scorm-pif but there is no imsmanifest.xml at the root".to_owned();
                if let Some(found) = facts.misplaced_manifests.first() {
                    message.push_str(&format!("; there is {found}"));
                    if let Some((top, _)) = found.split_once('/')
                        && all_under(report, top)
                    {
                        message.push_str(" (the folder was zipped instead of its contents)");
                    }
                }
                // SCORM CAM: a package interchange file has imsmanifest.xml at its root.
                // Only its letter case wrong, at the root: a target on a case-insensitive
                // file system finds it, one on a case-sensitive one does not.
                if facts.misplaced_manifests.iter().any(|name| !name.contains('/')) {
                    message.push_str(
                        " (only its letter case differs: a target on a case-sensitive file system does not find it)",
                    );
                    Misfit::warning(message)
                } else {
                    Misfit::fatal(message)
                }
            }
            ManifestState::Parsed(manifest) if manifest.kind() == Some(ContentKind::ImsContentPackage) => {
                Misfit::warning(
                    "declared scorm-pif but imsmanifest.xml has no SCORM marker (no `ADL SCORM` schema, no SCORM \
                     schemaversion, no ADL namespace)",
                )
            }
            // Unparsable, too large, unread or not a <manifest>: the content findings say why.
            _ => None,
        },
        PackageType::AiccPkg => aicc_misfit(facts),
        PackageType::ImsQti => qti_misfit(declared, facts),
    }
}

/// AICC CMI001 requires four course structure files (`.crs`, `.au`, `.des`, `.cst`) of
/// every course: one missing from the whole archive leaves nothing to import (fatal).
/// Where they sit is the importer's business: CMI001 names no folder, so a complete set
/// outside the root is a warning. When not every entry was examined, an absent file
/// proves nothing: a warning too.
fn aicc_misfit(facts: &Facts) -> Option<Misfit> {
    let found = facts.aicc_at_root.len();
    if found == AICC_EXTENSIONS.len() {
        return None;
    }
    let absent: Vec<String> =
        AICC_EXTENSIONS.iter().filter(|ext| !facts.aicc_anywhere.contains(*ext)).map(|ext| format!(".{ext}")).collect();
    let why_fatal = "AICC CMI001 requires all four course structure files";
    if !absent.is_empty() && facts.listed_all {
        let message = if absent.len() == AICC_EXTENSIONS.len() {
            "declared aicc-pkg but there are no AICC course files (.crs, .au, .des, .cst) in the archive".to_owned()
        } else {
            let verb = if absent.len() == 1 { "is" } else { "are" };
            format!("declared aicc-pkg but {} {verb} missing from the archive ({why_fatal})", absent.join(", "))
        };
        return Misfit::fatal(message);
    }
    let unsure = if facts.listed_all { "" } else { " (not every entry was examined)" };
    if found == 0 {
        return Misfit::warning(match &facts.aicc_folder {
            Some(folder) => format!(
                "declared aicc-pkg but the AICC course files are in {folder}, not at the root, where most importers \
                 look (CMI001 names no folder)"
            ),
            None => format!(
                "declared aicc-pkg but there are no AICC course files (.crs, .au, .des, .cst) at the root{unsure}"
            ),
        });
    }
    let missing: Vec<String> = AICC_EXTENSIONS
        .iter()
        .filter(|ext| !facts.aicc_at_root.contains_key(*ext))
        .map(|ext| format!(".{ext}"))
        .collect();
    let verb = if missing.len() == 1 { "is" } else { "are" };
    Misfit::warning(format!("declared aicc-pkg but {} {verb} missing at the root{unsure}", missing.join(", ")))
}

/// An `ims-qti` package holds QTI XML, or a target has nothing to import (fatal, when
/// every XML entry was looked at). QTI 2 and later package it as an IMS content
/// package, so a `package-type-version` of 2 or 3 without a root `imsmanifest.xml` is
/// fatal too; QTI 1.x needs no manifest, and a version that names neither is not
/// judged on it.
fn qti_misfit(declared: &Declared<'_>, facts: &Facts) -> Option<Misfit> {
    if facts.qti.is_empty() {
        let message = |scope: &str| {
            format!(
                "declared ims-qti but there is no QTI XML{scope} (no XML entry whose root element is \
                 questestinterop, assessmentItem or assessmentTest)"
            )
        };
        return if facts.xml_unsniffed {
            Misfit::warning(message(" among the XML entries looked at"))
        } else {
            Misfit::fatal(message(""))
        };
    }
    if matches!(facts.manifest, ManifestState::Absent) && manifest_need(declared) == ManifestNeed::Required {
        let version = declared.package_type_version.unwrap_or_default().trim();
        return Misfit::fatal(format!(
            "declared ims-qti {version} but there is no imsmanifest.xml at the root: QTI 2 and later packages are \
             IMS content packages"
        ));
    }
    None
}

/// Whether every entry of the archive is under the top-level folder `top`.
fn all_under(report: &PackageReport, top: &str) -> bool {
    !report.files.is_truncated()
        && report.files.names().all(|name| name.split_once('/').is_some_and(|(first, _)| first == top))
}

/// A bare XML document declared as a package type. A QTI document whose root is not a
/// QTI root, and AICC course files (which are not XML) are fatal; a SCORM manifest on
/// its own (root `<manifest>`, its resources possibly absolute URLs) is a warning, as
/// an importer might take it; any other document is no package interchange file.
fn xml_misfit(package_type: PackageType, report: &PackageReport, bytes: &[u8]) -> Option<Misfit> {
    let root = xml_root(bytes);
    match package_type {
        PackageType::ImsQti if report.holds(ContentKind::ImsQti) => None,
        PackageType::ImsQti => {
            Misfit::fatal(format!("declared ims-qti but the document's root element is <{root}>, not a QTI root"))
        }
        PackageType::ScormPif => {
            let message = format!(
                "declared scorm-pif but the package is a single XML document (root <{root}>), not a package \
                 interchange file with imsmanifest.xml at its root"
            );
            if root == "manifest" { Misfit::warning(message) } else { Misfit::fatal(message) }
        }
        PackageType::AiccPkg => Misfit::fatal(format!(
            "declared aicc-pkg but the package is a single XML document (root <{root}>), not the AICC course files"
        )),
    }
}

fn xml_root(bytes: &[u8]) -> String {
    decode(bytes, true).ok().and_then(|text| root_element(&text).ok()).map_or_else(|| "?".to_owned(), |root| root.local)
}

/// A SCORM package whose manifest names another edition than `package-type-version`.
fn version_misfit(declared: &Declared<'_>, package_type: PackageType, report: &PackageReport) -> Option<String> {
    if package_type != PackageType::ScormPif {
        return None;
    }
    let version = declared.package_type_version?.trim();
    let wanted = Scorm::from_version(version)?;
    let found = match report.kind() {
        ContentKind::Scorm12 => Scorm::V12,
        ContentKind::Scorm2004 => Scorm::V2004,
        _ => return None,
    };
    let schemaversion = report.manifest.as_ref().and_then(|m| m.schemaversion.as_deref()).unwrap_or("none");
    (wanted != found).then(|| {
        format!(
            "declared scorm-pif {version} but imsmanifest.xml describes {} (schemaversion `{schemaversion}`)",
            found.name()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jar_and_war_flavours_are_noted_only_when_missing() {
        let cases = [
            (Some("jar"), PackageFormat::Zip, Some("declared jar but the archive has no META-INF/ folder")),
            (Some("jar"), PackageFormat::Jar, None),
            (Some("jar"), PackageFormat::War, None),
            (Some("war"), PackageFormat::Jar, Some("declared war but the archive has no WEB-INF/ folder")),
            (Some("war"), PackageFormat::War, None),
            (Some("zip"), PackageFormat::War, None),
            (None, PackageFormat::Zip, None),
        ];
        for (declared, format, expected) in cases {
            let found = zip_flavour(declared, format);
            assert_eq!(found.as_ref().map(|f| f.message.as_str()), expected, "{declared:?} {format}");
            assert!(found.is_none_or(|f| f.level == Level::Info));
        }
    }

    #[test]
    fn scorm_versions_are_read_from_what_tools_write() {
        let cases = [
            ("1.2", Some(Scorm::V12)),
            ("SCORM 1.2", Some(Scorm::V12)),
            ("2004", Some(Scorm::V2004)),
            ("2004 4th Edition", Some(Scorm::V2004)),
            ("CAM 1.3", Some(Scorm::V2004)),
            ("1.3", Some(Scorm::V2004)),
            ("1.0", None),
            ("", None),
        ];
        for (version, expected) in cases {
            assert_eq!(Scorm::from_version(version), expected, "{version}");
        }
    }
}
