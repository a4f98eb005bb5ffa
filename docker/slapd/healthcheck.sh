#!/usr/bin/env bash
# The OpenLDAP container's health check: the root DSE answers on the ldapi socket in LDAP_DATA_DIR.
set -eu
DATA=${LDAP_DATA_DIR:-/var/lib/scim-ldap}
exec ldapsearch -x -H "ldapi://$(printf '%s' "$DATA/p1/ldapi" | sed 's|/|%2F|g')" -b "" -s base -LLL 1.1 >/dev/null
