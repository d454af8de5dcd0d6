//! Packages for the tests: fixture folders zipped, archives written with the zip crate,
//! and archives assembled byte by byte.

use std::io::{Cursor, Write};
use std::path::PathBuf;

use pens_package::PackageReport;
use pens_proto::{Finding, Level};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

/// `fixtures/packages/` of the workspace.
pub fn packages_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/packages")
}

/// The fixture folder `name` zipped as the staging server serves it.
pub fn fixture_zip(name: &str) -> Vec<u8> {
    pens_parties::fixture_package(&packages_dir(), &format!("{name}.zip"))
        .expect("fixture zipped")
        .to_bytes(u64::MAX)
        .expect("small")
        .to_vec()
}

/// An archive of `files`, deflated, written by the zip crate.
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in files {
        if name.ends_with('/') {
            writer.add_directory(*name, SimpleFileOptions::default()).expect("folder");
        } else {
            writer.start_file(*name, SimpleFileOptions::default()).expect("entry");
            writer.write_all(content).expect("content");
        }
    }
    writer.finish().expect("finished").into_inner()
}

/// The one finding whose message contains `fragment`; fails listing all findings otherwise.
pub fn finding<'r>(report: &'r PackageReport, fragment: &str) -> &'r Finding {
    let matching: Vec<&Finding> = report.findings.iter().filter(|f| f.message.contains(fragment)).collect();
    assert_eq!(matching.len(), 1, "one finding with {fragment:?} in {:#?}", report.findings);
    matching[0]
}

/// Every finding cites `client.package.format` below must, or `client.package.importable`
/// (a defect a target can only answer with 1432) at must.
pub fn assert_findings_cite_the_requirement(report: &PackageReport) {
    for finding in &report.findings {
        match finding.requirement.id {
            "client.package.format" => assert_ne!(finding.level, Level::Must, "{finding}"),
            "client.package.importable" => assert_eq!(finding.level, Level::Must, "{finding}"),
            other => panic!("{other}: {finding}"),
        }
    }
}

/// Whether the finding is a failure: `client.package.importable`, a defect a target can
/// only answer with 1432 (CMI010 §6.3).
pub fn is_fatal(finding: &Finding) -> bool {
    finding.requirement.id == "client.package.importable" && finding.level == Level::Must
}

/// CRC-32 (IEEE) as zip uses it, bit by bit: slow, but only for small test data.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A deflate stream (RFC 1951, one block with the fixed Huffman codes) of
/// `1 + 258 * matches` zero bytes: a literal zero, then `matches` copies of length 258 at
/// distance 1, 13 bits each. Lets a test state a gigabyte in a few megabytes without
/// compressing anything.
pub fn deflated_zeros(matches: usize) -> Vec<u8> {
    let mut bits = BitWriter::default();
    bits.push_lsb(1, 1); // BFINAL
    bits.push_lsb(1, 2); // BTYPE = 01, fixed codes
    bits.push_code(0x30, 8); // literal 0
    for _ in 0..matches {
        bits.push_code(0xC5, 8); // length symbol 285 = 258, no extra bits
        bits.push_code(0, 5); // distance code 0 = 1, no extra bits
    }
    bits.push_code(0, 7); // end of block (256)
    bits.finish()
}

/// The length of [`deflated_zeros`]`(matches)` once inflated.
pub fn zeros_len(matches: usize) -> usize {
    1 + 258 * matches
}

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    current: u8,
    used: u8,
}

impl BitWriter {
    fn push_bit(&mut self, bit: u8) {
        self.current |= (bit & 1) << self.used;
        self.used += 1;
        if self.used == 8 {
            self.bytes.push(self.current);
            self.current = 0;
            self.used = 0;
        }
    }

    /// Header fields and extra bits: least significant bit first.
    fn push_lsb(&mut self, value: u32, count: u8) {
        for i in 0..count {
            self.push_bit(((value >> i) & 1) as u8);
        }
    }

    /// Huffman codes: most significant bit first.
    fn push_code(&mut self, code: u32, count: u8) {
        for i in (0..count).rev() {
            self.push_bit(((code >> i) & 1) as u8);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.used > 0 {
            self.bytes.push(self.current);
        }
        self.bytes
    }
}

/// One entry of a [`RawZip`], every field as the test wants it, true or not.
#[derive(Clone)]
pub struct RawEntry {
    pub name: Vec<u8>,
    /// General-purpose flags: bit 0 encrypted, bit 11 UTF-8 names.
    pub flags: u16,
    /// 0 stored, 8 deflate, 12 bzip2, ...
    pub method: u16,
    pub crc: u32,
    pub data: Vec<u8>,
    /// The uncompressed size the headers declare.
    pub size: u32,
}

impl RawEntry {
    /// A stored entry with its true size and checksum.
    pub fn stored(name: &str, content: &[u8]) -> Self {
        RawEntry {
            name: name.as_bytes().to_vec(),
            flags: 1 << 11,
            method: 0,
            crc: crc32(content),
            data: content.to_vec(),
            size: content.len() as u32,
        }
    }

    /// A deflated entry of zeros (see [`deflated_zeros`]), declaring `size` with a
    /// checksum of `crc`.
    pub fn zeros(name: &str, matches: usize, size: u32, crc: u32) -> Self {
        RawEntry { name: name.as_bytes().to_vec(), flags: 1 << 11, method: 8, crc, data: deflated_zeros(matches), size }
    }
}

/// A zip archive assembled byte by byte (APPNOTE 4.3): local headers and data, the
/// central directory, the end record. No zip64, so sizes stay below 4 GiB.
#[derive(Default)]
pub struct RawZip {
    pub entries: Vec<RawEntry>,
}

impl RawZip {
    pub fn with(mut self, entry: RawEntry) -> Self {
        self.entries.push(entry);
        self
    }

    pub fn build(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for entry in &self.entries {
            let offset = out.len() as u32;
            out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            out.extend_from_slice(&20u16.to_le_bytes());
            Self::common(&mut out, entry);
            out.extend_from_slice(&0u16.to_le_bytes()); // extra length
            out.extend_from_slice(&entry.name);
            out.extend_from_slice(&entry.data);

            central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            central.extend_from_slice(&0x031Eu16.to_le_bytes()); // made by: unix, 3.0
            central.extend_from_slice(&20u16.to_le_bytes());
            Self::common(&mut central, entry);
            central.extend_from_slice(&0u16.to_le_bytes()); // extra length
            central.extend_from_slice(&0u16.to_le_bytes()); // comment length
            central.extend_from_slice(&0u16.to_le_bytes()); // disk
            central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
            central.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(&entry.name);
        }
        let central_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&(self.entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(self.entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&central_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    /// Flags, method, time, date, checksum, sizes and name length: shared by both headers.
    fn common(out: &mut Vec<u8>, entry: &RawEntry) {
        out.extend_from_slice(&entry.flags.to_le_bytes());
        out.extend_from_slice(&entry.method.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // time 00:00:00
        out.extend_from_slice(&0x0021u16.to_le_bytes()); // date 1980-01-01
        out.extend_from_slice(&entry.crc.to_le_bytes());
        out.extend_from_slice(&(entry.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&entry.size.to_le_bytes());
        out.extend_from_slice(&(entry.name.len() as u16).to_le_bytes());
    }
}
