//! Writing to standard output without panicking when the reader has gone away
//! (`pens-conform list | head`): `println!` panics on a closed pipe; these helpers treat
//! it as "nobody is reading any more", so the command still ends with its own exit code.

use std::fmt::Display;
use std::io::{ErrorKind, Write};

/// Writes `text` and a line break to standard output.
pub(crate) fn line(text: impl Display) -> std::io::Result<()> {
    ignore_closed_pipe(writeln!(std::io::stdout().lock(), "{text}"))
}

/// Writes `text` as is to standard output.
pub(crate) fn text(text: impl Display) -> std::io::Result<()> {
    ignore_closed_pipe(write!(std::io::stdout().lock(), "{text}"))
}

fn ignore_closed_pipe(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(error) if error.kind() == ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
