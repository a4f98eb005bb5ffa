#!/usr/bin/env bash
# The same answers at 1,000,000 users (README "Performance", scale): two demo directories up at once, SMALL (11,000)
# and BIG (1,000,000) users, measured in interleaved rounds: GET by id and `userName eq` at c=16 on both; on BIG a
# sorted window at startIndex BIG/2 against slapd's own sorted search, and a 100,000-member group against the
# 10-member one (member add/remove, GET with excludedAttributes=members); the demo's load time; the RSS of a
# separate `scim-gateway serve` on each directory.
#   scripts/bench-scale.sh          # release build, 2 rounds of 5 s per case (about 12 minutes)
#   scripts/bench-scale.sh --short  # CI: 300 and 3,000 users, a 1,000-member group, debug build, 1 round of 1 s
# Env: SMALL_USERS, BIG_USERS, BIG_GROUP (members), ROUNDS, SECONDS_PER_CASE, CONFIG (debug|release).
set -euo pipefail
cd "$(dirname "$0")/.."

small=${SMALL_USERS:-11000}; big=${BIG_USERS:-1000000}; big_group=${BIG_GROUP:-100000}
rounds=${ROUNDS:-2}; seconds=${SECONDS_PER_CASE:-5}; config=${CONFIG:-release}
if [ "${1:-}" = "--short" ]; then
  small=${SMALL_USERS:-300}; big=${BIG_USERS:-3000}; big_group=${BIG_GROUP:-1000}; rounds=1; seconds=1; config=${CONFIG:-debug}
fi
scripts/install-deps.sh
command -v wrk >/dev/null || { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq wrk >/dev/null; } ||
  { echo "scale: wrk is missing (apt-get install wrk)" >&2; exit 1; }
swift build -c "$config" --product scim-gateway >/dev/null
swift build -c "$config" --product ldap-bench >/dev/null
bin=$(swift build -c "$config" --show-bin-path)

work=$(mktemp -d)
pids=()
cleanup() {
  # `serve` runs inside $(…), so its pid is in a file rather than in pids (scripts/lib/bench-serve.sh).
  [ -f "$work/serve.pid" ] && kill -TERM "$(cat "$work/serve.pid")" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
token="scale-$RANDOM$RANDOM"; admin_pw="admin-$RANDOM$RANDOM"; service_pw="svc-$RANDOM$RANDOM"
printf '%s' "$service_pw" >"$work/service.pw"
export TOKEN="$token"
declare -A port ldap_port

start_demo() {  # name users
  local p=$((20000 + RANDOM % 10000)) t0 t1
  port[$1]=$p; ldap_port[$1]=$((p + 1))
  t0=$(date +%s.%N)
  "$bin/scim-gateway" demo --port "$p" --ldap-port "$((p + 1))" --token "$token" --users "$2" \
    --ldap-admin-password "$admin_pw" --service-password "$service_pw" --pool-size 16 >"$work/demo-$1.log" 2>&1 &
  local demo=$!; pids+=("$demo")
  for _ in $(seq 1 3000); do
    curl -sf "http://127.0.0.1:$p/readyz" >/dev/null && break
    kill -0 "$demo" 2>/dev/null || break  # the demo stopped (its log says why)
    sleep 0.1
  done
  t1=$(date +%s.%N)
  curl -sf "http://127.0.0.1:$p/readyz" >/dev/null || { echo "scale: the $1 demo did not start" >&2; cat "$work/demo-$1.log" >&2; exit 1; }
  echo "$1: $2 users, demo ready in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s"
  ldapsearch -x -LLL -o ldif-wrap=no -H "ldap://127.0.0.1:$((p + 1))" -D "cn=admin,dc=example,dc=org" -w "$admin_pw" \
    -b ou=people,dc=example,dc=org -E pr=5000/noprompt '(objectClass=inetOrgPerson)' entryUUID uid >"$work/users-$1.ldif"
  awk -v ids="$work/ids-$1" -v uids="$work/uids-$1" -v joiners="$work/joiners-$1" -v dns="$work/joiner-dns-$1" -v n="$big_group" '
    /^dn: / {dn = substr($0, 5)} /^entryUUID: / {id = $2}
    /^uid: / {u = $2; print id > ids; print u > uids; if (substr(u, 5) + 0 > n) {print id > joiners; print dn > dns}}' \
    "$work/users-$1.ldif"
}
ldap_big() { ldapsearch -x -LLL -o ldif-wrap=no -H "ldap://127.0.0.1:${ldap_port[big]}" -D "cn=admin,dc=example,dc=org" -w "$admin_pw" "$@"; }
to_ms() { case "$1" in *us) echo "${1%us}" | awk '{printf "%.3f", $1/1000}';; *ms) echo "${1%ms}";; *s) echo "${1%s}" | awk '{printf "%.3f", $1*1000}';; *) echo "?";; esac; }
http() {  # label size script concurrency
  local out rps p50 p99 threads=$(($4 < 2 ? 1 : 2))
  out=$(wrk -t "$threads" -c "$4" -d "${seconds}s" --timeout 60s --latency -s "scripts/bench/$3" "http://127.0.0.1:${port[$2]}" 2>&1)
  rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(printf '%s\n' "$out" | awk '$1=="50%" {print $2}'); p99=$(printf '%s\n' "$out" | awk '$1=="99%" {print $2}')
  if printf '%s\n' "$out" | grep -q 'Non-2xx'; then echo "scale: $1 had non-2xx answers" >&2; fi
  echo "$1 $rps $(to_ms "$p50") $(to_ms "$p99")"
}
raw() {  # label mode attribute keys concurrency [extra args...]: ldap-bench against the big directory
  local label=$1 mode=$2 attribute=$3 keys=$4 c=$5; shift 5
  "$bin/ldap-bench" --url "ldap://127.0.0.1:${ldap_port[big]}" --bind-dn "cn=scim-gateway,dc=example,dc=org" \
    --password-file "$work/service.pw" --base "${RAW_BASE:-ou=people,dc=example,dc=org}" --attribute "$attribute" --keys "$keys" \
    --concurrency "$c" --seconds "$seconds" --name "$label" --mode "$mode" "$@" | awk '{print $1, $2, $3, $4}'
}
raw_sorted() {  # label offset
  "$bin/ldap-bench" --url "ldap://127.0.0.1:${ldap_port[big]}" --bind-dn "cn=scim-gateway,dc=example,dc=org" \
    --password-file "$work/service.pw" --base ou=people,dc=example,dc=org --attribute uid --keys "$work/uids-big" \
    --concurrency 1 --seconds "$seconds" --name "$1" --mode sorted --offset "$2" --count 100 | awk '{print $1, $2, $3, $4}'
}

start_demo small "$small"
start_demo big "$big"
# The big group: users 1…BIG_GROUP as members, added as one entry (the memberof overlay writes each member's memberOf).
t0=$(date +%s.%N)
{ printf 'dn: cn=Big,ou=groups,dc=example,dc=org\nobjectClass: top\nobjectClass: groupOfNames\nobjectClass: scimGroup\ncn: Big\n'
  awk -v n="$big_group" 'BEGIN {for (i = 1; i <= n; i++) printf "member: uid=user%05d,ou=people,dc=example,dc=org\n", i}'; } |
  ldapadd -x -H "ldap://127.0.0.1:${ldap_port[big]}" -D "cn=admin,dc=example,dc=org" -w "$admin_pw" >/dev/null
echo "big: a $big_group-member group added in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
group_id() { ldap_big -b "cn=$1,ou=groups,dc=example,dc=org" -s base entryUUID | awk '/^entryUUID: /{print $2}'; }
big_group_id=$(group_id Big); small_group_id=$(group_id Engineering)
echo "$big_group_id" >"$work/big-group-id"; echo "$small_group_id" >"$work/small-group-id"
# What the gateway reads of a group for excludedAttributes=members: everything but the member attribute.
group_attributes="cn,entryUUID,entryCSN,createTimestamp,modifyTimestamp,scimExternalId,memberOf,objectClass"

results="$work/results"
half=$((big / 2))
for round in $(seq 1 "$rounds"); do
  for size in small big; do
    IDS_FILE="$work/ids-$size" http "get-id-$size" "$size" get-by-id.lua 16 >>"$results"
    UIDS_FILE="$work/uids-$size" http "filter-username-$size" "$size" filter-username.lua 16 >>"$results"
  done
  START=$half http "sorted-window-big" big sorted-page.lua 1 >>"$results"
  raw_sorted "raw-sorted-window-big" "$half" >>"$results"
  JOINERS_FILE="$work/joiners-big" GROUP_ID=$big_group_id http "patch-group-$big_group" big patch-group.lua 1 >>"$results"
  raw "raw-member-$big_group" member member "$work/joiner-dns-big" 1 --group "cn=Big,ou=groups,dc=example,dc=org" >>"$results"
  JOINERS_FILE="$work/joiners-big" GROUP_ID=$small_group_id http "patch-group-10" big patch-group.lua 1 >>"$results"
  raw "raw-member-10" member member "$work/joiner-dns-big" 1 --group "cn=Engineering,ou=groups,dc=example,dc=org" >>"$results"
  GROUP_ID=$big_group_id http "get-group-$big_group" big get-group.lua 16 >>"$results"
  RAW_BASE=ou=groups,dc=example,dc=org raw "raw-get-group-$big_group" search entryUUID "$work/big-group-id" 16 --attributes "$group_attributes" >>"$results"
  GROUP_ID=$small_group_id http "get-group-10" big get-group.lua 16 >>"$results"
  RAW_BASE=ou=groups,dc=example,dc=org raw "raw-get-group-10" search entryUUID "$work/small-group-id" 16 --attributes "$group_attributes" >>"$results"
done

# The gateway's own memory on each directory (scripts/lib/bench-serve.sh), after GETs and a sorted window.
. scripts/lib/bench-serve.sh
serve_rss_kb() { bench_serve_rss "$bin" "$work" "${ldap_port[$1]}" "$token" "$work/ids-$1" "$(($2 / 2))" 1; }
echo "gateway RSS (a separate serve): $small users $(serve_rss_kb small "$small") KB, $big users $(serve_rss_kb big "$big") KB"

python3 - "$results" "$big_group" "$big" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    p = line.split()
    try: rows.setdefault(p[0], []).append(tuple(float(x) for x in p[1:4]))
    except (ValueError, IndexError): pass
def med(name, i=0):
    v = [r[i] for r in rows.get(name, [])]
    return statistics.median(v) if v else float("nan")
print(f"{'case':26} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9}  (medians of {max(len(v) for v in rows.values())} rounds)")
for name in rows: print(f"{name:26} {med(name):9.1f} {med(name, 1):9.3f} {med(name, 2):9.3f}")
for case in ("get-id", "filter-username"):
    s, b = med(case + "-small"), med(case + "-big")
    print(f"{case}: {int(sys.argv[3]):,}-user throughput {b / s:.2f} x the small directory's")
print(f"sorted window at the middle: gateway {med('sorted-window-big', 1):.0f} ms vs slapd {med('raw-sorted-window-big', 1):.0f} ms p50,"
      f" ratio {med('sorted-window-big', 1) / med('raw-sorted-window-big', 1):.2f}")
n = sys.argv[2]
big_added = med('patch-group-' + n, 1) - med('raw-member-' + n, 1)
small_added = med('patch-group-10', 1) - med('raw-member-10', 1)
print(f"member add/remove, {n}-member group vs 10-member group: p50 {med('patch-group-' + n, 1):.2f} vs {med('patch-group-10', 1):.2f} ms"
      f" (ratio {med('patch-group-' + n, 1) / med('patch-group-10', 1):.2f}); slapd's own modify {med('raw-member-' + n, 1):.2f} vs"
      f" {med('raw-member-10', 1):.2f} ms; the gateway's added cost {big_added:.2f} vs {small_added:.2f} ms, ratio {big_added / small_added:.2f}")
print(f"GET group excludedAttributes=members, {n}-member vs 10-member: {med('get-group-' + n):.0f} vs {med('get-group-10'):.0f} req/s"
      f" (ratio {med('get-group-' + n) / med('get-group-10'):.2f}); slapd's own read of the same attributes"
      f" {med('raw-get-group-' + n):.0f} vs {med('raw-get-group-10'):.0f} req/s")
PY
