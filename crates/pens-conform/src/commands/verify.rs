//! `pens-conform verify FILE.zip`: checks a certification bundle against its manifest
//! and prints what it checked. The checking itself is [`crate::bundle::verify`].

use std::path::PathBuf;

use crate::bundle::{self, Verification};
use crate::error::{Classify, CommandResult};
use crate::exit;
use crate::output;

/// Arguments of `verify`.
#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    /// The bundle (zip) to check.
    #[arg(value_name = "FILE.zip")]
    pub(crate) bundle: PathBuf,
}

/// 0 intact, 1 tampered or incomplete; a file that is not a readable bundle is a usage
/// error (2).
pub(crate) fn run(args: &VerifyArgs) -> CommandResult {
    let path = &args.bundle;
    let file = std::fs::File::open(path)
        .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", path.display()))
        .usage()?;
    let verification = bundle::verify(std::io::BufReader::new(file))
        .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))
        .usage()?;
    let _ = output::text(render(&path.display().to_string(), &verification));
    Ok(if verification.problems.is_empty() {
        exit::SUCCESS
    } else {
        for problem in &verification.problems {
            eprintln!("tampered: {problem}");
        }
        eprintln!("{}: NOT intact ({} problem(s))", path.display(), verification.problems.len());
        exit::CHECK_FAILED
    })
}

/// What `verify` prints: the files checked, the harness, each report's totals.
fn render(name: &str, verification: &Verification) -> String {
    let mut out = format!("bundle {name} (format {})\n", verification.manifest.bundle_format);
    for entry in &verification.manifest.files {
        let ok = verification.problems.iter().all(|p| p.path() != entry.path);
        let mark = if ok { "ok " } else { "BAD" };
        out.push_str(&format!("  {mark} {}  {} bytes  sha256 {}\n", entry.path, entry.size, entry.sha256));
    }
    let json = |name: &str| {
        verification.contents.get(name).and_then(|bytes| serde_json::from_slice::<serde_json::Value>(bytes).ok())
    };
    if let Some(harness) = json("harness.json") {
        let field = |key: &str| harness[key].as_str().unwrap_or("?").to_owned();
        out.push_str(&format!("harness {} {}, run started {}\n", field("name"), field("version"), field("started_at")));
    }
    for entry in &verification.manifest.files {
        let is_report = entry.path == "report.json" || entry.path.ends_with("/report.json");
        if is_report && let Some(report) = json(&entry.path) {
            let s = &report["summary"];
            let n = |key: &str| s[key].as_u64().unwrap_or(0);
            out.push_str(&format!(
                "{}: {}: {} pass, {} info, {} warn, {} n/a, {} inconclusive, {} fail, {} error\n",
                entry.path,
                pens_report::counted(n("total"), "scenario"),
                n("pass"),
                n("info"),
                n("warn"),
                n("not_applicable"),
                n("inconclusive"),
                n("fail"),
                n("error")
            ));
        }
    }
    if verification.problems.is_empty() {
        out.push_str(&format!("intact: {} files match the manifest\n", verification.manifest.files.len()));
    }
    out
}
