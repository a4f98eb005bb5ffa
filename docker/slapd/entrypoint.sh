#!/usr/bin/env bash
# The OpenLDAP container's entrypoint: on first start, builds the directory with scripts/slapd-set.sh (the same
# bundled schema, overlays, indexes, limits, ACLs and service account the tests and the demo use), then runs slapd
# in the foreground. scripts/container-entrypoints-check.sh runs this very file natively in CI.
#
# Environment (defaults are the image's):
#   LDAP_DATA_DIR               /var/lib/scim-ldap (a volume): config and data, built once
#   LDAP_SUFFIX                 dc=example,dc=org
#   LDAP_LISTEN                 ldap:///  (URLs slapd listens on, besides its ldapi socket in LDAP_DATA_DIR)
#   LDAP_ADMIN_PASSWORD_FILE    /run/secrets/ldap_admin_password    the rootDN's password (first start only)
#   LDAP_SERVICE_PASSWORD_FILE  /run/secrets/ldap_service_password  cn=scim-gateway,SUFFIX (first start only)
#   SCIM_GATEWAY_SCRIPTS        /usr/share/scim-gateway/scripts (where slapd-set.sh is)
set -euo pipefail
DATA=${LDAP_DATA_DIR:-/var/lib/scim-ldap}
SUFFIX=${LDAP_SUFFIX:-dc=example,dc=org}
LISTEN=${LDAP_LISTEN:-ldap:///}
ADMIN_FILE=${LDAP_ADMIN_PASSWORD_FILE:-/run/secrets/ldap_admin_password}
SERVICE_FILE=${LDAP_SERVICE_PASSWORD_FILE:-/run/secrets/ldap_service_password}
SCRIPTS=${SCIM_GATEWAY_SCRIPTS:-/usr/share/scim-gateway/scripts}

if [ ! -d "$DATA/p1/slapd.d" ]; then
    [ -s "$ADMIN_FILE" ] || { echo "entrypoint: no admin password in $ADMIN_FILE" >&2; exit 2; }
    [ -s "$SERVICE_FILE" ] || { echo "entrypoint: no service account password in $SERVICE_FILE" >&2; exit 2; }
    # --sync: a container's directory is not a throwaway one.
    bash "$SCRIPTS/slapd-set.sh" init "$DATA" --suffix "$SUFFIX" --sync \
        --admin-password-file "$ADMIN_FILE" --service-password-file "$SERVICE_FILE"
    # Only {SSHA} hashes stay in the config and data; the copies of the secrets are not needed to run.
    rm -f "$DATA/admin.pw" "$DATA/service.pw"
fi

# As root with Debian's openldap user present (the image), slapd drops to it after opening its listeners.
if [ "$(id -u)" = 0 ] && id openldap >/dev/null 2>&1; then
    chown -R openldap:openldap "$DATA"
    export SLAPD_USER_ARGS="-u openldap -g openldap"
fi
exec bash "$SCRIPTS/slapd-set.sh" exec "$DATA" 1 $LISTEN
