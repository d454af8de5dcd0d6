//! Exit codes, the contract with CI scripts. Documented in README.md; change them only
//! with a note there.

/// Everything checked passed (warnings and notes allowed).
pub(crate) const SUCCESS: u8 = 0;
/// At least one `must` requirement is violated.
pub(crate) const CHECK_FAILED: u8 = 1;
/// The command line or its input is wrong: bad flag, unreadable file, unknown topic.
pub(crate) const USAGE: u8 = 2;
