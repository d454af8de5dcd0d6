//! `imsmanifest.xml`: what an IMS content package's manifest says about itself, read
//! the way SCORM's Content Aggregation Model describes it (SCORM 1.2 CAM §3, SCORM 2004
//! CAM §3.4): `<metadata><schema>ADL SCORM</schema><schemaversion>…</schemaversion>`,
//! the ADL namespaces, and the resources with the files they reference.

use serde::Serialize;

use crate::report::ContentKind;
use crate::xml::{Flow, Node, XmlError, walk};

/// IMS Content Packaging 1.1.2, the default namespace of SCORM 1.2 manifests.
pub const NS_IMSCP_1_1_2: &str = "http://www.imsproject.org/xsd/imscp_rootv1p1p2";
/// The ADL extensions of SCORM 1.2 (`adlcp:scormtype`).
pub const NS_ADLCP_1_2: &str = "http://www.adlnet.org/xsd/adlcp_rootv1p2";
/// IMS Content Packaging 1.1.3/1.1.4, the default namespace of SCORM 2004 manifests
/// (and of QTI 2 packages).
pub const NS_IMSCP_1_1_4: &str = "http://www.imsglobal.org/xsd/imscp_v1p1";
/// The ADL content packaging extensions of SCORM 2004 (`adlcp:scormType`).
pub const NS_ADLCP_2004: &str = "http://www.adlnet.org/xsd/adlcp_v1p3";
/// The ADL sequencing extensions of SCORM 2004.
pub const NS_ADLSEQ_2004: &str = "http://www.adlnet.org/xsd/adlseq_v1p3";
/// The ADL navigation extensions of SCORM 2004.
pub const NS_ADLNAV_2004: &str = "http://www.adlnet.org/xsd/adlnav_v1p3";
/// IMS Simple Sequencing, used by SCORM 2004 only.
pub const NS_IMSSS: &str = "http://www.imsglobal.org/xsd/imsss";

/// Most `href`s kept for the check that referenced files exist; a manifest is capped
/// in size, this only bounds memory further.
const MAX_HREFS: usize = 20_000;

/// What a manifest says about the package.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// The local name of the root element (`manifest` for a content package).
    pub root: String,
    /// `manifest/metadata/schema`, trimmed, e.g. `ADL SCORM`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// `manifest/metadata/schemaversion`, trimmed, e.g. `1.2` or `2004 4th Edition`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schemaversion: Option<String>,
    /// Every namespace URI declared (`xmlns`, `xmlns:*`), in order of appearance.
    pub namespaces: Vec<String>,
    /// How many `<resource>` elements there are.
    pub resources: usize,
    /// How many resources are SCOs (`adlcp:scormtype`/`adlcp:scormType` = `sco`).
    pub scos: usize,
    /// Package-relative paths of `resource/@href` and `file/@href` (with `xml:base`
    /// applied, query and fragment dropped, percent-decoded); external URLs left out.
    #[serde(skip)]
    pub(crate) hrefs: Vec<String>,
}

/// The SCORM edition a manifest's markers point to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scorm {
    V12,
    V2004,
}

impl Scorm {
    pub(crate) fn kind(self) -> ContentKind {
        match self {
            Scorm::V12 => ContentKind::Scorm12,
            Scorm::V2004 => ContentKind::Scorm2004,
        }
    }

    /// Reads a `schemaversion` or a declared `package-type-version`: `1.2`, or
    /// `CAM 1.3`, `1.3`, `2004 3rd Edition` and the like.
    pub(crate) fn from_version(version: &str) -> Option<Scorm> {
        let version = version.trim().to_ascii_lowercase();
        if version == "1.2" || version.starts_with("1.2.") || version == "scorm 1.2" {
            Some(Scorm::V12)
        } else if version.contains("2004") || version.contains("1.3") {
            Some(Scorm::V2004)
        } else {
            None
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Scorm::V12 => "SCORM 1.2",
            Scorm::V2004 => "SCORM 2004",
        }
    }
}

impl Manifest {
    fn declares(&self, namespace: &str) -> bool {
        self.namespaces.iter().any(|declared| declared == namespace)
    }

    /// The SCORM edition the namespaces alone point to.
    pub(crate) fn scorm_by_namespaces(&self) -> Option<Scorm> {
        if self.declares(NS_ADLCP_2004)
            || self.declares(NS_ADLSEQ_2004)
            || self.declares(NS_ADLNAV_2004)
            || self.declares(NS_IMSSS)
        {
            Some(Scorm::V2004)
        } else if self.declares(NS_ADLCP_1_2) {
            Some(Scorm::V12)
        } else {
            None
        }
    }

    /// The SCORM edition: by `schemaversion` when it is one SCORM knows, else by the ADL
    /// namespaces, else by the content-packaging namespace when the schema says
    /// `ADL SCORM`; `None` for a manifest with no SCORM marker at all.
    pub(crate) fn scorm(&self) -> Option<Scorm> {
        if let Some(version) = self.schemaversion.as_deref().and_then(Scorm::from_version) {
            return Some(version);
        }
        if let Some(version) = self.scorm_by_namespaces() {
            return Some(version);
        }
        let says_scorm = self.schema.as_deref().is_some_and(|schema| schema.eq_ignore_ascii_case("ADL SCORM"));
        if !says_scorm {
            return None;
        }
        if self.declares(NS_IMSCP_1_1_4) { Some(Scorm::V2004) } else { Some(Scorm::V12) }
    }

    /// What kind of package the manifest describes: a SCORM edition or a plain IMS
    /// content package; `None` when the root is not a `manifest`.
    pub fn kind(&self) -> Option<ContentKind> {
        if self.root != "manifest" {
            return None;
        }
        Some(self.scorm().map_or(ContentKind::ImsContentPackage, Scorm::kind))
    }

    /// A `schemaversion` that names one SCORM edition while the namespaces name the
    /// other: `(by schemaversion, by namespaces)`.
    pub(crate) fn conflict(&self) -> Option<(Scorm, Scorm)> {
        let by_version = self.schemaversion.as_deref().and_then(Scorm::from_version)?;
        let by_namespaces = self.scorm_by_namespaces()?;
        (by_version != by_namespaces).then_some((by_version, by_namespaces))
    }
}

/// Where the walk is: the path of local names from the root, and the `xml:base` in
/// force at each level.
#[derive(Default)]
struct State {
    path: Vec<String>,
    bases: Vec<Option<String>>,
    text: String,
}

/// Reads a manifest document (already decoded and within the size cap).
pub(crate) fn read_manifest(text: &str) -> Result<Manifest, XmlError> {
    let mut manifest = Manifest::default();
    let mut state = State::default();
    walk(text, |node| {
        match node {
            Node::Open { depth, name, attributes } => {
                if depth == 1 {
                    manifest.root.clone_from(&name.local);
                }
                let mut base = None;
                for attribute in &attributes {
                    if attribute.qname == "xmlns" || attribute.qname.starts_with("xmlns:") {
                        if !manifest.namespaces.contains(&attribute.value) {
                            manifest.namespaces.push(attribute.value.clone());
                        }
                    } else if attribute.qname == "xml:base" {
                        base = Some(attribute.value.clone());
                    }
                }
                state.path.push(name.local.clone());
                state.bases.push(base);
                state.text.clear();
                match name.local.as_str() {
                    "resource" => {
                        manifest.resources += 1;
                        let sco = attributes.iter().any(|a| {
                            a.name.local.eq_ignore_ascii_case("scormtype") && a.value.trim().eq_ignore_ascii_case("sco")
                        });
                        if sco {
                            manifest.scos += 1;
                        }
                        href(&attributes, &state.bases, &mut manifest.hrefs);
                    }
                    "file" => href(&attributes, &state.bases, &mut manifest.hrefs),
                    _ => {}
                }
            }
            Node::Text { text, .. } => {
                if state.text.len() < 1024 {
                    state.text.push_str(&text);
                }
            }
            Node::Close { .. } => {
                let path: Vec<&str> = state.path.iter().map(String::as_str).collect();
                match path.as_slice() {
                    ["manifest", "metadata", "schema"] => manifest.schema = Some(state.text.trim().to_owned()),
                    ["manifest", "metadata", "schemaversion"] => {
                        manifest.schemaversion = Some(state.text.trim().to_owned());
                    }
                    _ => {}
                }
                state.text.clear();
                state.path.pop();
                state.bases.pop();
            }
        }
        Flow::Continue
    })?;
    Ok(manifest)
}

/// Adds the package path an element's `href` points to, if it points inside the package.
fn href(attributes: &[crate::xml::Attribute], bases: &[Option<String>], into: &mut Vec<String>) {
    if into.len() >= MAX_HREFS {
        return;
    }
    let Some(href) = attributes.iter().find(|a| a.qname == "href").map(|a| a.value.trim()) else {
        return;
    };
    // Each reference resolves against the one before (RFC 3986 §5.2): the base's last
    // segment is replaced unless it ends in `/`.
    let mut joined = String::new();
    for part in bases.iter().flatten().map(|b| b.trim()).chain([href]) {
        if is_absolute(part) {
            return;
        }
        joined.truncate(joined.rfind('/').map_or(0, |slash| slash + 1));
        joined.push_str(part);
    }
    if let Some(path) = package_path(&joined) {
        into.push(path);
    }
}

/// A URL with a scheme, a network path or an absolute path: not a file of the package.
fn is_absolute(reference: &str) -> bool {
    if reference.starts_with('/') || reference.starts_with('\\') {
        return true;
    }
    let scheme_end = reference.find(':');
    let path_start = reference.find(['/', '?', '#']).unwrap_or(reference.len());
    scheme_end.is_some_and(|colon| colon > 0 && colon < path_start)
}

/// `a/./b/../c.html?x#y` -> `a/c.html`, percent-decoded; `None` when the reference
/// climbs out of the package or names no file.
pub(crate) fn package_path(reference: &str) -> Option<String> {
    let end = reference.find(['?', '#']).unwrap_or(reference.len());
    let decoded = percent_encoding::percent_decode_str(&reference[..end]).decode_utf8_lossy();
    let mut parts: Vec<&str> = Vec::new();
    for part in decoded.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    if parts.is_empty() || decoded.ends_with('/') {
        return None;
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(metadata: &str, namespaces: &str) -> Manifest {
        let text = format!("<manifest identifier='m' {namespaces}><metadata>{metadata}</metadata></manifest>");
        read_manifest(&text).expect("parses")
    }

    #[test]
    fn the_scorm_edition_comes_from_schemaversion_then_namespaces_then_schema() {
        let v12 = format!("xmlns='{NS_IMSCP_1_1_2}' xmlns:adlcp='{NS_ADLCP_1_2}'");
        let v2004 = format!("xmlns='{NS_IMSCP_1_1_4}' xmlns:adlcp='{NS_ADLCP_2004}'");
        let cases: &[(&str, &str, ContentKind)] = &[
            ("<schema>ADL SCORM</schema><schemaversion>1.2</schemaversion>", "", ContentKind::Scorm12),
            ("<schemaversion>2004 4th Edition</schemaversion>", "", ContentKind::Scorm2004),
            ("<schemaversion>CAM 1.3</schemaversion>", "", ContentKind::Scorm2004),
            ("<schemaversion> 2004 3rd Edition </schemaversion>", "", ContentKind::Scorm2004),
            ("", &v12, ContentKind::Scorm12),
            ("", &v2004, ContentKind::Scorm2004),
            ("<schema>ADL SCORM</schema>", &format!("xmlns='{NS_IMSCP_1_1_4}'"), ContentKind::Scorm2004),
            ("<schema>ADL SCORM</schema>", "", ContentKind::Scorm12),
            ("<schema>IMS Content</schema><schemaversion>1.1.4</schemaversion>", "", ContentKind::ImsContentPackage),
            ("", &format!("xmlns='{NS_IMSCP_1_1_4}'"), ContentKind::ImsContentPackage),
        ];
        for (metadata, namespaces, expected) in cases {
            assert_eq!(manifest(metadata, namespaces).kind(), Some(*expected), "{metadata} {namespaces}");
        }
    }

    #[test]
    fn a_schemaversion_against_the_namespaces_is_a_conflict() {
        let conflicting = manifest("<schemaversion>1.2</schemaversion>", &format!("xmlns:adlcp='{NS_ADLCP_2004}'"));
        assert_eq!(conflicting.conflict(), Some((Scorm::V12, Scorm::V2004)));
        let agreeing = manifest("<schemaversion>1.2</schemaversion>", &format!("xmlns:adlcp='{NS_ADLCP_1_2}'"));
        assert_eq!(agreeing.conflict(), None);
    }

    #[test]
    fn resources_scos_and_hrefs_are_collected_with_xml_base() {
        let text = r#"<manifest xmlns:adlcp="urn:a" xml:base="course/">
  <resources xml:base="lessons/">
    <resource identifier="R1" adlcp:scormType="sco" href="one/index.html?start=1" xml:base="a/">
      <file href="one/index.html"/><file href="../shared/my%20style.css"/>
      <file href="https://cdn.example/x.js"/>
    </resource>
    <resource identifier="R2" adlcp:scormtype="asset" href="/abs.html"/>
    <resource identifier="R3" href="b.html" xml:base="no-slash"/>
  </resources>
</manifest>"#;
        let manifest = read_manifest(text).expect("parses");
        assert_eq!((manifest.resources, manifest.scos), (3, 1));
        assert_eq!(
            manifest.hrefs,
            [
                "course/lessons/a/one/index.html",
                "course/lessons/a/one/index.html",
                "course/lessons/shared/my style.css",
                "course/lessons/b.html"
            ]
        );
    }

    #[test]
    fn package_paths_are_normalised_or_refused() {
        let cases = [
            ("a/./b/../c.html#top", Some("a/c.html")),
            ("../outside.html", None),
            ("folder/", None),
            ("", None),
            ("%E2%9C%93.html", Some("✓.html")),
        ];
        for (reference, expected) in cases {
            assert_eq!(package_path(reference).as_deref(), expected, "{reference}");
        }
        assert!(is_absolute("http://x/y") && is_absolute("mailto:a@b") && is_absolute("/x"));
        assert!(!is_absolute("a/b:c.html") && !is_absolute("index.html"));
    }
}
