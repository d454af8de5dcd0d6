# Recipes mirror README.md and .ci/run; nothing requires `just`.

# The main job: the whole target suite against the built-in reference target.
run:
    cargo run -p pens-conform -- selftest

# The test command from README.md.
test:
    cargo test --workspace

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Everything CI runs.
ci:
    bash .ci/run

# Accept changed insta snapshots after reviewing them (needs cargo-insta).
snapshots:
    cargo insta review

# Build the fuzz targets (needs a nightly toolchain and cargo-fuzz); see fuzz/README.md.
fuzz-build:
    cd fuzz && cargo +nightly fuzz build

# Run every fuzz target in turn, SECONDS each (default 600), and print a table of
# executions, rates, corpus sizes and crashes (needs nightly and cargo-fuzz).
fuzz seconds="600" *targets="":
    fuzz/run-all.sh {{seconds}} {{targets}}

# Every benchmark but the load one: the micro-benchmarks, then the end-to-end table.
bench: bench-micro bench-e2e

# The criterion benchmarks: encode/decode/validate per message, scenario load, and the
# harness's overhead per scenario against the reference target (quiet window 0).
bench-micro:
    cargo bench -p pens-proto -p pens-scenario
    cargo bench -p pens-runner --bench overhead

# End to end: `selftest` RUNS times, then 1 GiB from `serve staging` over HTTP and HTTPS
# with curl, side by side with nginx when it is installed (BENCHMARKS.md).
bench-e2e runs="5":
    scripts/bench-e2e.sh {{runs}}

# The load benchmark: release build, `serve target`, then `load` of PUBLISHES cycles at
# each of CONCURRENCIES, RUNS times each; prints the tables and a summary (BENCHMARKS.md).
bench-load publishes="20000" concurrencies="16 64 256" runs="2":
    scripts/bench-load.sh {{publishes}} "{{concurrencies}}" {{runs}}
