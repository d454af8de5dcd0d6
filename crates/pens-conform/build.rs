//! Rebuilds pens-conform when a shipped scenario file or package fixture changes:
//! `include_dir!` embeds `scenarios/` and `fixtures/packages/` (see `src/shipped.rs`),
//! which lie outside this crate's folder, so cargo would not otherwise notice an edit
//! and the binary would carry a stale built-in set.

fn main() {
    // A folder: cargo scans everything under it for changes.
    println!("cargo::rerun-if-changed=../../scenarios");
    println!("cargo::rerun-if-changed=../../fixtures/packages");
}
