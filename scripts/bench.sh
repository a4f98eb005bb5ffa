#!/usr/bin/env bash
# Gateway vs raw LDAP, side by side, on one throwaway slapd (see README "Performance").
#   scripts/bench.sh            # N=11,000 users (10,000 in the big group, 1,000 free to join), release build,
#                               # 3 interleaved rounds of 5 s per case, then the gateway's RSS with 100,000 users
#   scripts/bench.sh --short    # CI: N=600, debug build, 1 round of 1 s (keeps the benchmark from rotting)
# Env: USERS, ROUNDS, SECONDS_PER_CASE, CONFIG (debug|release), RSS_USERS (0 skips the 100k RSS run).
set -euo pipefail
cd "$(dirname "$0")/.."

users=${USERS:-11000}; rounds=${ROUNDS:-3}; seconds=${SECONDS_PER_CASE:-5}; config=${CONFIG:-release}
rss_users=${RSS_USERS:-100000}
if [ "${1:-}" = "--short" ]; then users=${USERS:-600}; rounds=1; seconds=1; config=${CONFIG:-debug}; rss_users=0; fi
scripts/install-deps.sh
command -v wrk >/dev/null || { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq wrk >/dev/null; }
swift build -c "$config" --product scim-gateway >/dev/null
swift build -c "$config" --product ldap-bench >/dev/null
bin=$(swift build -c "$config" --show-bin-path)

work=$(mktemp -d)
pids=()
cleanup() {
  [ -f "$work/serve.pid" ] && kill -TERM "$(cat "$work/serve.pid")" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
token="bench-$RANDOM$RANDOM"; admin_pw="admin-$RANDOM$RANDOM"; service_pw="svc-$RANDOM$RANDOM"
printf '%s' "$service_pw" > "$work/service.pw"

start_demo() {  # users -> sets port, ldap_port, demo_pid
  port=$((20000 + RANDOM % 10000)); ldap_port=$((port + 1))
  "$bin/scim-gateway" demo --port "$port" --ldap-port "$ldap_port" --token "$token" --users "$1" \
    --ldap-admin-password "$admin_pw" --service-password "$service_pw" --pool-size 16 >"$work/demo-$1.log" 2>&1 &
  demo_pid=$!; pids+=("$demo_pid")
  for _ in $(seq 1 900); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return 0; sleep 0.2; done
  echo "bench: the demo did not start" >&2; cat "$work/demo-$1.log" >&2; exit 1
}

start_demo "$users"
ldap() { ldapsearch -x -LLL -o ldif-wrap=no -H "ldap://127.0.0.1:$ldap_port" -D "cn=admin,dc=example,dc=org" -w "$admin_pw" "$@"; }
ldap -b ou=people,dc=example,dc=org -E pr=1000/noprompt '(objectClass=inetOrgPerson)' entryUUID uid >"$work/users.ldif"
grep '^entryUUID: ' "$work/users.ldif" | cut -d' ' -f2 >"$work/ids"
grep '^uid: ' "$work/users.ldif" | cut -d' ' -f2 >"$work/uids"
# Users outside the big group (it holds the first 10,000) join and leave groups in the PATCH cases.
awk '/^dn: /{dn=substr($0,5)} /^entryUUID: /{id=$2} /^uid: /{u=$2; n=substr(u,5)+0; if (n>10000 || n>'"$users"'-100) {print id > "'"$work"'/joiner-ids"; print dn > "'"$work"'/joiner-dns"}}' "$work/users.ldif"
group_id() { ldap -b "cn=$1,ou=groups,dc=example,dc=org" -s base entryUUID | awk '/^entryUUID: /{print $2}'; }
big_id=$(group_id Everyone); small_id=$(group_id Engineering)
# With fewer than 10,100 users (--short) the joiners start out in the big group: take them out, so they can join.
ldap -b "cn=Everyone,ou=groups,dc=example,dc=org" -s base member | sed -n 's/^member: //p' | tr 'A-Z' 'a-z' >"$work/big-members"
if [ -n "$(tr 'A-Z' 'a-z' <"$work/joiner-dns" | grep -Fxf "$work/big-members" | head -1)" ]; then
  { echo "dn: cn=Everyone,ou=groups,dc=example,dc=org"; echo "changetype: modify"; echo "delete: member"
    tr 'A-Z' 'a-z' <"$work/joiner-dns" | grep -Fxf "$work/big-members" | sed 's/^/member: /'; } |
    ldapmodify -x -H "ldap://127.0.0.1:$ldap_port" -D "cn=admin,dc=example,dc=org" -w "$admin_pw" >/dev/null
fi
big_members=$(ldap -b "cn=Everyone,ou=groups,dc=example,dc=org" -s base member | grep -c '^member: ')
export IDS_FILE="$work/ids" UIDS_FILE="$work/uids" TOKEN="$token" JOINERS_FILE="$work/joiner-ids"
# The LDAP attributes the gateway asks for when it reads a user (the raw client asks for "*"): the bundled
# mapping reads users with `read: all`, i.e. "*" plus the mapped attributes the subschema calls operational.
mapped_attributes=$("$bin/scim-gateway" read-attributes --mapping Config/mapping/bundled.yaml --type User)
read_attributes=$(ldap -b cn=Subschema -s base attributeTypes | python3 -c '
import re, sys
mapped = sys.argv[1].split(",")
operational = set()
for line in sys.stdin:
    if line.startswith("attributeTypes:") and re.search(r"USAGE (directoryOperation|dSAOperation|distributedOperation)", line):
        names = re.search(r"NAME (\([^)]*\)|\S+)", line)
        if names: operational |= {n.lower() for n in re.findall(r"[\w-]+", names.group(1))}
print(",".join(["*"] + [m for m in mapped if m.lower() in operational]))' "$mapped_attributes")

raw() {  # name mode attribute keys concurrency [extra args...]
  local name=$1 mode=$2 attribute=$3 keys=$4 c=$5; shift 5
  "$bin/ldap-bench" --url "ldap://127.0.0.1:$ldap_port" --bind-dn "cn=scim-gateway,dc=example,dc=org" \
    --password-file "$work/service.pw" --base ou=people,dc=example,dc=org --attribute "$attribute" --keys "$keys" \
    --concurrency "$c" --seconds "$seconds" --name "$name" --mode "$mode" "$@" |
    awk '{ if ($6 > 0) print "bench: " $1 " had " $6 " failed operations" > "/dev/stderr"; print $1, $2, $3, $4, $5 }'
}
http() {  # name script concurrency [threads]
  local out rps p50 p99 threads=${4:-$(( $3 < 2 ? 1 : 2 ))}
  out=$(wrk -t "$threads" -c "$3" -d "${seconds}s" --latency -s "scripts/bench/$2" "http://127.0.0.1:$port" 2>&1)
  rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(printf '%s\n' "$out" | awk '$1=="50%" {print $2}')
  p99=$(printf '%s\n' "$out" | awk '$1=="99%" {print $2}')
  if printf '%s\n' "$out" | grep -q 'Non-2xx'; then echo "bench: $1 had non-2xx answers" >&2; fi
  echo "$1 $rps $(to_ms "$p50") $(to_ms "$p99") $(printf '%s\n' "$out" | awk '/requests in/ {print $1}')"
}
# CPU time (user + system, clock ticks) of a process; the demo process is the gateway, its child the slapd.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
measured() {  # raw|http args...: the case's line plus the gateway's and slapd's CPU per operation (µs)
  local slapd_pid g0 s0 line hz
  slapd_pid=$(pgrep -P "$demo_pid" slapd | head -1); hz=$(getconf CLK_TCK)
  g0=$(ticks "$demo_pid"); s0=$(ticks "$slapd_pid")
  line=$("$@")
  echo "$line" | awk -v g="$(( $(ticks "$demo_pid") - g0 ))" -v s="$(( $(ticks "$slapd_pid") - s0 ))" -v hz="$hz" \
    '{n = $5 > 0 ? $5 : 1; printf "%s %s %s %s %.0f %.0f\n", $1, $2, $3, $4, g * 1e6 / hz / n, s * 1e6 / hz / n}'
}
to_ms() { case "$1" in *us) echo "${1%us}" | awk '{printf "%.3f", $1/1000}';; *ms) echo "${1%ms}";; *s) echo "${1%s}" | awk '{printf "%.3f", $1*1000}';; *) echo "?";; esac; }

results="$work/results"
start_index=$(( users / 2 < 5000 ? users / 2 : 5000 ))
for round in $(seq 1 "$rounds"); do
  for c in 1 16; do
    measured raw "raw-uuid-c$c" search entryUUID "$work/ids" "$c" >>"$results"
    measured http "gw-get-id-c$c" get-by-id.lua "$c" >>"$results"
    # Where the gateway's time goes: the same search asking for the gateway's attribute list, the HTTP layer
    # alone (a static document), and HTTP plus one trivial LDAP round trip.
    measured raw "raw-uuid-gwattrs-c$c" search entryUUID "$work/ids" "$c" --attributes "$read_attributes" >>"$results"
    measured http "gw-static-c$c" service-provider-config.lua "$c" >>"$results"
    measured http "gw-readyz-c$c" readyz.lua "$c" >>"$results"
    measured raw "raw-uid-c$c" search uid "$work/uids" "$c" >>"$results"
    measured http "gw-filter-username-c$c" filter-username.lua "$c" >>"$results"
    measured http "gw-post-user-c$c" post-user.lua "$c" >>"$results"
    measured http "gw-patch-user-c$c" patch-user.lua "$c" >>"$results"
    measured raw "raw-member-big-c$c" member member "$work/joiner-dns" "$c" --group "cn=Everyone,ou=groups,dc=example,dc=org" >>"$results"
    GROUP_ID=$big_id measured http "gw-patch-group-big-c$c" patch-group.lua "$c" "$c" >>"$results"
    measured raw "raw-member-small-c$c" member member "$work/joiner-dns" "$c" --group "cn=Engineering,ou=groups,dc=example,dc=org" >>"$results"
    GROUP_ID=$small_id measured http "gw-patch-group-small-c$c" patch-group.lua "$c" "$c" >>"$results"
    measured raw "raw-sorted-c$c" sorted uid "$work/uids" "$c" --offset "$start_index" --count 100 >>"$results"
    START=$start_index measured http "gw-sorted-page-c$c" sorted-page.lua "$c" >>"$results"
  done
  # Writes at c=8, each beside a raw client doing the same LDAP operations (same entry, same controls).
  measured raw "raw-add-c8" add uid "$work/uids" 8 --attributes "$read_attributes" >>"$results"
  measured http "gw-post-user-c8" post-user.lua 8 >>"$results"
  measured raw "raw-patch-c8" patch entryUUID "$work/ids" 8 --attributes "$read_attributes" >>"$results"
  measured http "gw-patch-user-c8" patch-user.lua 8 >>"$results"
done
# The gateway's own memory (scripts/lib/bench-serve.sh), after GETs and sorted pages at c=16.
. scripts/lib/bench-serve.sh
serve_rss_kb() { bench_serve_rss "$bin" "$work" "$ldap_port" "$token" "$work/ids" "$2" 16; }

echo "users=$users (big group: $big_members members) rounds=$rounds seconds=$seconds build=$config" \
  "gateway_rss_kb=$(serve_rss_kb "$users" "$start_index")"
kill -TERM "$demo_pid"; wait "$demo_pid" 2>/dev/null || true

if [ "$rss_users" -gt 0 ]; then
  start_demo "$rss_users"
  ldap -b ou=people,dc=example,dc=org -E pr=1000/noprompt '(objectClass=inetOrgPerson)' entryUUID uid >"$work/users.ldif"
  grep '^entryUUID: ' "$work/users.ldif" | cut -d' ' -f2 >"$work/ids"
  grep '^uid: ' "$work/users.ldif" | cut -d' ' -f2 >"$work/uids"
  for round in $(seq 1 "$rounds"); do
    START=50000 measured http "gw-sorted-page-100k-c1" sorted-page.lua 1 >>"$results"
    measured raw "raw-sorted-100k-c1" sorted uid "$work/uids" 1 --offset 50000 --count 100 >>"$results"
  done
  echo "users=$rss_users gateway_rss_kb=$(serve_rss_kb "$rss_users" 50000)"
fi

python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) < 4: continue
    try: rows.setdefault(parts[0], []).append(tuple(float(x) for x in (parts[1:6] + ["nan", "nan"])[:5]))
    except ValueError: rows.setdefault(parts[0], [])
def med(name, i):
    vals = [r[i] for r in rows.get(name, [])]
    return (statistics.median(vals), (max(vals) - min(vals)) if len(vals) > 1 else 0.0) if vals else (float("nan"), 0.0)
pairs = {"gw-get-id": "raw-uuid", "gw-filter-username": "raw-uid", "gw-patch-group-big": "raw-member-big",
         "gw-patch-group-small": "raw-member-small", "gw-sorted-page": "raw-sorted", "gw-sorted-page-100k": "raw-sorted-100k",
         "gw-post-user": "raw-add", "gw-patch-user": "raw-patch"}
print(f"{'case':28} {'req/s':>9} {'±':>7} {'p50 ms':>8} {'p99 ms':>8} {'gw/raw req/s':>12} {'gw-raw p50 ms':>13}"
      f" {'gw CPU µs/op':>12} {'slapd CPU µs/op':>15}")
for name in rows:
    rps, spread = med(name, 0)
    suffix = name[name.rindex("-c"):]
    base = pairs.get(name[:name.rindex("-c")])
    ratio = added = ""
    if base:
        raw_rps = med(base + suffix, 0)[0]
        if raw_rps == raw_rps and raw_rps > 0: ratio = f"{rps / raw_rps:.2f}"
        added = f"{med(name, 1)[0] - med(base + suffix, 1)[0]:.3f}"
    print(f"{name:28} {rps:9.0f} {spread:7.0f} {med(name,1)[0]:8.3f} {med(name,2)[0]:8.3f} {ratio:>12} {added:>13}"
          f" {med(name,3)[0]:12.0f} {med(name,4)[0]:15.0f}")
for c in ("-c1", "-c16"):
    big = med("gw-patch-group-big" + c, 1)[0] - med("raw-member-big" + c, 1)[0]
    small = med("gw-patch-group-small" + c, 1)[0] - med("raw-member-small" + c, 1)[0]
    if big == big and small == small and small > 0:
        print(f"added cost of a membership change{c}: 10,000-member group {big:.3f} ms, 10-member group {small:.3f} ms, ratio {big / small:.2f}")
for c in ("-c1", "-c16"):
    parts = [(label, med(name + c, 0)[0]) for label, name in (
        ("static document (HTTP only)", "gw-static"), ("/readyz (HTTP + root DSE search)", "gw-readyz"),
        ("GET /Users/{id}", "gw-get-id"), ("raw search, gateway's attribute list", "raw-uuid-gwattrs"),
        ("raw search, *", "raw-uuid"))]
    if all(v == v for _, v in parts):
        print(f"where the time goes{c}: " + "; ".join(f"{label} {v:.0f} req/s" for label, v in parts))
for gw, raw, label in (("gw-post-user-c8", "raw-add-c8", "POST /Users vs raw add"),
                       ("gw-patch-user-c8", "raw-patch-c8", "PATCH /Users vs raw read + modify")):
    g, r = med(gw, 0)[0], med(raw, 0)[0]
    if g == g and r == r and r > 0:
        print(f"writes at c=8, {label}: {g:.0f} vs {r:.0f} req/s, ratio {g / r:.2f}; slapd CPU {med(gw, 4)[0]:.0f} vs "
              f"{med(raw, 4)[0]:.0f} µs/op, gateway CPU {med(gw, 3)[0]:.0f} µs/op")
for case in ("-c1", "-c16", "-100k-c1"):
    gw, raw = med("gw-sorted-page" + case, 1)[0], med("raw-sorted" + case, 1)[0]
    if gw == gw and raw == raw and raw > 0:
        print(f"sorted window{case}: gateway {gw:.2f} ms vs slapd {raw:.2f} ms, ratio {gw / raw:.2f}")
PY
