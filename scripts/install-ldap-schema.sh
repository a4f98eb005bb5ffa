#!/usr/bin/env bash
# install-ldap-schema.sh -- install scim-gateway's schema and directory
# configuration into an EXISTING slapd 2.5 that uses cn=config (Debian's
# default), over ldapi:// with SASL EXTERNAL.  Run it as root on the LDAP host.
#
# Usage:
#   scripts/install-ldap-schema.sh --suffix dc=corp,dc=com --db '{1}mdb' \
#       --service-password-file FILE [--ldapi ldapi:///] \
#       [--unchecked-limit N] [--bind-dn DN --bind-password-file FILE] \
#       [--dry-run]
#
#   --suffix                 suffix of the existing back-mdb database
#   --db                     that database's RDN value in cn=config ({1}mdb on
#                            a stock Debian install; see
#                            ldapsearch -Y EXTERNAL -H ldapi:/// -b cn=config olcSuffix)
#   --service-password-file  file holding the password the gateway will bind
#                            with as cn=scim-gateway,SUFFIX (trailing newlines
#                            are ignored).  Only an {SSHA} hash of it is sent.
#   --ldapi                  ldapi URL of the server (default ldapi:///)
#   --unchecked-limit        size.unchecked for the service account (default
#                            unlimited).  back-mdb counts INDEX candidates
#                            too, and for simple paged searches it counts
#                            the filter's candidates in the whole database,
#                            not just below the search base: a finite value
#                            must exceed your largest legitimate candidate
#                            set or listing users fails with result 11.
#   --bind-dn / --bind-password-file
#                            identity for adding the entries of
#                            directory.ldif (e.g. your rootDN).  Default: SASL
#                            EXTERNAL as root, which database.ldif grants
#                            manage on the database.
#   --dry-run                query the server, print what would change, and
#                            change nothing.
#
# What it does, in order (each step is skipped when already in place, so it
# can be rerun):
#   1. schema/ldap/config-modules.ldif: load ppolicy, memberof, refint,
#      unique, sssvlv, argon2; olcAttributeOptions x-scim-; olcAuthzPolicy
#      to; olcPasswordHash {ARGON2} on the frontend.
#   2. schema/ldap/scim-gateway.ldif: the scimUser/scimGroup schema.
#   3. schema/ldap/database.ldif.in for --db: indexes (merged with existing
#      index definitions, which back-mdb would otherwise refuse as
#      duplicates), limits and access rules for the service account (inserted
#      in front of your rules), overlays ppolicy, unique, memberof, refint,
#      sssvlv (an overlay of a type that already exists is left alone: check
#      its settings against database.ldif.in yourself).
#   4. schema/ldap/directory.ldif.in: ou=people, ou=groups, ou=policies, the
#      default password policy, cn=nobody and the service account (entries
#      that exist already are left alone).
#
# Requires: ldap-utils (ldapsearch, ldapmodify, ldapadd), slappasswd, awk, sed.

set -euo pipefail

die() { echo "install-ldap-schema: $*" >&2; exit 2; }
say() { echo "install-ldap-schema: $*"; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCHEMADIR=$(cd "$HERE/../schema/ldap" && pwd)

SUFFIX= DB= PWFILE= LDAPI=ldapi:/// UNCHECKED=unlimited BIND_DN= BIND_PWFILE= DRYRUN=0
while [ $# -gt 0 ]; do
    case "$1" in
        --suffix) SUFFIX=${2:?}; shift 2 ;;
        --db) DB=${2:?}; shift 2 ;;
        --service-password-file) PWFILE=${2:?}; shift 2 ;;
        --ldapi) LDAPI=${2:?}; shift 2 ;;
        --unchecked-limit) UNCHECKED=${2:?}; shift 2 ;;
        --bind-dn) BIND_DN=${2:?}; shift 2 ;;
        --bind-password-file) BIND_PWFILE=${2:?}; shift 2 ;;
        --dry-run) DRYRUN=1; shift ;;
        -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[ -n "$SUFFIX" ] || die "--suffix is required"
[ -n "$DB" ] || die "--db is required"
[ -n "$PWFILE" ] || die "--service-password-file is required"
[ -r "$PWFILE" ] || die "cannot read $PWFILE"
[[ "$UNCHECKED" =~ ^([0-9]+|unlimited)$ ]] || die "--unchecked-limit must be a number or unlimited"
if [ -n "$BIND_DN" ]; then [ -r "$BIND_PWFILE" ] || die "--bind-dn needs a readable --bind-password-file"; fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
chmod 700 "$WORK"

# ---- helpers ---------------------------------------------------------------
CFG=(-Q -Y EXTERNAL -H "$LDAPI")                 # cn=config identity
if [ -n "$BIND_DN" ]; then
    DATA=(-x -H "$LDAPI" -D "$BIND_DN" -y "$BIND_PWFILE")
else
    DATA=(-Q -Y EXTERNAL -H "$LDAPI")
fi

# Values of attribute $3 of entries found at base $1 with scope/filter
# (one per line, unwrapped, base64 values decoded are not needed here).
cfg_values() { # base scope filter attr
    ldapsearch "${CFG[@]}" -LLL -o ldif-wrap=no -b "$1" -s "$2" "$3" "$4" 2>/dev/null |
        sed -n "s/^$4: //Ip"
}
exists_data() { # dn
    ldapsearch "${DATA[@]}" -LLL -b "$1" -s base 1.1 >/dev/null 2>&1
}
apply() { # what ldif-file [ldapmodify args...]
    local what=$1 file=$2; shift 2
    if [ "$DRYRUN" = 1 ]; then
        say "would apply: $what"; sed 's/^/    /' "$file"
    else
        say "applying: $what"
        ldapmodify "$@" -f "$file" >/dev/null || die "failed: $what"
    fi
}
sed_escape() { printf '%s' "$1" | sed 's/[&|\\]/\\&/g'; }
render() { # in out
    sed -e "s|@SUFFIX@|$(sed_escape "$SUFFIX")|g" \
        -e "s|@DB@|$(sed_escape "$DB")|g" \
        -e "s|@UNCHECKED_LIMIT@|$UNCHECKED|g" \
        -e "s|@SERVICE_PASSWORD_HASH@|$(sed_escape "${SVC_HASH:-}")|g" "$1" > "$2"
}
# Split an LDIF file into records (comment lines dropped), NUL-separated.
records() {
    awk 'BEGIN { RS = ""; ORS = "" }
         { n = split($0, l, "\n"); r = ""
           for (i = 1; i <= n; i++) if (l[i] !~ /^#/) r = r l[i] "\n"
           if (r != "") printf "%s%c", r, 0 }' "$1"
}
lower() { tr '[:upper:]' '[:lower:]'; }
has() { grep "$@" >/dev/null; }   # reads all input: no SIGPIPE under pipefail

# ---- preflight ---------------------------------------------------------------
ldapsearch "${CFG[@]}" -LLL -b cn=config -s base 1.1 >/dev/null 2>&1 ||
    die "cannot read cn=config via $LDAPI with SASL EXTERNAL (run as root?)"
db_suffix=$(cfg_values "olcDatabase=$DB,cn=config" base '(objectClass=*)' olcSuffix)
[ -n "$db_suffix" ] || die "no database olcDatabase=$DB,cn=config"
[ "$(printf '%s' "$db_suffix" | lower | tr -d ' ')" = "$(printf '%s' "$SUFFIX" | lower | tr -d ' ')" ] ||
    die "olcDatabase=$DB has suffix '$db_suffix', not '$SUFFIX'"

# Hash the service password ({SSHA}); never send or store the cleartext.
printf '%s' "$(cat "$PWFILE")" > "$WORK/svcpw"
SVC_HASH=$(slappasswd -h '{SSHA}' -T "$WORK/svcpw" 2>/dev/null) || die "slappasswd failed"
rm -f "$WORK/svcpw"

render "$SCHEMADIR/database.ldif.in" "$WORK/database.ldif"
render "$SCHEMADIR/directory.ldif.in" "$WORK/directory.ldif"

# ---- 1. modules and global settings -----------------------------------------
loaded=$(cfg_values cn=config one '(objectClass=olcModuleList)' olcModuleLoad |
         sed -e 's/^{[0-9]*}//' -e 's/\.la$//' -e 's|.*/||' | lower)
i=0
while IFS= read -r -d '' rec; do
    i=$((i + 1)); skip=0
    if m=$(printf '%s' "$rec" | sed -n 's/^olcModuleLoad: //p') && [ -n "$m" ]; then
        printf '%s\n' "$loaded" | has -x "$(printf '%s' "$m" | lower)" && skip=1
        what="load module $m"
    elif printf '%s' "$rec" | has '^olcAttributeOptions: x-scim-'; then
        cfg_values cn=config base '(objectClass=*)' olcAttributeOptions | tr ' ' '\n' |
            has -ix 'x-scim-' && skip=1
        what="olcAttributeOptions x-scim-"
    elif printf '%s' "$rec" | has '^olcAuthzPolicy:'; then
        cfg_values cn=config base '(objectClass=*)' olcAuthzPolicy | has -iE '^(to|both|any)$' && skip=1
        what="olcAuthzPolicy to"
    elif printf '%s' "$rec" | has '^olcPasswordHash:'; then
        [ "$(cfg_values 'olcDatabase={-1}frontend,cn=config' base '(objectClass=*)' olcPasswordHash | head -n1)" = '{ARGON2}' ] && skip=1
        what="olcPasswordHash {ARGON2} on the frontend"
    else
        die "config-modules.ldif: unexpected record $i"
    fi
    if [ $skip = 1 ]; then say "already in place: $what"; continue; fi
    printf '%s' "$rec" > "$WORK/rec.ldif"
    apply "$what" "$WORK/rec.ldif" "${CFG[@]}"
done < <(records "$SCHEMADIR/config-modules.ldif")

# ---- 2. schema -------------------------------------------------------------------
want_version=$(sed -n 's/^# scim-gateway LDAP schema version //p' "$SCHEMADIR/scim-gateway.ldif")
have=$(cfg_values cn=schema,cn=config one '(cn=*scimgateway)' olcObjectClasses |
       sed -n "s/.*DESC 'scim-gateway v\([0-9]*\):.*/\1/p" | sort -n | tail -n1)
if [ -z "$have" ]; then
    apply "schema scim-gateway v$want_version" "$SCHEMADIR/scim-gateway.ldif" "${CFG[@]}" -a
elif [ "$have" = "$want_version" ]; then
    say "already in place: schema scim-gateway v$have"
elif [ "$DRYRUN" = 1 ]; then
    "$HERE/upgrade-ldap-schema.sh" --ldapi "$LDAPI" --dry-run
else
    "$HERE/upgrade-ldap-schema.sh" --ldapi "$LDAPI" || die "schema upgrade v$have -> v$want_version failed"
fi

# ---- 3. database ----------------------------------------------------------------
DBDN="olcDatabase=$DB,cn=config"
while IFS= read -r -d '' rec; do
    printf '%s' "$rec" > "$WORK/rec.ldif"
    if printf '%s' "$rec" | has '^add: olcDbIndex'; then
        # Merge: every existing value that names one of our attributes is
        # deleted and re-added per attribute with the union of index types.
        cfg_values "$DBDN" base '(objectClass=*)' olcDbIndex > "$WORK/idx.have"
        printf '%s' "$rec" | sed -n 's/^olcDbIndex: //p' > "$WORK/idx.want"
        awk -v dn="$DBDN" '
            function addtypes(a, t,   n, k, x) {
                if (t == "") t = "eq"
                n = split(t, x, ","); for (k = 1; k <= n; k++) types[a, x[k]] = 1
                if (!(a in seen)) { seen[a] = 1; order[++na] = a }
            }
            FNR == NR { # existing values
                nhave++; have[nhave] = $0; ha[nhave] = $1; ht[nhave] = $2; next }
            { want[tolower($1)] = 1; wa[++nwant] = $1; wt[nwant] = $2 }
            END {
                for (i = 1; i <= nhave; i++) {
                    n = split(ha[i], a, ","); hit = 0
                    for (k = 1; k <= n; k++) if (tolower(a[k]) in want) hit = 1
                    if (!hit) continue
                    del[++nd] = have[i]
                    for (k = 1; k <= n; k++) addtypes(a[k], ht[i])
                }
                for (i = 1; i <= nwant; i++) addtypes(wa[i], wt[i])
                # Drop values that would be re-added unchanged.
                nadd = 0
                for (j = 1; j <= na; j++) {
                    a1 = order[j]; t = ""
                    for (x in types) { split(x, p, SUBSEP); if (p[1] == a1) t = t (t == "" ? "" : ",") p[2] }
                    # canonical order of types
                    m = split(t, tt, ","); out = ""
                    split("pres,eq,approx,sub,subinitial,subany,subfinal,nolang,nosubtypes,notags,none", canon, ",")
                    for (c = 1; c <= 11; c++) for (q = 1; q <= m; q++) if (tt[q] == canon[c]) out = out (out == "" ? "" : ",") canon[c]
                    val[j] = a1 " " out
                }
                for (j = 1; j <= na; j++) {
                    same = 0
                    for (i = 1; i <= nd; i++) if (del[i] == val[j]) { same = 1; keep[i] = 1 }
                    if (!same) adds[++nadd] = val[j]
                }
                ndel = 0; for (i = 1; i <= nd; i++) if (!(i in keep)) ndel++
                if (ndel + nadd == 0) exit
                print "dn: " dn; print "changetype: modify"
                if (ndel) { print "delete: olcDbIndex"; for (i = 1; i <= nd; i++) if (!(i in keep)) print "olcDbIndex: " del[i]; print "-" }
                if (nadd) { print "add: olcDbIndex"; for (j = 1; j <= nadd; j++) print "olcDbIndex: " adds[j]; print "-" }
            }' "$WORK/idx.have" "$WORK/idx.want" > "$WORK/idx.ldif"
        if [ -s "$WORK/idx.ldif" ]; then
            apply "indexes on $DB (slapd reindexes in the background)" "$WORK/idx.ldif" "${CFG[@]}"
        else
            say "already in place: indexes on $DB"
        fi
    elif printf '%s' "$rec" | has '^add: olcLimits'; then
        if cfg_values "$DBDN" base '(objectClass=*)' olcLimits | lower | has -F "$(printf '%s' "cn=scim-gateway,$SUFFIX" | lower)"; then
            say "already in place: limits for cn=scim-gateway (not changed; compare with database.ldif.in)"
        else
            apply "limits for cn=scim-gateway on $DB" "$WORK/rec.ldif" "${CFG[@]}"
        fi
    elif printf '%s' "$rec" | has '^add: olcAccess'; then
        if cfg_values "$DBDN" base '(objectClass=*)' olcAccess | lower | has -F "$(printf '%s' "cn=scim-gateway,$SUFFIX" | lower)"; then
            say "already in place: access rules for cn=scim-gateway (not changed; compare with database.ldif.in)"
        else
            apply "access rules on $DB (inserted in front of the existing ones)" "$WORK/rec.ldif" "${CFG[@]}"
        fi
    elif ov=$(printf '%s' "$rec" | sed -n 's/^olcOverlay: //p') && [ -n "$ov" ]; then
        if cfg_values "$DBDN" one '(objectClass=olcOverlayConfig)' olcOverlay | sed 's/^{[0-9]*}//' | has -ix "$ov"; then
            say "already in place: overlay $ov on $DB (settings not compared; see database.ldif.in)"
        else
            apply "overlay $ov on $DB" "$WORK/rec.ldif" "${CFG[@]}"
        fi
    else
        die "database.ldif.in: unexpected record: $(head -n3 "$WORK/rec.ldif" | tr '\n' ' ')"
    fi
done < <(records "$WORK/database.ldif")

# ---- 4. entries ------------------------------------------------------------------
while IFS= read -r -d '' rec; do
    dn=$(printf '%s' "$rec" | sed -n '1s/^dn: //p')
    if [ "$DRYRUN" = 0 ] || ldapsearch "${DATA[@]}" -LLL -b "$SUFFIX" -s base 1.1 >/dev/null 2>&1; then
        if exists_data "$dn"; then say "already in place: $dn"; continue; fi
    fi
    printf '%s' "$rec" > "$WORK/rec.ldif"
    apply "add $dn" "$WORK/rec.ldif" "${DATA[@]}" -a
done < <(records "$WORK/directory.ldif")

if [ "$DRYRUN" = 1 ]; then say "dry run: nothing changed"; else say "done"; fi
