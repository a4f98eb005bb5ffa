#!/usr/bin/env bash
# Where the gateway's CPU goes for one benchmark case (see README "Performance"): starts a demo directory,
# drives the case with wrk, records the gateway with perf (dwarf call graphs) and prints the split by area with the
# gateway's measured CPU per request.
#   scripts/profile.sh [CASE] [CONCURRENCY]    CASE: a script of scripts/bench (default get-by-id.lua), c=16
# Env: USERS (11000), SECONDS_PER_CASE (8), CONFIG (release). Needs perf (linux-perf) and wrk; root for perf.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/demo-users.sh
case_script=${1:-get-by-id.lua}; concurrency=${2:-16}
users=${USERS:-11000}; seconds=${SECONDS_PER_CASE:-8}; config=${CONFIG:-release}
[ -f "scripts/bench/$case_script" ] || { echo "profile: no scripts/bench/$case_script" >&2; exit 2; }
command -v perf >/dev/null || { echo "profile: perf is not installed (apt-get install linux-perf)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "profile: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
swift build -c "$config" --product scim-gateway >/dev/null
bin=$(swift build -c "$config" --show-bin-path)

work=$(mktemp -d); demo_pid=""
cleanup() { [ -n "$demo_pid" ] && { kill -TERM "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT
token="profile-$RANDOM$RANDOM"; admin_pw="admin-$RANDOM$RANDOM"
port=$((10000 + RANDOM % 10000)); ldap_port=$((port + 1))
"$bin/scim-gateway" demo --port "$port" --ldap-port "$ldap_port" --token "$token" --users "$users" \
  --ldap-admin-password "$admin_pw" --service-password "svc-$RANDOM$RANDOM" --pool-size 16 >"$work/demo.log" 2>&1 &
demo_pid=$!
demo_users "$port" "$ldap_port" "$admin_pw" "$work/demo.log" "$work/users" || exit 1
export IDS_FILE="$work/users.ids" UIDS_FILE="$work/users.uids" JOINERS_FILE="$work/users.ids" TOKEN="$token"

url="http://127.0.0.1:$port"
wrk -t 2 -c "$concurrency" -d 3s -s "scripts/bench/$case_script" "$url" >/dev/null 2>&1  # warm up
cpu() { awk '{print $14 + $15}' "/proc/$demo_pid/stat"; }
before=$(cpu)
wrk -t 2 -c "$concurrency" -d "$((seconds + 2))s" -s "scripts/bench/$case_script" "$url" >"$work/wrk.out" 2>&1 &
wrk_pid=$!
sleep 1
perf record -F 499 --call-graph dwarf,16384 -p "$demo_pid" -o "$work/perf.data" -- sleep "$seconds" >/dev/null 2>&1
wait "$wrk_pid"
after=$(cpu)
requests=$(awk '/requests in/ {print $1}' "$work/wrk.out")
per_request=$(awk -v t="$(getconf CLK_TCK)" -v a="$after" -v b="$before" -v n="$requests" 'BEGIN { printf "%.0f", (a - b) * 1000000 / t / n }')
echo "profile: $case_script at c=$concurrency, $(awk '/Requests\/sec/ {print $2}' "$work/wrk.out") req/s," \
  "$per_request µs of gateway CPU per request (perf's own cost included)"
perf script -i "$work/perf.data" -F tid,ip,sym 2>/dev/null >"$work/stacks.txt"
python3 scripts/lib/profile-buckets.py "$work/stacks.txt" "$per_request"
