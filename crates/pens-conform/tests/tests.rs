//! Integration tests of the `pens-conform` binary: the real executable, run as a user
//! or CI script would run it.

mod cli;
