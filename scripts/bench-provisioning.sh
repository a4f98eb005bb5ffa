#!/usr/bin/env bash
# Outbound provisioning, measured against python's scim2-server on loopback (see README "Outbound provisioning"):
#   1. the target's own POST /Users throughput (wrk, concurrency C, fresh server) — the yardstick;
#   2. an initial sync (`scim-gateway provision sync`) of N users and 100 groups into a fresh scim2-server at the
#      same concurrency: time, resources/s, and the ratio to (1);
#   3. the lag of K changes made with ldapmodify (as an admin, behind the gateway's back) while `scim-gateway
#      serve` provisions: from the change to its arrival at the target, p50/p99.
#   scripts/bench-provisioning.sh            # N=10,000, K=1,000, C=8, release build
#   scripts/bench-provisioning.sh --short    # CI: N=300, K=100, debug build
# Env: USERS, CHANGES, CONCURRENCY, CONFIG (debug|release), RATE (changes per second, default 50).
set -euo pipefail
cd "$(dirname "$0")/.."

users=${USERS:-10000}; changes=${CHANGES:-1000}; concurrency=${CONCURRENCY:-8}; config=${CONFIG:-release}; rate=${RATE:-50}
post_seconds=10
if [ "${1:-}" = "--short" ]; then users=${USERS:-300}; changes=${CHANGES:-100}; config=${CONFIG:-debug}; post_seconds=3; fi
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

# 1. The target's own POST throughput.
start_target
raw=$(wrk -t2 -c"$concurrency" -d"${post_seconds}s" -s scripts/bench/post-target.lua "http://127.0.0.1:$target_port" |
      awk '/Requests\/sec/ {print $2}')
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
started=$(now_s)
summary=$("$bin" provision sync -c "$work/initial.yaml" 2>/dev/null | tail -1)
ended=$(now_s)
sync_seconds=$(python3 -c "print(f'{$ended - $started:.1f}')")
resources=$((users + groups))
sync_rate=$(python3 -c "print(f'{$resources / ($ended - $started):.0f}')")
ratio=$(python3 -c "print(f'{($resources / ($ended - $started)) / $raw:.2f}')")
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
pids+=("$!")
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

echo "bench-provisioning ($config build, concurrency $concurrency, $(nproc) cores)"
echo "  scim2-server POST /Users (wrk, fresh server):   $raw req/s"
echo "  initial sync of $users users + $groups groups:     ${sync_seconds} s = $sync_rate resources/s (${ratio}x the target's POST rate); on the target: $on_target users"
echo "    $summary"
echo "  lag of $lag_count/$changes LDAP changes at ${rate}/s:        p50 ${lag_p50} ms, p99 ${lag_p99} ms, max ${lag_max} ms"
[ "$on_target" -ge "$users" ] && [ "$lag_count" -ge "$changes" ]
