#!/usr/bin/env bash
# Gateway vs raw LDAP, side by side, on one throwaway slapd (see README "Performance").
#   scripts/bench.sh            # N=10000 users, release build, 3 interleaved rounds of 5 s per case
#   scripts/bench.sh --short    # CI: N=500, debug build, 1 round of 1 s (keeps the benchmark from rotting)
# Env: USERS, ROUNDS, SECONDS_PER_CASE, CONFIG (debug|release).
set -euo pipefail
cd "$(dirname "$0")/.."

users=${USERS:-10000}; rounds=${ROUNDS:-3}; seconds=${SECONDS_PER_CASE:-5}; config=${CONFIG:-release}
if [ "${1:-}" = "--short" ]; then users=${USERS:-500}; rounds=1; seconds=1; config=${CONFIG:-debug}; fi
scripts/install-deps.sh
command -v wrk >/dev/null || { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq wrk >/dev/null; }
swift build -c "$config" --product scim-gateway >/dev/null
swift build -c "$config" --product ldap-bench >/dev/null
bin=$(swift build -c "$config" --show-bin-path)

work=$(mktemp -d)
port=$((20000 + RANDOM % 20000)); ldap_port=$((port + 1))
token="bench-$RANDOM$RANDOM"; admin_pw="admin-$RANDOM$RANDOM"; service_pw="svc-$RANDOM$RANDOM"
printf '%s' "$service_pw" > "$work/service.pw"
"$bin/scim-gateway" demo --port "$port" --ldap-port "$ldap_port" --token "$token" --users "$users" \
  --ldap-admin-password "$admin_pw" --service-password "$service_pw" >"$work/demo.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done

ldapsearch -x -LLL -o ldif-wrap=no -H "ldap://127.0.0.1:$ldap_port" -D "cn=admin,dc=example,dc=org" -w "$admin_pw" \
  -b ou=people,dc=example,dc=org -E pr=1000/noprompt '(objectClass=inetOrgPerson)' entryUUID uid >"$work/users.ldif"
grep '^entryUUID: ' "$work/users.ldif" | cut -d' ' -f2 >"$work/ids"
grep '^uid: ' "$work/users.ldif" | cut -d' ' -f2 >"$work/uids"
export IDS_FILE="$work/ids" UIDS_FILE="$work/uids" TOKEN="$token"

raw() {  # name attribute keys concurrency
  "$bin/ldap-bench" --url "ldap://127.0.0.1:$ldap_port" --bind-dn "cn=scim-gateway,dc=example,dc=org" \
    --password-file "$work/service.pw" --base ou=people,dc=example,dc=org --attribute "$2" --keys "$3" \
    --concurrency "$4" --seconds "$seconds" --name "$1"
}
http() {  # name script concurrency
  local out rps p50 p99
  out=$(wrk -t "$(( $3 < 2 ? 1 : 2 ))" -c "$3" -d "${seconds}s" --latency -s "scripts/bench/$2" "http://127.0.0.1:$port" 2>&1)
  rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(printf '%s\n' "$out" | awk '$1=="50%" {print $2}')
  p99=$(printf '%s\n' "$out" | awk '$1=="99%" {print $2}')
  echo "$1 $rps $(to_ms "$p50") $(to_ms "$p99")"
}
to_ms() { case "$1" in *us) echo "${1%us}" | awk '{printf "%.3f", $1/1000}';; *ms) echo "${1%ms}";; *s) echo "${1%s}" | awk '{printf "%.3f", $1*1000}';; *) echo "?";; esac; }

results="$work/results"
for round in $(seq 1 "$rounds"); do
  for c in 1 16; do
    raw "raw-uuid-c$c" entryUUID "$work/ids" "$c" >>"$results"
    http "gw-get-id-c$c" get-by-id.lua "$c" >>"$results"
    raw "raw-uid-c$c" uid "$work/uids" "$c" >>"$results"
    http "gw-filter-username-c$c" filter-username.lua "$c" >>"$results"
    http "gw-post-user-c$c" post-user.lua "$c" >>"$results"
    START=$(( users / 2 )) http "gw-sorted-page-c$c" sorted-page.lua "$c" >>"$results"
  done
done

rss=$(ps -o rss= -p "$(pgrep -f "scim-gateway demo --port $port" | head -1)" 2>/dev/null || echo 0)
echo "users=$users rounds=$rounds seconds=$seconds build=$config gateway_rss_kb=$rss"
python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) < 4: continue
    try: rows.setdefault(parts[0], []).append(tuple(float(x) for x in parts[1:4]))
    except ValueError: rows.setdefault(parts[0], [])
def med(name, i):
    vals = [r[i] for r in rows.get(name, [])]
    return (statistics.median(vals), (max(vals) - min(vals)) if len(vals) > 1 else 0.0) if vals else (float("nan"), 0.0)
print(f"{'case':28} {'req/s':>9} {'±':>7} {'p50 ms':>8} {'p99 ms':>8} {'gw/raw':>7}")
for name in rows:
    rps, spread = med(name, 0)
    base = "raw-uuid" if "get-id" in name else ("raw-uid" if "filter-username" in name else None)
    ratio = ""
    if base:
        raw_rps, _ = med(base + name[name.rindex("-c"):], 0)
        ratio = f"{rps / raw_rps:.2f}" if raw_rps == raw_rps and raw_rps > 0 else ""
    print(f"{name:28} {rps:9.0f} {spread:7.0f} {med(name,1)[0]:8.3f} {med(name,2)[0]:8.3f} {ratio:>7}")
PY
