//! What the target must not repeat (`does_not_contain`) and what it must escape
//! (`escapes`): values looked for in its answer, receipts and alerts, as sent and
//! percent-decoded, named in messages as the scenario wrote them so that a secret never
//! reaches a report.

use pens_parties::NotificationEvent;
use pens_report::{CheckResult, Verdict};

use crate::plan::Probe;

/// The most of a probe's name a message quotes.
const MAX_SHOWN_CHARS: usize = 48;

/// The probes that `text` carries, as it is or percent-decoded (`+` as a space).
pub(crate) fn carried<'p>(text: &str, probes: &'p [Probe]) -> Vec<&'p Probe> {
    let decoded = percent_encoding::percent_decode_str(&text.replace('+', " ")).decode_utf8_lossy().into_owned();
    probes.iter().filter(|p| !p.value.is_empty() && (text.contains(&p.value) || decoded.contains(&p.value))).collect()
}

/// `` `a`, `b` `` for messages, each name cut short.
pub(crate) fn names(probes: &[&Probe]) -> String {
    probes.iter().map(|p| format!("`{}`", shorten(&p.shown))).collect::<Vec<_>>().join(", ")
}

/// A name of at most [`MAX_SHOWN_CHARS`] characters.
pub(crate) fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_SHOWN_CHARS {
        return text.to_owned();
    }
    let head: String = text.chars().take(MAX_SHOWN_CHARS).collect();
    format!("{head}…")
}

/// The check that `label` (the answer, a receipt, an alert) carries none of `probes`:
/// where a value shows, the fields it shows in.
pub(crate) fn judge(
    label: &str,
    text: &str,
    fields: &[(String, String)],
    probes: &[Probe],
    requirement: &'static pens_proto::Requirement,
) -> CheckResult {
    let found = carried(text, probes);
    if found.is_empty() {
        let all: Vec<&Probe> = probes.iter().collect();
        return CheckResult::new(Verdict::Pass, requirement, format!("{label} carries none of {}", names(&all)));
    }
    let places: Vec<&str> =
        fields.iter().filter(|(_, value)| !carried(value, probes).is_empty()).map(|(name, _)| name.as_str()).collect();
    let place = if places.is_empty() { String::new() } else { format!(" (in {})", places.join(", ")) };
    CheckResult::new(Verdict::Fail, requirement, format!("{label} carries {}{place}", names(&found)))
        .expected_actual(format!("none of {}", names(&probes.iter().collect::<Vec<_>>())), names(&found))
}

/// How a browser treats an answer of this Content-Type: HTML (text/html, XHTML) or,
/// without one, whatever it sniffs, which may be HTML.
fn rendered_as_html(content_type: Option<&str>) -> bool {
    let essence = content_type.map(|ct| ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    matches!(essence.as_deref(), None | Some("text/html" | "application/xhtml+xml"))
}

/// The `escapes` check of an answer: a browser that shows it (browser mode, CMI010 §5)
/// must not meet the collect's markup as markup. `None` without probes.
pub(crate) fn judge_escapes(
    content_type: Option<&str>,
    body: &str,
    probes: &[Probe],
    requirement: &'static pens_proto::Requirement,
) -> Option<CheckResult> {
    if probes.is_empty() {
        return None;
    }
    let served = match content_type {
        Some(ct) => format!("served as `{}`", shorten(ct)),
        None => "served without a Content-Type (a browser guesses, and may render HTML)".to_owned(),
    };
    let found: Vec<&Probe> = probes.iter().filter(|p| !p.value.is_empty() && body.contains(&p.value)).collect();
    let html = rendered_as_html(content_type);
    Some(match (html, found.is_empty()) {
        (true, false) => CheckResult::new(
            Verdict::Fail,
            requirement,
            format!(
                "the answer is {served} and shows {} unescaped: a browser that opens the collect URL runs it",
                names(&found)
            ),
        )
        .expected_actual("escaped, or a text/plain answer", format!("{} verbatim in HTML", names(&found))),
        (true, true) => CheckResult::new(
            Verdict::Pass,
            requirement,
            format!("the answer is {served} and shows none of the collect's markup unescaped"),
        ),
        (false, false) => CheckResult::new(
            Verdict::Pass,
            requirement,
            format!("the answer repeats {} but is {served}: a browser shows it as text", names(&found)),
        ),
        (false, true) => CheckResult::new(
            Verdict::Pass,
            requirement,
            format!("the answer is {served} and does not repeat the collect's markup"),
        ),
    })
}

/// The check of each notification, or one passing check when none came.
pub(crate) fn judge_notifications(
    what: &str,
    notifications: &[&NotificationEvent],
    probes: &[Probe],
    requirement: &'static pens_proto::Requirement,
) -> Vec<CheckResult> {
    if probes.is_empty() {
        return Vec::new();
    }
    if notifications.is_empty() {
        let all: Vec<&Probe> = probes.iter().collect();
        return vec![CheckResult::new(
            Verdict::Pass,
            requirement,
            format!("no {what} arrived, so none carries {}", names(&all)),
        )];
    }
    notifications
        .iter()
        .enumerate()
        .map(|(index, event)| {
            let label = if notifications.len() == 1 { what.to_owned() } else { format!("{what} {}", index + 1) };
            let text = String::from_utf8_lossy(&event.raw);
            let fields: Vec<(String, String)> =
                event.notification.pairs().into_iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
            judge(&label, &text, &fields, probes, requirement)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use pens_proto::req;

    use super::*;

    fn probes() -> Vec<Probe> {
        vec![Probe::new("tok-123", "{{internal_token}}"), Probe::new("pw secret", "{{secret}}")]
    }

    #[test]
    fn values_are_found_as_sent_or_percent_decoded() {
        let probes = probes();
        let shown = |text: &str| names(&carried(text, &probes));
        assert_eq!(shown("error-text=got tok-123"), "`{{internal_token}}`");
        assert_eq!(shown("receipt=http%3A%2F%2Fu%3Apw+secret%40h"), "`{{secret}}`");
        assert_eq!(shown("nothing"), "");
        assert!(carried("anything", &[Probe::new("", "{{repeat:x:0}}")]).is_empty(), "an empty value matches nothing");
    }

    #[test]
    fn a_check_names_the_values_as_written_and_where_they_showed() {
        let fields = vec![("error-text".to_owned(), "it begins: tok-123".to_owned())];
        let check = judge(
            "receipt",
            "error=1432&error-text=it+begins%3A+tok-123",
            &fields,
            &probes(),
            &req::TARGET_SECURITY_INTERNAL_CONTENT,
        );
        assert_eq!(check.verdict, Verdict::Fail);
        assert_eq!(check.message, "receipt carries `{{internal_token}}` (in error-text)");
        assert!(!check.message.contains("tok-123") || check.message.contains("{{internal_token}}"));
        let clean = judge("the answer", "error=0", &[], &probes(), &req::TARGET_SECURITY_INTERNAL_CONTENT);
        assert_eq!(clean.verdict, Verdict::Pass);
        assert_eq!(clean.message, "the answer carries none of `{{internal_token}}`, `{{secret}}`");
        assert!(!format!("{clean:?}{check:?}").contains("pw secret"), "the secret is never quoted");
    }

    #[test]
    fn markup_fails_only_in_an_answer_a_browser_renders_as_html() {
        let probes = vec![Probe::new("<script>x</script>", "<script>x</script>")];
        let requirement = &req::TARGET_SECURITY_ANSWER_ESCAPED;
        let echoed = "error=0\r\npens-data=<script>x</script>\r\n";
        let escaped = "error=0\r\npens-data=&lt;script&gt;x&lt;/script&gt;\r\n";
        let cases = [
            (Some("text/html; charset=utf-8"), echoed, Verdict::Fail, "served as `text/html; charset=utf-8` and shows"),
            (None, echoed, Verdict::Fail, "served without a Content-Type"),
            (Some("application/xhtml+xml"), echoed, Verdict::Fail, "unescaped"),
            (Some("text/html"), escaped, Verdict::Pass, "shows none of the collect's markup unescaped"),
            (Some("text/plain"), echoed, Verdict::Pass, "but is served as `text/plain`: a browser shows it as text"),
            (Some("text/plain"), "error=0", Verdict::Pass, "does not repeat"),
        ];
        for (content_type, body, verdict, says) in cases {
            let check = judge_escapes(content_type, body, &probes, requirement).expect("a check");
            assert_eq!(check.verdict, verdict, "{content_type:?} {body:?}");
            assert!(check.message.contains(says), "{}", check.message);
        }
        assert!(judge_escapes(None, echoed, &[], requirement).is_none());
    }

    #[test]
    fn long_names_are_cut() {
        assert_eq!(shorten("short"), "short");
        assert_eq!(shorten(&"x".repeat(60)).chars().count(), MAX_SHOWN_CHARS + 1);
    }
}
