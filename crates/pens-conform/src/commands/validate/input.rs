//! Reading the message to check from a file or standard input.

use std::io::{IsTerminal, Read};
use std::path::Path;

use anyhow::{Context, bail};

/// Where a message came from, for the report header.
pub(crate) struct Input {
    /// A path, or `<stdin>`.
    pub(crate) source: String,
    /// The bytes exactly as read.
    pub(crate) bytes: Vec<u8>,
}

/// Largest message read (a PENS message is a few kilobytes; vendor-data may reach tens).
const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Reads `path` (`-` or `None`: standard input).
pub(crate) fn read(path: Option<&Path>) -> anyhow::Result<Input> {
    match path {
        Some(path) if path != Path::new("-") => {
            let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
            let bytes = read_limited(file).with_context(|| format!("cannot read {}", path.display()))?;
            Ok(Input { source: path.display().to_string(), bytes })
        }
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                bail!("no input: give a FILE, or pipe a message into standard input");
            }
            let bytes = read_limited(stdin.lock()).context("cannot read standard input")?;
            Ok(Input { source: "<stdin>".to_owned(), bytes })
        }
    }
}

fn read_limited(reader: impl Read) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        bail!("the message is larger than {} MiB; this is not a PENS message", MAX_INPUT_BYTES / 1024 / 1024);
    }
    Ok(bytes)
}

/// Drops one final line break, which text editors add to files but which is not part
/// of a form body or query string.
pub(crate) fn without_final_newline(bytes: &[u8]) -> &[u8] {
    bytes.strip_suffix(b"\r\n").or_else(|| bytes.strip_suffix(b"\n")).unwrap_or(bytes)
}
