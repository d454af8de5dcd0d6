mod explain;
mod validate;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The workspace root, so fixture paths in output stay short and stable.
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// The binary, run from the workspace root with logging quiet.
pub(crate) fn pens_conform() -> Command {
    let mut command = Command::cargo_bin("pens-conform").expect("binary built");
    command.current_dir(workspace_root()).env_remove("RUST_LOG");
    command
}

/// The instant every snapshot judges expiry against.
pub(crate) const NOW: &str = "2026-06-01T00:00:00Z";
