#!/usr/bin/env bash
# container-entrypoints-check.sh -- runs what the containers of docker/compose.yaml run, natively (no Docker engine
# runs here): the OpenLDAP image's docker/slapd/entrypoint.sh and healthcheck.sh, and the gateway image's command
# (`scim-gateway serve` with docker/scim-gateway.yaml) and health check, with secrets as files, in a temporary
# directory. Only what differs outside a container is overridden, through the environment: the data directory,
# the listen address and port, the secret and mapping paths (the image's /run/secrets, /etc/scim-gateway).
# Then: the service account binds, a SCIM client creates and reads a user with the token from the secret file,
# a second start of the entrypoint reuses the data, both stop on SIGTERM with status 0.
# Prints N passed, N failed. Needs the debug build (swift build) and slapd.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${SCIM_GATEWAY_BIN:-$ROOT/.build/debug/scim-gateway}
T=$(mktemp -d /tmp/scim-containers.XXXXXX)
chmod 755 "$T"   # slapd drops to the openldap user when run as root, as in the image
SLAPD= GATEWAY=
cleanup() {
    [ -n "$GATEWAY" ] && kill -TERM "$GATEWAY" 2>/dev/null && wait "$GATEWAY" 2>/dev/null
    [ -n "$SLAPD" ] && kill -CONT "$SLAPD" 2>/dev/null && kill -TERM "$SLAPD" 2>/dev/null && wait "$SLAPD" 2>/dev/null
    [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed + 1)); echo "ok    $1"; else failed=$((failed + 1)); echo "FAIL  $1"; fi; }
free_port() { python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }

mkdir -p "$T/secrets" && chmod 700 "$T/secrets"
head -c 24 /dev/urandom | base64 > "$T/secrets/ldap_admin_password"
head -c 24 /dev/urandom | base64 > "$T/secrets/ldap_service_password"
TOKEN=$(head -c 32 /dev/urandom | base64 | tr -d '\n')
echo "provisioner=$(printf '%s' "$TOKEN" | "$BIN" hash-token)" > "$T/secrets/scim_clients"
LDAP_PORT=$(free_port); HTTP_PORT=$(free_port)

# ---- OpenLDAP image: entrypoint.sh, healthcheck.sh ------------------------------------------------------------
export LDAP_DATA_DIR=$T/data LDAP_SUFFIX=dc=example,dc=org LDAP_LISTEN="ldap://127.0.0.1:$LDAP_PORT/" \
    LDAP_ADMIN_PASSWORD_FILE=$T/secrets/ldap_admin_password LDAP_SERVICE_PASSWORD_FILE=$T/secrets/ldap_service_password \
    SCIM_GATEWAY_SCRIPTS=$ROOT/scripts
start_ldap() {
    bash docker/slapd/entrypoint.sh >>"$T/slapd.out" 2>&1 &
    SLAPD=$!
    for _ in $(seq 1 250); do bash docker/slapd/healthcheck.sh 2>/dev/null && return 0; kill -0 "$SLAPD" 2>/dev/null || break; sleep 0.04; done
    return 1
}
check "slapd entrypoint builds the directory and slapd becomes healthy (healthcheck.sh)" start_ldap
check "slapd is the entrypoint's own process (exec), so SIGTERM reaches it" \
    '[ "$(cat /proc/$SLAPD/comm 2>/dev/null)" = slapd ]'
check "no cleartext copy of a secret left in the data volume" '[ ! -e "$T/data/admin.pw" ] && [ ! -e "$T/data/service.pw" ]'
check "the service account binds with the password from its secret file" \
    'ldapwhoami -x -H "ldap://127.0.0.1:$LDAP_PORT" -D cn=scim-gateway,dc=example,dc=org -y <(tr -d "\n" < "$T/secrets/ldap_service_password") >/dev/null 2>&1'
if [ "$(id -u)" = 0 ] && id openldap >/dev/null 2>&1; then
    check "slapd runs as openldap, not root" '[ "$(stat -c %U /proc/$SLAPD)" = openldap ]'
fi
check "the bundled overlays are configured (ppolicy, unique, memberof, refint, sssvlv, syncprov)" \
    '[ "$(ldapsearch -Q -Y EXTERNAL -H "ldapi://$(printf %s "$T/data/p1/ldapi" | sed "s|/|%2F|g")" -LLL -b cn=config "(objectClass=olcOverlayConfig)" olcOverlay 2>/dev/null | grep -c "^olcOverlay:")" = 6 ]'

# ---- gateway image: serve --config docker/scim-gateway.yaml, health check -------------------------------------
start_gateway() {
    SCIM_GATEWAY_SERVER_HOST=127.0.0.1 SCIM_GATEWAY_SERVER_PORT=$HTTP_PORT \
    SCIM_GATEWAY_SERVER_PUBLIC_BASE_URL="http://127.0.0.1:$HTTP_PORT/scim/v2" \
    SCIM_GATEWAY_LDAP_URIS="ldap://127.0.0.1:$LDAP_PORT" \
    SCIM_GATEWAY_LDAP_BIND_PASSWORD_FILE=$T/secrets/ldap_service_password \
    SCIM_GATEWAY_CLIENTS_FILE=$T/secrets/scim_clients \
    SCIM_GATEWAY_MAPPING=$ROOT/Config/mapping/bundled.yaml SCIM_GATEWAY_SCHEMA_DIRECTORY=$ROOT/schema \
        "$BIN" serve --config docker/scim-gateway.yaml >"$T/gateway.out" 2>&1 &
    GATEWAY=$!
    for _ in $(seq 1 300); do
        curl -fsS -o /dev/null "http://127.0.0.1:$HTTP_PORT/readyz" 2>/dev/null && return 0
        kill -0 "$GATEWAY" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 5 "$T/gateway.out"
    return 1
}
check "the gateway starts with docker/scim-gateway.yaml and passes its health check (curl /readyz)" start_gateway
auth=(-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/scim+json")
created=$(curl -s "${auth[@]}" -X POST "http://127.0.0.1:$HTTP_PORT/scim/v2/Users" \
    -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"compose.check","name":{"givenName":"C","familyName":"K"}}')
id=$(printf '%s' "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("id",""))' 2>/dev/null)
check "a client with the token from the secret file creates a user" '[ -n "$id" ]'
check "and reads it back" 'curl -fsS "${auth[@]}" "http://127.0.0.1:$HTTP_PORT/scim/v2/Users/$id" | grep -q compose.check'
check "the logs are JSON lines (logFormat: json)" 'head -n 1 "$T/gateway.out" | python3 -c "import json,sys; json.loads(sys.stdin.readline())"'
check "no secret appears in the gateway's output" \
    '! grep -qF "$(tr -d "\n" < "$T/secrets/ldap_service_password")" "$T/gateway.out" && ! grep -qF "$TOKEN" "$T/gateway.out"'

kill -TERM "$GATEWAY"; wait "$GATEWAY"; status=$?; GATEWAY=
check "the gateway exits 0 on SIGTERM (docker stop)" '[ "$status" = 0 ]'
kill -TERM "$SLAPD"; wait "$SLAPD"; status=$?; SLAPD=
check "slapd exits 0 on SIGTERM" '[ "$status" = 0 ]'
check "a second start reuses the data volume (the user is still there)" \
    'start_ldap && ldapsearch -x -H "ldap://127.0.0.1:$LDAP_PORT" -D cn=admin,dc=example,dc=org -y <(tr -d "\n" < "$T/secrets/ldap_admin_password") -LLL -b ou=people,dc=example,dc=org "(uid=compose.check)" 1.1 2>/dev/null | grep -q "^dn:"'
[ "$failed" = 0 ] || { echo "--- slapd output ---"; tail -n 20 "$T/slapd.out"; echo "--- gateway output ---"; tail -n 20 "$T/gateway.out"; }
echo "container-entrypoints-check: $passed passed, $failed failed"
[ "$failed" = 0 ]
