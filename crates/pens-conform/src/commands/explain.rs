//! `pens-conform explain`: what an error code or a requirement id means.

use anyhow::anyhow;
use pens_proto::{CATALOGUE, ErrorClass, ErrorCode, REGISTRY, Requirement};
use serde::Serialize;
use std::fmt::Write;

use crate::args::Format;
use crate::error::{Classify, CommandError, CommandResult};
use crate::exit;
use crate::output;

/// The version of `explain --format json`'s documents, each of which carries it as
/// `format_version` (as `--format json` promises).
const EXPLAIN_FORMAT_VERSION: u32 = 1;

/// A JSON document of `explain`: its body, with the document's version beside its
/// fields.
#[derive(Serialize)]
struct Versioned<T: Serialize> {
    format_version: u32,
    #[serde(flatten)]
    body: T,
}

/// `body` as a versioned JSON document.
fn json_document<T: Serialize>(body: T) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&Versioned { format_version: EXPLAIN_FORMAT_VERSION, body })
}

/// One explained error code, as printed with `--format json`.
#[derive(Debug, Serialize)]
struct CodeExplanation {
    code: ErrorCode,
    name: Option<&'static str>,
    class: ErrorClass,
    range: &'static str,
    assigned: bool,
    warning: bool,
    text: String,
    section: Option<&'static str>,
}

fn explain_code(code: ErrorCode) -> CodeExplanation {
    let info = code.info();
    CodeExplanation {
        code,
        name: info.map(|i| i.name),
        class: code.class(),
        range: range_of(code.class()),
        assigned: info.is_some(),
        warning: info.is_some_and(|i| i.warning),
        text: info.map_or_else(|| code.describe(), |i| i.text.to_owned()),
        section: info.map(|i| i.section),
    }
}

fn range_of(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::Success => "0",
        ErrorClass::UnderlyingProtocol => "100-599",
        ErrorClass::General => "1000-1199",
        ErrorClass::Syntax => "1200-1299",
        ErrorClass::Transport => "1300-1399",
        ErrorClass::Host => "1400-1499",
        ErrorClass::Acknowledgement => "1500-1599",
        ErrorClass::Parameter => "2000-9999",
        ErrorClass::ImplementationDefined => "10000-65535",
        _ => "outside every class",
    }
}

/// Arguments of `explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    /// An error code (e.g. `1304`) or a requirement id (e.g. `collect.package-url.scheme`).
    pub(crate) topic: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

pub(crate) fn run(args: &ExplainArgs) -> CommandResult {
    let output = match args.topic.as_deref().map(str::trim) {
        None => list_everything(args.format).harness()?,
        Some(topic) if topic.chars().all(|c| c.is_ascii_digit()) => {
            let number: u16 = topic
                .parse()
                .map_err(|_| anyhow!("`{topic}` is not an error code: PENS codes run from 0 to 65535"))
                .usage()?;
            let explanation = explain_code(ErrorCode(number));
            match args.format {
                Format::Json => json_document(&explanation).harness()?,
                Format::Text => code_text(&explanation),
            }
        }
        Some(topic) => {
            let Some(requirement) = Requirement::by_id(topic) else {
                let problem = anyhow!("`{topic}` is neither an error code nor a requirement id{}", suggestion(topic));
                return Err(CommandError::Usage(problem));
            };
            match args.format {
                Format::Json => json_document(requirement).harness()?,
                Format::Text => requirement_text(requirement),
            }
        }
    };
    output::line(output.trim_end()).harness()?;
    Ok(exit::SUCCESS)
}

fn code_text(e: &CodeExplanation) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", e.code, e.name.unwrap_or("(not assigned by CMI010)"));
    let _ = writeln!(out, "class     {} ({})", e.class, e.range);
    if e.warning {
        let _ = writeln!(out, "kind      warning");
    }
    let _ = writeln!(out, "meaning   {}", e.text);
    if let Some(section) = e.section {
        let _ = writeln!(out, "section   {section}");
    }
    out
}

fn requirement_text(r: &Requirement) -> String {
    format!(
        "{}\nlevel     {}\nbinds     {}\nsection   {}\nstatement {}\n",
        r.id, r.level, r.party, r.section, r.statement
    )
}

fn list_everything(format: Format) -> anyhow::Result<String> {
    let codes: Vec<CodeExplanation> = REGISTRY.iter().map(|i| explain_code(i.code)).collect();
    if format == Format::Json {
        #[derive(Serialize)]
        struct Everything<'a> {
            error_codes: Vec<CodeExplanation>,
            requirements: &'a [&'static Requirement],
        }
        return Ok(json_document(Everything { error_codes: codes, requirements: CATALOGUE })?);
    }
    let mut out = String::from("error codes (CMI010 §6.3)\n");
    for code in &codes {
        let _ = writeln!(out, "  {:<5} {:<18} {}", code.code, code.class, code.text);
    }
    let _ = writeln!(out, "\nrequirements ({})", CATALOGUE.len());
    for r in CATALOGUE {
        let _ = writeln!(out, "  {:<6} {:<7} {}", r.level, r.party, r.id);
    }
    Ok(out)
}

/// " (did you mean `x`?)" for a requirement id one typo away.
fn suggestion(topic: &str) -> String {
    CATALOGUE
        .iter()
        .find(|r| r.id.contains(topic) || topic.contains(r.id))
        .map(|r| format!(" (did you mean `{}`?)", r.id))
        .unwrap_or_default()
}
