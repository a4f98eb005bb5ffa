#!/usr/bin/env bash
# What slapd spends per created user, and on what: `ldap-bench --mode add` (the LDAP side of POST /Users) at c=8
# against a fresh demo directory per variant of the bundled configuration, each variant changed over ldapi
# (EXTERNAL, as root) before the first add. Prints `variant adds/s slapd-µs/add` for every round.
#   scripts/bench-add-cost.sh                 # 20,000 users, release build, 2 rounds of 10 s per variant
# Env: USERS, ROUNDS, SECONDS_PER_CASE, CONFIG (debug|release), VARIANTS (space-separated names below).
set -euo pipefail
cd "$(dirname "$0")/.."

users=${USERS:-20000}; rounds=${ROUNDS:-2}; seconds=${SECONDS_PER_CASE:-10}; config=${CONFIG:-release}
variants=${VARIANTS:-"bundled names-sub no-substrings no-unique no-memberof-refint no-ppolicy"}
scripts/install-deps.sh
swift build -c "$config" --product scim-gateway >/dev/null
swift build -c "$config" --product ldap-bench >/dev/null
bin=$(swift build -c "$config" --show-bin-path)

work=$(mktemp -d)
demo_pid=""
cleanup() {
  if [ -n "$demo_pid" ]; then kill -TERM "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
service_pw="svc-$RANDOM$RANDOM"
printf '%s' "$service_pw" >"$work/service.pw"
echo "x" >"$work/keys"
hz=$(getconf CLK_TCK)

# The change each variant makes to the bundled cn=config (LDIF for ldapmodify), before any add.
variant_ldif() {
  local db="olcDatabase={1}mdb,cn=config"
  case $1 in
    bundled) ;;
    names-sub)  # the bundled configuration before 2026-12-04: name parts substring-indexed too
      for a in cn sn givenName; do
        printf 'dn: %s\nchangetype: modify\ndelete: olcDbIndex\nolcDbIndex: %s eq\n-\nadd: olcDbIndex\nolcDbIndex: %s eq,sub\n\n' "$db" "$a" "$a"
      done ;;
    no-displayname-sub)
      printf 'dn: %s\nchangetype: modify\ndelete: olcDbIndex\nolcDbIndex: displayName eq,sub\n-\nadd: olcDbIndex\nolcDbIndex: displayName eq\n\n' "$db" ;;
    no-substrings)
      for a in uid displayName mail scimEmail; do
        printf 'dn: %s\nchangetype: modify\ndelete: olcDbIndex\nolcDbIndex: %s eq,sub\n-\nadd: olcDbIndex\nolcDbIndex: %s eq\n\n' "$db" "$a" "$a"
      done ;;
    no-unique) printf 'dn: olcOverlay={1}unique,%s\nchangetype: modify\nreplace: olcDisabled\nolcDisabled: TRUE\n\n' "$db" ;;
    no-memberof-refint)
      for o in "{2}memberof" "{3}refint"; do
        printf 'dn: olcOverlay=%s,%s\nchangetype: modify\nreplace: olcDisabled\nolcDisabled: TRUE\n\n' "$o" "$db"
      done ;;
    no-ppolicy) printf 'dn: olcOverlay={0}ppolicy,%s\nchangetype: modify\nreplace: olcDisabled\nolcDisabled: TRUE\n\n' "$db" ;;
    *) echo "unknown variant $1" >&2; exit 2 ;;
  esac
}

for variant in $variants; do
  port=$((20000 + RANDOM % 10000)); ldap_port=$((port + 1))
  "$bin/scim-gateway" demo --port "$port" --ldap-port "$ldap_port" --users "$users" \
    --service-password "$service_pw" >"$work/demo.log" 2>&1 &
  demo_pid=$!
  for _ in $(seq 1 900); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  slapd_pid=$(pgrep -f "slapd .*127.0.0.1:$ldap_port" | head -1)
  socket=$(tr '\0' '\n' </proc/"$slapd_pid"/cmdline | grep -o 'ldapi://[^ ]*' | head -1)
  ldif=$(variant_ldif "$variant")
  if [ -n "$ldif" ]; then printf '%s' "$ldif" | ldapmodify -Q -Y EXTERNAL -H "$socket" >/dev/null; fi
  # An index added online is built in the background: wait until slapd is idle (under 2 % of a core for a second)
  # so the rounds measure adds, not the reindex.
  for _ in $(seq 1 120); do
    idle0=$(awk '{print $14 + $15}' /proc/"$slapd_pid"/stat); sleep 1
    [ $(( $(awk '{print $14 + $15}' /proc/"$slapd_pid"/stat) - idle0 )) -le $((hz / 50)) ] && break
  done
  [ -n "${SHOW_INDEXES:-}" ] && ldapsearch -Q -LLL -Y EXTERNAL -H "$socket" -b "olcDatabase={1}mdb,cn=config" -s base olcDbIndex | grep -E "cn|sn|givenName" >&2
  for round in $(seq 1 "$rounds"); do
    before=$(awk '{print $14 + $15}' /proc/"$slapd_pid"/stat)
    line=$("$bin/ldap-bench" --url "ldap://127.0.0.1:$ldap_port" --bind-dn "cn=scim-gateway,dc=example,dc=org" \
      --password-file "$work/service.pw" --base ou=people,dc=example,dc=org --keys "$work/keys" \
      --attributes '*,entryUUID,entryCSN,createTimestamp,modifyTimestamp' \
      --concurrency 8 --seconds "$seconds" --name "$variant" --mode add)
    after=$(awk '{print $14 + $15}' /proc/"$slapd_pid"/stat)
    echo "$line" | awk -v t=$((after - before)) -v hz="$hz" -v r="$round" \
      '{ printf "%-20s round %s  %7.0f adds/s  p50 %6.2f ms  slapd %5.0f µs/add  (%d adds, %d errors)\n", $1, r, $2, $3, (t / hz) * 1e6 / ($5 > 0 ? $5 : 1), $5, $6 }'
  done
  kill -TERM "$demo_pid"; wait "$demo_pid" 2>/dev/null || true; demo_pid=""
done
