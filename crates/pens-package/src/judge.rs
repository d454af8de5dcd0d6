//! Judging what was found against what the collect declared (CMI010 §6.2): does the
//! container match `package-format`, do the contents fit `package-type` and
//! `package-type-version`, and is the content itself sound (a manifest that parses, the
//! files it references present). Every finding cites `client.package.format`.

use pens_proto::{Finding, Level, PackageType, req};

use crate::content::{AICC_EXTENSIONS, Facts, MANIFEST, ManifestState};
use crate::manifest::Scorm;
use crate::options::{Declared, Limits};
use crate::report::{ContentKind, PackageFormat, PackageReport, evidence_line, human_size};
use crate::xml::{decode, root_element};

fn finding(message: impl Into<String>) -> Finding {
    Finding::new(&req::CLIENT_PACKAGE_FORMAT, message)
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
pub(crate) fn content(facts: &Facts, report: &PackageReport, limits: &Limits) -> Vec<Finding> {
    let evidence = report.files.evidence();
    let mut findings = Vec::new();
    let manifest_finding = |message: String| finding(message).element(MANIFEST).value(&evidence);
    match &facts.manifest {
        ManifestState::Invalid(error) => {
            findings.push(manifest_finding(format!("imsmanifest.xml does not parse as XML: {error}")));
        }
        ManifestState::TooLarge => findings.push(manifest_finding(format!(
            "imsmanifest.xml is larger than the {} this check parses: not read",
            human_size(limits.max_xml_bytes as u64)
        ))),
        ManifestState::Parsed(manifest) => {
            if manifest.root != "manifest" {
                findings.push(manifest_finding(format!(
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
        Some(facts) => zip_misfit(package_type, report, facts),
        None => xml_misfit(package_type, report, bytes),
    };
    if let Some(message) = problem {
        let hint = holds_instead(package_type, report);
        findings.push(finding(format!("{message}{hint}")).element("package-type").value(&evidence));
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

fn zip_misfit(package_type: PackageType, report: &PackageReport, facts: &Facts) -> Option<String> {
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
                Some(message)
            }
            ManifestState::Parsed(manifest) if manifest.kind() == Some(ContentKind::ImsContentPackage) => Some(
                "declared scorm-pif but imsmanifest.xml has no SCORM marker (no `ADL SCORM` schema, no SCORM \
                 schemaversion, no ADL namespace)"
                    .to_owned(),
            ),
            // Unparsable, too large, unread or not a <manifest>: the content findings say why.
            _ => None,
        },
        PackageType::AiccPkg => {
            let found = facts.aicc_at_root.len();
            if found == AICC_EXTENSIONS.len() {
                None
            } else if found == 0 {
                Some(match &facts.aicc_folder {
                    Some(folder) => {
                        format!("declared aicc-pkg but the AICC course files are in {folder}, not at the root")
                    }
                    None => "declared aicc-pkg but there are no AICC course files (.crs, .au, .des, .cst) at the root"
                        .to_owned(),
                })
            } else {
                let missing: Vec<String> = AICC_EXTENSIONS
                    .iter()
                    .filter(|ext| !facts.aicc_at_root.contains_key(*ext))
                    .map(|ext| format!(".{ext}"))
                    .collect();
                let verb = if missing.len() == 1 { "is" } else { "are" };
                Some(format!("declared aicc-pkg but {} {verb} missing at the root", missing.join(", ")))
            }
        }
        PackageType::ImsQti => {
            if !facts.qti.is_empty() {
                return None;
            }
            let scope = if facts.xml_unsniffed { " among the XML entries looked at" } else { "" };
            Some(format!(
                "declared ims-qti but there is no QTI XML{scope} (no XML entry whose root element is \
                 questestinterop, assessmentItem or assessmentTest)"
            ))
        }
    }
}

/// Whether every entry of the archive is under the top-level folder `top`.
fn all_under(report: &PackageReport, top: &str) -> bool {
    !report.files.is_truncated()
        && report.files.names().all(|name| name.split_once('/').is_some_and(|(first, _)| first == top))
}

fn xml_misfit(package_type: PackageType, report: &PackageReport, bytes: &[u8]) -> Option<String> {
    let root = xml_root(bytes);
    match package_type {
        PackageType::ImsQti if report.holds(ContentKind::ImsQti) => None,
        PackageType::ImsQti => {
            Some(format!("declared ims-qti but the document's root element is <{root}>, not a QTI root"))
        }
        PackageType::ScormPif => Some(format!(
            "declared scorm-pif but the package is a single XML document (root <{root}>), not a package interchange \
             file with imsmanifest.xml at its root"
        )),
        PackageType::AiccPkg => Some(format!(
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
