//! The rules a well-shaped scenario must still follow: names that must exist in
//! pens-proto (requirements, elements), the id/file-name contract, and keys that
//! contradict each other across sections.
//!
//! `convert` checks shape and types while it reads; the rules here need the value, a
//! catalogue or the whole scenario.

use std::collections::HashSet;
use std::fmt::Display;
use std::path::Path;

use pens_proto::{CATALOGUE, Element, NOTIFICATION_FIELDS, Requirement};

use crate::error::{Diagnostics, ScenarioErrorKind};
use crate::expect::{CredentialsExpectation, Expectations};
use crate::model::Scenario;
use crate::span::Spanned;
use crate::suggest::did_you_mean;
use crate::template::Placeholder;

/// `a-b-c`: lower-case ASCII letters and digits in words joined by single hyphens.
pub(crate) fn is_kebab_case(s: &str) -> bool {
    !s.is_empty()
        && s.split('-')
            .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// The catalogue entry of `id`, or the closest id for "did you mean".
pub(crate) fn requirement(id: &str) -> Result<&'static Requirement, Option<&'static str>> {
    Requirement::by_id(id).ok_or_else(|| did_you_mean(id, CATALOGUE.iter().map(|r| r.id)))
}

/// The CMI010 element named exactly `name`, or the closest name.
pub(crate) fn element(name: &str) -> Result<Element, Option<&'static str>> {
    Element::from_name(name).ok_or_else(|| did_you_mean(name, Element::ALL.iter().map(|e| e.name())))
}

/// Whether `name` is a field a receipt or alert may carry: a collect element, or one of
/// the notification's own (`command`, `error`, `error-text`; CMI010 §5.1, Appendix A).
pub(crate) fn notification_field(name: &str) -> Result<(), Option<&'static str>> {
    let known = || Element::ALL.iter().map(|e| e.name()).chain(NOTIFICATION_FIELDS);
    if known().any(|n| n == name) { Ok(()) } else { Err(did_you_mean(name, known())) }
}

/// Why `package` is not a plain relative path under `fixtures/packages/`, if it is not.
pub(crate) fn package_path_problem(package: &str) -> Option<&'static str> {
    if package.is_empty() {
        Some("the file name is empty")
    } else if package.starts_with('/') || package.contains('\\') || package.contains(':') {
        Some("write a relative path with `/`, e.g. `scorm12-minimal.zip`")
    } else if package.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        Some("the path must stay under fixtures/packages/ (no `..`, `.` or empty parts)")
    } else {
        None
    }
}

/// `id` must be kebab-case and name the file (`<id>.toml`): the file is named after what
/// it checks, and reports refer to scenarios by id.
pub(crate) fn check_id(diag: &mut Diagnostics<'_>, id: &Spanned<String>, path: &Path) {
    if !is_kebab_case(id) {
        let suggestion = kebab(id);
        let label =
            if is_kebab_case(&suggestion) { format!("try `{suggestion}`") } else { "not kebab-case".to_owned() };
        diag.report(
            ScenarioErrorKind::IdNotKebabCase { id: id.value.clone() },
            id.span,
            label,
            Some("an id is lower-case words of letters and digits joined by `-`".to_owned()),
        );
        return;
    }
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if stem != id.value {
        diag.report(
            ScenarioErrorKind::IdMismatch { id: id.value.clone(), stem: stem.clone() },
            id.span,
            format!("the file is `{stem}.toml`"),
            Some(format!("rename the file to `{}.toml`, or set `id = \"{stem}\"`", id.value)),
        );
    }
}

fn kebab(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// Reports every entry that repeats an earlier one.
pub(crate) fn check_unique<T: PartialEq + Display>(diag: &mut Diagnostics<'_>, field: &str, items: &[Spanned<T>]) {
    for (i, item) in items.iter().enumerate() {
        if let Some(first) = items[..i].iter().find(|earlier| earlier.value == item.value) {
            diag.report(
                ScenarioErrorKind::DuplicateEntry { field: field.to_owned(), value: item.value.to_string() },
                item.span,
                format!("already listed at {}", first.span),
                None,
            );
        }
    }
}

/// Rules that span sections of a scenario that read well on its own.
pub(crate) fn check_scenario(diag: &mut Diagnostics<'_>, scenario: &Scenario) {
    for capability in &scenario.unless {
        if scenario.needs.iter().any(|n| n.value == capability.value) {
            diag.report(
                ScenarioErrorKind::Conflict {
                    field: "unless".to_owned(),
                    message: format!("capability `{}` is both needed and excluded", capability.value),
                },
                capability.span,
                "also in `needs`",
                Some("a scenario with both never applies; keep it in one list".to_owned()),
            );
        }
    }
    let set: HashSet<&str> = scenario.collect.set.iter().map(|s| s.name.value.as_str()).collect();
    for removed in &scenario.collect.remove {
        if set.contains(removed.name()) {
            diag.report(
                ScenarioErrorKind::Conflict {
                    field: "collect.remove".to_owned(),
                    message: format!("element `{}` is both set and removed", removed.value),
                },
                removed.span,
                "also in [collect.set]",
                None,
            );
        }
    }
    let has_credentials = scenario.staging.credentials.is_some();
    check_expectations(diag, "expect", &scenario.expect, has_credentials);
    for alternative in &scenario.any_of {
        check_expectations(diag, "expect.any_of", alternative, has_credentials);
    }
    check_internal(diag, scenario);
}

/// `[expect.internal]` watches the internal service, which only a collect that points
/// at it (`{{internal_url}}`) can make the target reach.
fn check_internal(diag: &mut Diagnostics<'_>, scenario: &Scenario) {
    let collect = &scenario.collect.value;
    let templates = collect.set.iter().map(|s| &s.value.value).chain(collect.raw.iter().map(|r| &r.value));
    let mut templates = templates.chain(collect.target_query.iter().map(|q| &q.value));
    if templates.any(|t| t.placeholders().any(|p| p == Placeholder::InternalUrl)) {
        return;
    }
    let sections = std::iter::once(&scenario.expect).chain(scenario.any_of.iter().map(|a| &a.value));
    for internal in sections.filter_map(|e| e.internal.as_ref()) {
        diag.report(
            ScenarioErrorKind::Conflict {
                field: "expect.internal".to_owned(),
                message: "[expect.internal] checks nothing: the collect never names `{{internal_url}}`".to_owned(),
            },
            internal.span,
            "no request can reach the internal service",
            Some("point the package at it: `[collect.set] package-url = \"{{internal_url}}\"`".to_owned()),
        );
    }
}

fn check_expectations(diag: &mut Diagnostics<'_>, path: &str, expect: &Expectations, has_credentials: bool) {
    if let Some(response) = &expect.response {
        check_codes(diag, &format!("{path}.response"), response.error.as_deref(), &response.warn);
    }
    if let Some(receipt) = &expect.receipt {
        check_codes(diag, &format!("{path}.receipt"), receipt.error.as_deref(), &receipt.warn);
        let success = receipt.error.iter().flatten().find(|code| code.value.is_success());
        if let (true, Some(success)) = (receipt.never_success.value, success) {
            diag.report(
                ScenarioErrorKind::Conflict {
                    field: format!("{path}.receipt.never_success"),
                    message: "`never_success = true` contradicts an acceptable error 0".to_owned(),
                },
                receipt.never_success.span,
                format!("but `error` accepts 0 at {}", success.span),
                None,
            );
        }
    }
    if let Some(fetch) = &expect.fetch
        && fetch.credentials.value == CredentialsExpectation::Valid
        && !has_credentials
    {
        diag.report(
            ScenarioErrorKind::Conflict {
                field: format!("{path}.fetch.credentials"),
                message: "`credentials = \"valid\"` needs staging credentials".to_owned(),
            },
            fetch.credentials.span,
            "staging asks for no credentials",
            Some("add `user` and `password` to [staging]".to_owned()),
        );
    }
}

/// A code is either acceptable or a warning, not both; and no code twice in one list.
fn check_codes(
    diag: &mut Diagnostics<'_>,
    path: &str,
    error: Option<&[Spanned<pens_proto::ErrorCode>]>,
    warn: &[Spanned<pens_proto::ErrorCode>],
) {
    let as_numbers = |codes: &[Spanned<pens_proto::ErrorCode>]| -> Vec<Spanned<u16>> {
        codes.iter().map(|c| Spanned::new(c.value.0, c.span)).collect()
    };
    check_unique(diag, &format!("{path}.error"), &as_numbers(error.unwrap_or_default()));
    check_unique(diag, &format!("{path}.warn"), &as_numbers(warn));
    for code in warn {
        if let Some(acceptable) = error.unwrap_or_default().iter().find(|c| c.value == code.value) {
            diag.report(
                ScenarioErrorKind::Conflict {
                    field: format!("{path}.warn"),
                    message: format!("code {} is both acceptable and a warning", code.value.0),
                },
                code.span,
                format!("also in `error` at {}", acceptable.span),
                None,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case() {
        for ok in ["a", "collect-post-valid", "ftp-1304", "a1-b2"] {
            assert!(is_kebab_case(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a--b", "A", "a_b", "a b", "é"] {
            assert!(!is_kebab_case(bad), "{bad}");
        }
        assert_eq!(kebab("Collect_Post  Valid"), "collect-post-valid");
    }

    #[test]
    fn lookups_suggest_near_misses() {
        assert!(requirement("target.collect.post").is_ok());
        assert_eq!(requirement("target.collect.psot").err(), Some(Some("target.collect.post")));
        assert_eq!(requirement("zzz").err(), Some(None));
        assert_eq!(element("package-url"), Ok(Element::PackageUrl));
        assert_eq!(element("package_url").err(), Some(Some("package-url")));
        assert_eq!(element("recipt").err(), Some(Some("receipt")));
        assert!(notification_field("error-text").is_ok());
        assert!(notification_field("package-id").is_ok());
        assert_eq!(notification_field("eror").err(), Some(Some("error")));
    }

    #[test]
    fn package_paths_stay_under_fixtures() {
        assert_eq!(package_path_problem("scorm12-minimal.zip"), None);
        assert_eq!(package_path_problem("big/course.zip"), None);
        for bad in ["", "/etc/passwd", "../x.zip", "a//b.zip", "a/./b.zip", "C:\\x.zip", "a\\b.zip"] {
            assert!(package_path_problem(bad).is_some(), "{bad}");
        }
    }
}
