//! Telling what container staged bytes are from their first bytes, and saying what
//! they look like when they are not what was declared (an HTML error page served in
//! place of the package is the classic).

/// A zip local file header (APPNOTE 4.3.7): where almost every archive starts.
const ZIP_LOCAL_HEADER: &[u8] = b"PK\x03\x04";
/// An end-of-central-directory record: an empty archive is nothing else.
const ZIP_EMPTY: &[u8] = b"PK\x05\x06";
/// The split/spanned marker some writers put first (APPNOTE 8.5.3).
const ZIP_SPANNED: &[u8] = b"PK\x07\x08";

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// What the bytes look like at first sight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Container {
    /// Starts with a zip signature.
    Zip,
    /// Starts like an XML document (and not like an HTML page).
    Xml,
    /// Anything else.
    Other,
}

/// Sniffs the container from the first bytes.
pub(crate) fn sniff(bytes: &[u8]) -> Container {
    if [ZIP_LOCAL_HEADER, ZIP_EMPTY, ZIP_SPANNED].iter().any(|magic| bytes.starts_with(magic)) {
        Container::Zip
    } else if looks_like_xml(bytes) {
        Container::Xml
    } else {
        Container::Other
    }
}

/// The text after a UTF-8 byte-order mark and leading white space, as bytes.
fn text_start(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[skip..]
}

fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let start = text_start(bytes);
    starts_with_ignore_case(start, b"<!doctype html") || starts_with_ignore_case(start, b"<html")
}

/// `<?xml`, a comment, a DOCTYPE or an element first, after an optional BOM (UTF-8, or
/// UTF-16 with `<` as the first character); an HTML page is not taken for XML.
fn looks_like_xml(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\xFE\xFF\x00<") || bytes.starts_with(b"\xFF\xFE<\x00") {
        return true;
    }
    if looks_like_html(bytes) {
        return false;
    }
    let start = text_start(bytes);
    match start {
        [b'<', b'?' | b'!', ..] => {
            start.starts_with(b"<?xml") || start.starts_with(b"<!--") || start.starts_with(b"<!DOCTYPE")
        }
        [b'<', first, ..] => first.is_ascii_alphabetic() || *first == b'_' || *first == b':' || *first >= 0x80,
        _ => false,
    }
}

/// Signatures of formats a package is sometimes mistaken for, with a name for findings.
const KNOWN: &[(&[u8], &str)] = &[
    (b"\x1F\x8B", "a gzip stream"),
    (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
    (b"Rar!\x1A\x07", "a RAR archive"),
    (b"%PDF-", "a PDF document"),
    (b"MZ", "a Windows executable"),
    (b"\xFD7zXZ\x00", "an xz stream"),
    (b"BZh", "a bzip2 stream"),
];

/// What the bytes look like, for a finding: a named format, or their first bytes in hex.
pub(crate) fn describe(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "no bytes at all".to_owned();
    }
    if looks_like_html(bytes) {
        return "they are an HTML page, perhaps an error or login page".to_owned();
    }
    match sniff(bytes) {
        Container::Zip => return "they are a zip archive".to_owned(),
        Container::Xml => return "they are an XML document".to_owned(),
        Container::Other => {}
    }
    if let Some((_, name)) = KNOWN.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return format!("they are {name}");
    }
    if bytes.get(257..262) == Some(b"ustar") {
        return "they are a tar archive".to_owned();
    }
    if matches!(text_start(bytes).first(), Some(b'{' | b'[')) {
        return "they look like JSON".to_owned();
    }
    let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("they start with {}", head.join(" "))
}

/// The first bytes as evidence: as text when they read as text (an error page says
/// what went wrong), in hex otherwise.
pub(crate) fn head(bytes: &[u8]) -> String {
    let sample = &bytes[..bytes.len().min(160)];
    let text = String::from_utf8_lossy(sample);
    let printable = text.chars().filter(|c| !c.is_control() || c.is_whitespace()).count();
    if !text.is_empty() && !text.contains('\u{FFFD}') && printable * 10 >= text.chars().count() * 9 {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        let hex: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
        hex.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_told_from_their_first_bytes() {
        let cases: &[(&[u8], Container)] = &[
            (b"PK\x03\x04rest", Container::Zip),
            (b"PK\x05\x06", Container::Zip),
            (b"<?xml version=\"1.0\"?><a/>", Container::Xml),
            (b"\xEF\xBB\xBF\r\n  <questestinterop>", Container::Xml),
            (b"<!-- c --><a/>", Container::Xml),
            (b"\xFF\xFE<\x00a\x00/\x00>\x00", Container::Xml),
            (b"<!DOCTYPE html><html>", Container::Other),
            (b"  <HTML><body>", Container::Other),
            (b"<1>", Container::Other),
            (b"", Container::Other),
            (b"PK", Container::Other),
        ];
        for (bytes, expected) in cases {
            assert_eq!(sniff(bytes), *expected, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn heads_quote_text_and_hex_binary() {
        assert_eq!(head(b"<html>\r\n  <title>404 Not Found</title>"), "<html> <title>404 Not Found</title>");
        assert_eq!(head(b"PK\x03\x04\xA5\xA5"), "50 4b 03 04 a5 a5");
        assert_eq!(head(b""), "");
    }

    #[test]
    fn descriptions_name_what_was_served_instead() {
        let mut tar = vec![0u8; 300];
        tar[257..262].copy_from_slice(b"ustar");
        let cases: &[(&[u8], &str)] = &[
            (b"", "no bytes at all"),
            (b"<!doctype html><title>404</title>", "they are an HTML page, perhaps an error or login page"),
            (b"\x1F\x8B\x08\x00", "they are a gzip stream"),
            (&tar, "they are a tar archive"),
            (b" {\"error\": 1}", "they look like JSON"),
            (b"\x00\x01\x02", "they start with 00 01 02"),
            (b"PK\x03\x04", "they are a zip archive"),
        ];
        for (bytes, expected) in cases {
            assert_eq!(describe(bytes), *expected);
        }
    }
}
