#!/usr/bin/env bash
# Outbound provisioning, measured against python's scim2-server on loopback (see README "Outbound provisioning"):
#   1. the target's own POST /Users throughput (wrk, concurrency C, from a fresh server until it holds N users) —
#      the yardstick;
#   2. an initial sync (`scim-gateway provision sync`) of N users and 100 groups into a fresh scim2-server at the
#      same concurrency: time, resources/s, and the ratio to (1);
#   3. the lag of K changes made with ldapmodify (as an admin, behind the gateway's back) while `scim-gateway
#      serve` provisions: from the change to its arrival at the target, p50/p99;
#   4. the target away for OUTAGE s (30; short: 10) in the middle of an initial sync: backoff in `provision status`,
#      then every resource on the target exactly once.
#   scripts/bench-provisioning.sh            # N=10,000, K=1,000, C=8, release build
#   scripts/bench-provisioning.sh --short    # CI: N=300, K=100, debug build
# Env: USERS, CHANGES, CONCURRENCY, CONFIG (debug|release), RATE (changes per second, default 50), OUTAGE.
set -euo pipefail
cd "$(dirname "$0")/.."

users=${USERS:-10000}; changes=${CHANGES:-1000}; concurrency=${CONCURRENCY:-8}; config=${CONFIG:-release}; rate=${RATE:-50}
post_seconds=10; post_window=2; outage=${OUTAGE:-30}
if [ "${1:-}" = "--short" ]; then users=${USERS:-300}; changes=${CHANGES:-100}; config=${CONFIG:-debug}; post_seconds=2; outage=${OUTAGE:-10}; fi
scripts/install-deps.sh
command -v wrk >/dev/null || { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq wrk >/dev/null; }
if [ ! -x .venv-provisioning/bin/scim2-server ]; then
  python3 -m venv .venv-provisioning && .venv-provisioning/bin/pip install -q "scim2-server==0.8.3"
fi
swift build -c "$config" --product scim-gateway >/dev/null
bin=$(swift build -c "$config" --show-bin-path)/scim-gateway

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
export TARGET_TOKEN="target-$RANDOM$RANDOM"
token="bench-$RANDOM$RANDOM"; admin_pw="admin-$RANDOM$RANDOM"; service_pw="svc-$RANDOM$RANDOM"
start_target() {  # -> target_port, target_pid
  target_port=$(free_port)
  .venv-provisioning/bin/scim2-server --port "$target_port" --bearer-token "$TARGET_TOKEN" >"$work/target-$target_port.log" 2>&1 &
  target_pid=$!; pids+=("$target_pid")
  for _ in $(seq 1 100); do
    curl -sf -H "Authorization: Bearer $TARGET_TOKEN" "http://127.0.0.1:$target_port/ServiceProviderConfig" >/dev/null && return 0
    sleep 0.1
  done
  echo "bench-provisioning: scim2-server did not start" >&2; exit 1
}
now_s() { python3 -c 'import time; print(f"{time.time():.3f}")'; }
cpu_ms() {  # CPU time (user + system) a process has used so far, in ms
  awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# 1. The target's own POST throughput, from a fresh server, with users of the shape the sync sends: the rate at
#    which it takes as many users as the sync creates (wrk in 2 s windows until it holds N users), and the rate of
#    its first 10 s beside it (the two were within 2 % on an idle machine).
start_target
target_cpu0=$(cpu_ms "$target_pid")
posted=0; post_time=0; burst=""
while [ "$posted" -lt "$users" ]; do
  wrk_out=$(wrk -t2 -c"$concurrency" -d"${post_window}s" -s scripts/bench/post-target.lua "http://127.0.0.1:$target_port")
  read -r n took < <(awk '/requests in/ { sub(/,$/, "", $4); print $1, $4 }' <<<"$wrk_out")
  case "$took" in *ms) took=$(python3 -c "print(${took%ms} / 1000)") ;; *s) took=${took%s} ;; esac
  posted=$((posted + n)); post_time=$(python3 -c "print($post_time + $took)")
  if [ -z "$burst" ] && python3 -c "import sys; sys.exit(0 if $post_time >= $post_seconds else 1)"; then
    burst=$(python3 -c "print(f'{$posted / $post_time:.0f}')")
  fi
done
raw=$(python3 -c "print(f'{$posted / $post_time:.0f}')"); burst=${burst:-$raw}
raw_cpu=$(python3 -c "print(f'{($(cpu_ms "$target_pid") - $target_cpu0) / $posted:.2f}')")
kill "$target_pid"; wait "$target_pid" 2>/dev/null || true

# 2. The directory: the demo's slapd with N users and its groups, plus groups up to 100.
port=$(free_port); ldap_port=$(free_port)
"$bin" demo --port "$port" --ldap-port "$ldap_port" --token "$token" --users "$users" \
  --ldap-admin-password "$admin_pw" --service-password "$service_pw" >"$work/demo.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 900); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
python3 - "$users" >"$work/groups.ldif" <<'PY'
import sys
users = int(sys.argv[1])
for g in range(96):
    print(f"dn: cn=bench-{g:03d},ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\nobjectClass: scimGroup\ncn: bench-{g:03d}")
    for m in range(10):
        print(f"member: uid=user{(g * 10 + m) % users + 1:05d},ou=people,dc=example,dc=org")
    print()
PY
ldapadd -x -H "ldap://127.0.0.1:$ldap_port" -D cn=admin,dc=example,dc=org -w "$admin_pw" -f "$work/groups.ldif" >/dev/null
groups=$(ldapsearch -x -LLL -H "ldap://127.0.0.1:$ldap_port" -D cn=admin,dc=example,dc=org -w "$admin_pw" \
         -b ou=groups,dc=example,dc=org '(objectClass=groupOfNames)' 1.1 | grep -c '^dn:')

write_config() {  # name url -> config file
  cat >"$work/$1.yaml" <<YAML
server: { host: 127.0.0.1, port: $(free_port) }
ldap:
  uris: ["ldap://127.0.0.1:$ldap_port"]
  suffix: dc=example,dc=org
  bindDN: cn=scim-gateway,dc=example,dc=org
  bindPassword: "$service_pw"
  poolSize: 16
mapping: $PWD/Config/mapping/bundled.yaml
schemaDirectory: $PWD/schema
clients: [{ name: bench, tokenHash: "$(printf '%s' "$token" | "$bin" hash-token)" }]
provisioning:
  leaseSeconds: 6
  targets:
    - { name: $1, url: "$2", token: "$TARGET_TOKEN", concurrency: $concurrency, reconcileSeconds: 0 }
YAML
}

# Initial sync into a fresh scim2-server.
start_target
write_config initial "http://127.0.0.1:$target_port"
slapd_pid=$(pgrep -f "slapd .*127.0.0.1:$ldap_port" | head -1)
slapd_cpu0=$(cpu_ms "$slapd_pid"); target_cpu0=$(cpu_ms "$target_pid")
started=$(now_s)
/usr/bin/time -f "%U %S" -o "$work/sync.time" "$bin" provision sync -c "$work/initial.yaml" >"$work/sync.out" 2>/dev/null
summary=$(tail -1 "$work/sync.out")
ended=$(now_s)
slapd_cpu=$(( $(cpu_ms "$slapd_pid") - slapd_cpu0 )); target_cpu=$(( $(cpu_ms "$target_pid") - target_cpu0 ))
gateway_cpu=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$work/sync.time")
sync_seconds=$(python3 -c "print(f'{$ended - $started:.1f}')")
resources=$((users + groups))
sync_rate=$(python3 -c "print(f'{$resources / ($ended - $started):.0f}')")
ratio=$(python3 -c "print(f'{($resources / ($ended - $started)) / $raw:.2f}')")
burst_ratio=$(python3 -c "print(f'{($resources / ($ended - $started)) / $burst:.2f}')")
on_target=$(curl -s -H "Authorization: Bearer $TARGET_TOKEN" "http://127.0.0.1:$target_port/Users?count=0" |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["totalResults"])')

# 3. Lag of changes made in LDAP while `serve` provisions (through the recording proxy). The state of the initial
#    sync is in the directory: serve resumes from it and only the changes travel.
proxy_port=$(free_port)
python3 scripts/bench/lag-proxy.py "$proxy_port" "$target_port" &
pids+=("$!")
sleep 0.5
write_config initial "http://127.0.0.1:$proxy_port"
"$bin" serve -c "$work/initial.yaml" >"$work/serve.log" 2>&1 &
serve_pid=$!; pids+=("$serve_pid")
for _ in $(seq 1 600); do grep -q "reconciliation done\|now provisions" "$work/serve.log" && break; sleep 0.2; done
for _ in $(seq 1 600); do grep -q "reconciliation done" "$work/serve.log" && break; sleep 0.5; done
python3 - "$changes" "$rate" "$users" <<'PY' | ldapmodify -x -H "ldap://127.0.0.1:$ldap_port" -D cn=admin,dc=example,dc=org -w "$admin_pw" >/dev/null
import sys, time
changes, rate, users = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
for i in range(changes):
    uid = f"user{i % users + 1:05d}"
    print(f"dn: uid={uid},ou=people,dc=example,dc=org\nchangetype: modify\nreplace: displayName\ndisplayName: lag-{int(time.time() * 1000)}\n", flush=True)
    time.sleep(1 / rate)
PY
for _ in $(seq 1 300); do
  count=$(curl -s "http://127.0.0.1:$proxy_port/__lag" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  [ "$count" -ge "$changes" ] && break; sleep 0.2
done
lag=$(curl -s "http://127.0.0.1:$proxy_port/__lag" | python3 -c '
import json, sys
s = sorted(json.load(sys.stdin))
pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")
print(f"{len(s)} {pick(0.5):.0f} {pick(0.99):.0f} {s[-1] if s else 0:.0f}")')
read -r lag_count lag_p50 lag_p99 lag_max <<<"$lag"

# 4. The target away for OUTAGE seconds in the middle of an initial sync (`serve` into a fresh scim2-server behind
#    a proxy that is killed and started again on the same port): the waiting resources and their backoff show in
#    `provision status`; afterwards every user and group is on the target exactly once and every record synced.
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
start_target
outage_port=$(free_port)
start_proxy() { python3 scripts/bench/lag-proxy.py "$outage_port" "$target_port" & proxy_pid=$!; pids+=("$proxy_pid"); sleep 0.5; }
start_proxy
write_config outage "http://127.0.0.1:$outage_port"
"$bin" serve -c "$work/outage.yaml" >"$work/outage.log" 2>&1 &
pids+=("$!")
target_users() {
  curl -s -H "Authorization: Bearer $TARGET_TOKEN" "http://127.0.0.1:$target_port/$1?count=0" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["totalResults"])'
}
status_counts() {  # -> "synced pending failed maxFailures"
  "$bin" provision status -c "$work/outage.yaml" --target outage --json 2>/dev/null | python3 -c '
import json, sys
data = json.load(sys.stdin)
report = next(r for r in (data if isinstance(data, list) else [data]) if r.get("target") == "outage")
counts = report.get("counts", {})
failures = max([w.get("failures", 0) for w in report.get("waiting", [])] or [0])
print(counts.get("synced", 0), counts.get("pending", 0), counts.get("failed", 0), failures)'
}
for _ in $(seq 1 600); do [ "$(target_users Users)" -ge $((users / 4)) ] && break; sleep 0.1; done
kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true
before_outage=$(target_users Users)
outage_started=$(now_s)
sleep $((outage / 2))
read -r _ mid_pending _ mid_failures <<<"$(status_counts)"
sleep $((outage - outage / 2))
read -r _ late_pending _ late_failures <<<"$(status_counts)"
start_proxy
back=$(now_s)
for _ in $(seq 1 1800); do
  [ "$(target_users Users)" -ge "$users" ] && [ "$(target_users Groups)" -ge "$groups" ] && break; sleep 0.2
done
for _ in $(seq 1 150); do read -r final_synced final_pending final_failed _ <<<"$(status_counts)"
  [ "$final_synced" -ge "$resources" ] && break; sleep 0.2; done
caught_up=$(python3 -c "print(f'{$(now_s) - $back:.1f}')")
outage_users=$(target_users Users); outage_groups=$(target_users Groups)

echo "bench-provisioning ($config build, concurrency $concurrency, $(nproc) cores)"
echo "  scim2-server POST /Users (wrk), filled to $posted users: $raw req/s (first ${post_seconds} s: $burst req/s)"
echo "  initial sync of $users users + $groups groups:     ${sync_seconds} s = $sync_rate resources/s (${ratio}x the target's POST rate filling it; ${burst_ratio}x its first ${post_seconds} s); on the target: $on_target users"
echo "    $summary"
echo "    CPU per resource: gateway $(python3 -c "print(f'{$gateway_cpu / $resources:.2f}')") ms, slapd $(python3 -c "print(f'{$slapd_cpu / $resources:.2f}')") ms, target $(python3 -c "print(f'{$target_cpu / $resources:.2f}')") ms (the target's own POSTs: $raw_cpu ms)"
echo "  lag of $lag_count/$changes LDAP changes at ${rate}/s:        p50 ${lag_p50} ms, p99 ${lag_p99} ms, max ${lag_max} ms"
echo "  target away ${outage} s during an initial sync (after $before_outage users): pending in status ${mid_pending} then ${late_pending}, failures per resource up to ${late_failures}; back: caught up in ${caught_up} s"
echo "    on the target: $outage_users users, $outage_groups groups (expected $users, $groups); records synced $final_synced, pending $final_pending, failed $final_failed"
[ "$on_target" -ge "$users" ] && [ "$lag_count" -ge "$changes" ]
[ "$outage_users" -eq "$users" ] && [ "$outage_groups" -eq "$groups" ] && [ "$late_pending" -gt 0 ] && [ "$final_synced" -eq "$resources" ] &&
  [ "$final_pending" -eq 0 ] && [ "$final_failed" -eq 0 ]
