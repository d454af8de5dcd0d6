//! `pens-conform validate`: judge one PENS message and report its findings.

use std::path::PathBuf;

use anyhow::Context;
use clap::ValueEnum;
use pens_proto::{
    CheckContext, CollectCommand, ErrorCode, ExpectedAnswer, Finding, Level, MessageKind, Notification,
    NotificationKind, assess_decoded_collect, check_notification, detect_kind, looks_like_url, parse_response,
    query_of, req,
};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::args::Format;
use crate::error::{Classify, CommandResult};
use crate::exit;
use crate::output;

mod input;
mod render;

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    /// The message file; `-` or nothing for standard input. One final line break of a
    /// collect, receipt or alert file is ignored (editors add one); response bodies are
    /// read byte for byte.
    pub(crate) file: Option<PathBuf>,
    /// What the message is; `auto` tells by its content.
    #[arg(long, value_enum, default_value_t = KindArg::Auto)]
    pub(crate) kind: KindArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// The instant to judge package-url-expiry against (RFC 3339, e.g.
    /// `2026-06-01T00:00:00Z`); default: now. Set it for reproducible output.
    #[arg(long, value_name = "RFC3339")]
    pub(crate) now: Option<String>,
}

/// Message kinds accepted by `--kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum KindArg {
    /// Tell by content.
    Auto,
    /// A collect: POST body, query string or GET URL (told apart by content).
    Collect,
    /// A collect POST body (application/x-www-form-urlencoded).
    CollectForm,
    /// A collect GET URL or bare query string.
    CollectQuery,
    /// A receipt (form body or query).
    Receipt,
    /// An alert (form body or query).
    Alert,
    /// A PENS response body.
    Response,
}

/// Version of the JSON document printed by `validate --format json`.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// The outcome of checking one message: what `--format json` prints and the text
/// renderer reads.
#[derive(Debug, Serialize)]
pub(crate) struct ValidationReport {
    pub(crate) format_version: u32,
    pub(crate) source: String,
    pub(crate) kind: MessageKind,
    pub(crate) kind_detected: bool,
    /// The instant the expiry was judged against.
    pub(crate) checked_at: String,
    pub(crate) verdict: Verdict,
    pub(crate) summary: Summary,
    pub(crate) findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expected_answer: Option<ExpectedAnswer>,
    pub(crate) message: MessageView,
}

/// Pass when no `must` is violated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Verdict {
    Pass,
    Fail,
}

/// Findings counted by level.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Summary {
    pub(crate) failures: usize,
    pub(crate) warnings: usize,
    pub(crate) notes: usize,
}

/// What was read from the message, secrets redacted.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub(crate) enum MessageView {
    /// A collect, receipt or alert: its `(name, value)` pairs.
    Elements { elements: Vec<(String, String)> },
    /// A response body.
    Response {
        error: Option<ErrorCode>,
        error_raw: Option<String>,
        error_text: Option<String>,
        version: Option<String>,
        pens_data: Option<String>,
    },
}

pub(crate) fn run(args: &ValidateArgs) -> CommandResult {
    let checked_at = match &args.now {
        Some(text) => OffsetDateTime::parse(text, &Rfc3339)
            .with_context(|| format!("--now `{text}` is not an RFC 3339 date-time such as 2026-06-01T00:00:00Z"))
            .usage()?,
        None => OffsetDateTime::now_utc(),
    };
    let input = input::read(args.file.as_deref()).usage()?;
    tracing::debug!(source = %input.source, bytes = input.bytes.len(), "read message");
    let report = validate(&input, args.kind, checked_at);
    tracing::debug!(kind = %report.kind, findings = report.findings.len(), "checked message");
    match args.format {
        Format::Text => output::text(render::validation_text(&report)).harness()?,
        Format::Json => output::line(serde_json::to_string_pretty(&report).harness()?).harness()?,
    }
    Ok(match report.verdict {
        Verdict::Pass => exit::SUCCESS,
        Verdict::Fail => exit::CHECK_FAILED,
    })
}

/// Checks the message and builds the report.
pub(crate) fn validate(input: &input::Input, kind: KindArg, checked_at: OffsetDateTime) -> ValidationReport {
    let (kind, kind_detected) = resolve_kind(&input.bytes, kind);
    let context = CheckContext::at(checked_at);
    let (findings, expected_answer, message) = match kind {
        MessageKind::CollectForm | MessageKind::CollectQuery => {
            let body = input::without_final_newline(&input.bytes);
            let decoded = if kind == MessageKind::CollectQuery {
                CollectCommand::decode(query_of(&String::from_utf8_lossy(body)).as_bytes())
            } else {
                CollectCommand::decode(body)
            };
            let assessment = assess_decoded_collect(&decoded, &context);
            let mut findings = assessment.findings;
            if kind == MessageKind::CollectQuery {
                findings.insert(
                    0,
                    Finding::new(
                        &req::BINDING_POST_PREFERRED,
                        "sent as a GET query; POST is best practice, since target URLs may already hold a query",
                    ),
                );
            }
            let elements = decoded.command.redacted_pairs();
            (findings, Some(assessment.expected), MessageView::Elements { elements })
        }
        MessageKind::Receipt | MessageKind::Alert => {
            let body = input::without_final_newline(&input.bytes);
            let text = String::from_utf8_lossy(body);
            let decoded = if looks_like_url(&text) {
                Notification::decode(query_of(&text).as_bytes())
            } else {
                Notification::decode(body)
            };
            let expected_kind =
                if kind == MessageKind::Receipt { NotificationKind::Receipt } else { NotificationKind::Alert };
            let mut findings = decoded.findings;
            findings.extend(check_notification(&decoded.notification, Some(expected_kind), None));
            let elements = decoded.notification.redacted_pairs();
            (findings, None, MessageView::Elements { elements })
        }
        MessageKind::Response => {
            let parsed = parse_response(&input.bytes);
            let view = MessageView::Response {
                error: parsed.error,
                error_raw: parsed.error_raw.clone(),
                error_text: parsed.error_text.clone(),
                version: parsed.version.clone(),
                pens_data: parsed.pens_data.clone(),
            };
            (parsed.findings, None, view)
        }
    };
    let summary = Summary {
        failures: findings.iter().filter(|f| f.level == Level::Must).count(),
        warnings: findings.iter().filter(|f| f.level == Level::Should).count(),
        notes: findings.iter().filter(|f| f.level == Level::Info).count(),
    };
    ValidationReport {
        format_version: FORMAT_VERSION,
        source: input.source.clone(),
        kind,
        kind_detected,
        checked_at: pens_proto::format_expiry(checked_at),
        verdict: if summary.failures == 0 { Verdict::Pass } else { Verdict::Fail },
        summary,
        findings,
        expected_answer,
        message,
    }
}

/// The kind to check the message as, and whether it was detected rather than given.
fn resolve_kind(bytes: &[u8], kind: KindArg) -> (MessageKind, bool) {
    let detected = detect_kind(bytes);
    let given = match kind {
        KindArg::Auto => return (detected, true),
        KindArg::Collect => match detected {
            MessageKind::CollectQuery => MessageKind::CollectQuery,
            MessageKind::Receipt | MessageKind::Alert if looks_like_url(&String::from_utf8_lossy(bytes)) => {
                MessageKind::CollectQuery
            }
            _ => MessageKind::CollectForm,
        },
        KindArg::CollectForm => MessageKind::CollectForm,
        KindArg::CollectQuery => MessageKind::CollectQuery,
        KindArg::Receipt => MessageKind::Receipt,
        KindArg::Alert => MessageKind::Alert,
        KindArg::Response => MessageKind::Response,
    };
    (given, false)
}
