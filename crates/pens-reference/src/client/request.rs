//! What to publish: the package and what the collect says about them.

use std::fmt;
use std::path::Path;

use pens_proto::PackageType;

use pens_parties::MockError;
use pens_parties::PackageBody;
use pens_parties::fixture_package;

/// One package to publish. The package is read before publishing
/// ([`PublishRequest::from_fixture`] zips a fixture folder), so that
/// [`super::ReferenceClient::publish`] itself cannot fail: whatever happens on the
/// network is recorded, not returned as an error.
#[derive(Clone, PartialEq, Eq)]
pub struct PublishRequest {
    /// The course's id within the client's namespace: the last part of `package-id`
    /// (see [`super::PACKAGE_ID_NAMESPACE`]). Publishing the same course again keeps
    /// the same `package-id`.
    pub course_id: String,
    /// `package-type` (CMI010 §6.2).
    pub package_type: PackageType,
    /// `package-type-version`, e.g. `1.2` or `2004` for SCORM.
    pub package_type_version: String,
    /// `package-format`, e.g. `zip`.
    pub package_format: String,
    /// The file name the package is staged under (CMI010 §6.2: the package URL ends in
    /// a file name with an extension).
    pub file_name: String,
    /// The package: bytes, a file, or generated.
    pub package: PackageBody,
    /// `vendor-data`, if any.
    pub vendor_data: Option<String>,
}

impl PublishRequest {
    /// A SCORM 1.2 zip (`scorm-pif`, `1.2`, `zip`) of course `course_id`, staged as
    /// `file_name`.
    pub fn new(course_id: impl Into<String>, file_name: impl Into<String>, package: impl Into<PackageBody>) -> Self {
        PublishRequest {
            course_id: course_id.into(),
            package_type: PackageType::ScormPif,
            package_type_version: "1.2".to_owned(),
            package_format: "zip".to_owned(),
            file_name: file_name.into(),
            package: package.into(),
            vendor_data: None,
        }
    }

    /// The fixture package `name` of `packages_dir` (a folder zipped by
    /// [`pens_parties::fixture_package`], or the file itself), staged under that name, as a
    /// SCORM 1.2 zip of course `course_id`; set another type with
    /// [`PublishRequest::package_type`].
    pub fn from_fixture(
        packages_dir: &Path,
        name: &str,
        course_id: impl Into<String>,
    ) -> Result<PublishRequest, MockError> {
        Ok(PublishRequest::new(course_id, name, fixture_package(packages_dir, name)?))
    }

    /// Declares the package as `package_type` in version `version`.
    #[must_use]
    pub fn package_type(mut self, package_type: PackageType, version: impl Into<String>) -> Self {
        self.package_type = package_type;
        self.package_type_version = version.into();
        self
    }

    /// Declares the package format (`zip` by default).
    #[must_use]
    pub fn package_format(mut self, format: impl Into<String>) -> Self {
        self.package_format = format.into();
        self
    }

    /// Sends `vendor-data`.
    #[must_use]
    pub fn vendor_data(mut self, data: impl Into<String>) -> Self {
        self.vendor_data = Some(data.into());
        self
    }
}

impl fmt::Debug for PublishRequest {
    /// The package's length, not its bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublishRequest")
            .field("course_id", &self.course_id)
            .field("package_type", &self.package_type)
            .field("package_type_version", &self.package_type_version)
            .field("package_format", &self.package_format)
            .field("file_name", &self.file_name)
            .field("package_len", &self.package.len())
            .field("vendor_data", &self.vendor_data)
            .finish()
    }
}
