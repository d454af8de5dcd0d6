#!/usr/bin/env bash
# End-to-end benchmarks: builds the release binary, then
#   1. times a full `pens-conform selftest` RUNS times (wall and CPU time);
#   2. starts `pens-conform serve staging --size 1GiB` and downloads the package RUNS
#      times over HTTP and over HTTPS with curl (`-o /dev/null`), recording throughput,
#      the CPU time the staging process spent per GiB and its peak resident memory; and
#      the same from a second staging server serving those bytes as a file from disk
#      (`serve staging --package`), as it serves a user's fixture file;
#   3. when nginx is installed, serves the very same bytes with nginx (sendfile, TLS 1.3,
#      the same cipher) and downloads them the same way, interleaved with step 2's runs,
#      so that both servers meet the same load.
# It ends with a table of medians, staging against nginx, and the targets of BENCHMARKS.md
# ("End-to-end: selftest", "Staging throughput, 1 GiB"), which records what it measured.
#
#   scripts/bench-e2e.sh              # 5 runs of each
#   scripts/bench-e2e.sh 3            # 3 runs of each
#   BENCH_SIZE=256MiB scripts/bench-e2e.sh 2   # a smaller package, for a quick look
#
# nginx is optional (Debian package `nginx`: `apt-get install nginx`); it runs as the
# current user from a temporary folder, never touching /var or /etc, and is stopped on
# exit. Everything stays on 127.0.0.1. Other builds on the machine compete for the same
# cores: read the throughput with the load average, and the CPU time per GiB, which
# hardly depends on it.
set -euo pipefail
cd "$(dirname "$0")/.."

runs="${1:-5}"
size="${BENCH_SIZE:-1GiB}"
# The one TLS 1.3 cipher both servers are held to: rustls (ring) and OpenSSL both offer
# it, and by default curl would pick AES-256-GCM from each.
cipher=TLS_AES_128_GCM_SHA256

cargo build --release -p pens-conform >&2
bin=target/release/pens-conform
tmp="$(mktemp -d "${TMPDIR:-/tmp}/pens-bench-e2e.XXXXXX")"
staging_pid=""
disk_pid=""
nginx_pid=""
cleanup() {
    if [ -n "$staging_pid" ]; then kill "$staging_pid" 2>/dev/null || true; fi
    if [ -n "$disk_pid" ]; then kill "$disk_pid" 2>/dev/null || true; fi
    if [ -n "$nginx_pid" ]; then
        kill -QUIT "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

clock_ticks=$(getconf CLK_TCK)
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "load average before: $load_before"

# The median of the numbers given as arguments.
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# "min / median / max" of the numbers given as arguments, with format $1.
spread() {
    local format="$1"
    shift
    local sorted
    sorted="$(printf '%s\n' "$@" | sort -g)"
    # shellcheck disable=SC2059 # the format is the caller's
    printf "$format / $format / $format" "$(head -n1 <<<"$sorted")" "$(median "$@")" "$(tail -n1 <<<"$sorted")"
}

# CPU time (user + system, clock ticks) of the processes given.
cpu_ticks() {
    local total=0 pid
    for pid in "$@"; do
        total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
    done
    echo "$total"
}

# Peak resident memory (VmHWM, KiB) of the processes given, added up.
peak_kib() {
    local total=0 pid
    for pid in "$@"; do
        total=$((total + $(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")))
    done
    echo "$total"
}

# --- 1. selftest -----------------------------------------------------------------------
echo
echo "== selftest, $runs runs (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
selftest_wall=()
selftest_cpu=()
for i in $(seq 1 "$runs"); do
    status=0
    /usr/bin/time -f "%e %U %S" -o "$tmp/selftest-$i.time" \
        "$bin" selftest --report-dir "$tmp/selftest-$i" >"$tmp/selftest-$i.out" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        tail -n 20 "$tmp/selftest-$i.out" >&2
        echo "selftest run $i exited $status: its time would mean nothing" >&2
        exit 1
    fi
    read -r wall user system <"$tmp/selftest-$i.time"
    selftest_wall+=("$wall")
    selftest_cpu+=("$(awk -v u="$user" -v s="$system" 'BEGIN { printf "%.2f", u + s }')")
    echo "run $i: ${wall} s wall, ${selftest_cpu[-1]} s CPU (user + system)"
done
echo "selftest wall s (min / median / max): $(spread %s "${selftest_wall[@]}")"

# --- 2. serve staging ------------------------------------------------------------------
echo
echo "== staging $size over HTTP and HTTPS, $runs runs each"
# Its lines are read from a pipe that stays open, with a deadline instead of a sleep.
exec 3< <(exec "$bin" serve staging --size "$size" --ca-dir "$tmp/ca")
staging_pid=$!
http_url="" https_url="" bytes=""
while read -r -t 30 -u 3 label value rest; do
    case "$label" in
        http) http_url="$value" ;;
        https) https_url="$value" ;;
        size) bytes="$value" ;;
        press) break ;;
    esac
done
if [ -z "$http_url" ] || [ -z "$https_url" ] || [ -z "$bytes" ]; then
    echo "serve staging did not print its URLs and size" >&2
    exit 3
fi
echo "staging: pid $staging_pid, $http_url, $https_url, $bytes bytes"
staging_pids=("$staging_pid")

# The very bytes the staging server generates, as a file: nginx serves it, and so does a
# second staging server, from disk (`serve staging --package`), as it serves a fixture
# file of a user's.
mkdir -p "$tmp/www"
curl -sS --noproxy '*' -o "$tmp/www/pkg.zip" "$http_url"
[ "$(stat -c %s "$tmp/www/pkg.zip")" -eq "$bytes" ] || { echo "the staged package is not $bytes bytes" >&2; exit 1; }
exec 4< <(exec "$bin" serve staging --packages "$tmp/www" --package pkg.zip --ca-dir "$tmp/ca")
disk_pid=$!
disk_http="" disk_https=""
while read -r -t 30 -u 4 label value rest; do
    case "$label" in
        http) disk_http="$value" ;;
        https) disk_https="$value" ;;
        press) break ;;
    esac
done
if [ -z "$disk_http" ] || [ -z "$disk_https" ]; then
    echo "serve staging --package did not print its URLs" >&2
    exit 3
fi
echo "staging from disk: pid $disk_pid, $disk_http, $disk_https"

# --- 3. nginx, when installed ----------------------------------------------------------
# A free port on 127.0.0.1 (nothing answers a connection to it), chosen at random.
free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 9<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
}

nginx_pids=()
if command -v nginx >/dev/null; then
    mkdir -p "$tmp/nginx-temp"
    # The same kind of key as the staging certificate's (rcgen: ECDSA P-256).
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1" -keyout "$tmp/nginx-key.pem" -out "$tmp/nginx-cert.pem" 2>/dev/null
    nginx_http_port=$(free_port)
    nginx_https_port=$(free_port)
    # Run by root, nginx would hand its workers to `nobody`, who cannot read $tmp.
    user_line=""
    [ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
    cat >"$tmp/nginx.conf" <<EOF
$user_line
worker_processes auto;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    default_type application/zip;
    client_body_temp_path $tmp/nginx-temp/body;
    proxy_temp_path $tmp/nginx-temp/proxy;
    fastcgi_temp_path $tmp/nginx-temp/fastcgi;
    uwsgi_temp_path $tmp/nginx-temp/uwsgi;
    scgi_temp_path $tmp/nginx-temp/scgi;
    server {
        listen 127.0.0.1:$nginx_http_port;
        listen 127.0.0.1:$nginx_https_port ssl;
        ssl_certificate $tmp/nginx-cert.pem;
        ssl_certificate_key $tmp/nginx-key.pem;
        ssl_protocols TLSv1.3;
        root $tmp/www;
    }
}
EOF
    nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/nginx-error.log" &
    nginx_pid=$!
    nginx_http="http://127.0.0.1:$nginx_http_port/pkg.zip"
    nginx_https="https://127.0.0.1:$nginx_https_port/pkg.zip"
    for _ in $(seq 1 100); do
        curl -sS --noproxy '*' -o /dev/null -r 0-0 "$nginx_http" 2>/dev/null && break
        kill -0 "$nginx_pid" 2>/dev/null || { cat "$tmp/nginx-error.log" >&2; echo "nginx did not start" >&2; exit 3; }
        sleep 0.1
    done
    mapfile -t workers < <(pgrep -P "$nginx_pid")
    nginx_pids=("$nginx_pid" "${workers[@]}")
    echo "nginx $(nginx -v 2>&1 | cut -d/ -f2): pid $nginx_pid and ${#workers[@]} workers, $nginx_http, $nginx_https"
else
    echo "nginx not installed: apt-get install nginx (Debian package nginx); staging is measured alone"
fi

# Downloads $2 once with curl ($1: the CA file for HTTPS, or "-"), checks the size, and
# prints "MB/s curl-CPU-seconds".
fetch() {
    local cacert="$1" url="$2" tls=() out
    [ "$cacert" != "-" ] && tls=(--cacert "$cacert" --tlsv1.3 --tls13-ciphers "$cipher")
    out="$(/usr/bin/time -f "%U %S" -o "$tmp/curl.time" \
        curl -sS --noproxy '*' "${tls[@]}" -o /dev/null -w '%{size_download} %{time_total} %{speed_download}' "$url")"
    read -r got _ speed <<<"$out"
    if [ "$got" -ne "$bytes" ]; then
        echo "$url: downloaded $got bytes, not $bytes" >&2
        exit 1
    fi
    read -r user system <"$tmp/curl.time"
    awk -v s="$speed" -v u="$user" -v y="$system" 'BEGIN { printf "%.0f %.2f\n", s / 1e6, u + y }'
}

# The cipher each server really agreed to, from one verbose warm-up download.
negotiated() {
    curl -sS -v --noproxy '*' --cacert "$1" --tlsv1.3 --tls13-ciphers "$cipher" -o /dev/null "$2" 2>&1 |
        sed -n 's/.*SSL connection using \(.*\)$/\1/p' | head -n1
}

echo "warming up (one unmeasured download of each)"
echo "staging TLS: $(negotiated "$tmp/ca/ca.pem" "$https_url")"
fetch - "$http_url" >/dev/null
fetch - "$disk_http" >/dev/null
if [ -n "$nginx_pid" ]; then
    echo "nginx TLS:   $(negotiated "$tmp/nginx-cert.pem" "$nginx_https")"
    fetch - "$nginx_http" >/dev/null
fi

declare -A speeds cpu client
# One measured download of $4 by server $1 over $2 (CA $3); its CPU time is that of
# the server's processes ($5...) between before and after.
measure() {
    local server="$1" proto="$2" cacert="$3" url="$4" before after result mbs curl_cpu ticks key
    shift 4
    before=$(cpu_ticks "$@")
    result="$(fetch "$cacert" "$url")"
    after=$(cpu_ticks "$@")
    read -r mbs curl_cpu <<<"$result"
    ticks=$((after - before))
    key="$server-$proto"
    speeds[$key]+=" $mbs"
    cpu[$key]+=" $(awk -v t="$ticks" -v hz="$clock_ticks" -v b="$bytes" 'BEGIN { printf "%.2f", t / hz / (b / 1073741824) }')"
    client[$key]+=" $(awk -v c="$curl_cpu" -v b="$bytes" 'BEGIN { printf "%.2f", c / (b / 1073741824) }')"
    printf '%-8s %-5s %6s MB/s   server CPU %5s s/GiB   curl CPU %5s s/GiB\n' "$server" "$proto" "$mbs" \
        "${cpu[$key]##* }" "${client[$key]##* }"
}

for i in $(seq 1 "$runs"); do
    echo "-- run $i (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
    measure staging http - "$http_url" "${staging_pids[@]}"
    measure disk http - "$disk_http" "$disk_pid"
    if [ -n "$nginx_pid" ]; then
        measure nginx http - "$nginx_http" "${nginx_pids[@]}"
    fi
    measure staging https "$tmp/ca/ca.pem" "$https_url" "${staging_pids[@]}"
    measure disk https "$tmp/ca/ca.pem" "$disk_https" "$disk_pid"
    if [ -n "$nginx_pid" ]; then
        measure nginx https "$tmp/nginx-cert.pem" "$nginx_https" "${nginx_pids[@]}"
    fi
done

staging_peak=$(peak_kib "${staging_pids[@]}")
disk_peak=$(peak_kib "$disk_pid")
nginx_peak=""
[ -n "$nginx_pid" ] && nginx_peak=$(peak_kib "${nginx_pids[@]}")
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- the table -------------------------------------------------------------------------
# The median of a space-separated list.
med() {
    # shellcheck disable=SC2086 # the list is split on purpose
    median $1
}
# "s / n" to two places, or "-" without nginx.
ratio() {
    [ -z "$2" ] && { echo "-"; return; }
    awk -v s="$1" -v n="$2" 'BEGIN { printf "%.2f", s / n }'
}
row() {
    printf '| %-34s | %10s | %10s | %6s | %-9s |\n' "$@"
}

s_http=$(med "${speeds[staging-http]}")
s_https=$(med "${speeds[staging-https]}")
n_http="" n_https="" n_http_cpu="" n_https_cpu="" n_http_client="" n_https_client="" n_peak_mib=""
if [ -n "$nginx_pid" ]; then
    n_http=$(med "${speeds[nginx-http]}")
    n_https=$(med "${speeds[nginx-https]}")
    n_http_cpu=$(med "${cpu[nginx-http]}")
    n_https_cpu=$(med "${cpu[nginx-https]}")
    n_http_client=$(med "${client[nginx-http]}")
    n_https_client=$(med "${client[nginx-https]}")
    n_peak_mib=$(awk -v k="$nginx_peak" 'BEGIN { printf "%.1f", k / 1024 }')
fi
s_peak_mib=$(awk -v k="$staging_peak" 'BEGIN { printf "%.1f", k / 1024 }')
d_http=$(med "${speeds[disk-http]}")
d_https=$(med "${speeds[disk-https]}")
d_peak_mib=$(awk -v k="$disk_peak" 'BEGIN { printf "%.1f", k / 1024 }')

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load average before $load_before, after $load_after"
echo "medians of $runs runs; $size ($bytes bytes) through curl -o /dev/null; TLS 1.3 $cipher; MB/s = 10^6 bytes/s"
echo
row "what" "staging" "nginx" "ratio" "target"
row "---" "---:" "---:" "---:" "---"
row "selftest wall s" "$(median "${selftest_wall[@]}")" "" "" "< 3 s"
row "selftest CPU s, user + system" "$(median "${selftest_cpu[@]}")" "" "" ""
row "HTTP MB/s" "$s_http" "$n_http" "$(ratio "$s_http" "$n_http")" ">= 0.9x"
row "HTTPS MB/s" "$s_https" "$n_https" "$(ratio "$s_https" "$n_https")" ">= 0.8x"
row "peak RSS MiB (VmHWM; nginx: all)" "$s_peak_mib" "$n_peak_mib" "" "< 32 MiB"
row "HTTP MB/s, file from disk" "$d_http" "$n_http" "$(ratio "$d_http" "$n_http")" ">= 0.9x"
row "HTTPS MB/s, file from disk" "$d_https" "$n_https" "$(ratio "$d_https" "$n_https")" ">= 0.8x"
row "peak RSS MiB, file from disk" "$d_peak_mib" "$n_peak_mib" "" "< 32 MiB"
row "server CPU s per GiB, HTTP" "$(med "${cpu[staging-http]}")" "$n_http_cpu" "" ""
row "server CPU s per GiB, HTTPS" "$(med "${cpu[staging-https]}")" "$n_https_cpu" "" ""
row "server CPU s per GiB, HTTP, disk" "$(med "${cpu[disk-http]}")" "$n_http_cpu" "" ""
row "server CPU s per GiB, HTTPS, disk" "$(med "${cpu[disk-https]}")" "$n_https_cpu" "" ""
row "curl CPU s per GiB, HTTP" "$(med "${client[staging-http]}")" "$n_http_client" "" ""
row "curl CPU s per GiB, HTTPS" "$(med "${client[staging-https]}")" "$n_https_client" "" ""
if [ -z "$nginx_pid" ]; then
    echo "(no nginx column: apt-get install nginx, Debian package nginx)"
fi
