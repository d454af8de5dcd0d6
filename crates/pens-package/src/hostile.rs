//! Packages that attack the target importing them, for the `security` scenarios: a
//! zip-slip archive, a zip bomb and a sound package grown past a size limit. Each keeps
//! the entries of the scenario's own package, so a target that imports it blindly
//! reports success, and adds the hostile part.
//!
//! The archives are written by hand (local headers, central directory, end record,
//! APPNOTE 4.3) around data the zip crate cannot be given: one deflate stream shared by
//! every entry of the bomb, and a run of zeros of any length for the oversized package,
//! whose CRC-32 is computed without reading the zeros. Neither is ever held whole in
//! memory: the bomb's stream weighs about 256 KiB per entry and is computed once per
//! process, the oversized package's zeros are a [`PackageBody`] run.

use std::io::{Cursor, Read};
use std::sync::OnceLock;

use bytes::Bytes;
use flate2::{Compress, Compression, FlushCompress};

use crate::body::{PackageBody, PackageBodyBuilder};

/// The entries a zip-slip archive adds: one that climbs out of the import folder, one
/// with an absolute path. A target that writes them leaves a file outside its folder.
pub const ZIP_SLIP_ENTRIES: [&str; 2] = ["../../pens-conform-zip-slip.txt", "/tmp/pens-conform-zip-slip.txt"];

/// How many entries of zeros the zip bomb adds.
pub const ZIP_BOMB_ENTRIES: usize = 8;

/// What each of them expands to: 256 MiB, so the bomb expands to 2 GiB while it weighs
/// about 2 MiB.
pub const ZIP_BOMB_ENTRY_BYTES: u64 = 256 * 1024 * 1024;

/// The name of the oversized package's entry of zeros.
pub const FILLER_ENTRY: &str = "pens-conform-filler.bin";

/// What the zip-slip entries hold.
const ZIP_SLIP_TEXT: &str = "written by pens-conform: an archive entry escaped the folder it was unpacked into\n";

/// The zeros one deflate segment of the bomb encodes.
const SEGMENT_BYTES: usize = 1024 * 1024;

/// A deflate block that ends a stream: final, fixed Huffman codes, nothing but the end
/// of block (RFC 1951 §3.2.3, §3.2.6).
const FINAL_EMPTY_BLOCK: [u8; 2] = [0x03, 0x00];

/// Local file header signature (APPNOTE 4.3.7).
const LOCAL_HEADER: u32 = 0x0403_4b50;
/// Central directory header signature (APPNOTE 4.3.12).
const CENTRAL_HEADER: u32 = 0x0201_4b50;
/// End of central directory signature (APPNOTE 4.3.16).
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
/// Fixed sizes of those records, names excluded.
const LOCAL_HEADER_LEN: u64 = 30;
const CENTRAL_HEADER_LEN: u64 = 46;
const END_LEN: u64 = 22;
/// The zip epoch, 1980-01-01 00:00:00, as an MS-DOS date (time 0).
const DOS_DATE: u16 = (1 << 5) | 1;
/// APPNOTE "version needed": 2.0, deflate.
const VERSION: u16 = 20;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;

/// The scenario's package with [`ZIP_SLIP_ENTRIES`] added.
pub fn zip_slip(package: &[u8]) -> PackageBody {
    let mut zip = ZipBuilder::default();
    zip.add_entries(package);
    for name in ZIP_SLIP_ENTRIES {
        zip.add_stored(name, Bytes::from_static(ZIP_SLIP_TEXT.as_bytes()));
    }
    zip.finish()
}

/// The scenario's package with [`ZIP_BOMB_ENTRIES`] entries of [`ZIP_BOMB_ENTRY_BYTES`]
/// zeros each, deflated: all of them share one stream, computed once per process.
pub fn zip_bomb(package: &[u8]) -> PackageBody {
    let (stream, crc) = bomb_stream();
    let mut zip = ZipBuilder::default();
    zip.add_entries(package);
    for number in 1..=ZIP_BOMB_ENTRIES {
        let name = format!("pens-conform-zip-bomb-{number}.bin");
        let header =
            EntryHeader { method: DEFLATED, crc: *crc, compressed: stream.len() as u64, size: ZIP_BOMB_ENTRY_BYTES };
        zip.add(&name, header, Data::Bytes(stream.clone()));
    }
    zip.finish()
}

/// The scenario's package grown to `size` bytes (or a little more, when its own
/// entries already need more) by a stored entry of zeros, [`FILLER_ENTRY`]: a sound
/// archive that a target without a size limit imports. The zeros are never held in
/// memory. `size` must stay below 4 GiB (no zip64).
pub fn oversized_zip(package: &[u8], size: u64) -> PackageBody {
    let entries = package_entries(package);
    let names = entries.iter().map(|(name, _)| name.len() as u64).chain([FILLER_ENTRY.len() as u64]);
    let central: u64 = names.map(|name| CENTRAL_HEADER_LEN + name).sum();
    let local: u64 = entries.iter().map(|(name, data)| LOCAL_HEADER_LEN + name.len() as u64 + data.len() as u64).sum();
    let overhead = central + local + LOCAL_HEADER_LEN + FILLER_ENTRY.len() as u64 + END_LEN;
    let zeros = size.saturating_sub(overhead);
    let mut zip = ZipBuilder::default();
    for (name, data) in entries {
        zip.add_stored(&name, data);
    }
    let header = EntryHeader { method: STORED, crc: crc_of_zeros(zeros), compressed: zeros, size: zeros };
    zip.add(FILLER_ENTRY, header, Data::Zeros(zeros));
    zip.finish()
}

/// The files and folders of `package` with their contents, in archive order; none when
/// it is no readable zip (the hostile part then stands alone).
fn package_entries(package: &[u8]) -> Vec<(String, Bytes)> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(package)) else { return Vec::new() };
    let mut entries = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let Ok(mut entry) = archive.by_index(index) else { continue };
        let name = entry.name().to_owned();
        let mut data = Vec::new();
        if entry.read_to_end(&mut data).is_ok() {
            entries.push((name, Bytes::from(data)));
        }
    }
    entries
}

/// One deflate stream of [`ZIP_BOMB_ENTRY_BYTES`] zeros and its CRC-32.
fn bomb_stream() -> &'static (Bytes, u32) {
    static STREAM: OnceLock<(Bytes, u32)> = OnceLock::new();
    STREAM.get_or_init(|| {
        let segments = usize::try_from(ZIP_BOMB_ENTRY_BYTES).unwrap_or(usize::MAX) / SEGMENT_BYTES;
        (zeros_deflated(segments), crc_of_zeros(ZIP_BOMB_ENTRY_BYTES))
    })
}

/// A raw deflate stream of `segments` MiB of zeros. One MiB is compressed once, ending
/// in a sync flush (byte-aligned, not final); the segment is valid wherever zeros came
/// before it, so repeating it and closing with an empty final block makes the stream.
fn zeros_deflated(segments: usize) -> Bytes {
    let input = vec![0u8; SEGMENT_BYTES];
    let mut compress = Compress::new(Compression::best(), false);
    let mut segment = Vec::with_capacity(64 * 1024);
    loop {
        let consumed = usize::try_from(compress.total_in()).unwrap_or(usize::MAX).min(input.len());
        if compress.compress_vec(&input[consumed..], &mut segment, FlushCompress::Sync).is_err() {
            break; // cannot happen for in-memory zeros; the stream is then short, not wrong
        }
        // All input taken and room left over: the flush is complete.
        let all_in = usize::try_from(compress.total_in()).unwrap_or(usize::MAX) >= input.len();
        if all_in && segment.len() < segment.capacity() {
            break;
        }
        segment.reserve(64 * 1024);
    }
    let mut stream = Vec::with_capacity(segment.len() * segments + FINAL_EMPTY_BLOCK.len());
    for _ in 0..segments {
        stream.extend_from_slice(&segment);
    }
    stream.extend_from_slice(&FINAL_EMPTY_BLOCK);
    Bytes::from(stream)
}

/// The CRC-32 of `count` zero bytes, by combining the CRCs of power-of-two runs: no
/// zero is read beyond one 64 KiB block.
fn crc_of_zeros(count: u64) -> u32 {
    const BLOCK: u64 = 64 * 1024;
    let zeros = [0u8; BLOCK as usize];
    let mut power = crc32fast::Hasher::new();
    power.update(&zeros);
    let mut result = crc32fast::Hasher::new();
    let mut blocks = count / BLOCK;
    while blocks > 0 {
        if blocks & 1 == 1 {
            result.combine(&power);
        }
        let doubled = power.clone();
        power.combine(&doubled);
        blocks >>= 1;
    }
    let mut tail = crc32fast::Hasher::new();
    tail.update(&zeros[..usize::try_from(count % BLOCK).unwrap_or(0)]);
    result.combine(&tail);
    result.finalize()
}

/// What a central directory entry repeats from its local header.
#[derive(Clone, Copy, Debug)]
struct EntryHeader {
    method: u16,
    crc: u32,
    compressed: u64,
    size: u64,
}

/// An entry's data.
enum Data {
    Bytes(Bytes),
    Zeros(u64),
}

/// A zip archive written entry by entry into a [`PackageBody`].
#[derive(Default)]
struct ZipBuilder {
    body: Option<PackageBodyBuilder>,
    central: Vec<u8>,
    offset: u64,
    entries: u16,
}

impl ZipBuilder {
    fn add_entries(&mut self, package: &[u8]) {
        for (name, data) in package_entries(package) {
            self.add_stored(&name, data);
        }
    }

    fn add_stored(&mut self, name: &str, data: Bytes) {
        let header = EntryHeader {
            method: STORED,
            crc: crc32fast::hash(&data),
            compressed: data.len() as u64,
            size: data.len() as u64,
        };
        self.add(name, header, Data::Bytes(data));
    }

    fn add(&mut self, name: &str, header: EntryHeader, data: Data) {
        let mut local = Vec::with_capacity(LOCAL_HEADER_LEN as usize + name.len());
        put32(&mut local, LOCAL_HEADER);
        put16(&mut local, VERSION);
        put_common(&mut local, header, name);
        local.extend_from_slice(name.as_bytes());

        put32(&mut self.central, CENTRAL_HEADER);
        put16(&mut self.central, VERSION); // made by: MS-DOS, 2.0
        put16(&mut self.central, VERSION);
        put_common(&mut self.central, header, name);
        put16(&mut self.central, 0); // comment length
        put16(&mut self.central, 0); // disk number start
        put16(&mut self.central, 0); // internal attributes
        put32(&mut self.central, if name.ends_with('/') { 0x10 } else { 0 }); // external: MS-DOS directory bit
        put32(&mut self.central, narrow(self.offset));
        self.central.extend_from_slice(name.as_bytes());

        self.offset += local.len() as u64 + header.compressed;
        let body = self.body.take().unwrap_or_else(PackageBody::builder).bytes(local);
        self.body = Some(match data {
            Data::Bytes(bytes) => body.bytes(bytes),
            Data::Zeros(count) => body.zeros(count),
        });
        self.entries = self.entries.saturating_add(1);
    }

    fn finish(mut self) -> PackageBody {
        let mut end = Vec::with_capacity(END_LEN as usize);
        put32(&mut end, END_OF_CENTRAL_DIRECTORY);
        put16(&mut end, 0); // this disk
        put16(&mut end, 0); // the central directory's disk
        put16(&mut end, self.entries);
        put16(&mut end, self.entries);
        put32(&mut end, narrow(self.central.len() as u64));
        put32(&mut end, narrow(self.offset));
        put16(&mut end, 0); // comment length
        let central = std::mem::take(&mut self.central);
        self.body.take().unwrap_or_else(PackageBody::builder).bytes(central).bytes(end).build()
    }
}

/// The fields local and central headers share, from flags to the extra field's length.
fn put_common(out: &mut Vec<u8>, header: EntryHeader, name: &str) {
    put16(out, 0); // flags: sizes known, ASCII names
    put16(out, header.method);
    put16(out, 0); // time
    put16(out, DOS_DATE);
    put32(out, header.crc);
    put32(out, narrow(header.compressed));
    put32(out, narrow(header.size));
    put16(out, u16::try_from(name.len()).unwrap_or(u16::MAX));
    put16(out, 0); // extra field length
}

/// A 32-bit size or offset; the archives stay below 4 GiB, beyond it the field reads
/// as zip64's "see the extra field", which none carries: a broken archive, no panic.
fn narrow(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn package() -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        writer.add_directory("res/", options).expect("dir");
        writer.start_file("imsmanifest.xml", options).expect("start");
        writer.write_all(b"<manifest/>").expect("write");
        writer.finish().expect("finish").into_inner()
    }

    fn archive(body: &PackageBody) -> zip::ZipArchive<Cursor<Bytes>> {
        let bytes = body.to_bytes(64 * 1024 * 1024).expect("small enough to read back");
        zip::ZipArchive::new(Cursor::new(bytes)).expect("a readable archive")
    }

    #[test]
    fn the_crc_of_zeros_is_the_crc_of_that_many_zeros() {
        for count in [0, 1, 65_535, 65_536, 65_537, 200_000, 3 * 65_536] {
            let direct = crc32fast::hash(&vec![0u8; count]);
            assert_eq!(crc_of_zeros(count as u64), direct, "{count}");
        }
    }

    #[test]
    fn the_zeros_stream_inflates_to_zeros_and_weighs_little() {
        let stream = zeros_deflated(3);
        assert!(stream.len() < 8 * 1024, "{} bytes for 3 MiB", stream.len());
        let mut inflated = Vec::new();
        flate2::read::DeflateDecoder::new(&stream[..]).read_to_end(&mut inflated).expect("valid deflate");
        assert_eq!(inflated.len(), 3 * SEGMENT_BYTES);
        assert!(inflated.iter().all(|b| *b == 0));
    }

    #[test]
    fn a_zip_slip_archive_keeps_the_package_and_adds_escaping_entries() {
        let body = zip_slip(&package());
        let mut archive = archive(&body);
        let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
        assert_eq!(names.len(), 4, "{names:?}");
        for name in ["res/", "imsmanifest.xml", ZIP_SLIP_ENTRIES[0], ZIP_SLIP_ENTRIES[1]] {
            assert!(names.iter().any(|n| n == name), "{name} missing: {names:?}");
        }
        let mut text = String::new();
        archive.by_name(ZIP_SLIP_ENTRIES[0]).expect("entry").read_to_string(&mut text).expect("readable");
        assert_eq!(text, ZIP_SLIP_TEXT);
        let mut manifest = String::new();
        archive.by_name("imsmanifest.xml").expect("entry").read_to_string(&mut manifest).expect("readable");
        assert_eq!(manifest, "<manifest/>");
        assert!(archive.by_name(ZIP_SLIP_ENTRIES[0]).expect("entry").enclosed_name().is_none());
        assert!(archive.by_name(ZIP_SLIP_ENTRIES[1]).expect("entry").enclosed_name().is_none());
    }

    #[test]
    fn a_zip_bomb_declares_gigabytes_and_weighs_a_few_megabytes() {
        let body = zip_bomb(&package());
        assert!(body.len() < 4 * 1024 * 1024, "{} bytes", body.len());
        let mut archive = archive(&body);
        let mut declared = 0;
        for index in 0..archive.len() {
            declared += archive.by_index_raw(index).expect("entry").size();
        }
        assert_eq!(declared, ZIP_BOMB_ENTRIES as u64 * ZIP_BOMB_ENTRY_BYTES + "<manifest/>".len() as u64);
        // The first MiB of one entry really is zeros (reading all of it takes too long
        // in a debug build).
        let mut start = vec![1u8; SEGMENT_BYTES];
        archive.by_name("pens-conform-zip-bomb-3.bin").expect("entry").read_exact(&mut start).expect("inflates");
        assert!(start.iter().all(|b| *b == 0));
        // Computed once: a second bomb shares the stream.
        assert_eq!(zip_bomb(&package()).len(), body.len());
    }

    #[test]
    fn an_oversized_package_has_the_size_asked_for_and_is_sound() {
        let size = 3 * 1024 * 1024 + 17;
        let body = oversized_zip(&package(), size);
        assert_eq!(body.len(), size);
        let mut archive = archive(&body);
        let mut filler = archive.by_name(FILLER_ENTRY).expect("the filler");
        // Reading to the end makes the zip crate compare the CRC-32.
        let read = std::io::copy(&mut filler, &mut std::io::sink()).expect("a matching checksum");
        assert!(read > 3 * 1024 * 1024 - 1024, "{read}");
        drop(filler);
        assert!(archive.by_name("imsmanifest.xml").is_ok());
    }

    #[test]
    fn an_oversized_package_of_gigabytes_costs_no_memory() {
        let body = oversized_zip(&package(), 3 * 1024 * 1024 * 1024);
        assert_eq!(body.len(), 3 * 1024 * 1024 * 1024);
        assert_eq!(body.to_bytes(1024 * 1024), None);
    }

    #[test]
    fn an_unreadable_package_leaves_the_hostile_part_alone() {
        let body = zip_slip(b"not a zip");
        let archive = archive(&body);
        assert_eq!(archive.len(), ZIP_SLIP_ENTRIES.len());
    }
}
