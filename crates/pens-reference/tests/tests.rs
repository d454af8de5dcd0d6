//! Integration tests of pens-reference: the reference target and client on real
//! sockets on port 0, against each other and the harness's own parties.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tests/reference_client.rs"]
mod reference_client;
#[path = "tests/reference_target.rs"]
mod reference_target;
#[path = "tests/reference_target_scripts.rs"]
mod reference_target_scripts;
#[path = "tests/support.rs"]
mod support;
