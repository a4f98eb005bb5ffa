#!/usr/bin/env bash
# End-to-end check of the README's demo: start it, create a user with POST, read it back with GET, find the same
# entry with ldapsearch (inetOrgPerson + scimUser), delete it, stop the demo with SIGTERM. Prints N passed, N failed.
set -uo pipefail
cd "$(dirname "$0")/.."

free_port() { python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
port=$(free_port); ldap_port=$(free_port)
token="smoke-$RANDOM$RANDOM"; admin_pw="admin-$RANDOM$RANDOM"
log=$(mktemp)
.build/debug/scim-gateway demo --port "$port" --ldap-port "$ldap_port" --token "$token" \
  --ldap-admin-password "$admin_pw" --users 50 >"$log" 2>&1 &
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
status=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" -X DELETE "$base/Users/$id")
check "DELETE answers 204" '[ "$status" = 204 ]'
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
