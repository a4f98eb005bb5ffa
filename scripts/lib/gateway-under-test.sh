# Sourced by scripts/faults.sh and scripts/soak.sh: a slapd set (scripts/slapd-set.sh) and the gateway binary
# on loopback ports in a temporary directory, stopped by their PIDs on exit.
#   gut_start [--providers N] [extra YAML lines for ldap: ...]   sets GUT_DIR, GUT_PID, GUT_URL, GUT_TOKEN
#   gut_launch NAME URIS [ldap: lines...]                          another gateway: GUT_PIDS[NAME], GUT_URLS[NAME]
#   gut_figures PID                                                "fds threads rss_kib" from /proc
#   gut_stop                                                       (also run on EXIT)
GUT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GUT_BIN=${SCIM_GATEWAY_BIN:-$GUT_ROOT/.build/debug/scim-gateway}
GUT_DIR= GUT_PID=

gut_start() {
    local providers=1
    if [ "${1:-}" = --providers ]; then providers=$2; shift 2; fi
    [ -x "$GUT_BIN" ] || { echo "no gateway binary at $GUT_BIN: run swift build first" >&2; return 1; }
    GUT_DIR=$(mktemp -d /tmp/scim-gut.XXXXXX)
    trap gut_stop EXIT
    bash "$GUT_ROOT/scripts/slapd-set.sh" init "$GUT_DIR/ldap" --providers "$providers" >/dev/null
    bash "$GUT_ROOT/scripts/slapd-set.sh" start "$GUT_DIR/ldap" --owner $$
    GUT_TOKEN="gut-$RANDOM$RANDOM$RANDOM"
    gut_launch main "$(bash "$GUT_ROOT/scripts/slapd-set.sh" urls "$GUT_DIR/ldap" | paste -sd, -)" "$@" || return 1
    GUT_PID=${GUT_PIDS[main]} GUT_URL=${GUT_URLS[main]}
}

# gut_launch NAME URIS [ldap: lines...]: one more gateway on the same directory (GUT_PIDS[NAME], GUT_URLS[NAME]).
declare -A GUT_PIDS GUT_URLS
gut_launch() {
    local name=$1 uris=$2; shift 2
    local port suffix
    port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
    suffix=$(cat "$GUT_DIR/ldap/suffix")
    {
        echo "server: { host: 127.0.0.1, port: $port }"
        echo "ldap:"
        echo "  uris: [$uris]"
        echo "  suffix: $suffix"
        echo "  bindDN: cn=scim-gateway,$suffix"
        echo "  bindPasswordFile: $GUT_DIR/ldap/service.pw"
        local line; for line in "$@"; do echo "  $line"; done
        echo "mapping: $GUT_ROOT/Config/mapping/bundled.yaml"
        echo "schemaDirectory: $GUT_ROOT/schema"
        echo "clients: [{ name: load, tokenHash: \"$(printf '%s' "$GUT_TOKEN" | "$GUT_BIN" hash-token)\" }]"
    } > "$GUT_DIR/$name.yaml"
    "$GUT_BIN" serve --config "$GUT_DIR/$name.yaml" </dev/null >"$GUT_DIR/$name.log" 2>&1 &
    GUT_PIDS[$name]=$!
    GUT_URLS[$name]="http://127.0.0.1:$port/scim/v2"
    local i
    for i in $(seq 1 300); do
        curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
        kill -0 "${GUT_PIDS[$name]}" 2>/dev/null || break
        sleep 0.1
    done
    echo "the gateway $name did not become ready:" >&2; tail -n 20 "$GUT_DIR/$name.log" >&2
    return 1
}

gut_figures() {
    local rss
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
    echo "$(ls "/proc/$1/fd" 2>/dev/null | wc -l) $(ls "/proc/$1/task" 2>/dev/null | wc -l) ${rss:-0}"
}

gut_stop() {
    local name
    for name in "${!GUT_PIDS[@]}"; do kill -TERM "${GUT_PIDS[$name]}" 2>/dev/null; wait "${GUT_PIDS[$name]}" 2>/dev/null; done
    GUT_PIDS=() GUT_PID=
    if [ -n "$GUT_DIR" ]; then
        bash "$GUT_ROOT/scripts/slapd-set.sh" stop "$GUT_DIR/ldap" 2>/dev/null
        [ -n "${KEEP:-}" ] && echo "kept $GUT_DIR" >&2 || rm -rf "$GUT_DIR"
        GUT_DIR=
    fi
}
