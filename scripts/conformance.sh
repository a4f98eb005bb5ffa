#!/usr/bin/env bash
# Runs python-scim's scim2-tester (through scim2-cli) against the demo gateway on a real slapd and prints its
# counts as "conformance: N passed, M failed" (skipped checks are listed). Exits non-zero on any failed check.
set -uo pipefail
cd "$(dirname "$0")/.."

venv=.venv-conformance
if [ ! -x "$venv/bin/scim2" ]; then
  python3 -m venv "$venv" && "$venv/bin/pip" install -q "scim2-cli==0.6.0" "scim2-tester==0.5.2" || exit 1
fi
[ -x .build/debug/scim-gateway ] || swift build --product scim-gateway || exit 1

free_port() { python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
port=$(free_port); ldap_port=$(free_port); token="conf-$RANDOM$RANDOM"
log=$(mktemp)
.build/debug/scim-gateway demo --port "$port" --ldap-port "$ldap_port" --token "$token" --users 10 >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done

out=$(SCIM_CLI_HEADERS="Authorization: Bearer $token" "$venv/bin/scim2" --url "http://127.0.0.1:$port/scim/v2" test 2>&1)
printf '%s\n' "$out" | grep -v '^SUCCESS' | grep -B0 -A1 -E '^(ERROR|SKIPPED|CRITICAL)' || true
passed=$(printf '%s\n' "$out" | grep -c '^SUCCESS')
failed=$(printf '%s\n' "$out" | grep -cE '^(ERROR|CRITICAL)')
skipped=$(printf '%s\n' "$out" | grep -c '^SKIPPED')
echo "conformance: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
