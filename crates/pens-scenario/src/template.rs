//! Templated values: literal text with `{{...}}` placeholders that the runner fills in
//! for each scenario run (its staging URLs, package-id, collector URLs, password, clock).
//!
//! Templates are parsed when the scenario loads, so a misspelt placeholder is a load error
//! pointing at the placeholder, not a literal `{{staging.htp}}` sent to a target halfway
//! through a run. Rendering cannot fail.

use std::fmt;
use std::ops::Range;

use pens_proto::format_expiry;
use time::{Duration, OffsetDateTime};

use crate::suggest::did_you_mean;

/// The largest `N` of `{{repeat:CHAR:N}}`, and of all repeats of one value added up: far
/// beyond the 4096 characters a target must accept for vendor-data (CMI010 §6.2), small
/// enough that no scenario asks for gigabytes.
pub const MAX_REPEAT: u32 = 1_000_000;

/// How far `{{now±N<unit>}}` may reach: 100 years either way, so rendering never leaves
/// the calendar.
pub const MAX_NOW_OFFSET_SECONDS: i64 = 100 * 366 * 86_400;

/// The placeholder names as written, for "did you mean" and help texts.
const NAMES: [&str; 18] = [
    "staging.http",
    "staging.https",
    "staging.ftp",
    "staging.ftps",
    "package_id",
    "receipt_url",
    "alerts_url",
    "receipt_mailto",
    "alerts_mailto",
    "receipt_mailbox",
    "alerts_mailbox",
    "secret",
    "internal_url",
    "internal_token",
    "collector",
    "key",
    "now",
    "repeat:CHAR:N",
];

/// What the runner knows about one scenario run; templates render against it.
pub trait TemplateContext {
    /// This scenario's package URL on the HTTP staging listener (`{{staging.http}}`).
    fn staging_http(&self) -> &str;
    /// The same package on the HTTPS listener (`{{staging.https}}`).
    fn staging_https(&self) -> &str;
    /// The same package on the plain FTP listener (`{{staging.ftp}}`).
    fn staging_ftp(&self) -> &str;
    /// The same package on the explicit-FTPS listener (`{{staging.ftps}}`).
    fn staging_ftps(&self) -> &str;
    /// This scenario's unique package-id (`{{package_id}}`).
    fn package_id(&self) -> &str;
    /// This scenario's receipt URL on the collector (`{{receipt_url}}`).
    fn receipt_url(&self) -> &str;
    /// This scenario's alerts URL on the collector (`{{alerts_url}}`).
    fn alerts_url(&self) -> &str;
    /// This scenario's receipt mailbox at the mail sink, without `mailto:`
    /// (`{{receipt_mailbox}}`; `{{receipt_mailto}}` is `mailto:` and this).
    fn receipt_mailbox(&self) -> &str;
    /// This scenario's alerts mailbox at the mail sink (`{{alerts_mailbox}}`;
    /// `{{alerts_mailto}}` is `mailto:` and this).
    fn alerts_mailbox(&self) -> &str;
    /// This scenario's secret (`{{secret}}`): a staging or URL password nobody can guess,
    /// which reports never show.
    fn secret(&self) -> &str;
    /// This scenario's URL on the harness's internal service (`{{internal_url}}`): an
    /// address on loopback standing for what sits behind the target's firewall.
    fn internal_url(&self) -> &str;
    /// The token that `{{internal_url}}` answers with (`{{internal_token}}`): if it shows
    /// in what the target sends back, the target reveals what it fetched.
    fn internal_token(&self) -> &str;
    /// The collector's `host:port` (`{{collector}}`), to write a receipt or alerts URL by
    /// hand: `http://user:{{secret}}@{{collector}}/r/{{key}}/receipt`.
    fn collector(&self) -> &str;
    /// This scenario's key (`{{key}}`): its id, or `<id>-<n>` for copy n; it names the
    /// scenario's staging path and collector URLs.
    fn key(&self) -> &str;
    /// The instant `{{now}}` stands for; the runner fixes it per scenario so that every
    /// value of one collect agrees.
    fn now(&self) -> OffsetDateTime;
}

/// One `{{...}}` placeholder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Placeholder {
    /// `{{staging.http}}`.
    StagingHttp,
    /// `{{staging.https}}`.
    StagingHttps,
    /// `{{staging.ftp}}`.
    StagingFtp,
    /// `{{staging.ftps}}`.
    StagingFtps,
    /// `{{package_id}}`.
    PackageId,
    /// `{{receipt_url}}`.
    ReceiptUrl,
    /// `{{alerts_url}}`.
    AlertsUrl,
    /// `{{receipt_mailto}}`: `mailto:` and the receipt mailbox.
    ReceiptMailto,
    /// `{{alerts_mailto}}`: `mailto:` and the alerts mailbox.
    AlertsMailto,
    /// `{{receipt_mailbox}}`: the receipt address alone, to list it with others
    /// (`mailto:{{receipt_mailbox}},copy.{{receipt_mailbox}}`).
    ReceiptMailbox,
    /// `{{alerts_mailbox}}`.
    AlertsMailbox,
    /// `{{secret}}`.
    Secret,
    /// `{{internal_url}}`.
    InternalUrl,
    /// `{{internal_token}}`.
    InternalToken,
    /// `{{collector}}`.
    Collector,
    /// `{{key}}`.
    Key,
    /// `{{now}}`, `{{now+2h}}`, `{{now-1d}}`: ISO 8601 UTC with `Z`, as package-url-expiry
    /// wants it (CMI010 §6.2).
    Now {
        /// Seconds added to the context's `now` (negative: earlier).
        offset_seconds: i64,
    },
    /// `{{repeat:CHAR:N}}`: `CHAR` written `N` times, for length limits such as vendor-data.
    Repeat {
        /// The character.
        ch: char,
        /// How many times.
        count: u32,
    },
}

impl Placeholder {
    fn render_into(self, out: &mut String, ctx: &dyn TemplateContext) {
        match self {
            Placeholder::StagingHttp => out.push_str(ctx.staging_http()),
            Placeholder::StagingHttps => out.push_str(ctx.staging_https()),
            Placeholder::StagingFtp => out.push_str(ctx.staging_ftp()),
            Placeholder::StagingFtps => out.push_str(ctx.staging_ftps()),
            Placeholder::PackageId => out.push_str(ctx.package_id()),
            Placeholder::ReceiptUrl => out.push_str(ctx.receipt_url()),
            Placeholder::AlertsUrl => out.push_str(ctx.alerts_url()),
            Placeholder::ReceiptMailto => {
                out.push_str("mailto:");
                out.push_str(ctx.receipt_mailbox());
            }
            Placeholder::AlertsMailto => {
                out.push_str("mailto:");
                out.push_str(ctx.alerts_mailbox());
            }
            Placeholder::ReceiptMailbox => out.push_str(ctx.receipt_mailbox()),
            Placeholder::AlertsMailbox => out.push_str(ctx.alerts_mailbox()),
            Placeholder::Secret => out.push_str(ctx.secret()),
            Placeholder::InternalUrl => out.push_str(ctx.internal_url()),
            Placeholder::InternalToken => out.push_str(ctx.internal_token()),
            Placeholder::Collector => out.push_str(ctx.collector()),
            Placeholder::Key => out.push_str(ctx.key()),
            Placeholder::Now { offset_seconds } => {
                out.push_str(&format_expiry(ctx.now().saturating_add(Duration::seconds(offset_seconds))));
            }
            Placeholder::Repeat { ch, count } => out.extend(std::iter::repeat_n(ch, count as usize)),
        }
    }
}

/// A piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Text sent as written.
    Literal(String),
    /// A placeholder, with its byte range (braces included) in the template's source.
    Placeholder {
        /// What it stands for.
        placeholder: Placeholder,
        /// Where it sits in [`Template::source`].
        range: Range<usize>,
    },
}

/// A parsed templated value.
///
/// Its `Display` is the source as written, so printing a template never reveals what
/// `{{secret}}` stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

impl Template {
    /// Parses `source`. To send a literal `{{`, write `{{repeat:{:2}}`.
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut at = 0;
        let mut repeated: u64 = 0;
        while let Some(open) = source[at..].find("{{").map(|o| at + o) {
            if open > at {
                parts.push(Part::Literal(source[at..open].to_owned()));
            }
            let inner_start = open + 2;
            let Some(close) = source[inner_start..].find("}}").map(|c| inner_start + c) else {
                return Err(TemplateError { range: open..source.len(), kind: TemplateErrorKind::Unclosed });
            };
            let range = open..close + 2;
            let placeholder = parse_placeholder(&source[inner_start..close])
                .map_err(|kind| TemplateError { range: range.clone(), kind })?;
            if let Placeholder::Repeat { count, .. } = placeholder {
                repeated += u64::from(count);
                if repeated > u64::from(MAX_REPEAT) {
                    return Err(TemplateError { range, kind: TemplateErrorKind::TooLong });
                }
            }
            parts.push(Part::Placeholder { placeholder, range });
            at = close + 2;
        }
        if at < source.len() {
            parts.push(Part::Literal(source[at..].to_owned()));
        }
        Ok(Template { source: source.to_owned(), parts })
    }

    /// A template that is just `text`, placeholders or not: for defaults built in code.
    pub fn literal(text: impl Into<String>) -> Template {
        let text = text.into();
        let parts = if text.is_empty() { Vec::new() } else { vec![Part::Literal(text.clone())] };
        Template { source: text, parts }
    }

    /// The value as written in the scenario file.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The pieces, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The placeholders, in order.
    pub fn placeholders(&self) -> impl Iterator<Item = Placeholder> + '_ {
        self.parts.iter().filter_map(|part| match part {
            Part::Placeholder { placeholder, .. } => Some(*placeholder),
            Part::Literal(_) => None,
        })
    }

    /// Whether the template holds no placeholder (it renders to its source).
    pub fn is_literal(&self) -> bool {
        self.placeholders().next().is_none()
    }

    /// The value for one run.
    pub fn render(&self, ctx: &dyn TemplateContext) -> String {
        let mut out = String::with_capacity(self.source.len());
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Placeholder { placeholder, .. } => placeholder.render_into(&mut out, ctx),
            }
        }
        out
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Why a templated value does not parse; `range` is the placeholder's byte range in the
/// value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct TemplateError {
    /// The offending placeholder, braces included.
    pub range: Range<usize>,
    /// What is wrong with it.
    pub kind: TemplateErrorKind,
}

impl TemplateError {
    /// A short text for under the caret.
    pub fn label(&self) -> String {
        match &self.kind {
            TemplateErrorKind::Unknown { suggestion: Some(s), .. } => format!("did you mean `{{{{{s}}}}}`?"),
            TemplateErrorKind::Unknown { suggestion: None, .. } => "not a placeholder".to_owned(),
            TemplateErrorKind::Unclosed => "opened here".to_owned(),
            TemplateErrorKind::Empty => "empty placeholder".to_owned(),
            TemplateErrorKind::Now(detail) | TemplateErrorKind::Repeat(detail) => detail.clone(),
            TemplateErrorKind::TooLong => format!("more than {MAX_REPEAT} repeated characters in one value"),
        }
    }

    /// What to write instead.
    pub fn help(&self) -> String {
        match &self.kind {
            TemplateErrorKind::Unclosed => {
                "close it with `}}`; to send a literal `{{`, write `{{repeat:{:2}}`".to_owned()
            }
            TemplateErrorKind::Now(_) => {
                "write `{{now}}`, or add a whole number and a unit: `{{now+2h}}`, `{{now-1d}}` (units s, m, h, d)"
                    .to_owned()
            }
            TemplateErrorKind::Repeat(_) => {
                format!("write `{{{{repeat:CHAR:N}}}}` with one character and N from 0 to {MAX_REPEAT}")
            }
            TemplateErrorKind::TooLong => format!("keep the repeats of one value to {MAX_REPEAT} characters in all"),
            TemplateErrorKind::Unknown { .. } | TemplateErrorKind::Empty => {
                let list = NAMES.iter().map(|n| format!("{{{{{n}}}}}")).collect::<Vec<_>>().join(", ");
                format!("placeholders are {list}")
            }
        }
    }
}

/// The ways a placeholder can be wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateErrorKind {
    /// `{{` without a matching `}}`.
    #[error("unclosed placeholder")]
    Unclosed,
    /// `{{}}`.
    #[error("empty placeholder `{{{{}}}}`")]
    Empty,
    /// A name that is not a placeholder.
    #[error("unknown placeholder `{{{{{name}}}}}`")]
    Unknown {
        /// The name between the braces.
        name: String,
        /// The placeholder it most likely meant.
        suggestion: Option<&'static str>,
    },
    /// A malformed `{{now...}}`.
    #[error("malformed `{{{{now}}}}` placeholder")]
    Now(String),
    /// A malformed `{{repeat:...}}`.
    #[error("malformed `{{{{repeat:CHAR:N}}}}` placeholder")]
    Repeat(String),
    /// Repeats adding up to more than [`MAX_REPEAT`].
    #[error("value too long")]
    TooLong,
}

fn parse_placeholder(inner: &str) -> Result<Placeholder, TemplateErrorKind> {
    let name = inner.trim();
    Ok(match name {
        "" => return Err(TemplateErrorKind::Empty),
        "staging.http" => Placeholder::StagingHttp,
        "staging.https" => Placeholder::StagingHttps,
        "staging.ftp" => Placeholder::StagingFtp,
        "staging.ftps" => Placeholder::StagingFtps,
        "package_id" => Placeholder::PackageId,
        "receipt_url" => Placeholder::ReceiptUrl,
        "alerts_url" => Placeholder::AlertsUrl,
        "receipt_mailto" => Placeholder::ReceiptMailto,
        "alerts_mailto" => Placeholder::AlertsMailto,
        "receipt_mailbox" => Placeholder::ReceiptMailbox,
        "alerts_mailbox" => Placeholder::AlertsMailbox,
        "secret" => Placeholder::Secret,
        "internal_url" => Placeholder::InternalUrl,
        "internal_token" => Placeholder::InternalToken,
        "collector" => Placeholder::Collector,
        "key" => Placeholder::Key,
        _ if name.starts_with("now") => parse_now(&name[3..])?,
        _ if name.starts_with("repeat") => parse_repeat(&name[6..])?,
        _ => {
            return Err(TemplateErrorKind::Unknown {
                name: name.to_owned(),
                suggestion: did_you_mean(name, NAMES.iter().copied().filter(|n| *n != "repeat:CHAR:N")),
            });
        }
    })
}

/// `rest` is what follows `now`: empty, or `+`/`-`, digits, one unit.
fn parse_now(rest: &str) -> Result<Placeholder, TemplateErrorKind> {
    let bad = |detail: &str| TemplateErrorKind::Now(detail.to_owned());
    let rest = rest.trim_start();
    let Some(first) = rest.chars().next() else {
        return Ok(Placeholder::Now { offset_seconds: 0 });
    };
    let sign = match first {
        '+' => 1,
        '-' => -1,
        _ => return Err(bad("expected `+` or `-` after `now`")),
    };
    let body = rest[1..].trim();
    let digits_end = body.find(|c: char| !c.is_ascii_digit()).unwrap_or(body.len());
    let (digits, unit) = body.split_at(digits_end);
    if digits.is_empty() {
        return Err(bad("expected a whole number after the sign"));
    }
    let unit_seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "" => return Err(bad("expected a unit after the number: s, m, h or d")),
        _ => return Err(bad("the unit is one of s, m, h, d")),
    };
    digits
        .parse::<i64>()
        .ok()
        .and_then(|amount| amount.checked_mul(unit_seconds))
        .filter(|seconds| *seconds <= MAX_NOW_OFFSET_SECONDS)
        .map(|seconds| Placeholder::Now { offset_seconds: sign * seconds })
        .ok_or_else(|| bad("at most 100 years either way"))
}

/// `rest` is what follows `repeat`: `:CHAR:N`.
fn parse_repeat(rest: &str) -> Result<Placeholder, TemplateErrorKind> {
    let bad = |detail: &str| TemplateErrorKind::Repeat(detail.to_owned());
    let Some(rest) = rest.strip_prefix(':') else {
        return Err(bad("expected `:` after `repeat`"));
    };
    let mut chars = rest.chars();
    let Some(ch) = chars.next() else {
        return Err(bad("expected the character to repeat"));
    };
    let count = chars.as_str().strip_prefix(':').ok_or_else(|| bad("CHAR is one character, followed by `:`"))?;
    if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("N is a whole number"));
    }
    match count.parse::<u32>() {
        Ok(count) if count <= MAX_REPEAT => Ok(Placeholder::Repeat { ch, count }),
        _ => Err(bad("N is at most 1000000")),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    struct Ctx;

    impl TemplateContext for Ctx {
        fn staging_http(&self) -> &str {
            "http://127.0.0.1:1/s/k/course.zip"
        }
        fn staging_https(&self) -> &str {
            "https://127.0.0.1:2/s/k/course.zip"
        }
        fn staging_ftp(&self) -> &str {
            "ftp://127.0.0.1:3/s/k/course.zip"
        }
        fn staging_ftps(&self) -> &str {
            "ftps://127.0.0.1:4/s/k/course.zip"
        }
        fn receipt_mailbox(&self) -> &str {
            "receipt.k@pens-conform.test"
        }
        fn alerts_mailbox(&self) -> &str {
            "alerts.k@pens-conform.test"
        }
        fn package_id(&self) -> &str {
            "urn:pens-conform:run:k"
        }
        fn receipt_url(&self) -> &str {
            "http://127.0.0.1:3/r/k/receipt"
        }
        fn alerts_url(&self) -> &str {
            "http://127.0.0.1:3/r/k/alerts"
        }
        fn secret(&self) -> &str {
            "s3cret"
        }
        fn internal_url(&self) -> &str {
            "http://127.0.0.1:5/i/k/package.zip"
        }
        fn internal_token(&self) -> &str {
            "tok"
        }
        fn collector(&self) -> &str {
            "127.0.0.1:3"
        }
        fn key(&self) -> &str {
            "k"
        }
        fn now(&self) -> OffsetDateTime {
            datetime!(2025-01-31 23:30:00 UTC)
        }
    }

    fn render(source: &str) -> String {
        Template::parse(source).unwrap_or_else(|e| panic!("{source}: {e}")).render(&Ctx)
    }

    #[test]
    fn every_placeholder_renders() {
        for (source, expected) in [
            ("{{staging.http}}", "http://127.0.0.1:1/s/k/course.zip"),
            ("{{staging.https}}", "https://127.0.0.1:2/s/k/course.zip"),
            ("{{package_id}}", "urn:pens-conform:run:k"),
            ("{{receipt_url}}", "http://127.0.0.1:3/r/k/receipt"),
            ("{{alerts_url}}", "http://127.0.0.1:3/r/k/alerts"),
            ("{{secret}}", "s3cret"),
            ("{{internal_url}}", "http://127.0.0.1:5/i/k/package.zip"),
            ("{{internal_token}}", "tok"),
            ("http://u:{{secret}}@{{collector}}/r/{{key}}/receipt", "http://u:s3cret@127.0.0.1:3/r/k/receipt"),
            ("{{ secret }}", "s3cret"),
            ("{{ now + 2h }}", "2025-02-01T01:30:00Z"),
            ("{{now}}", "2025-01-31T23:30:00Z"),
            ("{{now+2h}}", "2025-02-01T01:30:00Z"),
            ("{{now-1d}}", "2025-01-30T23:30:00Z"),
            ("{{now+90s}}", "2025-01-31T23:31:30Z"),
            ("{{now-30m}}", "2025-01-31T23:00:00Z"),
            ("{{repeat:x:3}}", "xxx"),
            ("{{repeat:::2}}", "::"),
            ("{{repeat:}:2}}", "}}"),
            ("{{repeat:é:2}}", "éé"),
            ("{{repeat:x:0}}", ""),
            ("{{repeat:{:2}}", "{{"),
            ("a{{secret}}b{{package_id}}c", "as3cretburn:pens-conform:run:kc"),
            ("no placeholder }} here", "no placeholder }} here"),
            ("", ""),
        ] {
            assert_eq!(render(source), expected, "{source}");
        }
    }

    #[test]
    fn bad_placeholders_are_rejected_with_the_range_of_the_placeholder() {
        for (source, range, label) in [
            ("x{{staging.htp}}y", 1..16, "did you mean `{{staging.http}}`?"),
            ("{{package-id}}", 0..14, "did you mean `{{package_id}}`?"),
            ("{{Secret}}", 0..10, "did you mean `{{secret}}`?"),
            ("{{banana}}", 0..10, "not a placeholder"),
            ("ab{{secret", 2..10, "opened here"),
            ("{{}}", 0..4, "empty placeholder"),
            ("{{now+2}}", 0..9, "expected a unit after the number: s, m, h or d"),
            ("{{now+2w}}", 0..10, "the unit is one of s, m, h, d"),
            ("{{now2h}}", 0..9, "expected `+` or `-` after `now`"),
            ("{{now+h}}", 0..9, "expected a whole number after the sign"),
            ("{{now+1.5h}}", 0..12, "the unit is one of s, m, h, d"),
            ("{{now+99999999999999999999d}}", 0..29, "at most 100 years either way"),
            ("{{now+36700d}}", 0..14, "at most 100 years either way"),
            ("{{repeat}}", 0..10, "expected `:` after `repeat`"),
            ("{{repeat:}}", 0..11, "expected the character to repeat"),
            ("{{repeat:xy:3}}", 0..15, "CHAR is one character, followed by `:`"),
            ("{{repeat:x:}}", 0..13, "N is a whole number"),
            ("{{repeat:x:-1}}", 0..15, "N is a whole number"),
            ("{{repeat:x:1000001}}", 0..20, "N is at most 1000000"),
            ("{{repeat:x:600000}}{{repeat:y:600000}}", 19..38, "more than 1000000 repeated characters in one value"),
        ] {
            let error = Template::parse(source).expect_err(source);
            assert_eq!((error.range.clone(), error.label()), (range, label.to_owned()), "{source}");
            assert!(!error.help().is_empty());
        }
    }

    #[test]
    fn display_shows_the_source_not_the_secret() {
        let template = Template::parse("user:{{secret}}").expect("parses");
        assert_eq!(template.to_string(), "user:{{secret}}");
        assert!(!template.is_literal());
        assert_eq!(template.placeholders().collect::<Vec<_>>(), [Placeholder::Secret]);
        assert!(Template::literal("{{secret}}").is_literal());
        assert_eq!(Template::literal("{{secret}}").render(&Ctx), "{{secret}}");
    }
}
