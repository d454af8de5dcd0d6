//! Integration tests of pens-scenario: one binary, one submodule per concern.
//!
//! The submodules live in `tests/tests/` and are pulled in with `#[path]`, because a
//! crate root looks for its modules next to itself, and every `tests/*.rs` file would
//! otherwise become a test binary of its own.
//!
//! Golden folders: `tests/golden/ok/` holds files that must load, `tests/golden/rejected/`
//! files that must not, each with its expected diagnostics next to it as `<name>.snap`;
//! `tests/golden/client/{ok,rejected}/` the same for client scenarios.

// Helpers outside `#[test]` functions are not covered by clippy's allow-in-tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tests/support.rs"]
mod support;

#[path = "tests/client_golden.rs"]
mod client_golden;
#[path = "tests/client_rules.rs"]
mod client_rules;
#[path = "tests/golden_ok.rs"]
mod golden_ok;
#[path = "tests/golden_rejected.rs"]
mod golden_rejected;
#[path = "tests/graphical.rs"]
mod graphical;
#[path = "tests/never_panics.rs"]
mod never_panics;
#[path = "tests/rules.rs"]
mod rules;
#[path = "tests/schemas.rs"]
mod schemas;
#[path = "tests/templates.rs"]
mod templates;
