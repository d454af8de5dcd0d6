//! What ends a command early, by whose fault: the class picks the exit code
//! ([`crate::exit`]). A failed check is no error: a command returns it as its exit code.
//!
//! There is deliberately no `From<anyhow::Error>`: every `?` in a command says which
//! class its error is ([`Classify::usage`] or [`Classify::harness`]), so the compiler
//! finds each error path and none falls into a default.

use crate::exit;

/// Why a command stopped before it could give its own exit code.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CommandError {
    /// What the user gave is wrong: an argument, a file, the profile, a scenario, a
    /// baseline, a report to read. Exit 2; nothing was run.
    #[error(transparent)]
    Usage(anyhow::Error),
    /// The harness failed: it cannot listen on a port, write a report or the standard
    /// output, start its own parties or its runtime, or an internal error. Exit 3.
    #[error(transparent)]
    Harness(anyhow::Error),
}

/// A command's outcome: its exit code, or why it stopped.
pub(crate) type CommandResult = Result<u8, CommandError>;

impl CommandError {
    /// The exit code of this class of error.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CommandError::Usage(_) => exit::USAGE,
            CommandError::Harness(_) => exit::INCOMPLETE,
        }
    }

    /// The line printed on standard error: `error: ` and the causes, each said once;
    /// a report that could not be written once the run was over says so first.
    pub(crate) fn message(&self) -> String {
        let cause = self.cause();
        if cause.chain().any(|cause| cause.is::<crate::atomic::WriteError>()) {
            format!("error: the report could not be written: {}", error_chain(cause))
        } else {
            format!("error: {}", error_chain(cause))
        }
    }

    /// The error with its causes.
    pub(crate) fn cause(&self) -> &anyhow::Error {
        match self {
            CommandError::Usage(error) | CommandError::Harness(error) => error,
        }
    }
}

/// `error` and its causes, each said once. Library errors often repeat their source in
/// their own message (`cannot listen on ADDR: Address already in use`, whose source is
/// the `Address already in use`), and a caller's context may repeat theirs (`cannot
/// listen on ADDR` around `cannot listen on ADDR: …`): printed as a plain chain, that
/// read `cannot listen on ADDR: cannot listen on ADDR: Address already in use`. A cause
/// already said is left out; one that extends the part before it replaces that part.
pub(crate) fn error_chain(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if text.is_empty() || parts.iter().any(|part| part.contains(&text)) {
            continue;
        }
        match parts.last_mut() {
            Some(last) if text.starts_with(last.as_str()) => *last = text,
            _ => parts.push(text),
        }
    }
    parts.join(": ")
}

/// Puts an error into its class where it happens: `read(path).usage()?`.
pub(crate) trait Classify<T> {
    /// The user's input is wrong (exit 2).
    fn usage(self) -> Result<T, CommandError>;
    /// The harness failed (exit 3).
    fn harness(self) -> Result<T, CommandError>;
}

impl<T, E: Into<anyhow::Error>> Classify<T> for Result<T, E> {
    fn usage(self) -> Result<T, CommandError> {
        self.map_err(|error| CommandError::Usage(error.into()))
    }

    fn harness(self) -> Result<T, CommandError> {
        self.map_err(|error| CommandError::Harness(error.into()))
    }
}

/// The class of an error from starting or running a reference target: a `--trust-ca`
/// file that holds no usable certificate is the user's (exit 2); anything else (it
/// cannot listen, no runtime) is the harness's (exit 3).
pub(crate) fn reference_target_error(error: impl Into<anyhow::Error>) -> CommandError {
    let error = error.into();
    let bad_root = error.chain().any(|cause| {
        let mock =
            cause.downcast_ref::<pens_parties::MockTargetError>().or_else(|| match cause
                .downcast_ref::<pens_reference::ReferenceTargetError>(
            ) {
                Some(pens_reference::ReferenceTargetError::Target(mock)) => Some(mock),
                _ => None,
            });
        matches!(mock, Some(pens_parties::MockTargetError::RootCertificate { .. }))
    });
    if bad_root { CommandError::Usage(error) } else { CommandError::Harness(error) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_class_has_its_exit_code() {
        let usage: Result<(), _> = Err(std::io::Error::other("no such file")).usage();
        let harness: Result<(), _> = Err(anyhow::anyhow!("cannot listen")).harness();
        assert_eq!(usage.expect_err("usage").exit_code(), 2);
        let harness = harness.expect_err("harness");
        assert_eq!(harness.exit_code(), 3);
        assert_eq!(harness.cause().to_string(), "cannot listen");
    }

    #[test]
    fn an_unusable_trusted_certificate_is_the_users() {
        let bad_root = pens_parties::MockTargetError::RootCertificate { reason: "no certificate".into() };
        let wrapped = anyhow::Error::new(pens_reference::ReferenceTargetError::Target(bad_root))
            .context("cannot start the reference target");
        assert_eq!(reference_target_error(wrapped).exit_code(), 2);
        let bare = pens_parties::MockTargetError::RootCertificate { reason: "no certificate".into() };
        assert_eq!(reference_target_error(bare).exit_code(), 2);
        let no_runtime = pens_reference::ReferenceTargetError::Target(pens_parties::MockTargetError::NoRuntime);
        assert_eq!(reference_target_error(no_runtime).exit_code(), 3);
    }

    /// Each part of an error chain is said once, however the layers repeat each other.
    #[test]
    fn an_error_chain_says_each_cause_once() {
        let os = || std::io::Error::new(std::io::ErrorKind::AddrInUse, "Address already in use (os error 98)");
        #[derive(Debug, thiserror::Error)]
        #[error("cannot listen on 127.0.0.1:80: {source}")]
        struct WithSource {
            source: std::io::Error,
        }
        #[derive(Debug, thiserror::Error)]
        #[error("cannot listen on 127.0.0.1:80")]
        struct Plain(#[source] std::io::Error);
        let expected = "cannot listen on 127.0.0.1:80: Address already in use (os error 98)";
        let cases = [
            anyhow::Error::new(WithSource { source: os() }),
            anyhow::Error::new(Plain(os())).context("cannot listen on 127.0.0.1:80"),
            anyhow::Error::new(WithSource { source: os() }).context("cannot listen on 127.0.0.1:80"),
        ];
        for error in cases {
            assert_eq!(error_chain(&error), expected, "{error:#}");
        }
        let distinct = anyhow::Error::new(Plain(os())).context("cannot start the mock target");
        assert_eq!(
            error_chain(&distinct),
            "cannot start the mock target: cannot listen on 127.0.0.1:80: Address already in use (os error 98)"
        );
    }
}
