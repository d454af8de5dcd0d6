//! What the collect command declared about the package, and how far an inspection may
//! go into hostile bytes.

/// The collect elements that describe the package (CMI010 §6.2), as received.
///
/// Values are compared trimmed and case-insensitively: the collect checks of
/// pens-proto already flag a wrongly cased value, the package is judged on what the
/// sender evidently meant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Declared<'a> {
    /// `package-format`: `zip`, `url`, `jar`, `war`, `xml` or an implementation-defined value.
    pub format: Option<&'a str>,
    /// `package-type`: `aicc-pkg`, `scorm-pif` or `ims-qti`.
    pub package_type: Option<&'a str>,
    /// `package-type-version`, e.g. `1.2` or `2004`; compared with what a SCORM
    /// manifest says.
    pub package_type_version: Option<&'a str>,
}

impl<'a> Declared<'a> {
    /// A declaration of `package-format` and `package-type`.
    pub fn new(format: Option<&'a str>, package_type: Option<&'a str>) -> Self {
        Declared { format, package_type, package_type_version: None }
    }

    /// Adds the `package-type-version`.
    pub fn with_version(mut self, version: Option<&'a str>) -> Self {
        self.package_type_version = version;
        self
    }

    pub(crate) fn format(&self) -> Option<String> {
        normalise(self.format)
    }

    pub(crate) fn package_type(&self) -> Option<String> {
        normalise(self.package_type)
    }
}

fn normalise(value: Option<&str>) -> Option<String> {
    value.map(|v| v.trim().to_ascii_lowercase()).filter(|v| !v.is_empty())
}

const MIB: u64 = 1024 * 1024;

/// How much work an inspection may do. The defaults suit real packages (a course of a
/// few hundred megabytes with thousands of files) and stop zip bombs early; tests lower
/// them to reach the limits cheaply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Entries examined (named, sized, read); the rest are counted only.
    pub max_entries: usize,
    /// Uncompressed bytes decompressed in all, to verify checksums and read contents.
    pub max_uncompressed: u64,
    /// Largest XML document parsed whole (`imsmanifest.xml`, a bare XML package).
    pub max_xml_bytes: usize,
    /// Bytes read from the start of an entry to recognise it (a QTI root element, an
    /// AICC course file).
    pub max_sniff_bytes: usize,
    /// XML entries read to look for a QTI root element.
    pub max_sniffed_entries: usize,
    /// Entries listed in [`crate::FileList::entries`].
    pub max_listed: usize,
    /// Declared expansion (uncompressed content per staged byte) above which an
    /// archive that also exceeds [`Limits::max_uncompressed`] is called a zip bomb and
    /// is not decompressed at all. Text compresses about 5:1, deflate cannot exceed
    /// about 1032:1.
    pub bomb_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 10_000,
            max_uncompressed: 64 * MIB,
            max_xml_bytes: 4 * MIB as usize,
            max_sniff_bytes: 64 * 1024,
            max_sniffed_entries: 500,
            max_listed: 200,
            bomb_ratio: 100,
        }
    }
}

impl Limits {
    /// These limits with another budget of uncompressed bytes.
    pub fn with_max_uncompressed(mut self, bytes: u64) -> Self {
        self.max_uncompressed = bytes;
        self
    }

    /// These limits with another number of examined entries.
    pub fn with_max_entries(mut self, entries: usize) -> Self {
        self.max_entries = entries;
        self
    }

    /// These limits with another size of XML parsed whole.
    pub fn with_max_xml_bytes(mut self, bytes: usize) -> Self {
        self.max_xml_bytes = bytes;
        self
    }

    /// These limits with another number of listed entries.
    pub fn with_max_listed(mut self, entries: usize) -> Self {
        self.max_listed = entries;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_values_are_trimmed_and_lowered_and_empty_is_absent() {
        let declared = Declared::new(Some(" ZIP "), Some("")).with_version(Some("2004 4th Edition"));
        assert_eq!(declared.format().as_deref(), Some("zip"));
        assert_eq!(declared.package_type(), None);
        assert_eq!(declared.package_type_version, Some("2004 4th Edition"));
    }
}
