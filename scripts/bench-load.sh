#!/usr/bin/env bash
# Load benchmark: builds the release binary, starts `pens-conform serve target` (the
# reference target) on loopback, then runs `pens-conform load` against it for each
# concurrency, RUNS times each, printing every table and a summary line per run:
# cycles/s, receipt p50/p99, CPU time per cycle of the harness (GNU time) and of the
# target (/proc), peak resident memory (VmHWM) of both, and the most file descriptors
# each held open (both sampled every 0.2 s).
# `just bench-load [PUBLISHES] [CONCURRENCIES] [RUNS]` calls this; BENCHMARKS.md
# ("Load mode") records what it measured.
#
#   scripts/bench-load.sh                  # 20000 publishes at 16, 64 and 256, twice each
#   scripts/bench-load.sh 50000 "64" 3     # 50000 publishes at 64, three times
#   BENCH_LOAD_ARGS=--alerts scripts/bench-load.sh   # every collect asks for alerts too
#
# Everything stays on 127.0.0.1. The other builds and tests of the machine compete for
# the same cores: the load average is printed before each run, read the figures with it.
set -euo pipefail
cd "$(dirname "$0")/.."

publishes="${1:-20000}"
concurrencies="${2:-16 64 256}"
runs="${3:-2}"
# More `load` options for every run, e.g. BENCH_LOAD_ARGS=--alerts.
extra="${BENCH_LOAD_ARGS:-}"

cargo build --release -p pens-conform >&2
bin=target/release/pens-conform
out="$(mktemp -d "${TMPDIR:-/tmp}/pens-bench-load.XXXXXX")"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), open files $(ulimit -n)"

# The target writes its URL first; read it from a pipe that stays open (its later
# lines must not meet a closed pipe), with a deadline instead of a sleep.
# The target serves twice the highest concurrency in connections (at least its default
# 256), so that its own connection cap is not what a high concurrency measures.
# shellcheck disable=SC2086 # the list is split on purpose
highest=$(printf '%s\n' $concurrencies | sort -n | tail -n1)
connections=$((2 * highest + 16))
[ "$connections" -lt 256 ] && connections=256
exec 3< <(exec "$bin" serve target --listen 127.0.0.1:0 --http-only --connections "$connections")
target_pid=$!
trap 'kill "$target_pid" 2>/dev/null || true; rm -rf "$out"' EXIT
read -r -t 30 -u 3 first || { echo "serve target did not start" >&2; exit 3; }
url="${first#reference target listening: }"
echo "target: $url (pid $target_pid)"

# Prints the most descriptors process $1 held open, and its peak resident memory
# (VmHWM, KiB), sampled every 0.2 s until file $2 exists or the process is gone.
watch_process() {
    local pid="$1" stop="$2" most=0 hwm=0 now
    while [ ! -e "$stop" ] && [ -d "/proc/$pid" ]; do
        now=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
        [ "$now" -gt "$most" ] && most="$now"
        now=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        [ "${now:-0}" -gt "$hwm" ] && hwm="$now"
        sleep 0.2
    done
    echo "$most $hwm"
}

clock_ticks=$(getconf CLK_TCK)

# CPU time (user + system, in clock ticks) process $1 has used so far.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

summary=()
for concurrency in $concurrencies; do
    for run in $(seq 1 "$runs"); do
        tag="c${concurrency}-r${run}"
        echo
        echo "== $publishes publishes, concurrency $concurrency, run $run (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
        stop="$out/$tag.stop"
        target_cpu_before=$(cpu_ticks "$target_pid")
        watch_process "$target_pid" "$stop" >"$out/$tag.target" &
        target_watch=$!
        # GNU time measures the harness's CPU time; watch the harness itself (its child).
        # shellcheck disable=SC2086 # $extra is a list of options
        /usr/bin/time -f "%U %S" -o "$out/$tag.time" "$bin" load --url "$url" --publishes "$publishes" \
            --concurrency "$concurrency" --json "$out/$tag.json" $extra &
        time_pid=$!
        harness_pid=""
        for _ in $(seq 1 100); do
            harness_pid=$(pgrep -P "$time_pid" -n || true)
            [ -n "$harness_pid" ] && break
            sleep 0.05
        done
        watch_process "${harness_pid:-$time_pid}" "$stop" >"$out/$tag.harness" &
        harness_watch=$!
        status=0
        wait "$time_pid" || status=$?
        touch "$stop"
        wait "$target_watch" "$harness_watch"
        target_cpu=$(( $(cpu_ticks "$target_pid") - target_cpu_before ))
        read -r harness_fds harness_rss <"$out/$tag.harness"
        read -r target_fds target_rss <"$out/$tag.target"
        read -r user system <"$out/$tag.time"
        rate=$(grep -o '"throughput": [0-9.]*' "$out/$tag.json" | cut -d' ' -f2 | cut -d. -f1)
        p50=$(sed -n '/"receipt": {/,/}/p' "$out/$tag.json" | grep -o '"p50_us": [0-9]*' | cut -d' ' -f2)
        p99=$(sed -n '/"receipt": {/,/}/p' "$out/$tag.json" | grep -o '"p99_us": [0-9]*' | cut -d' ' -f2)
        rate="${rate:-0}" p50="${p50:-0}" p99="${p99:-0}"
        # CPU microseconds per cycle, each process: user + system time over the publishes.
        harness_us=$(awk -v u="$user" -v s="$system" -v n="$publishes" 'BEGIN { printf "%d", (u + s) * 1e6 / n }')
        target_us=$(awk -v t="$target_cpu" -v hz="$clock_ticks" -v n="$publishes" 'BEGIN { printf "%d", t / hz * 1e6 / n }')
        summary+=("$(printf '%9s %5s %3s %9s %10s %10s %8s %8s %11s %10s %9s %10s %4s' "$publishes" "$concurrency" \
            "$run" "$rate" "$((p50 / 1000))" "$((p99 / 1000))" "$harness_us" "$target_us" \
            "$((harness_rss / 1024))" "$((target_rss / 1024))" "$harness_fds" "$target_fds" "$status")")
    done
done

echo
echo "publishes     c run  cycles/s rcpt p50 ms rcpt p99 ms harn. µs targ. µs harness MiB target MiB harn. fds target fds exit"
printf '%s\n' "${summary[@]}"
echo "(µs: CPU time per cycle, user + system; MiB: peak resident memory, the target's since it started;"
echo " fds: the most open at a 0.2 s sample)"
