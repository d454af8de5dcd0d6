//! The command line as the bundle's `harness.json` shows it: secret-looking values
//! hidden, in the arguments of pens-conform and in the shell command of `--trigger`.
//!
//! A certifier reads the arguments to see what was run; a password given on the
//! command line (`--url http://user:pw@lms/pens`, `--trigger 'tool --password X'`) must
//! not travel with them. Values are hidden by what names them, not guessed from how
//! they look: the value of a flag or an assignment whose name is a well-known secret
//! word, the password of any URL ([`pens_proto::redact_userinfo`]), an
//! `Authorization:` header's credentials, and any argument holding one of the run's
//! own secret values. `-p` is left alone: it means a password to some tools and a port
//! or a path to many others. The trigger is split as the shell would (`shlex`), so
//! quoted values and nested `sh -c '…'` commands are hidden too.

/// What a hidden value reads as.
const REDACTED: &str = pens_proto::REDACTED;

/// Words that make a flag or variable name secret wherever they appear in it
/// (`--db-password`, `ACCESSTOKEN`).
const SECRET_PARTS: [&str; 8] =
    ["password", "passwd", "passphrase", "secret", "token", "credential", "apikey", "private-key"];

/// Words that make a name secret only as a whole word of it (`--api-key`, `--auth`,
/// `PG_PWD`), so that `--author` or `--keep` stay shown.
const SECRET_WORDS: [&str; 6] = ["pwd", "pw", "pass", "key", "auth", "authorization"];

/// Whether a flag or variable name (`--x-token`, `API_KEY`) names a secret.
pub(crate) fn secret_name(name: &str) -> bool {
    let name = name.trim_start_matches('-').to_ascii_lowercase().replace('_', "-");
    if name.is_empty() {
        return false;
    }
    SECRET_PARTS.iter().any(|part| name.contains(part))
        || name.split(['-', '.']).any(|word| SECRET_WORDS.contains(&word))
}

/// The process's arguments with secret-looking values replaced (see the module doc);
/// the value of `--trigger` goes through [`redact_command`].
pub(crate) fn redact_args(args: &[String], secrets: &[&str]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut next = Next::Show;
    for arg in args {
        let shown = match std::mem::replace(&mut next, Next::Show) {
            Next::Hide if !arg.starts_with("--") => REDACTED.to_owned(),
            Next::Command => redact_command(arg),
            _ => match arg.split_once('=') {
                Some(("--trigger", command)) => format!("--trigger={}", redact_command(command)),
                Some((name, _)) if name.starts_with('-') && secret_name(name) => format!("{name}={REDACTED}"),
                _ => {
                    if arg == "--trigger" {
                        next = Next::Command;
                    } else if arg.starts_with("--") && secret_name(arg) {
                        next = Next::Hide;
                    }
                    pens_proto::redact_userinfo(arg)
                }
            },
        };
        out.push(hide_values(shown, secrets));
    }
    out
}

/// What the argument after a flag is.
enum Next {
    Show,
    /// The value of a secret flag.
    Hide,
    /// The shell command of `--trigger` (in [`redact_args`]), or the `user:password`
    /// of curl's `-u` (in [`secret_values`]).
    Command,
}

/// `text`, or [`REDACTED`] in place of each of `secrets` it holds.
fn hide_values(text: String, secrets: &[&str]) -> String {
    secrets.iter().filter(|s| !s.is_empty()).fold(text, |text, secret| text.replace(secret, REDACTED))
}

/// A shell command with secret-looking values hidden, every other character kept:
/// the command is split into words as `sh` would (`shlex`), the values to hide are
/// picked from the words (see [`secret_values`]) and replaced where they stand in the
/// text, then the password of every URL is hidden. A value the text does not hold as
/// such (written with escapes) makes the command shown as its words, joined by spaces,
/// with the values hidden.
pub(crate) fn redact_command(command: &str) -> String {
    let words = shlex::split(command).unwrap_or_else(|| command.split_whitespace().map(str::to_owned).collect());
    let mut values = secret_values(&words);
    values.retain(|value| !value.is_empty());
    // The longest first, so that a value holding another is hidden whole.
    values.sort_by_key(|value| std::cmp::Reverse(value.len()));
    let shown = if values.iter().all(|value| command.contains(value.as_str())) {
        values.iter().fold(command.to_owned(), |text, value| text.replace(value.as_str(), REDACTED))
    } else {
        let words = words.iter().map(|word| values.iter().fold(word.clone(), |w, v| w.replace(v.as_str(), REDACTED)));
        words.collect::<Vec<_>>().join(" ")
    };
    pens_proto::redact_userinfo(&shown)
}

/// The secret values among a command's words: the word after a flag of a secret name
/// (`--password X`), the value of a `NAME=value` word of a secret name (a flag or an
/// environment assignment), the credentials of an `Authorization:` header, the
/// password of curl's `-u user:password`, and those of a word that is itself a command
/// (`sh -c '…'`). An unclosed quote takes the rest of the command as its word, as the
/// shell would refuse it: the words are then split at white space.
fn secret_values(words: &[String]) -> Vec<String> {
    let mut values = Vec::new();
    let mut next = Next::Show;
    for word in words {
        match std::mem::replace(&mut next, Next::Show) {
            Next::Hide => {
                values.push(word.trim_matches(['\'', '"']).to_owned());
                continue;
            }
            Next::Command => {
                if let Some((_, password)) = word.split_once(':') {
                    values.push(password.to_owned());
                }
                continue;
            }
            Next::Show => {}
        }
        let lower = word.trim_start().to_ascii_lowercase();
        if let Some((name, value)) = word.split_once('=')
            && !name.contains(char::is_whitespace)
            && secret_name(name)
        {
            values.push(value.trim_matches(['\'', '"']).to_owned());
        } else if lower.starts_with("authorization:") || lower.starts_with("proxy-authorization:") {
            let credentials = word.split_once(':').map_or("", |(_, rest)| rest.trim());
            values.push(credentials.to_owned());
        } else if word.starts_with('-') && secret_name(word) {
            next = Next::Hide;
        } else if word == "-u" || word == "--user" {
            // curl's `-u user:password`: the user stays, the password goes.
            next = Next::Command;
        } else if word.contains(char::is_whitespace) {
            let inner = shlex::split(word).unwrap_or_else(|| word.split_whitespace().map(str::to_owned).collect());
            values.extend(secret_values(&inner));
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn secret_names_are_whole_words_or_unmistakable_parts() {
        for name in ["--password", "--db-password", "PASSWORD", "--api-key", "API_KEY", "--apikey", "--auth", "PG_PWD"]
        {
            assert!(secret_name(name), "{name}");
        }
        for name in ["--author", "--keep-events", "--url", "-p", "--jobs", "--package", "--passive"] {
            assert!(!secret_name(name), "{name}");
        }
    }

    #[test]
    fn secret_looking_arguments_and_url_passwords_are_redacted() {
        let args = strings(&[
            "target",
            "--api-token",
            "t0k",
            "--x-password=pw",
            "--url",
            "http://u:hunter2@lms/",
            "--report-dir",
            "/tmp/hunter2-reports",
        ]);
        let redacted = redact_args(&args, &["hunter2"]);
        assert_eq!(
            redacted,
            strings(&[
                "target",
                "--api-token",
                REDACTED,
                "--x-password=[redacted]",
                "--url",
                "http://u:[redacted]@lms/",
                "--report-dir",
                "/tmp/[redacted]-reports"
            ])
        );
    }

    /// Every form a secret takes in a trigger command is hidden, and nothing else is.
    #[test]
    fn secrets_inside_a_trigger_command_are_redacted() {
        let cases = [
            ("tool --password X1 --to \"$PENS_TARGET_URL\"", "tool --password [redacted] --to \"$PENS_TARGET_URL\""),
            ("tool --password=X2 publish", "tool --password=[redacted] publish"),
            ("tool --api-key 'a b c' --user-name bob", "tool --api-key '[redacted]' --user-name bob"),
            ("PASSWORD=X3 API_TOKEN=\"X4\" tool", "PASSWORD=[redacted] API_TOKEN=\"[redacted]\" tool"),
            ("tool --to http://bob:X5@lms/pens", "tool --to http://bob:[redacted]@lms/pens"),
            (
                "curl -u bob:X6 -H 'Authorization: Bearer X7' http://h",
                "curl -u bob:[redacted] -H 'Authorization: [redacted]' http://h",
            ),
            ("sh -c 'tool --secret X8 && echo done'", "sh -c 'tool --secret [redacted] && echo done'"),
            ("tool -p 8080 --author ann", "tool -p 8080 --author ann"),
            ("tool --token 'X9", "tool --token '[redacted]"),
            ("tool --password \"a\\\"X10\"", "tool --password [redacted]"),
        ];
        for (command, expected) in cases {
            let shown = redact_command(command);
            assert_eq!(shown, expected, "{command}");
            for secret in ["X1", "X2", "a b c", "X3", "X4", "X5", "X6", "X7", "X8", "X9", "X10"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
        }
        let args = strings(&["client", "--trigger", "tool --password X1", "--trigger=tool --token=X2"]);
        let shown = redact_args(&args, &[]).join(" ");
        assert!(!shown.contains("X1") && !shown.contains("X2"), "{shown}");
    }
}
