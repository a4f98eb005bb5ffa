#!/usr/bin/env bash
# slapd-set.sh -- one or more slapd providers with the bundled configuration, in a directory of their own.
#
# The same templates the gateway's slapd launcher (SlapdLauncher: demo and tests) and scripts/ldap-selftest.sh render
# (schema/ldap/cn-config.ldif.in, suffix.ldif.in, directory.ldif.in): the scim-gateway schema, overlays (ppolicy,
# unique, memberof, refint, sssvlv, syncprov), indexes, limits, ACLs and the service account. Used by
# scripts/faults.sh, scripts/soak.sh, the replication tests and the OpenLDAP container's entrypoint.
#
#   slapd-set.sh init DIR [--providers N] [--suffix DN] [--service-password-file F] [--admin-password-file F]
#                         [--sync]        render N providers (ports picked now, free on 127.0.0.1), load the
#                                         suffix and the gateway's entries into the first and copy them
#                                         (slapcat, entryUUID and entryCSN kept) into the others. With N > 1 the
#                                         providers replicate each other (multi-provider: olcServerID,
#                                         olcMultiProvider, syncrepl refreshAndPersist to every other provider).
#                                         Without password files, random passwords are written to DIR/*.pw.
#                                         --sync: fsync writes (default: olcDbNoSync TRUE, fast, for tests).
#   slapd-set.sh start DIR [N] [--owner PID]
#                                         start provider N (default: all) in the background on its port and an
#                                         ldapi socket, wait until it answers; --owner: stop them when PID exits
#   slapd-set.sh stop DIR [N]             SIGTERM provider N (default: all), wait until its port is closed
#   slapd-set.sh exec DIR N LISTEN...     replace this shell with provider N in the foreground, listening on the
#                                         given URLs (containers)
#   slapd-set.sh urls DIR                 print the providers' ldap:// URLs, one a line
#
# Files: DIR/pN/{slapd.d,db,port,pid,slapd.log,ldapi}, DIR/admin.pw, DIR/service.pw, DIR/suffix.
# Needs slapd, slapadd, slapcat, slappasswd, ldapsearch (Debian: slapd ldap-utils).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCHEMADIR=$(cd "$HERE/../schema/ldap" && pwd)
die() { echo "slapd-set: $*" >&2; exit 2; }

free_port() {
    local port i
    for i in $(seq 1 64); do
        port=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
    done
    die "no free port"
}
random_password() { head -c 30 /dev/urandom | base64 | tr -d '/+=\n' | head -c 24; }
sed_escape() { printf '%s' "$1" | sed 's/[&|\\]/\\&/g'; }
ldapi_url() { printf 'ldapi://%s' "$(printf '%s' "$1/ldapi" | sed 's|/|%2F|g')"; }

cmd_init() {
    local dir=$1; shift
    local providers=1 suffix=dc=example,dc=org svc_file= admin_file= nosync=TRUE
    while [ $# -gt 0 ]; do
        case "$1" in
            --providers) providers=${2:?}; shift 2 ;;
            --suffix) suffix=${2:?}; shift 2 ;;
            --service-password-file) svc_file=${2:?}; shift 2 ;;
            --admin-password-file) admin_file=${2:?}; shift 2 ;;
            --sync) nosync=FALSE; shift ;;
            *) die "init: unknown argument $1" ;;
        esac
    done
    [[ "$providers" =~ ^[1-9]$ ]] || die "--providers must be 1-9"
    [[ "$suffix" =~ ^[dD][cC]=([^,]+) ]] || die "--suffix must start with a dc= RDN"
    local suffix_dc=${BASH_REMATCH[1]}
    mkdir -p "$dir"; chmod 700 "$dir"
    dir=$(cd "$dir" && pwd)
    [ -e "$dir/p1/slapd.d" ] && die "$dir already holds providers"
    if [ -n "$svc_file" ]; then printf '%s' "$(cat "$svc_file")" > "$dir/service.pw"; else random_password > "$dir/service.pw"; fi
    if [ -n "$admin_file" ]; then printf '%s' "$(cat "$admin_file")" > "$dir/admin.pw"; else random_password > "$dir/admin.pw"; fi
    chmod 600 "$dir/service.pw" "$dir/admin.pw"
    printf '%s\n' "$suffix" > "$dir/suffix"
    local svc_hash root_hash peercred
    svc_hash=$(slappasswd -h '{SSHA}' -T "$dir/service.pw")
    root_hash=$(slappasswd -h '{SSHA}' -T "$dir/admin.pw")
    peercred="gidNumber=$(id -g)+uidNumber=$(id -u),cn=peercred,cn=external,cn=auth"
    render() { # in out dbdir
        sed -e "s|@SUFFIX@|$(sed_escape "$suffix")|g" -e "s|@SUFFIX_DC@|$(sed_escape "$suffix_dc")|g" \
            -e "s|@ROOTPW_HASH@|$(sed_escape "$root_hash")|g" -e "s|@DBDIR@|$(sed_escape "$3")|g" \
            -e "s|@UNCHECKED_LIMIT@|unlimited|g" -e "s|@MODULEPATH@|/usr/lib/ldap|g" \
            -e "s|@SCHEMADIR@|$(sed_escape "$SCHEMADIR")|g" -e "s|@PEERCRED_DN@|$(sed_escape "$peercred")|g" \
            -e "s|@NOSYNC_BOOL@|$nosync|g" -e "s|@SERVICE_PASSWORD_HASH@|$(sed_escape "$svc_hash")|g" \
            -e "s|@DB@|{1}mdb|g" "$1" > "$2"
    }
    local i j
    for ((i = 1; i <= providers; i++)); do
        mkdir -p "$dir/p$i/slapd.d" "$dir/p$i/db"
        free_port > "$dir/p$i/port"
    done
    for ((i = 1; i <= providers; i++)); do
        local p=$dir/p$i
        render "$SCHEMADIR/cn-config.ldif.in" "$p/cn-config.ldif" "$p/db"
        if [ "$providers" -gt 1 ]; then
            # Multi-provider replication: a server id per provider, a consumer of every other provider (bound as
            # the rootDN, which no ACL or limit restricts), and the database marked multi-provider.
            local repl="olcMultiProvider: TRUE" rid=0
            for ((j = 1; j <= providers; j++)); do
                [ "$j" = "$i" ] && continue
                rid=$((rid + 1))
                repl+=$'\n'"olcSyncrepl: {$((rid - 1))}rid=00$j provider=ldap://127.0.0.1:$(cat "$dir/p$j/port") bindmethod=simple"
                repl+=" binddn=\"cn=admin,$suffix\" credentials=\"$(cat "$dir/admin.pw")\" searchbase=\"$suffix\""
                repl+=" type=refreshAndPersist retry=\"1 +\" timeout=2 network-timeout=2"
            done
            awk -v sid="olcServerID: $i" -v repl="$repl" '
                { print }
                /^objectClass: olcGlobal$/ && !g { print sid; g = 1 }
                /^olcDatabase: \{1\}mdb$/ && !d { print repl; d = 1 }' "$p/cn-config.ldif" > "$p/cn-config.tmp"
            mv "$p/cn-config.tmp" "$p/cn-config.ldif"
        fi
        chmod 600 "$p/cn-config.ldif"
        slapadd -q -n0 -F "$p/slapd.d" -l "$p/cn-config.ldif" > "$p/slapadd.log" 2>&1 ||
            { cat "$p/slapadd.log" >&2; die "slapadd of the config of provider $i failed"; }
        rm -f "$p/cn-config.ldif"
    done
    render "$SCHEMADIR/suffix.ldif.in" "$dir/suffix.ldif" "$dir/p1/db"
    render "$SCHEMADIR/directory.ldif.in" "$dir/directory.ldif" "$dir/p1/db"
    { cat "$dir/suffix.ldif"; echo; cat "$dir/directory.ldif"; } |
        slapadd -q -w -F "$dir/p1/slapd.d" -b "$suffix" >> "$dir/p1/slapadd.log" 2>&1 ||
        { cat "$dir/p1/slapadd.log" >&2; die "slapadd of the entries failed"; }
    rm -f "$dir/suffix.ldif" "$dir/directory.ldif"
    for ((i = 2; i <= providers; i++)); do
        slapcat -F "$dir/p1/slapd.d" -b "$suffix" | slapadd -q -w -F "$dir/p$i/slapd.d" -b "$suffix" \
            >> "$dir/p$i/slapadd.log" 2>&1 || die "copying the entries to provider $i failed"
    done
    echo "slapd-set: $providers provider(s) in $dir"
}

providers_of() { local d; for d in "$1"/p[1-9]; do [ -d "$d" ] && echo "${d##*/p}"; done; }

answers() { ldapsearch -x -H "$1" -b "" -s base -LLL 1.1 >/dev/null 2>&1; }

start_one() {
    local dir=$1 i=$2 p=$1/p$2 port url n
    port=$(cat "$p/port"); url="ldap://127.0.0.1:$port"
    if [ -f "$p/pid" ] && kill -0 "$(cat "$p/pid")" 2>/dev/null && answers "$url"; then return 0; fi
    slapd -F "$p/slapd.d" -h "$url/ $(ldapi_url "$p")" -d "${SLAPD_DEBUG:-0}" </dev/null >>"$p/slapd.log" 2>&1 &
    echo $! > "$p/pid"
    for n in $(seq 1 500); do
        answers "$url" && return 0
        kill -0 "$(cat "$p/pid")" 2>/dev/null || break
        sleep 0.02
    done
    tail -n 20 "$p/slapd.log" >&2
    die "provider $i did not start on $url"
}

cmd_start() {
    local dir=$1; shift
    local which= owner=
    while [ $# -gt 0 ]; do
        case "$1" in
            --owner) owner=${2:?}; shift 2 ;;
            [1-9]) which=$1; shift ;;
            *) die "start: unknown argument $1" ;;
        esac
    done
    local i pids=()
    for i in ${which:-$(providers_of "$dir")}; do start_one "$dir" "$i"; pids+=("$(cat "$dir/p$i/pid")"); done
    if [ -n "$owner" ]; then
        # Stops these providers if the owner dies without stopping them (a crashed test run).
        nohup sh -c "while kill -0 $owner 2>/dev/null; do sleep 1; done; kill -CONT ${pids[*]}; kill -TERM ${pids[*]}" \
            </dev/null >/dev/null 2>&1 &
    fi
}

cmd_stop() {
    local dir=$1 which=${2:-} i pid port n
    for i in ${which:-$(providers_of "$dir")}; do
        [ -f "$dir/p$i/pid" ] || continue
        pid=$(cat "$dir/p$i/pid"); port=$(cat "$dir/p$i/port")
        kill -CONT "$pid" 2>/dev/null || true
        kill -TERM "$pid" 2>/dev/null || true
        for n in $(seq 1 250); do
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
            sleep 0.02
        done
        rm -f "$dir/p$i/pid"
    done
}

cmd_exec() {
    local dir=$1 i=$2; shift 2
    [ $# -gt 0 ] || die "exec: give the URLs to listen on"
    exec slapd -F "$dir/p$i/slapd.d" -h "$* $(ldapi_url "$dir/p$i")" -d "${SLAPD_DEBUG:-0}" ${SLAPD_USER_ARGS:-}
}

cmd_urls() { local i; for i in $(providers_of "$1"); do echo "ldap://127.0.0.1:$(cat "$1/p$i/port")"; done; }

[ $# -ge 2 ] || { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
command=$1; shift
case "$command" in
    init) cmd_init "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    exec) cmd_exec "$@" ;;
    urls) cmd_urls "$@" ;;
    *) die "unknown command $command" ;;
esac
