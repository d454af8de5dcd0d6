//! "Did you mean ...?": the closest valid name to a misspelt one.
//!
//! The rule follows rustc's: a candidate counts when its edit distance is at most a third
//! of the longer name (at least 1), when it has the same letters in another order, or when
//! it differs only in case or in `-`/`_`, the usual slips in hyphenated PENS element names.

/// The candidate closest to `wrong`, if one is close enough to be a likely typo.
pub fn did_you_mean<'c>(wrong: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let folded = fold(wrong);
    let mut best: Option<(usize, &'c str)> = None;
    for candidate in candidates {
        if candidate == wrong {
            continue;
        }
        let distance = if fold(candidate) == folded {
            0
        } else if same_letters(wrong, candidate) {
            1
        } else {
            edit_distance(wrong, candidate)
        };
        let limit = (wrong.chars().count().max(candidate.chars().count()) / 3).max(1);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// The same characters in another order (`sever` for `serve`): a typo, however far apart
/// the swapped letters are.
fn same_letters(a: &str, b: &str) -> bool {
    let sorted = |s: &str| {
        let mut chars: Vec<char> = s.chars().collect();
        chars.sort_unstable();
        chars
    };
    sorted(a) == sorted(b)
}

fn fold(name: &str) -> String {
    name.chars().map(|c| if c == '_' { '-' } else { c.to_ascii_lowercase() }).collect()
}

/// Edit distance between two strings, by character: insertions, deletions,
/// substitutions and swaps of two neighbours (`titel` is one edit from `title`). That
/// is the optimal string alignment distance (a swapped pair is not edited again, so
/// `abc` is three edits from `ca`), not the unrestricted Damerau-Levenshtein one.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        for (a, b, d) in [
            ("", "", 0),
            ("abc", "", 3),
            ("recipt", "receipt", 1),
            ("kitten", "sitting", 3),
            ("é", "e", 1),
            ("titel", "title", 1),
            ("ab", "ba", 1),
            ("abc", "ca", 3),
        ] {
            assert_eq!(edit_distance(a, b), d, "{a} {b}");
            assert_eq!(edit_distance(b, a), d, "{b} {a}");
        }
    }

    #[test]
    fn suggestions() {
        let keys = ["response", "fetch", "receipt", "alerts", "any_of"];
        assert_eq!(did_you_mean("recipt", keys), Some("receipt"));
        assert_eq!(did_you_mean("any-of", keys), Some("any_of"));
        assert_eq!(did_you_mean("Fetch", keys), Some("fetch"));
        assert_eq!(did_you_mean("banana", keys), None);
        assert_eq!(did_you_mean("x", keys), None);
        assert_eq!(did_you_mean("titel", ["id", "title", "tags"]), Some("title"));
        assert_eq!(did_you_mean("sever", ["serve", "status"]), Some("serve"));
        assert_eq!(did_you_mean("package-id", ["package_id", "secret"]), Some("package_id"));
    }
}
