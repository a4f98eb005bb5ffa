#!/usr/bin/env bash
# End-to-end check of the README's demo: start it, create a user with POST, read it back with GET, find the same
# entry with ldapsearch (inetOrgPerson + scimUser), delete it, stop the demo with SIGTERM. The demo provisions to
# python's scim2-server (--provision-to): the sample users and the new user reach it, the deletion too, and the
# operators' CLI (`provision status --json`, `provision sync --dry-run`) reads the same state. Prints N passed, N failed.
set -uo pipefail
cd "$(dirname "$0")/.."

free_port() { python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
port=$(free_port); ldap_port=$(free_port); target_port=$(free_port)
token="smoke-$RANDOM$RANDOM"; admin_pw="admin-$RANDOM$RANDOM"; service_pw="svc-$RANDOM$RANDOM"; target_token="tgt-$RANDOM$RANDOM"
log=$(mktemp); work=$(mktemp -d)
if [ ! -x .venv-provisioning/bin/scim2-server ]; then
  python3 -m venv .venv-provisioning && .venv-provisioning/bin/pip install -q "scim2-server==0.8.3"
fi
.venv-provisioning/bin/scim2-server --port "$target_port" --bearer-token "$target_token" >"$work/target.log" 2>&1 &
target_pid=$!
trap 'kill "$target_pid" 2>/dev/null; rm -rf "$work"' EXIT
.build/debug/scim-gateway demo --port "$port" --ldap-port "$ldap_port" --token "$token" \
  --ldap-admin-password "$admin_pw" --service-password "$service_pw" --users 50 \
  --provision-to "http://127.0.0.1:$target_port" --provision-token "$target_token" >"$log" 2>&1 &
pid=$!
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $1" >&2; fi; }
base="http://127.0.0.1:$port/scim/v2"
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
auth=(-H "Authorization: Bearer $token" -H "Content-Type: application/scim+json")

created=$(curl -s "${auth[@]}" -X POST "$base/Users" \
  -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"smoke.user","name":{"givenName":"Smoke","familyName":"User"},"emails":[{"value":"smoke@example.org","type":"work","primary":true}]}')
id=$(printf '%s' "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("id",""))' 2>/dev/null)
check "POST /Users returns an id" '[ -n "$id" ]'
got=$(curl -s "${auth[@]}" "$base/Users/$id")
check "GET /Users/{id} returns the user" 'printf "%s" "$got" | grep -q "\"userName\":\"smoke.user\""'
entry=$(ldapsearch -x -LLL -H "ldap://127.0.0.1:$ldap_port" -D "cn=admin,dc=example,dc=org" -w "$admin_pw" \
  -b "ou=people,dc=example,dc=org" "(entryUUID=$id)" objectClass uid 2>&1)
check "ldapsearch shows the entry" 'printf "%s" "$entry" | grep -qi "^uid: smoke.user"'
check "entry is inetOrgPerson + scimUser" 'printf "%s" "$entry" | grep -qi "objectClass: inetOrgPerson" && printf "%s" "$entry" | grep -qi "objectClass: scimUser"'
tauth=(-H "Authorization: Bearer $target_token")
target_count() {  # SCIM filter (URL-encoded) -> totalResults on the target
  curl -s "${tauth[@]}" "http://127.0.0.1:$target_port/Users?filter=$1&count=0" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("totalResults",0))' 2>/dev/null
}
for _ in $(seq 1 100); do [ "$(target_count "externalId%20eq%20%22$id%22")" = 1 ] && break; sleep 0.2; done
check "the new user reached the provisioning target" '[ "$(target_count "externalId%20eq%20%22$id%22")" = 1 ]'
for _ in $(seq 1 100); do [ "$(target_count "externalId%20pr")" -ge 51 ] 2>/dev/null && break; sleep 0.2; done
check "the 50 sample users reached it too" '[ "$(target_count "externalId%20pr")" -ge 51 ]'
cat >"$work/gateway.yaml" <<YAML
ldap:
  uris: ["ldap://127.0.0.1:$ldap_port"]
  suffix: dc=example,dc=org
  bindDN: cn=scim-gateway,dc=example,dc=org
  bindPassword: "$service_pw"
mapping: $PWD/Config/mapping/bundled.yaml
schemaDirectory: $PWD/schema
provisioning:
  targets:
    - name: demo-target
      url: http://127.0.0.1:$target_port
      token: "$target_token"
YAML
status_json=$(.build/debug/scim-gateway provision status --json -c "$work/gateway.yaml" 2>&1)
check "provision status --json: synced resources and the active instance" 'printf "%s" "$status_json" | python3 -c "import json,sys; r=json.load(sys.stdin)[0]; assert r[\"counts\"][\"synced\"] >= 51 and r[\"leaseHolder\"]"'
plan=$(.build/debug/scim-gateway provision sync --dry-run -c "$work/gateway.yaml" 2>&1)
check "provision sync --dry-run: nothing to do on a synced target" 'printf "%s" "$plan" | grep -q "demo-target: would do" && ! printf "%s" "$plan" | grep -qE "created|updated|removed"'
status=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" -X DELETE "$base/Users/$id")
check "DELETE answers 204" '[ "$status" = 204 ]'
for _ in $(seq 1 100); do [ "$(target_count "externalId%20eq%20%22$id%22")" = 0 ] && break; sleep 0.2; done
check "the deletion reached the target" '[ "$(target_count "externalId%20eq%20%22$id%22")" = 0 ]'
status=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "$base/Users/user00007")
check "an unknown id answers 404" '[ "$status" = 404 ]'
metrics=$(curl -s "http://127.0.0.1:$port/metrics")
check "/metrics counts the GET under its route template" 'printf "%s" "$metrics" | grep -q "^scim_gateway_http_requests_total{.*route=\"/scim/v2/Users/{id}\""'
check "/metrics names no id" '! printf "%s" "$metrics" | grep -q "$id"'
kill -TERM "$pid"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "demo stops on SIGTERM" '! kill -0 "$pid" 2>/dev/null'
check "slapd stopped with it" '! ss -ltn 2>/dev/null | grep -q ":$ldap_port "'
[ "$failed" -eq 0 ] || { echo "--- demo log ---" >&2; tail -40 "$log" >&2; }
rm -f "$log"
echo "demo-smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
