#!/usr/bin/env bash
# upgrade-ldap-schema.sh -- bring the scim-gateway LDAP schema of a running slapd (cn=config) up to the version
# shipped in schema/ldap, applying schema/ldap/upgrade-<v>-to-<v+1>.ldif in turn. Upgrades only add attribute
# types and object classes, so existing entries stay valid and the gateway keeps running meanwhile. Run it as
# root on the LDAP host (SASL EXTERNAL over ldapi://). install-ldap-schema.sh calls it when an older version is
# installed; rerunning it is harmless.
#
# Usage: scripts/upgrade-ldap-schema.sh [--ldapi ldapi:///] [--dry-run]
#
# slapd.conf installations: replace the included scim-gateway.schema with schema/ldap/scim-gateway.schema and
# restart slapd instead.
set -euo pipefail

die() { echo "upgrade-ldap-schema: $*" >&2; exit 2; }
say() { echo "upgrade-ldap-schema: $*"; }

LDAPI=ldapi:///
DRYRUN=0
while [ $# -gt 0 ]; do
    case "$1" in
        --ldapi) LDAPI=$2; shift 2 ;;
        --dry-run) DRYRUN=1; shift ;;
        *) die "unknown argument $1" ;;
    esac
done
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCHEMADIR=$(cd "$HERE/../schema/ldap" && pwd)
CFG=(-Q -Y EXTERNAL -H "$LDAPI")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

want=$(sed -n 's/^# scim-gateway LDAP schema version //p' "$SCHEMADIR/scim-gateway.ldif")
# The entry is named cn={N}scimgateway, N depending on what was loaded before it.
dn=$(ldapsearch "${CFG[@]}" -LLL -o ldif-wrap=no -b cn=schema,cn=config -s one '(cn=*scimgateway)' 1.1 |
     sed -n 's/^dn: //p' | head -n1)
[ -n "$dn" ] || die "the scim-gateway schema is not installed here: run install-ldap-schema.sh"
# Each object class names the version that introduced it in its DESC; the highest is the installed version.
have=$(ldapsearch "${CFG[@]}" -LLL -o ldif-wrap=no -b "$dn" -s base olcObjectClasses |
       sed -n "s/.*DESC 'scim-gateway v\([0-9]*\):.*/\1/p" | sort -n | tail -n1)
[ -n "$have" ] || die "cannot tell the installed version from $dn"
[ "$have" -le "$want" ] || die "installed v$have is newer than this release's v$want"
while [ "$have" -lt "$want" ]; do
    next=$((have + 1))
    file="$SCHEMADIR/upgrade-$have-to-$next.ldif"
    [ -f "$file" ] || die "missing $file"
    sed "s|^dn: cn=scimgateway,cn=schema,cn=config\$|dn: $dn|" "$file" > "$WORK/upgrade.ldif"
    if [ "$DRYRUN" = 1 ]; then
        say "would apply: v$have -> v$next"; sed 's/^/    /' "$WORK/upgrade.ldif"
    else
        ldapmodify "${CFG[@]}" -f "$WORK/upgrade.ldif" >/dev/null || die "failed: v$have -> v$next"
        say "applied: v$have -> v$next"
    fi
    have=$next
done
say "schema scim-gateway at v$want"
