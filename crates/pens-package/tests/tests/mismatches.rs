//! Packages that do not fit what was declared, one mistake each, and the finding each
//! one gets.

use pens_package::{ContentKind, Declared, Limits, PackageFormat, Unreadable, inspect, inspect_with};
use pens_proto::Level;

use crate::support::{assert_findings_cite_the_requirement, finding, fixture_zip, is_fatal, zip_of};

const SCORM12_MANIFEST: &str = r#"<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations/>
  <resources>
    <resource identifier="R" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/><file href="Images/Logo.png"/><file href="script.js"/>
    </resource>
  </resources>
</manifest>"#;

#[test]
fn an_html_page_declared_as_a_zip_is_unreadable_and_quoted() {
    let page = b"<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head></html>";
    let report = inspect(page, Some("zip"), Some("scorm-pif"));
    assert!(!report.is_readable());
    assert!(matches!(report.unreadable, Some(Unreadable::NotAnArchive { .. })));
    assert_eq!(report.format, PackageFormat::Unknown);
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    let finding = finding(
        &report,
        "declared zip but the bytes are not a zip archive (they are an HTML page, perhaps an error or login page)",
    );
    assert_eq!(finding.element.as_deref(), Some("package-format"));
    assert_eq!(
        finding.value.as_deref(),
        Some("<!DOCTYPE html> <html><head><title>403 Forbidden</title></head></html>")
    );
}

#[test]
fn a_zipped_folder_hides_the_manifest() {
    let bytes = zip_of(&[
        ("course/", b""),
        ("course/imsmanifest.xml", SCORM12_MANIFEST.as_bytes()),
        ("course/index.html", b"<html></html>"),
    ]);
    let report = inspect(&bytes, Some("zip"), Some("scorm-pif"));
    assert!(report.is_readable());
    assert_eq!(report.kinds, []);
    let finding = finding(
        &report,
        "declared scorm-pif but there is no imsmanifest.xml at the root; there is course/imsmanifest.xml \
         (the folder was zipped instead of its contents)",
    );
    assert_eq!(finding.value.as_deref(), Some("course/, course/imsmanifest.xml, course/index.html (3 entries)"));
}

#[test]
fn a_manifest_with_another_case_is_not_found() {
    let bytes = zip_of(&[("IMSManifest.xml", SCORM12_MANIFEST.as_bytes())]);
    let report = inspect(&bytes, Some("zip"), Some("scorm-pif"));
    let miscased = finding(&report, "no imsmanifest.xml at the root; there is IMSManifest.xml (only its letter case");
    // Found on a case-insensitive file system: importers differ, a warning.
    assert!(!is_fatal(miscased), "{miscased}");
}

#[test]
fn a_manifest_that_does_not_parse_says_where() {
    let broken = "<manifest identifier=\"m\">\n  <organizations>\n  </resources>\n</manifest>";
    let bytes = zip_of(&[("imsmanifest.xml", broken.as_bytes()), ("index.html", b"")]);
    let report = inspect(&bytes, Some("zip"), Some("scorm-pif"));
    assert!(report.is_readable(), "the archive opens; its manifest is the problem");
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    let parse_error = finding(&report, "imsmanifest.xml does not parse as XML: line 3: ");
    assert_eq!(parse_error.element.as_deref(), Some("imsmanifest.xml"));
    assert_eq!(parse_error.value.as_deref(), Some("imsmanifest.xml, index.html (2 entries)"));

    let undeclared_prefix = SCORM12_MANIFEST.replace(r#"xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2""#, "");
    let bytes = zip_of(&[("imsmanifest.xml", undeclared_prefix.as_bytes())]);
    let report = inspect(&bytes, Some("zip"), Some("scorm-pif"));
    let undeclared = finding(&report, "the namespace prefix `adlcp` of attribute `adlcp:scormtype` is not declared");
    // Well-formed XML that is not namespace-well-formed: importers differ, a warning.
    assert!(!is_fatal(undeclared), "{undeclared}");
    assert!(undeclared.message.contains("others read it"), "{undeclared}");
    assert!(is_fatal(parse_error), "a document that is not well-formed fails: {parse_error}");

    let latin1 = b"<?xml version=\"1.0\"?><manifest><metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion><title>Caf\xE9</title></metadata></manifest>";
    let report = inspect(&zip_of(&[("imsmanifest.xml", latin1)]), Some("zip"), Some("scorm-pif"));
    finding(&report, "imsmanifest.xml does not parse as XML: line 1: not valid UTF-8 (byte 0xE9)");
}

#[test]
fn files_the_manifest_references_must_be_in_the_archive() {
    let bytes =
        zip_of(&[("imsmanifest.xml", SCORM12_MANIFEST.as_bytes()), ("index.html", b""), ("images/logo.png", b"")]);
    let report = inspect(&bytes, Some("zip"), Some("scorm-pif"));
    assert_eq!(report.kinds, [ContentKind::Scorm12]);
    let missing = finding(&report, "imsmanifest.xml references files the archive does not hold");
    assert_eq!(missing.value.as_deref(), Some("script.js (1 file)"));
    let miscased = finding(&report, "letter case differs");
    assert_eq!(miscased.value.as_deref(), Some("Images/Logo.png (1 file)"));
    assert_eq!(report.findings.len(), 2);
}

#[test]
fn a_manifest_without_scorm_markers_is_a_plain_content_package() {
    let manifest = r#"<manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><organizations/><resources/></manifest>"#;
    let report = inspect(&zip_of(&[("imsmanifest.xml", manifest.as_bytes())]), Some("zip"), Some("scorm-pif"));
    assert_eq!(report.kinds, [ContentKind::ImsContentPackage]);
    finding(&report, "declared scorm-pif but imsmanifest.xml has no SCORM marker");
}

#[test]
fn a_schemaversion_against_the_namespaces_is_reported() {
    let manifest = SCORM12_MANIFEST
        .replace("adlcp_rootv1p2", "adlcp_v1p3")
        .replace(r#"<file href="Images/Logo.png"/><file href="script.js"/>"#, "");
    let report = inspect(
        &zip_of(&[("imsmanifest.xml", manifest.as_bytes()), ("index.html", b"")]),
        Some("zip"),
        Some("scorm-pif"),
    );
    assert_eq!(report.kinds, [ContentKind::Scorm12], "schemaversion wins");
    finding(&report, "imsmanifest.xml says schemaversion `1.2` (SCORM 1.2) but declares SCORM 2004 namespaces");
}

#[test]
fn aicc_files_missing_from_the_archive_fail_and_misplaced_ones_warn() {
    // CMI001 requires all four course files: without one a target can only answer 1432.
    let partial = zip_of(&[("course.CRS", b"[Course]\r\n"), ("course.cst", b"")]);
    let report = inspect(&partial, Some("zip"), Some("aicc-pkg"));
    let missing = finding(&report, "declared aicc-pkg but .au, .des are missing from the archive");
    assert!(is_fatal(missing), "{missing}");
    assert_eq!(missing.value.as_deref(), Some("course.CRS, course.cst (2 entries)"));

    // All four, in a folder: CMI001 names no folder, so only a warning.
    let nested = zip_of(&[("x/c.crs", b"[Course]"), ("x/c.au", b""), ("x/c.des", b""), ("x/c.cst", b"")]);
    let report = inspect(&nested, Some("zip"), Some("aicc-pkg"));
    assert_eq!(report.kinds, []);
    let misplaced =
        crate::support::finding(&report, "declared aicc-pkg but the AICC course files are in x/, not at the root");
    assert_eq!(misplaced.level, Level::Should);
    assert!(!is_fatal(misplaced));

    // Split between the root and a folder: all there, some misplaced.
    let split = zip_of(&[("c.crs", b"[Course]"), ("c.au", b""), ("x/c.des", b""), ("x/c.cst", b"")]);
    let report = inspect(&split, Some("zip"), Some("aicc-pkg"));
    let split = crate::support::finding(&report, "declared aicc-pkg but .des, .cst are missing at the root");
    assert_eq!(split.level, Level::Should);

    let no_course = zip_of(&[("c.crs", b"[Course_Behavior]\r\n"), ("c.au", b""), ("c.des", b""), ("c.cst", b"")]);
    let report = inspect(&no_course, Some("zip"), Some("aicc-pkg"));
    assert_eq!(report.kinds, [ContentKind::Aicc]);
    let finding = crate::support::finding(&report, "AICC course files (.crs) without a [Course] group");
    assert_eq!(finding.element.as_deref(), Some("c.crs"));
    assert_eq!(finding.level, Level::Should);
}

/// The defects after which a target can only answer 1432 (CMI010 §6.3) fail
/// (`client.package.importable`, must); a deviation an importer may forgive warns
/// (`client.package.format`, should). One row per class.
#[test]
fn what_a_target_can_only_answer_1432_to_fails_and_the_rest_warns() {
    let scorm = SCORM12_MANIFEST.replace(r#"<file href="Images/Logo.png"/><file href="script.js"/>"#, "");
    let good_scorm = zip_of(&[("imsmanifest.xml", scorm.as_bytes()), ("index.html", b"")]);
    let mut corrupt = good_scorm.clone();
    // Spoil the deflated data of the first entry: the archive opens, the entry does not.
    let data_start = 30 + "imsmanifest.xml".len();
    for byte in &mut corrupt[data_start..data_start + 40] {
        *byte ^= 0x5A;
    }
    let qti2_item = b"<assessmentItem xmlns='http://www.imsglobal.org/xsd/imsqti_v2p1' identifier='i'/>".as_slice();
    let broken_manifest = b"<manifest identifier='m'>\n<resources>\n</manifest>".as_slice();
    let cp_manifest =
        br#"<manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources/></manifest>"#;
    // (what, bytes, format, type, version, fragment of the finding, fatal)
    type Case<'a> = (&'a str, Vec<u8>, &'a str, &'a str, Option<&'a str>, &'a str, bool);
    let cases: Vec<Case<'_>> = vec![
        ("not a zip", b"just some text".to_vec(), "zip", "scorm-pif", None, "the bytes are not a zip archive", true),
        ("a corrupt zip", corrupt, "zip", "scorm-pif", None, "do not decompress or fail their checksum", true),
        (
            "a zip cut short",
            good_scorm[..good_scorm.len() / 2].to_vec(),
            "zip",
            "scorm-pif",
            None,
            "the zip archive cannot be opened",
            true,
        ),
        (
            "scorm-pif without a manifest",
            zip_of(&[("index.html", b"")]),
            "zip",
            "scorm-pif",
            None,
            "no imsmanifest.xml at the root",
            true,
        ),
        (
            "scorm-pif with a malformed manifest",
            zip_of(&[("imsmanifest.xml", broken_manifest)]),
            "zip",
            "scorm-pif",
            None,
            "imsmanifest.xml does not parse as XML",
            true,
        ),
        (
            "scorm-pif whose manifest is not a <manifest>",
            zip_of(&[("imsmanifest.xml", b"<html/>")]),
            "zip",
            "scorm-pif",
            None,
            "root element is <html>, not <manifest>",
            true,
        ),
        (
            "ims-qti 2.1 without a manifest",
            zip_of(&[("item.xml", qti2_item)]),
            "zip",
            "ims-qti",
            Some("2.1"),
            "declared ims-qti 2.1 but there is no imsmanifest.xml at the root",
            true,
        ),
        (
            "ims-qti without any QTI XML",
            zip_of(&[("imsmanifest.xml", cp_manifest), ("index.html", b"")]),
            "zip",
            "ims-qti",
            Some("2.1"),
            "declared ims-qti but there is no QTI XML",
            true,
        ),
        (
            "ims-qti 2.1 with a malformed manifest",
            zip_of(&[("imsmanifest.xml", broken_manifest), ("item.xml", qti2_item)]),
            "zip",
            "ims-qti",
            Some("2.1"),
            "imsmanifest.xml does not parse as XML",
            true,
        ),
        (
            "a bare XML declared ims-qti that is no QTI",
            b"<?xml version='1.0'?><quiz/>".to_vec(),
            "xml",
            "ims-qti",
            None,
            "not a QTI root",
            true,
        ),
        // Best practice, or nothing a target must stop at: warnings.
        (
            "scorm-pif with a plain content-package manifest",
            zip_of(&[("imsmanifest.xml", cp_manifest)]),
            "zip",
            "scorm-pif",
            None,
            "has no SCORM marker",
            false,
        ),
        (
            "an AICC course with a stray malformed manifest",
            zip_of(&[
                ("imsmanifest.xml", broken_manifest),
                ("c.crs", b"[Course]"),
                ("c.au", b""),
                ("c.des", b""),
                ("c.cst", b""),
            ]),
            "zip",
            "aicc-pkg",
            None,
            "imsmanifest.xml does not parse as XML",
            false,
        ),
        (
            "a bare SCORM manifest",
            scorm.clone().into_bytes(),
            "xml",
            "scorm-pif",
            None,
            "a single XML document (root <manifest>)",
            false,
        ),
    ];
    for (what, bytes, format, package_type, version, fragment, fatal) in cases {
        let declared = Declared::new(Some(format), Some(package_type)).with_version(version);
        let report = inspect_with(&bytes, &declared, &Limits::default());
        let found = finding(&report, fragment);
        assert_eq!(is_fatal(found), fatal, "{what}: {found}");
        assert_eq!(found.level == Level::Must, fatal, "{what}: {found}");
        if fatal {
            assert!(found.message.contains("a target can only answer it with 1432"), "{what}: {found}");
        }
        assert_findings_cite_the_requirement(&report);
    }
    // QTI 1.x needs no manifest: the fixture (a bare questestinterop in a zip) is fine.
    let declared = Declared::new(Some("zip"), Some("ims-qti")).with_version(Some("1.2"));
    let report = inspect_with(&fixture_zip("qti-minimal"), &declared, &Limits::default());
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    // A good SCORM package has no finding at all.
    let report = inspect(&good_scorm, Some("zip"), Some("scorm-pif"));
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

#[test]
fn jar_and_war_want_their_folders_but_read_as_zips() {
    let plain = fixture_zip("qti-minimal");
    for (format, message) in [
        ("jar", "declared jar but the archive has no META-INF/ folder"),
        ("war", "declared war but the archive has no WEB-INF/ folder"),
    ] {
        let report = inspect(&plain, Some(format), Some("ims-qti"));
        assert!(report.is_readable());
        assert_eq!(finding(&report, message).level, Level::Info);
    }
    let jar = zip_of(&[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"), ("q.xml", b"<questestinterop/>")]);
    let report = inspect(&jar, Some("jar"), Some("ims-qti"));
    assert_eq!((report.format, report.findings.len()), (PackageFormat::Jar, 0), "{:#?}", report.findings);
    let war =
        zip_of(&[("WEB-INF/web.xml", b"<web-app/>"), ("META-INF/MANIFEST.MF", b""), ("q.xml", b"<questestinterop/>")]);
    for declared in ["war", "jar", "zip"] {
        let report = inspect(&war, Some(declared), Some("ims-qti"));
        assert_eq!(
            (report.format, report.findings.len()),
            (PackageFormat::War, 0),
            "{declared}: {:#?}",
            report.findings
        );
    }
}

#[test]
fn a_zip_declared_as_xml_is_unreadable_but_still_listed() {
    let report = inspect(&fixture_zip("qti-minimal"), Some("xml"), Some("ims-qti"));
    assert!(!report.is_readable());
    assert!(matches!(report.unreadable, Some(Unreadable::NotXml { .. })));
    finding(&report, "declared xml but the bytes are not an XML document (they are a zip archive)");
    assert_eq!(report.files.total, 1);
    assert_eq!(report.kinds, [ContentKind::ImsQti]);
}

#[test]
fn ill_formed_xml_is_unreadable() {
    let report = inspect(b"<questestinterop>\n<assessment>\n</questestinterop>", Some("xml"), Some("ims-qti"));
    assert!(!report.is_readable());
    finding(&report, "the XML document does not parse: line 3: ");

    let report = inspect(b"<?xml version='1.0'?><html><body/></html>", Some("xml"), Some("ims-qti"));
    assert!(report.is_readable());
    finding(&report, "declared ims-qti but the document's root element is <html>, not a QTI root");
}

#[test]
fn values_outside_the_vocabulary_are_noted_not_judged() {
    let report = inspect(&fixture_zip("qti-minimal"), Some("rar"), Some("ims-qti"));
    assert!(report.is_readable());
    assert_eq!(finding(&report, "package-format `rar` is not a reserved value").level, Level::Info);
    let report = inspect(&fixture_zip("qti-minimal"), Some("ZIP "), Some("cmi5"));
    assert_eq!(finding(&report, "package-type `cmi5` is not one of").level, Level::Info);
    assert_eq!(report.findings.len(), 1, "ZIP is zip: {:#?}", report.findings);
    let report = inspect(&fixture_zip("qti-minimal"), Some("url"), None);
    assert!(report.findings.is_empty() && report.is_readable());
}

#[test]
fn nothing_staged_is_unreadable() {
    for format in [Some("zip"), Some("xml"), None] {
        let report = inspect(b"", format, Some("scorm-pif"));
        assert_eq!(report.unreadable, Some(Unreadable::Empty));
        assert_eq!(report.findings.len(), 1);
        finding(&report, "the staged file is empty");
    }
    let empty_archive = zip_of(&[]);
    let report = inspect(&empty_archive, Some("zip"), Some("aicc-pkg"));
    assert!(report.is_readable());
    finding(&report, "the archive has no entries");
    finding(&report, "declared aicc-pkg but there are no AICC course files");
    assert_findings_cite_the_requirement(&report);
}
