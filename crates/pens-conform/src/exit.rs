//! Exit codes, the contract with CI scripts. Documented in README.md and `--help`;
//! change them only with a note there.

/// Everything checked passed (warnings, notes and a baseline's expected failures allowed).
pub(crate) const SUCCESS: u8 = 0;
/// At least one `must` requirement is violated / one scenario failed that the baseline
/// does not expect, or an expected failure passed (without `--allow-improvements`).
pub(crate) const CHECK_FAILED: u8 = 1;
/// The command line or its input is wrong: bad flag, unreadable file, profile or
/// scenario-file or baseline error (also an expired baseline entry).
pub(crate) const USAGE: u8 = 2;
/// The harness itself failed, or the run could not complete.
pub(crate) const INCOMPLETE: u8 = 3;
