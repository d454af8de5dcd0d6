//! The findings of a scenario sent as several copies at once (`copies = 10`), each
//! said once. Every copy is judged on its own, and against a target with one defect
//! (LF-only answers) the ten judgements are identical: ten copies of one twelve-line
//! diff bury the one copy that got another package's receipt. Identical findings are
//! merged, saying which copies they come from; a finding that differs in any byte
//! (a copy's own URL, say) stays apart, so nothing is hidden.

/// The items judged per copy (one list per copy, in copy order), with equal items
/// merged: each kept once, in order of first appearance, `label`led with the copies
/// that produced it (`copy 3/10: `, `copies 1, 4 of 10: `, `all 10 copies: `). A
/// single copy's items are returned as they are.
pub(crate) fn merge<T: PartialEq>(per_copy: Vec<Vec<T>>, label: impl Fn(&mut T, &str)) -> Vec<T> {
    let copies = per_copy.len();
    if copies <= 1 {
        return per_copy.into_iter().flatten().collect();
    }
    let mut merged: Vec<(T, Vec<usize>)> = Vec::new();
    for (index, items) in per_copy.into_iter().enumerate() {
        for item in items {
            match merged.iter_mut().find(|(kept, from)| *kept == item && from.last() != Some(&index)) {
                Some((_, from)) => from.push(index),
                None => merged.push((item, vec![index])),
            }
        }
    }
    merged
        .into_iter()
        .map(|(mut item, from)| {
            label(&mut item, &prefix(&from, copies));
            item
        })
        .collect()
}

/// Which copies (0-based `from`) of `copies`, as a message prefix.
fn prefix(from: &[usize], copies: usize) -> String {
    match from {
        [one] => format!("copy {}/{copies}: ", one + 1),
        _ if from.len() == copies => format!("all {copies} copies: "),
        _ => {
            let numbers: Vec<String> = from.iter().map(|i| (i + 1).to_string()).collect();
            format!("copies {} of {copies}: ", numbers.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::merge;

    fn merged(per_copy: Vec<Vec<&str>>) -> Vec<String> {
        let owned = per_copy.into_iter().map(|items| items.into_iter().map(str::to_owned).collect()).collect();
        merge(owned, |item: &mut String, prefix| item.insert_str(0, prefix))
    }

    #[test]
    fn a_finding_of_every_copy_is_said_once_for_all() {
        assert_eq!(merged(vec![vec!["LF only", "ok"]; 10]), ["all 10 copies: LF only", "all 10 copies: ok"]);
    }

    #[test]
    fn findings_of_some_copies_name_them_and_a_difference_stays_apart() {
        let got =
            merged(vec![vec!["LF only", "receipt for a"], vec!["receipt for b"], vec!["LF only", "receipt for c"]]);
        assert_eq!(
            got,
            [
                "copies 1, 3 of 3: LF only",
                "copy 1/3: receipt for a",
                "copy 2/3: receipt for b",
                "copy 3/3: receipt for c"
            ]
        );
    }

    #[test]
    fn a_finding_twice_in_one_copy_is_kept_twice() {
        assert_eq!(merged(vec![vec!["x", "x"], vec!["x"]]), ["all 2 copies: x", "copy 1/2: x"]);
    }

    #[test]
    fn one_copy_is_returned_unlabelled() {
        assert_eq!(merged(vec![vec!["a", "b"]]), ["a", "b"]);
    }
}
