//! Integration tests of pens-parties: real sockets on port 0, one submodule per party.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tests/client.rs"]
mod client;
#[path = "tests/collector.rs"]
mod collector;
#[path = "tests/ftp_passive.rs"]
mod ftp_passive;
#[path = "tests/ftp_staging.rs"]
mod ftp_staging;
#[path = "tests/limits.rs"]
mod limits;
#[path = "tests/mail_sink.rs"]
mod mail_sink;
#[path = "tests/refused_collects.rs"]
mod refused_collects;
#[path = "tests/staging.rs"]
mod staging;
#[path = "tests/support.rs"]
mod support;
