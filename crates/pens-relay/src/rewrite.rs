//! Rewriting a collect for the relay (observe mode): `package-url`, `receipt` and
//! `alerts` point at the relay's own staging and collector, every other byte of the
//! collect stays as the client sent it.
//!
//! The collect is edited as bytes, pair by pair, rather than decoded and encoded
//! again: the target must see the client's own encoding (its `+` or `%20`, its
//! upper- or lower-case escapes, its repeated or unknown elements, bytes that are not
//! UTF-8), or a defect of the client's encoding would be hidden by the relay. Element
//! names match as pens-proto reads them: exactly, after form decoding (CMI010 §5:
//! names are case-sensitive).

use pens_proto::encode_form;

/// One element to rewrite: its wire name and the new value (not yet encoded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Replacement {
    /// `package-url`, `receipt` or `alerts`.
    pub(crate) element: &'static str,
    /// The relay's URL, as text.
    pub(crate) value: String,
}

/// `raw` (a form body or a query) with the value of every pair named by a replacement
/// set to the replacement's, form-encoded; every other byte as it came, separators
/// and empty parts included.
pub(crate) fn rewrite_pairs(raw: &[u8], replacements: &[Replacement]) -> Vec<u8> {
    if replacements.is_empty() {
        return raw.to_vec();
    }
    let parts: Vec<Vec<u8>> = raw
        .split(|&b| b == b'&')
        .map(|part| {
            let Some(eq) = part.iter().position(|&b| b == b'=') else { return part.to_vec() };
            let name = decode_name(&part[..eq]);
            match replacements.iter().find(|r| r.element == name) {
                Some(replacement) => {
                    let value = encode_form([("", replacement.value.as_str())]);
                    let mut out = part[..=eq].to_vec();
                    out.extend_from_slice(value.trim_start_matches('=').as_bytes());
                    out
                }
                None => part.to_vec(),
            }
        })
        .collect();
    parts.join(&b'&')
}

/// A pair's name as a form decoder reads it: `+` is a space, `%XX` a byte.
fn decode_name(raw: &[u8]) -> String {
    let spaced: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    percent_encoding::percent_decode(&spaced).decode_utf8_lossy().into_owned()
}

/// The file name at the end of a URL's path, as written (still encoded): the relay's
/// staging URL ends in the same one, since a target judges the package URL's file name
/// and extension (CMI010 §6.2). `package.zip` when the path names none.
pub(crate) fn file_name_of(url: &reqwest::Url) -> String {
    url.path_segments()
        .and_then(|mut segments| segments.next_back().map(str::to_owned))
        .filter(|last| !last.is_empty())
        .unwrap_or_else(|| "package.zip".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace(element: &'static str, value: &str) -> Replacement {
        Replacement { element, value: value.to_owned() }
    }

    #[test]
    fn only_the_named_values_change() {
        let raw = b"command=collect&package-url=http%3a%2F%2Fc%2Fp.zip&client=A+b%20c&receipt=mailto%3Ax%40y&&odd&vendor-data=%ff";
        let out = rewrite_pairs(
            raw,
            &[replace("package-url", "http://relay:1/s/p1/p.zip"), replace("receipt", "http://relay:2/r/p1/receipt")],
        );
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "command=collect&package-url=http%3A%2F%2Frelay%3A1%2Fs%2Fp1%2Fp.zip&client=A+b%20c\
             &receipt=http%3A%2F%2Frelay%3A2%2Fr%2Fp1%2Freceipt&&odd&vendor-data=%ff"
        );
    }

    #[test]
    fn names_match_exactly_after_decoding_and_every_copy_is_rewritten() {
        let raw = b"package%2Durl=a&Package-URL=b&package-url=c&alerts";
        let out = rewrite_pairs(raw, &[replace("package-url", "z")]);
        assert_eq!(out, b"package%2Durl=z&Package-URL=b&package-url=z&alerts");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_kept() {
        let raw = b"client=caf\xe9&package-url=x";
        assert_eq!(rewrite_pairs(raw, &[replace("package-url", "y")]), b"client=caf\xe9&package-url=y");
        assert_eq!(rewrite_pairs(raw, &[]), raw);
    }

    #[test]
    fn the_file_name_is_the_last_segment_as_written() {
        let url = |text: &str| reqwest::Url::parse(text).expect("url");
        assert_eq!(file_name_of(&url("http://c/a/my%20course.zip?sig=1")), "my%20course.zip");
        assert_eq!(file_name_of(&url("http://c/")), "package.zip");
    }
}
