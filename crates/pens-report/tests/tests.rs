//! Integration tests of pens-report: one binary, one submodule per concern.
//!
//! The submodules live in `tests/tests/` and are pulled in with `#[path]`, so that they
//! do not each become a test binary of their own.

// Helpers outside `#[test]` functions are not covered by clippy's allow-in-tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tests/fixture.rs"]
mod fixture;
#[path = "tests/junit_schema.rs"]
mod junit_schema;
#[path = "tests/load_report_schema.rs"]
mod load_report_schema;
#[path = "tests/report_schema.rs"]
mod report_schema;
