//! What is inside a staged PENS package: pure functions over the bytes a client staged,
//! used in client mode to judge them against the collect command's `package-format`
//! and `package-type` (CMI010 §6.2). No network, and nothing is ever extracted.
//!
//! The package is read through [`Read`](std::io::Read) and [`Seek`](std::io::Seek)
//! ([`inspect_reader`]), never held whole: a package of gigabytes in a file is inspected
//! in the memory a small one takes (the first 64 KiB, an XML document up to
//! [`Limits::max_xml_bytes`], and the contents of one entry at a time). [`inspect`] and
//! [`inspect_with`] are the same over bytes in memory.
//!
//! [`inspect`] sniffs the container ([`PackageFormat`]: zip, jar, war, xml), lists an
//! archive's entries ([`FileList`]), tells what the package holds ([`ContentKind`]:
//! SCORM 1.2 or 2004 by `imsmanifest.xml` at the root, AICC by its four course files at
//! the root, IMS QTI by an XML root element, the rules are in [`ContentKind`]'s
//! variants), verifies every entry's checksum, and returns a [`PackageReport`] whose
//! findings come at two levels. A defect after which a target can only answer 1432
//! (CMI010 §6.3: not the declared container, a corrupt or truncated archive, no
//! `imsmanifest.xml` for `scorm-pif` or QTI 2 and later, a manifest that does not parse,
//! AICC course files missing from the archive, no QTI XML for `ims-qti`) cites
//! `client.package.importable`, a `must`; every other deviation cites
//! `client.package.format`, a `should` (warnings, or notes at `info`). A package a
//! target cannot open at all is not [`PackageReport::is_readable`].
//!
//! The bytes are hostile until proven otherwise: reads are capped by [`Limits`] (64 MiB
//! decompressed in all, 10 000 entries, 4 MiB of manifest), a zip bomb is recognised from
//! its declared sizes before anything is decompressed, an entry that expands beyond
//! its declared size is cut one byte past it, and names that would escape the
//! extraction folder are reported, never used.
//!
//! With the `hostile` feature (pens-parties turns it on) it also builds what a staging
//! server serves: a [`PackageBody`] (byte runs, zeros and file runs, so that a package of
//! gigabytes is never held in memory) and the hostile packages of the `security`
//! scenarios as such bodies ([`zip_slip`], [`zip_bomb`], [`oversized_zip`]). They live
//! here, the lowest crate that needs them, because this crate's tests read them and the
//! staging server serves them: one copy of each builder.
//!
//! ```
//! let report = pens_package::inspect(b"<questestinterop/>", Some("xml"), Some("ims-qti"));
//! assert!(report.is_readable());
//! assert_eq!(report.kind(), pens_package::ContentKind::ImsQti);
//! assert!(report.findings.is_empty());
//! ```

mod archive;
#[cfg(feature = "hostile")]
mod body;
mod content;
#[cfg(feature = "hostile")]
mod hostile;
mod inspect;
mod judge;
mod manifest;
mod options;
mod report;
mod sniff;
mod source;
mod xml;

pub use archive::escapes_folder;
#[cfg(feature = "hostile")]
pub use body::{BodyCursor, PackageBody};
pub use content::AICC_EXTENSIONS;
#[cfg(feature = "hostile")]
pub use hostile::{
    FILLER_ENTRY, ZIP_BOMB_ENTRIES, ZIP_BOMB_ENTRY_BYTES, ZIP_SLIP_ENTRIES, oversized_zip, zip_bomb, zip_slip,
};
pub use inspect::{inspect, inspect_reader, inspect_with};
pub use manifest::{
    Manifest, NS_ADLCP_1_2, NS_ADLCP_2004, NS_ADLNAV_2004, NS_ADLSEQ_2004, NS_IMSCP_1_1_2, NS_IMSCP_1_1_4, NS_IMSSS,
};
pub use options::{Declared, Limits};
pub use report::{ContentKind, FileEntry, FileList, PackageFormat, PackageReport, Unreadable};
