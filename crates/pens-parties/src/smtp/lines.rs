//! The lines an SMTP client sends, read with a bound and tidied before the protocol
//! state machine sees them.
//!
//! `mailin` wants one whole line at a time, ended by CR LF. A client is untrusted: a
//! line without end must not grow a buffer without end, so a line is read up to a
//! limit and the rest of it is skipped. Some MTAs and scripts are sloppy in ways that
//! `mailin` would refuse with a syntax error; since we record notifications rather than
//! police SMTP, command lines are made acceptable where that is unambiguous.

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// How a [`read_line`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineRead {
    /// A whole line, with its line feed, is in the buffer.
    Complete,
    /// The line was longer than the limit: the buffer holds its first `limit` bytes
    /// and the rest of it, up to and with its line feed, was skipped.
    TooLong,
    /// The connection closed (a line cut short by the close is dropped).
    Closed,
}

/// Reads one line ended by LF into `line` (cleared first), keeping at most `limit`
/// bytes of it. Cancel-safe only in the sense that a cancelled read loses its line:
/// callers give up the connection when they cancel.
pub(crate) async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    limit: usize,
    line: &mut Vec<u8>,
) -> io::Result<LineRead> {
    line.clear();
    let mut too_long = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(LineRead::Closed);
        }
        let (chunk, ended) = match available.iter().position(|&b| b == b'\n') {
            Some(at) => (&available[..=at], true),
            None => (available, false),
        };
        let room = limit.saturating_sub(line.len());
        if chunk.len() > room {
            too_long = true;
        }
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = chunk.len();
        reader.consume(used);
        if ended {
            return Ok(if too_long { LineRead::TooLong } else { LineRead::Complete });
        }
    }
}

/// Stands in for the null reverse path `<>` (RFC 5321 §4.5.5), which `mailin` cannot
/// parse; [`envelope_sender`] turns it back into an empty sender.
const NULL_SENDER: &str = "null-sender.pens-conform.invalid";

/// Tidies a command line for `mailin`: a bare LF ending becomes CR LF, white space
/// after `MAIL FROM:` and `RCPT TO:` goes, and `MAIL FROM:<>` gets a stand-in path.
pub(crate) fn tidy_command(line: &mut Vec<u8>) {
    if line.ends_with(b"\n") && !line.ends_with(b"\r\n") {
        line.pop();
        line.extend_from_slice(b"\r\n");
    }
    for verb in [&b"MAIL FROM:"[..], &b"RCPT TO:"[..]] {
        let starts = line.get(..verb.len()).is_some_and(|head| head.eq_ignore_ascii_case(verb));
        if !starts {
            continue;
        }
        let spaces = line[verb.len()..].iter().take_while(|&&b| b == b' ' || b == b'\t').count();
        line.drain(verb.len()..verb.len() + spaces);
        if verb.starts_with(b"MAIL") && line[verb.len()..].starts_with(b"<>") {
            let stand_in = format!("<{NULL_SENDER}>");
            line.splice(verb.len()..verb.len() + 2, stand_in.bytes());
        }
    }
}

/// The envelope sender as the client gave it: empty for the null reverse path.
pub(crate) fn envelope_sender(reverse_path: &str) -> String {
    if reverse_path == NULL_SENDER { String::new() } else { reverse_path.to_owned() }
}

/// Makes the end-of-data line of a client that ends lines with a bare LF recognisable
/// (`mailin` only knows `.` CR LF). Other data lines are left as sent, so that the
/// message keeps the line endings the client used.
pub(crate) fn tidy_data(line: &mut Vec<u8>) {
    if line == b".\n" {
        line.clear();
        line.extend_from_slice(b".\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(input: &[u8], limit: usize) -> Vec<(LineRead, Vec<u8>)> {
        let mut reader = tokio::io::BufReader::with_capacity(4, input);
        let mut line = Vec::new();
        let mut out = Vec::new();
        loop {
            let read = read_line(&mut reader, limit, &mut line).await.expect("in-memory read");
            out.push((read, line.clone()));
            if read == LineRead::Closed {
                return out;
            }
        }
    }

    #[tokio::test]
    async fn lines_are_read_whole_or_cut_at_the_limit() {
        let lines = read_all(b"HELO a\r\nthis line is long\r\nok\npartial", 8).await;
        assert_eq!(
            lines,
            [
                (LineRead::Complete, b"HELO a\r\n".to_vec()),
                (LineRead::TooLong, b"this lin".to_vec()),
                (LineRead::Complete, b"ok\n".to_vec()),
                (LineRead::Closed, b"partial".to_vec()),
            ]
        );
    }

    #[test]
    fn sloppy_commands_are_tidied() {
        let cases: [(&[u8], &[u8]); 6] = [
            (b"HELO a\n", b"HELO a\r\n"),
            (b"HELO a\r\n", b"HELO a\r\n"),
            (b"mail from: <a@b>\n", b"mail from:<a@b>\r\n"),
            (b"RCPT TO:\t<a@b>\r\n", b"RCPT TO:<a@b>\r\n"),
            (b"MAIL FROM:<>\r\n", b"MAIL FROM:<null-sender.pens-conform.invalid>\r\n"),
            (b"DATA\r\n", b"DATA\r\n"),
        ];
        for (sent, tidied) in cases {
            let mut line = sent.to_vec();
            tidy_command(&mut line);
            assert_eq!(String::from_utf8_lossy(&line), String::from_utf8_lossy(tidied));
        }
        assert_eq!(envelope_sender(NULL_SENDER), "");
        assert_eq!(envelope_sender("lms@lms.example"), "lms@lms.example");
    }

    #[test]
    fn only_the_end_of_data_is_tidied() {
        for (sent, tidied) in [(&b".\n"[..], &b".\r\n"[..]), (b"text\n", b"text\n"), (b"..\n", b"..\n")] {
            let mut line = sent.to_vec();
            tidy_data(&mut line);
            assert_eq!(line, tidied);
        }
    }
}
