//! Sizes of bytes as people write them: `"1GiB"`, `"64 KiB"`, `"512B"`, `"1048576"`.
//! One reader for the scenario language (`[staging] size`), the profile's `[limits]`
//! and the command line, so that a size means the same wherever it is written.

/// The units a size may carry, largest first: binary multiples only, so `1MiB` is
/// exactly 1 048 576 bytes and `MB`, ambiguous between 10⁶ and 2²⁰, is refused.
pub const SIZE_UNITS: [(&str, u64); 4] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)];

/// What to tell someone whose size did not read: the accepted forms.
pub const SIZE_HINT: &str = "give bytes (an integer) or a string like \"64KiB\", \"1MiB\" or \"2GiB\"";

/// `"1MiB"`, `"64 KiB"`, `"1048576"`, `"512B"` as bytes; `None` for anything else or
/// an overflow.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    if digits.is_empty() {
        return None;
    }
    let number: u64 = digits.parse().ok()?;
    let unit = unit.trim_start();
    let factor = if unit.is_empty() { 1 } else { SIZE_UNITS.iter().find(|(name, _)| *name == unit)?.1 };
    number.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units_and_refuse_the_rest() {
        let cases = [
            ("1048576", Some(1 << 20)),
            ("1MiB", Some(1 << 20)),
            ("64KiB", Some(64 << 10)),
            ("64 KiB", Some(64 << 10)),
            ("2GiB", Some(2 << 30)),
            ("512B", Some(512)),
            ("1MB", None),
            ("1 mib", None),
            ("MiB", None),
            ("-1KiB", None),
            ("1.5MiB", None),
            ("99999999999999999999GiB", None),
            ("18446744073709551615GiB", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_size(text), expected, "{text:?}");
        }
    }
}
