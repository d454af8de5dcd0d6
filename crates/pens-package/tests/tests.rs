//! Integration tests of pens-package: one binary, one submodule per concern.
//!
//! The submodules live in `tests/tests/` and are pulled in with `#[path]`, so that they
//! build as one test binary. Packages are the fixture folders zipped the way the
//! staging server zips them (`pens_parties::fixture_package`), archives built with the zip
//! crate, and hand-assembled archives (`support::RawZip`) for what no honest writer
//! produces: lying sizes, bad checksums, hostile names.

// Helpers outside `#[test]` functions are not covered by clippy's allow-in-tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tests/support.rs"]
mod support;

#[path = "tests/fixtures.rs"]
mod fixtures;
#[path = "tests/hostile.rs"]
mod hostile;
#[path = "tests/mismatches.rs"]
mod mismatches;
#[path = "tests/never_panics.rs"]
mod never_panics;
#[path = "tests/reader.rs"]
mod reader;
