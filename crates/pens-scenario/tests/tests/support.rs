//! Shared helpers: golden folder paths, snapshots beside golden files, and a fixed
//! template context.

use std::path::{Path, PathBuf};

use pens_scenario::TemplateContext;
use time::OffsetDateTime;
use time::macros::datetime;

/// The golden folders, relative to the crate (cargo runs tests there), so that paths in
/// diagnostics and snapshots are short and the same on every machine.
pub fn golden(sub: &str) -> PathBuf {
    Path::new("tests/golden").join(sub)
}

/// Snapshot `text` as `<dir>/<name>.snap`, beside the scenario it is about.
pub fn snapshot_next_to(dir: &Path, name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    // Relative to this file (tests/tests/), so the snapshot sits beside the scenario.
    settings.set_snapshot_path(Path::new("..").join(dir.strip_prefix("tests").expect("under tests/")));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// The `*.toml` files directly in `dir`, sorted.
pub fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("golden folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// What a runner would provide, fixed.
pub struct FixedContext;

pub const NOW: OffsetDateTime = datetime!(2025-05-20 16:05:39 UTC);

impl TemplateContext for FixedContext {
    fn staging_http(&self) -> &str {
        "http://127.0.0.1:4001/s/k1/course.zip"
    }
    fn staging_https(&self) -> &str {
        "https://127.0.0.1:4002/s/k1/course.zip"
    }
    fn staging_ftp(&self) -> &str {
        "ftp://127.0.0.1:4004/s/k1/course.zip"
    }
    fn staging_ftps(&self) -> &str {
        "ftps://127.0.0.1:4005/s/k1/course.zip"
    }
    fn package_id(&self) -> &str {
        "urn:pens-conform:run1:k1"
    }
    fn receipt_url(&self) -> &str {
        "http://127.0.0.1:4003/r/k1/receipt"
    }
    fn alerts_url(&self) -> &str {
        "http://127.0.0.1:4003/r/k1/alerts"
    }
    fn receipt_mailbox(&self) -> &str {
        "receipt.k1@pens-conform.test"
    }
    fn alerts_mailbox(&self) -> &str {
        "alerts.k1@pens-conform.test"
    }
    fn secret(&self) -> &str {
        "pw-k1"
    }
    fn internal_url(&self) -> &str {
        "http://127.0.0.1:4006/i/k1/package.zip"
    }
    fn internal_token(&self) -> &str {
        "token-k1"
    }
    fn collector(&self) -> &str {
        "127.0.0.1:4003"
    }
    fn key(&self) -> &str {
        "k1"
    }
    fn now(&self) -> OffsetDateTime {
        NOW
    }
}
