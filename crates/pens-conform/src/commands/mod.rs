//! The subcommands, one module each: its `clap::Args` and its `run` (nextest's
//! dispatch). `cli.rs` only assembles them; no module here imports from it (a test
//! holds that), so a command is read, changed and tested on its own.

pub(crate) mod client;
pub(crate) mod completions;
pub(crate) mod diff;
pub(crate) mod explain;
pub(crate) mod lint;
pub(crate) mod list;
pub(crate) mod load;
pub(crate) mod man;
pub(crate) mod merge;
pub(crate) mod observe;
pub(crate) mod scenarios;
pub(crate) mod selftest;
pub(crate) mod serve;
pub(crate) mod target;
pub(crate) mod validate;
pub(crate) mod verify;

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// Every `.rs` file under `dir`, at any depth.
    fn sources(dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).expect("a readable folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                files.extend(sources(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
        files
    }

    /// The import circle of issue 17 stays broken: `cli.rs` imports the commands, so no
    /// command may import `cli.rs` back (its arguments are its own, shared ones are in
    /// `args/`).
    #[test]
    fn no_command_module_imports_from_cli() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands");
        let files = sources(&dir);
        assert!(files.len() >= 12, "the command modules: {files:?}");
        // Spelt in pieces, so that this test's own source does not match.
        let (from_crate, from_parent) = (["crate", "::cli"].concat(), ["super", "::cli"].concat());
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a readable source");
            for (number, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                let imports_cli = code.contains(&from_crate)
                    || code.contains(&from_parent)
                    || (code.trim_start().starts_with("use crate::{") && code.contains("cli"));
                assert!(!imports_cli, "{}:{}: a command imports from cli.rs: {line}", file.display(), number + 1);
            }
        }
    }
}
