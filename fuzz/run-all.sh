#!/usr/bin/env bash
# Runs every cargo-fuzz target in turn for SECONDS each (default 600) and prints a
# table of what each run did: executions, executions per second, corpus size, and the
# crashes it wrote. `just fuzz [SECONDS] [TARGET...]` calls this.
#
# Needs a nightly toolchain and cargo-fuzz (see README.md). Targets are built without
# a sanitizer (`-s none`): the crates forbid `unsafe`, and the executions are better
# spent on the parsers' own invariants. Each run starts from `corpus/<target>/` (which
# it grows) and reads `seeds/<target>/`; crashes land in `artifacts/<target>/`.
# The figures go to standard output and to `fuzz-figures.md` (ignored by git).
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-600}"
shift || true
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

cargo +nightly fuzz build -s none >/dev/null
figures="fuzz-figures.md"
{
    echo "| target | seconds | executions | exec/s | corpus | oom/timeout/crash | new crash files |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
} >"$figures"

for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    seeds=()
    [ -d "seeds/$target" ] && seeds=("seeds/$target")
    before=$(find "artifacts/$target" -name 'crash-*' | wc -l)
    log="artifacts/$target/last-run.log"
    # A crash stops libFuzzer; -fork keeps going past it so one run reports them all.
    set +e
    cargo +nightly fuzz run -s none "$target" "corpus/$target" "${seeds[@]}" -- \
        -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 >"$log" 2>&1
    set -e
    # With -fork the parent prints cumulative `#N ... exec/s: R` status lines.
    executions=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    rate=$(grep -oE 'exec/s: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
    faults=$(grep -oE 'oom/timeout/crash: [0-9/]+' "$log" | tail -1 | cut -d' ' -f2)
    corpus=$(find "corpus/$target" -type f | wc -l)
    after=$(find "artifacts/$target" -name 'crash-*' | wc -l)
    line="| $target | $seconds | ${executions:-?} | ${rate:-?} | $corpus | ${faults:-?} | $((after - before)) |"
    echo "$line" >>"$figures"
    echo "$line"
done
echo
cat "$figures"
