//! The fixture packages, zipped as the staging server serves them: each is what it
//! says, with no finding, and each declared as another type gets the finding that
//! names the mismatch and quotes the file list.

use pens_package::{ContentKind, Declared, Limits, PackageFormat, inspect, inspect_with};
use pens_proto::Level;

use crate::support::{assert_findings_cite_the_requirement, finding, fixture_zip, packages_dir};

/// (folder, package-type, package-type-version, kind, entries)
const FIXTURES: [(&str, &str, &str, ContentKind, &[&str]); 4] = [
    ("scorm12-minimal", "scorm-pif", "1.2", ContentKind::Scorm12, &["imsmanifest.xml", "index.html"]),
    ("scorm2004-minimal", "scorm-pif", "2004 4th Edition", ContentKind::Scorm2004, &["imsmanifest.xml", "index.html"]),
    ("aicc-minimal", "aicc-pkg", "4.0", ContentKind::Aicc, &["course.au", "course.crs", "course.cst", "course.des"]),
    ("qti-minimal", "ims-qti", "1.2", ContentKind::ImsQti, &["assessment.xml"]),
];

#[test]
fn every_fixture_is_recognised_as_its_type_with_no_finding() {
    for (folder, package_type, version, kind, entries) in FIXTURES {
        let bytes = fixture_zip(folder);
        let declared = Declared::new(Some("zip"), Some(package_type)).with_version(Some(version));
        let report = inspect_with(&bytes, &declared, &Limits::default());
        assert!(report.is_readable(), "{folder}");
        assert_eq!(report.format, PackageFormat::Zip, "{folder}");
        assert_eq!(report.kinds, [kind], "{folder}");
        assert!(report.verified, "{folder}: every entry decompressed and checked");
        assert!(report.findings.is_empty(), "{folder}: {:#?}", report.findings);
        let names: Vec<&str> = report.files.names().collect();
        assert_eq!(names, entries, "{folder}");
        assert_eq!(report.files.total, entries.len(), "{folder}");
        assert_eq!(report.bytes_decompressed, report.files.total_size, "{folder}: each entry read once");

        // The short form gives the same answer.
        assert_eq!(inspect(&bytes, Some("zip"), Some(package_type)).findings, [], "{folder}");
    }
}

#[test]
fn the_scorm_manifests_say_their_edition() {
    let cases = [("scorm12-minimal", "1.2", 1), ("scorm2004-minimal", "2004 4th Edition", 1)];
    for (folder, schemaversion, scos) in cases {
        let report = inspect(&fixture_zip(folder), Some("zip"), Some("scorm-pif"));
        let manifest = report.manifest.as_ref().expect("a parsed manifest");
        assert_eq!(manifest.schema.as_deref(), Some("ADL SCORM"), "{folder}");
        assert_eq!(manifest.schemaversion.as_deref(), Some(schemaversion), "{folder}");
        assert_eq!((manifest.resources, manifest.scos), (1, scos), "{folder}");
    }
    let report = inspect(&fixture_zip("scorm2004-minimal"), None, None);
    let manifest = report.manifest.expect("parsed");
    for namespace in [
        pens_package::NS_IMSCP_1_1_4,
        pens_package::NS_ADLCP_2004,
        pens_package::NS_ADLSEQ_2004,
        pens_package::NS_ADLNAV_2004,
        pens_package::NS_IMSSS,
    ] {
        assert!(manifest.namespaces.iter().any(|n| n == namespace), "{namespace} declared");
    }
}

#[test]
fn each_fixture_declared_as_another_type_gets_the_failure_that_says_so() {
    // Each lacks what the declared type cannot do without: a target can only answer 1432.
    let cases = [
        (
            "scorm12-minimal",
            "aicc-pkg",
            "declared aicc-pkg but there are no AICC course files (.crs, .au, .des, .cst) in the archive; \
             a target can only answer it with 1432; the package holds scorm-1.2",
        ),
        (
            "scorm2004-minimal",
            "ims-qti",
            "declared ims-qti but there is no QTI XML (no XML entry whose root element is questestinterop, \
             assessmentItem or assessmentTest); a target can only answer it with 1432; the package holds scorm-2004",
        ),
        (
            "aicc-minimal",
            "scorm-pif",
            "declared scorm-pif but there is no imsmanifest.xml at the root; a target can only answer it with 1432; \
             the package holds aicc",
        ),
        ("aicc-minimal", "ims-qti", "declared ims-qti but there is no QTI XML"),
        (
            "qti-minimal",
            "scorm-pif",
            "declared scorm-pif but there is no imsmanifest.xml at the root; a target can only answer it with 1432; \
             the package holds ims-qti",
        ),
        ("qti-minimal", "aicc-pkg", "declared aicc-pkg but there are no AICC course files"),
    ];
    for (folder, declared_type, message) in cases {
        let report = inspect(&fixture_zip(folder), Some("zip"), Some(declared_type));
        assert!(report.is_readable(), "{folder}");
        assert_eq!(report.findings.len(), 1, "{folder} as {declared_type}: {:#?}", report.findings);
        let finding = finding(&report, message);
        assert_eq!(finding.level, Level::Must, "{folder} as {declared_type}");
        assert!(crate::support::is_fatal(finding), "{finding}");
        assert_eq!(finding.element.as_deref(), Some("package-type"));
        assert_eq!(finding.value.as_deref(), Some(report.files.evidence().as_str()));
        let first = report.files.names().next().expect("an entry");
        assert!(finding.value.as_deref().is_some_and(|v| v.contains(first)), "{folder}: the file list is quoted");
        assert_findings_cite_the_requirement(&report);
    }
}

#[test]
fn a_scorm_edition_against_the_declared_version_is_a_finding() {
    let cases = [
        (
            "scorm2004-minimal",
            "1.2",
            "declared scorm-pif 1.2 but imsmanifest.xml describes SCORM 2004 (schemaversion `2004 4th Edition`)",
        ),
        (
            "scorm12-minimal",
            "2004 3rd Edition",
            "declared scorm-pif 2004 3rd Edition but imsmanifest.xml describes SCORM 1.2 (schemaversion `1.2`)",
        ),
        ("scorm12-minimal", "CAM 1.3", "describes SCORM 1.2"),
    ];
    for (folder, version, message) in cases {
        let declared = Declared::new(Some("zip"), Some("scorm-pif")).with_version(Some(version));
        let report = inspect_with(&fixture_zip(folder), &declared, &Limits::default());
        let finding = finding(&report, message);
        assert_eq!(finding.element.as_deref(), Some("package-type-version"));
    }
    // A version SCORM does not name is not judged.
    let declared = Declared::new(Some("zip"), Some("scorm-pif")).with_version(Some("1.0"));
    assert!(inspect_with(&fixture_zip("scorm12-minimal"), &declared, &Limits::default()).findings.is_empty());
}

#[test]
fn the_qti_document_on_its_own_is_a_fine_xml_package() {
    let bytes = std::fs::read(packages_dir().join("qti-minimal/assessment.xml")).expect("fixture");
    let report = inspect(&bytes, Some("xml"), Some("ims-qti"));
    assert!(report.is_readable());
    assert_eq!((report.format, report.kind()), (PackageFormat::Xml, ContentKind::ImsQti));
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert!(report.verified);
    assert_eq!(report.files.total, 0);

    let as_scorm = inspect(&bytes, Some("xml"), Some("scorm-pif"));
    let finding =
        finding(&as_scorm, "declared scorm-pif but the package is a single XML document (root <questestinterop>)");
    assert_eq!(finding.value.as_deref(), Some("an XML document, root element <questestinterop>"));

    let declared_zip = inspect(&bytes, Some("zip"), Some("ims-qti"));
    assert!(!declared_zip.is_readable());
    crate::support::finding(
        &declared_zip,
        "declared zip but the bytes are not a zip archive (they are an XML document)",
    );
}

#[test]
fn reports_serialise_for_the_result_model() {
    let report = inspect(&fixture_zip("scorm2004-minimal"), Some("zip"), Some("scorm-pif"));
    let json = serde_json::to_value(&report).expect("serialises");
    assert_eq!(json["format"], "zip");
    assert_eq!(json["kinds"][0], "scorm-2004");
    assert_eq!(json["files"]["entries"][0]["name"], "imsmanifest.xml");
    assert_eq!(json["manifest"]["schemaversion"], "2004 4th Edition");
    assert!(json.get("unreadable").is_none());
}
