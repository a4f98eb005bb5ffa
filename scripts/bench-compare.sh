#!/usr/bin/env bash
# Two gateway builds measured at the same time on the same box (see README "Performance"): the box's speed wanders
# by half within a day, so a change worth a few percent shows only when both builds run under the same conditions.
# Starts one demo directory per binary, then runs wrk against both at once, round after round, and prints each
# build's throughput and CPU per request (from /proc) per round, and the medians.
#   scripts/bench-compare.sh OLD_BINARY NEW_BINARY [CASE] [CONCURRENCY]   CASE: a script of scripts/bench
#       (default get-by-id.lua; the cases reading ids or uids work), concurrency per build (default 16)
# Env: ROUNDS (5), SECONDS_PER_ROUND (4), USERS (11000). Keep a copy of the old binary before rebuilding, e.g.
#   cp .build/release/scim-gateway /tmp/old && (change, swift build -c release) && scripts/bench-compare.sh /tmp/old .build/release/scim-gateway
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/demo-users.sh
[ $# -ge 2 ] || { sed -n '2,9p' "$0" >&2; exit 2; }
old_bin=$(realpath "$1"); new_bin=$(realpath "$2")
case_script=${3:-get-by-id.lua}; concurrency=${4:-16}
rounds=${ROUNDS:-5}; seconds=${SECONDS_PER_ROUND:-4}; users=${USERS:-11000}
[ -x "$old_bin" ] && [ -x "$new_bin" ] || { echo "bench-compare: both binaries must be executable" >&2; exit 2; }
[ -f "scripts/bench/$case_script" ] || { echo "bench-compare: no scripts/bench/$case_script" >&2; exit 2; }
command -v wrk >/dev/null || { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq wrk >/dev/null; } ||
  { echo "bench-compare: wrk is missing (apt-get install wrk)" >&2; exit 2; }

work=$(mktemp -d); pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
token="compare-$RANDOM$RANDOM"; admin_pw="admin-$RANDOM$RANDOM"
base_port=$((20000 + RANDOM % 20000))

# start LABEL BINARY PORT: a demo directory served by BINARY; its pid goes to $work/LABEL.pid; `ready LABEL` waits
# for it and lists its ids and uids in $work/LABEL.ids and $work/LABEL.uids.
start() {
  local label=$1 bin=$2 port=$3
  "$bin" demo --port "$port" --ldap-port "$((port + 1))" --token "$token" --users "$users" \
    --ldap-admin-password "$admin_pw" --service-password "svc-$RANDOM$RANDOM" --pool-size 16 >"$work/$label.log" 2>&1 &
  pids+=($!)
  echo $! >"$work/$label.pid"
  echo "$port" >"$work/$label.port"
}
ready() {
  local port
  port=$(cat "$work/$1.port")
  demo_users "$port" "$((port + 1))" "$admin_pw" "$work/$1.log" "$work/$1" || exit 1
}
start old "$old_bin" "$base_port"
start new "$new_bin" "$((base_port + 10))"
ready old
ready new

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# run LABEL DURATION: wrk against LABEL's demo; prints "LABEL req/s µs-per-request".
run() {
  local label=$1 duration=$2 pid port before after requests rate
  pid=$(cat "$work/$label.pid"); port=$(cat "$work/$label.port")
  before=$(cpu_ticks "$pid")
  IDS_FILE="$work/$label.ids" UIDS_FILE="$work/$label.uids" JOINERS_FILE="$work/$label.ids" TOKEN="$token" \
    wrk -t 1 -c "$concurrency" -d "${duration}s" -s "scripts/bench/$case_script" "http://127.0.0.1:$port" >"$work/$label.wrk" 2>&1
  after=$(cpu_ticks "$pid")
  requests=$(awk '/requests in/ {print $1}' "$work/$label.wrk")
  rate=$(awk '/Requests\/sec/ {print $2}' "$work/$label.wrk")
  awk -v l="$label" -v t="$(getconf CLK_TCK)" -v a="$after" -v b="$before" -v n="$requests" -v r="$rate" \
    'BEGIN { printf "%s %.0f %.1f\n", l, r, (a - b) * 1000000 / t / n }'
}
run old 2 >/dev/null & warm=$!; run new 2 >/dev/null; wait "$warm"  # warm-up (a bare wait would wait for the demos)
echo "bench-compare: $case_script at c=$concurrency per build, $rounds rounds of ${seconds}s, both builds at once"
printf '%-6s %-5s %10s %14s\n' round build req/s "µs CPU/req"
for round in $(seq 1 "$rounds"); do
  run old "$seconds" >"$work/old.round" & other=$!
  run new "$seconds" >"$work/new.round"
  wait "$other"
  for label in old new; do
    read -r _ rate micros <"$work/$label.round"
    printf '%-6s %-5s %10s %14s\n' "$round" "$label" "$rate" "$micros"
    echo "$micros" >>"$work/$label.all"
  done
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
old_median=$(median "$work/old.all"); new_median=$(median "$work/new.all")
awk -v o="$old_median" -v n="$new_median" \
  'BEGIN { printf "median CPU per request: old %.1f µs, new %.1f µs (new/old %.3f)\n", o, n, n / o }'
