# Sourced by scripts/profile.sh and scripts/bench-compare.sh: waits for a demo (`scim-gateway demo`) to be ready and
# lists its users for the wrk scripts of scripts/bench.
#   demo_users PORT LDAP_PORT ADMIN_PASSWORD LOG OUT   waits up to 3 minutes for PORT's /readyz (prints LOG and
#                                                      fails otherwise), then writes the users' entryUUIDs to
#                                                      OUT.ids and their uids to OUT.uids
demo_users() {
  local port=$1 ldap_port=$2 admin_pw=$3 log=$4 out=$5
  for _ in $(seq 1 900); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "the demo on port $port did not start" >&2; cat "$log" >&2; return 1; }
  ldapsearch -x -LLL -o ldif-wrap=no -H "ldap://127.0.0.1:$ldap_port" -D "cn=admin,dc=example,dc=org" -w "$admin_pw" \
    -b ou=people,dc=example,dc=org -E pr=1000/noprompt '(objectClass=inetOrgPerson)' entryUUID uid >"$out.ldif"
  awk '/^entryUUID: /{print $2}' "$out.ldif" >"$out.ids"
  awk '/^uid: /{print $2}' "$out.ldif" >"$out.uids"
}
