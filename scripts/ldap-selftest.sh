#!/usr/bin/env bash
# ldap-selftest.sh -- verify the bundled OpenLDAP configuration end to end.
#
# Builds three throw-away slapd instances in a mktemp directory, each on a
# free loopback port (and an ldapi socket in that directory):
#   A  fresh cn=config from schema/ldap/cn-config.ldif.in (slapadd -n0)
#   B  fresh slapd.conf from schema/ldap/slapd.conf.in (slapd -f)
#   C  a plain Debian-like cn=config instance (back-mdb, core/cosine/
#      inetorgperson, Debian's default indexes and ACLs, existing users),
#      into which scripts/install-ldap-schema.sh installs everything over
#      ldapi, twice (the second run must change nothing)
# and runs the same checks against each, bound as the SERVICE ACCOUNT
# (never the rootDN).  Each slapd is stopped by its PID.
#
# Usage: scripts/ldap-selftest.sh [-v]     (-v: show slapd logs on failure;
#        KEEP=1 keeps the temporary directory for inspection)
# Exit status 0 only if every check passed.  Needs slapd, ldap-utils.

set -u
VERBOSE=0; [ "${1:-}" = "-v" ] && VERBOSE=1

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCHEMADIR=$(cd "$HERE/../schema/ldap" && pwd)
T=$(mktemp -d /tmp/scimldap.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ -n "${KEEP:-}" ] && { echo "kept $T"; return; }
    rm -rf "$T"
}
trap cleanup EXIT

PASS=0; FAIL=0
ok()   { PASS=$((PASS + 1)); echo "ok    $*"; }
bad()  { FAIL=$((FAIL + 1)); echo "FAIL  $*"; }
# check NAME EXPECTED_RC cmd...: run cmd, compare its exit status.
check() {
    local name=$1 want=$2; shift 2
    "$@" >"$T/out" 2>&1; local rc=$?
    if [ "$rc" = "$want" ]; then ok "$name"; else bad "$name (rc $rc, want $want)"; sed 's/^/      /' "$T/out" | head -n 8; fi
}
# expect NAME CONDITION-CMD...: pass if the command succeeds.
expect() {
    local name=$1; shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}

SUFFIX=dc=example,dc=org
SUFFIX_DC=example
SVC_DN="cn=scim-gateway,$SUFFIX"
SVC_PW='Svc-Secret-Pass-1'
ROOT_PW='Root-Secret-Pass-1'
PEOPLE="ou=people,$SUFFIX"
GRPS="ou=groups,$SUFFIX"
BULK=600        # users below ou=people: more than the default 500 size limit
EXTRA=600       # non-person entries elsewhere: pushes unindexed scans over the limit
UNCHECKED=1000  # rendered @UNCHECKED_LIMIT@: > BULK users, < all entries
printf '%s\n' "$SVC_PW" > "$T/svc.pw"; chmod 600 "$T/svc.pw"
printf '%s' "$ROOT_PW" > "$T/root.pw"; chmod 600 "$T/root.pw"
SVC_HASH=$(slappasswd -h '{SSHA}' -s "$SVC_PW")
ROOT_HASH=$(slappasswd -h '{SSHA}' -s "$ROOT_PW")
PEERCRED_DN="gidNumber=$(id -g)+uidNumber=$(id -u),cn=peercred,cn=external,cn=auth"

render() { # in out dbdir
    sed -e "s|@SUFFIX@|$SUFFIX|g" -e "s|@SUFFIX_DC@|$SUFFIX_DC|g" \
        -e "s|@ROOTPW_HASH@|$ROOT_HASH|g" -e "s|@DBDIR@|$3|g" \
        -e "s|@UNCHECKED_LIMIT@|$UNCHECKED|g" -e "s|@MODULEPATH@|/usr/lib/ldap|g" \
        -e "s|@SCHEMADIR@|$SCHEMADIR|g" -e "s|@PEERCRED_DN@|$PEERCRED_DN|g" \
        -e "s|@NOSYNC@|dbnosync|g" -e "s|@NOSYNC_BOOL@|TRUE|g" \
        -e "s|@SERVICE_PASSWORD_HASH@|$SVC_HASH|g" -e "s|@DB@|{1}mdb|g" "$1" > "$2"
}

# Bulk data: BULK users below ou=people (no passwords), EXTRA devices below
# ou=extra.  $1 = 1: a pre-existing directory (ou=people included, plain
# inetOrgPerson users without the scim-gateway schema).
bulk_ldif() {
    local i
    [ "$1" = 1 ] && printf 'dn: %s\nobjectClass: organizationalUnit\nou: people\n\n' "$PEOPLE"
    for ((i = 0; i < BULK; i++)); do
        printf 'dn: uid=bulk%04d,%s\nobjectClass: inetOrgPerson\n' "$i" "$PEOPLE"
        [ "$1" = 1 ] || printf 'objectClass: scimUser\nscimId: bulk-%04d\n' "$i"
        printf 'uid: bulk%04d\ncn: Bulk User %d\nsn: User\ndescription: bulk user %d\n' "$i" "$i" "$i"
        echo
    done
    printf 'dn: ou=extra,%s\nobjectClass: organizationalUnit\nou: extra\n\n' "$SUFFIX"
    for ((i = 0; i < EXTRA; i++)); do
        printf 'dn: cn=dev%04d,ou=extra,%s\nobjectClass: device\ncn: dev%04d\ndescription: extra device %d\n\n' "$i" "$SUFFIX" "$i" "$i"
    done
}

cat_ldif() { local f; for f in "$@"; do cat "$f"; echo; done; }   # blank line between files
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# start_slapd DIR CONFIG-ARGS...: sets URL, LDAPI, PID
start_slapd() {
    local dir=$1; shift
    local try port i
    LDAPI="ldapi://$(printf '%s' "$dir/ldapi" | sed 's|/|%2F|g')"
    for try in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 20000))
        port_free "$port" || continue
        URL="ldap://127.0.0.1:$port"
        slapd "$@" -h "$URL/ $LDAPI" -d 0 2>"$dir/slapd.log" &
        PID=$!; PIDS+=("$PID")
        for ((i = 0; i < 250; i++)); do
            if ldapsearch -x -H "$URL" -b "" -s base -LLL 1.1 >/dev/null 2>&1; then return 0; fi
            kill -0 "$PID" 2>/dev/null || break
            sleep 0.02
        done
        kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null
    done
    echo "cannot start slapd in $dir:"; tail -n 20 "$dir/slapd.log"
    return 1
}
stop_slapd() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }

# ---- the checks, bound as the service account -------------------------------
svc()      { "$1" -x -H "$URL" -D "$SVC_DN" -w "$SVC_PW" "${@:2}"; }
add()      { printf '%b' "$1" | svc ldapadd >/dev/null 2>"$T/err"; }
modify()   { printf '%b' "$1" | svc ldapmodify >/dev/null 2>"$T/err"; }
# Values of attribute $2 (with any options) of entry $1, base64 decoded.
# (AS=root attr_of ...: as root over ldapi, e.g. for password hashes the service account may not read)
root()     { "$1" -Y EXTERNAL -Q -H "$LDAPI" "${@:2}"; }
attr_of()  {
    ${AS:-svc} ldapsearch -LLL -o ldif-wrap=no -b "$1" -s base "(objectClass=*)" "$2" 2>/dev/null |
    while IFS= read -r l; do
        case "$l" in
            dn:*|"") ;;
            *::\ *) printf '%s' "${l#*:: }" | base64 -d; echo ;;
            *:\ *) printf '%s\n' "${l#*: }" ;;
        esac
    done
}
count()    { svc ldapsearch -LLL -b "$1" "$2" 1.1 "${@:3}" 2>/dev/null | grep -c '^dn:'; }
search_rc(){ svc ldapsearch -LLL -b "$1" "$2" 1.1 "${@:3}" >/dev/null 2>&1; echo $?; }

run_checks() {
    local I=$1 u1="scimId=11111111-0000-4000-8000-000000000001,$PEOPLE" u2="scimId=22222222-0000-4000-8000-000000000002,$PEOPLE"
    local g1="scimId=aaaaaaaa-0000-4000-8000-00000000000a,$GRPS" g2="scimId=bbbbbbbb-0000-4000-8000-00000000000b,$GRPS"

    check "$I: service account binds" 0 svc ldapwhoami
    check "$I: add inetOrgPerson+scimUser with tagged scimEmail values" 0 add \
"dn: $u1\nobjectClass: inetOrgPerson\nobjectClass: scimUser\nscimId: 11111111-0000-4000-8000-000000000001
uid: jdoe\ncn: Jörg Doe\nsn: Doe\nscimExternalId: ext-1\nscimActive: TRUE
scimEmail;x-scim-type-work;x-scim-primary: jörg@example.org\nscimEmailDisplay;x-scim-type-work;x-scim-primary: Jörg at work
scimEmail;x-scim-type-home: jd@home.example\nscimEmail;x-scim-type-home;x-scim-n1: jd2@home.example
scimAddressLocality;x-scim-type-work;x-scim-primary: München\nscimAddressCountry;x-scim-type-work;x-scim-primary: DE
scimX509Certificate;x-scim-n0:: AAECA/8=\n"
    expect "$I: tagged filter scimEmail;x-scim-type-work matches only that subtype" \
        test "$(count "$PEOPLE" '(scimEmail;x-scim-type-work=*example.org)'):$(count "$PEOPLE" '(scimEmail;x-scim-type-home=*example.org)'):$(count "$PEOPLE" '(scimEmail=*example.org)')" = "1:0:1"
    expect "$I: non-ASCII scimEmail stored losslessly" \
        test "$(attr_of "$u1" 'scimEmail;x-scim-type-work;x-scim-primary')" = "jörg@example.org"
    add "dn: $u2\nobjectClass: inetOrgPerson\nobjectClass: scimUser\nscimId: 22222222-0000-4000-8000-000000000002\nuid: JDOE\ncn: x\nsn: x\n"
    expect "$I: duplicate uid in another case is refused (19)" test $? = 19
    add "dn: $u2\nobjectClass: inetOrgPerson\nobjectClass: scimUser\nscimId: 22222222-0000-4000-8000-000000000002\nuid: jDoe\ncn: x\nsn: x\nuserPassword: short\n"
    expect "$I: overlay order: unique answers before ppolicy" grep -q 'non-unique' "$T/err"
    add "dn: $u2\nobjectClass: inetOrgPerson\nobjectClass: scimUser\nscimId: 22222222-0000-4000-8000-000000000002\nuid: other\ncn: x\nsn: x\nscimExternalId: ext-1\n"
    expect "$I: duplicate scimExternalId among users is refused (19)" test $? = 19
    check "$I: same externalId with different case is a different externalId" 0 add \
        "dn: $u2\nobjectClass: inetOrgPerson\nobjectClass: scimUser\nscimId: 22222222-0000-4000-8000-000000000002\nuid: asmith\ncn: A Smith\nsn: Smith\nscimExternalId: EXT-1\n"

    check "$I: service account sets a cleartext password" 0 modify \
        "dn: $u1\nchangetype: modify\nreplace: userPassword\nuserPassword: Correct-Horse-9\n"
    expect "$I: password stored as {ARGON2}" \
        test "$(AS=root attr_of "$u1" userPassword | head -c 8)" = "{ARGON2}"
    expect "$I: the service account cannot read password hashes" test -z "$(attr_of "$u1" userPassword)"
    check "$I: user binds with the new password" 0 ldapwhoami -x -H "$URL" -D "$u1" -w Correct-Horse-9
    modify "dn: $u1\nchangetype: modify\nreplace: userPassword\nuserPassword: short\n"
    expect "$I: too-short password refused by ppolicy (19)" test $? = 19
    modify "dn: $u1\nchangetype: modify\nreplace: userPassword\nuserPassword: Correct-Horse-9\n"
    expect "$I: password in history refused by ppolicy (19)" test $? = 19
    check "$I: service account cannot write its own authzTo (50)" 50 modify \
        "dn: $SVC_DN\nchangetype: modify\nadd: authzTo\nauthzTo: dn.regex:.*\n"
    check "$I: proxied authorization as a user below ou=people" 0 svc ldapwhoami -e "!authzid=dn:$u1"
    svc ldapwhoami -e "!authzid=dn:cn=nobody,$SUFFIX" > "$T/out" 2>&1
    expect "$I: proxied authorization outside ou=people denied (123)" grep -q '(123)' "$T/out"
    check "$I: service account cannot weaken the password policy (50)" 50 modify \
        "dn: cn=default,ou=policies,$SUFFIX\nchangetype: modify\nreplace: pwdMinLength\npwdMinLength: 1\n"
    check "$I: service account can lock an account (pwdAccountLockedTime)" 0 modify \
        "dn: $u2\nchangetype: modify\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n"

    check "$I: add groupOfNames+scimGroup with two members" 0 add \
        "dn: $g1\nobjectClass: groupOfNames\nobjectClass: scimGroup\nscimId: aaaaaaaa-0000-4000-8000-00000000000a\ncn: Admins\nscimExternalId: gx-1\nmember: $u1\nmember: $u2\n"
    check "$I: a second group with the same displayName (cn)" 0 add \
        "dn: $g2\nobjectClass: groupOfNames\nobjectClass: scimGroup\nscimId: bbbbbbbb-0000-4000-8000-00000000000b\ncn: Admins\nmember: $u2\n"
    add "dn: scimId=c,$GRPS\nobjectClass: groupOfNames\nobjectClass: scimGroup\nscimId: c\ncn: Other\nscimExternalId: gx-1\nmember: $u1\n"
    expect "$I: duplicate group scimExternalId refused (19)" test $? = 19
    expect "$I: memberOf appears on the user" \
        test "$(attr_of "$u2" memberOf | sort | tr '\n' ';')" = "$(printf '%s\n%s\n' "$g1" "$g2" | sort | tr '\n' ';')"
    check "$I: delete a user who is in two groups" 0 svc ldapdelete "$u2"
    local i m1= m2=
    for ((i = 0; i < 100; i++)); do   # refint works asynchronously
        m1=$(attr_of "$g1" member | tr '\n' ';'); m2=$(attr_of "$g2" member | tr '\n' ';')
        [ "$m1" = "$u1;" ] && [ "$m2" = "cn=nobody,$SUFFIX;" ] && break
        sleep 0.02
    done
    expect "$I: deleted user removed from the group" test "$m1" = "$u1;"
    expect "$I: last member removal leaves cn=nobody" test "$m2" = "cn=nobody,$SUFFIX;"

    # Sorting: uid has no ORDERING rule (18 unless named), scimId has one.
    svc ldapsearch -LLL -b "$PEOPLE" -E '!sss=-uid:caseIgnoreOrderingMatch' '(uid=bulk000*)' uid > "$T/sorted" 2>&1
    expect "$I: server-side sort (-E sss=-uid:caseIgnoreOrderingMatch)" \
        test "$(sed -n 's/^uid: //p' "$T/sorted" | head -n 2 | tr '\n' ' ')" = "bulk0009 bulk0008 "
    expect "$I: sort by uid without a rule is refused (18)" test "$(search_rc "$PEOPLE" '(uid=bulk000*)' -E '!sss=uid')" = 18
    expect "$I: sort by scimId uses its own ORDERING rule" test "$(search_rc "$PEOPLE" '(uid=bulk000*)' -E '!sss=scimId')" = 0
    # ldapsearch asks for further windows on stdin: judge the first one only.
    svc ldapsearch -LLL -b "$PEOPLE" -E '!sss=scimId' -E '!vlv=0/9/100/0' '(objectClass=inetOrgPerson)' scimId </dev/null > "$T/vlv" 2>&1
    expect "$I: VLV window (offset 100, 10 entries, count = total)" \
        test "$(awk '/vlvResultpos/ { exit } /^dn:/ { n++ } END { print n + 0 }' "$T/vlv"):$(sed -n 's/.*vlvResultpos=\([0-9]*\) count=\([0-9]*\).*/\1 \2/p' "$T/vlv" | head -n1)" = "10:100 $((BULK + 1))"

    # Limits
    expect "$I: $((BULK + 1)) entries in one search, not capped at 500" test "$(count "$PEOPLE" '(objectClass=inetOrgPerson)')" = $((BULK + 1))
    expect "$I: paged search returns all $((BULK + 1))" test "$(count "$PEOPLE" '(objectClass=inetOrgPerson)' -E pr=200/noprompt)" = $((BULK + 1))
    expect "$I: unindexed substring search over > $UNCHECKED candidates answers 11" \
        test "$(search_rc "$SUFFIX" '(description=*user 1*)')" = 11
    expect "$I: the same filter below ou=people ($((BULK + 2)) candidates) works" \
        test "$(search_rc "$PEOPLE" '(description=*user 1*)')" = 0
    modify "dn: uid=bulk0001,$PEOPLE\nchangetype: modify\nreplace: userPassword\nuserPassword: Bulk-Pass-0001\n"
    ldapsearch -x -H "$URL" -D "uid=bulk0001,$PEOPLE" -w Bulk-Pass-0001 -LLL -b "$PEOPLE" '(objectClass=inetOrgPerson)' 1.1 >/dev/null 2>&1
    expect "$I: an ordinary user is still capped at 500 (4)" test $? = 4
}

# ---- instance A: fresh cn=config ----------------------------------------------
A=$T/a; mkdir -p "$A/slapd.d" "$A/db"
render "$SCHEMADIR/cn-config.ldif.in" "$A/cn-config.ldif" "$A/db"
render "$SCHEMADIR/suffix.ldif.in" "$A/suffix.ldif" "$A/db"
render "$SCHEMADIR/directory.ldif.in" "$A/directory.ldif" "$A/db"
bulk_ldif 0 > "$T/bulk0.ldif"
bulk_ldif 1 > "$T/bulk1.ldif"
echo "== A: fresh instance from cn-config.ldif.in"
if slapadd -q -n0 -F "$A/slapd.d" -l "$A/cn-config.ldif" >"$A/slapadd.log" 2>&1 &&
   cat_ldif "$A/suffix.ldif" "$A/directory.ldif" "$T/bulk0.ldif" | slapadd -q -n1 -F "$A/slapd.d" >>"$A/slapadd.log" 2>&1; then
    ok "A: slapadd config, suffix, directory and $((BULK + EXTRA)) entries"
    if start_slapd "$A" -F "$A/slapd.d"; then run_checks A; stop_slapd; else bad "A: slapd starts"; fi
else
    bad "A: slapadd"; sed 's/^/      /' "$A/slapadd.log" | tail -n 10
fi

# ---- instance B: fresh slapd.conf -----------------------------------------------
B=$T/b; mkdir -p "$B/db"
render "$SCHEMADIR/slapd.conf.in" "$B/slapd.conf" "$B/db"
echo "== B: fresh instance from slapd.conf.in"
if cat_ldif "$A/suffix.ldif" "$A/directory.ldif" "$T/bulk0.ldif" | slapadd -q -f "$B/slapd.conf" >"$B/slapadd.log" 2>&1; then
    ok "B: slapadd suffix, directory and $((BULK + EXTRA)) entries"
    if start_slapd "$B" -f "$B/slapd.conf"; then run_checks B; stop_slapd; else bad "B: slapd starts"; fi
else
    bad "B: slapadd"; sed 's/^/      /' "$B/slapadd.log" | tail -n 10
fi

# ---- instance C: existing plain instance + install-ldap-schema.sh ----------------
C=$T/c; mkdir -p "$C/slapd.d" "$C/db"
cat > "$C/cn-config.ldif" <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: {0}back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file:///etc/ldap/schema/inetorgperson.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by dn.exact="gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth" manage by dn.exact="$PEERCRED_DN" manage by * break

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $SUFFIX
olcRootDN: cn=admin,$SUFFIX
olcRootPW: $ROOT_HASH
olcDbDirectory: $C/db
olcDbNoSync: TRUE
olcDbIndex: objectClass eq
olcDbIndex: cn,uid eq
olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {1}to * by * read
EOF
echo "== C: existing plain instance + install-ldap-schema.sh"
if slapadd -q -n0 -F "$C/slapd.d" -l "$C/cn-config.ldif" >"$C/slapadd.log" 2>&1 &&
   cat_ldif "$A/suffix.ldif" "$T/bulk1.ldif" | slapadd -q -n1 -F "$C/slapd.d" >>"$C/slapadd.log" 2>&1; then
    ok "C: plain instance with an existing ou=people and $((BULK + EXTRA)) entries"
    if start_slapd "$C" -F "$C/slapd.d"; then
        INST=(--suffix "$SUFFIX" --db '{1}mdb' --service-password-file "$T/svc.pw" --ldapi "$LDAPI" --unchecked-limit "$UNCHECKED")
        [ "$(id -u)" = 0 ] || INST+=(--bind-dn "cn=admin,$SUFFIX" --bind-password-file "$T/root.pw")
        check "C: install-ldap-schema.sh --dry-run" 0 "$HERE/install-ldap-schema.sh" "${INST[@]}" --dry-run
        check "C: install-ldap-schema.sh" 0 "$HERE/install-ldap-schema.sh" "${INST[@]}"
        "$HERE/install-ldap-schema.sh" "${INST[@]}" > "$T/second" 2>&1
        expect "C: second install run succeeds and changes nothing" \
            test "$?:$(grep -c 'applying' "$T/second")" = "0:0"
        ldapsearch -Q -Y EXTERNAL -H "$LDAPI" -LLL -o ldif-wrap=no -b 'olcDatabase={1}mdb,cn=config' olcDbIndex > "$T/idx" 2>&1
        expect "C: existing 'cn,uid eq' index merged into 'cn eq' and 'uid eq,sub'" \
            test "$(grep -ciE '^olcDbIndex: (cn eq|uid eq,sub)$' "$T/idx"):$(grep -c 'cn,uid' "$T/idx")" = "2:0"
        # Wait for the background reindex of the new indexes.
        for ((i = 0; i < 100; i++)); do
            [ "$(ldapsearch -x -H "$URL" -D "$SVC_DN" -w "$SVC_PW" -LLL -b "$PEOPLE" '(uid=bulk059*)' 1.1 2>/dev/null | grep -c '^dn:')" = 10 ] && break
            sleep 0.05
        done
        run_checks C
        stop_slapd
    else
        bad "C: slapd starts"
    fi
else
    bad "C: slapadd"; sed 's/^/      /' "$C/slapadd.log" | tail -n 10
fi

if [ "$FAIL" != 0 ] && [ "$VERBOSE" = 1 ]; then
    for d in "$A" "$B" "$C"; do echo "--- $d/slapd.log"; tail -n 30 "$d/slapd.log" 2>/dev/null; done
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
