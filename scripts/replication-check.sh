#!/usr/bin/env bash
# replication-check.sh -- two gateway instances on two slapd providers in multi-provider replication.
#
# scripts/slapd-set.sh starts two providers (bundled configuration, syncprov + syncrepl refreshAndPersist both
# ways, olcServerID 1 and 2, olcMultiProvider) on loopback; instance one is configured with [provider 1, provider 2]
# and instance two with [provider 2, provider 1], so each uses a different provider. Checks:
#   - each instance holds connections to its own first provider (ss);
#   - read-your-writes: 30 rounds of create through one instance and read at once through the other, change through
#     the other and read back through the first; every read must see the write (the contextCSN read barrier);
#     a third instance without the barrier (readYourWrites: false) runs the same rounds and its misses are printed;
#   - replication into provider 2 paused: a user created through one instance is missed (404) by an instance on
#     provider 2 without the barrier and found (200) by one with it, which waits until replication resumes 0.5 s later;
#   - a group renamed through one instance is found by the new name through the other at once;
#   - provider 1 frozen (SIGSTOP): reads through instance two (provider 2) wait at most the barrier's 0.5 s;
#   - provider 1 killed (SIGKILL) for 3 s under load on both instances (scripts/loadgen.py): no read fails (retried
#     on provider 2), only writes in flight fail, with 503 + Retry-After, nothing fails after its return.
# Prints N passed, N failed. Needs the debug build and slapd.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/gateway-under-test.sh
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed + 1)); echo "ok    $1"; else failed=$((failed + 1)); echo "FAIL  $1"; fi; }

LDAP_LINES=("networkTimeoutSeconds: 1" "operationTimeoutSeconds: 5" "poolSize: 4")
gut_start --providers 2 "${LDAP_LINES[@]}" || exit 1
mapfile -t URLS < <(bash scripts/slapd-set.sh urls "$GUT_DIR/ldap")
GUT_PIDS[one]=${GUT_PIDS[main]}; GUT_URLS[one]=${GUT_URLS[main]}; unset 'GUT_PIDS[main]'
gut_launch two "${URLS[1]},${URLS[0]}" "${LDAP_LINES[@]}" || exit 1
gut_launch plain "${URLS[1]},${URLS[0]}" "${LDAP_LINES[@]}" "readYourWrites: false" || exit 1
port_of() { echo "${1##*:}"; }
uses() { ss -Htnp state established "( dport = :$(port_of "$2") )" 2>/dev/null | grep -q "pid=$1,"; }
check "instance one uses provider 1" 'uses "${GUT_PIDS[one]}" "${URLS[0]}"'
check "instance two uses provider 2" 'uses "${GUT_PIDS[two]}" "${URLS[1]}"'

AUTH=(-H "Authorization: Bearer $GUT_TOKEN" -H "Content-Type: application/scim+json")
USER=urn:ietf:params:scim:schemas:core:2.0:User PATCH=urn:ietf:params:scim:api:messages:2.0:PatchOp
# rounds A B TAG: create through A, read through B, change through B, read through A; prints the misses.
rounds() {
    local a=$1 b=$2 tag=$3 misses=0 i id w r status
    for ((i = 0; i < 30; i++)); do
        if ((i % 2)); then w=$b r=$a; else w=$a r=$b; fi
        id=$(curl -s "${AUTH[@]}" -X POST "${GUT_URLS[$w]}/Users" \
            -d "{\"schemas\":[\"$USER\"],\"userName\":\"ryw.$tag.$i\",\"name\":{\"givenName\":\"R\",\"familyName\":\"W\"}}" |
            python3 -c 'import json,sys; print(json.load(sys.stdin).get("id",""))' 2>/dev/null)
        [ -n "$id" ] || { misses=$((misses + 1)); continue; }
        status=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "${GUT_URLS[$r]}/Users/$id")
        [ "$status" = 200 ] || misses=$((misses + 1))
        curl -s -o /dev/null "${AUTH[@]}" -X PATCH "${GUT_URLS[$r]}/Users/$id" \
            -d "{\"schemas\":[\"$PATCH\"],\"Operations\":[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"Changed $i\"}]}"
        curl -s "${AUTH[@]}" "${GUT_URLS[$w]}/Users/$id" | grep -q "\"displayName\":\"Changed $i\"" || misses=$((misses + 1))
    done
    echo "$misses"
}
MISSES=$(rounds one two barrier)
check "read-your-writes across instances on different providers: 60 reads, $MISSES missed the write" '[ "$MISSES" = 0 ]'
PLAIN=$(rounds one plain control)
echo "info  without the barrier (readYourWrites: false): $PLAIN of 60 reads missed the write"

# The barrier at work, deterministically: replication into provider 2 is paused (its olcSyncrepl removed over
# ldapi), a user is created through instance one (provider 1), then read at once through `plain` (provider 2, no
# barrier) and through `two` (provider 2, barrier); replication resumes half a second later.
LDAPI2="ldapi://$(printf '%s' "$GUT_DIR/ldap/p2/ldapi" | sed 's|/|%2F|g')"
CFG='olcDatabase={1}mdb,cn=config'
ldapsearch -Q -Y EXTERNAL -H "$LDAPI2" -LLL -o ldif-wrap=no -b "$CFG" -s base olcSyncrepl | grep '^olcSyncrepl' > "$GUT_DIR/syncrepl"
printf 'dn: %s\nchangetype: modify\ndelete: olcSyncrepl\n' "$CFG" | ldapmodify -Q -Y EXTERNAL -H "$LDAPI2" >/dev/null
id=$(curl -s "${AUTH[@]}" -X POST "${GUT_URLS[one]}/Users" \
    -d "{\"schemas\":[\"$USER\"],\"userName\":\"paused.1\",\"name\":{\"givenName\":\"P\",\"familyName\":\"R\"}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("id",""))' 2>/dev/null)
PLAIN_STATUS=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "${GUT_URLS[plain]}/Users/$id")
curl -s -o /dev/null -w '%{http_code} %{time_total}' "${AUTH[@]}" "${GUT_URLS[two]}/Users/$id" > "$GUT_DIR/barrier-read" &
READER=$!
sleep 0.5
{ printf 'dn: %s\nchangetype: modify\nadd: olcSyncrepl\n' "$CFG"; cat "$GUT_DIR/syncrepl"; } | ldapmodify -Q -Y EXTERNAL -H "$LDAPI2" >/dev/null
wait "$READER"
read -r BARRIER_STATUS BARRIER_TIME < "$GUT_DIR/barrier-read"
echo "info  replication paused: without the barrier $PLAIN_STATUS; with it $BARRIER_STATUS after $BARRIER_TIME s (resumed at 0.5 s)"
check "replication paused: the instance without the barrier misses the write (404)" '[ -n "$id" ] && [ "$PLAIN_STATUS" = 404 ]'
check "the instance with the barrier waits for replication to resume and finds the user (200)" \
    '[ "$BARRIER_STATUS" = 200 ] && python3 -c "import sys; sys.exit(0 if 0.4 < $BARRIER_TIME < 2.0 else 1)"'

gid=$(curl -s "${AUTH[@]}" -X POST "${GUT_URLS[one]}/Groups" -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"before"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("id",""))' 2>/dev/null)
curl -s "${AUTH[@]}" "${GUT_URLS[two]}/Groups/$gid" >/dev/null
curl -s -o /dev/null "${AUTH[@]}" -X PATCH "${GUT_URLS[one]}/Groups/$gid" \
    -d "{\"schemas\":[\"$PATCH\"],\"Operations\":[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"after\"}]}"
check "a group renamed through one instance is found by its new name through the other at once" \
    'curl -s "${AUTH[@]}" "${GUT_URLS[two]}/Groups?filter=displayName%20eq%20%22after%22" | grep -q "\"totalResults\":1"'

# What the barrier costs a read: 300 sequential GET /Users/{id} through each provider-2 instance, keep-alive.
python3 - "${GUT_URLS[two]}" "${GUT_URLS[plain]}" "$GUT_TOKEN" "$id" <<'PY'
import http.client, sys, time
def mean_ms(url):
    host, port = url.split("//")[1].split("/")[0].split(":")
    conn = http.client.HTTPConnection(host, int(port))
    path = "/" + url.split("//")[1].split("/", 1)[1] + "/Users/" + sys.argv[4]
    headers = {"Authorization": "Bearer " + sys.argv[3]}
    for _ in range(20): conn.request("GET", path, headers=headers); conn.getresponse().read()
    start = time.perf_counter()
    for _ in range(300): conn.request("GET", path, headers=headers); conn.getresponse().read()
    return (time.perf_counter() - start) / 300 * 1000
print(f"info  GET /Users/{{id}}, mean of 300: {mean_ms(sys.argv[1]):.2f} ms with the barrier, {mean_ms(sys.argv[2]):.2f} ms without")
PY

# A frozen provider (SIGSTOP) must not hold reads through the other one: the barrier waits at most 0.5 s for a
# provider's answer, and leaves it out while its questions are pending.
P1=$(cat "$GUT_DIR/ldap/p1/pid")
kill -STOP "$P1"
python3 - "${GUT_URLS[two]}" "$GUT_TOKEN" "$id" > "$GUT_DIR/frozen" <<'PY'
import http.client, sys, time
url, token, uid = sys.argv[1:4]
host, port = url.split("//")[1].split("/")[0].split(":")
path = "/" + url.split("//")[1].split("/", 1)[1] + "/Users/" + uid
conn = http.client.HTTPConnection(host, int(port), timeout=30)
times, statuses = [], set()
for _ in range(20):
    start = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": "Bearer " + token})
    response = conn.getresponse(); response.read()
    times.append(time.perf_counter() - start); statuses.add(response.status)
print(f"{max(times):.3f} {sum(times):.3f} {','.join(map(str, sorted(statuses)))}")
PY
kill -CONT "$P1"
read -r FROZEN_MAX FROZEN_SUM FROZEN_STATUS < "$GUT_DIR/frozen"
echo "info  provider 1 frozen: 20 reads through instance two took $FROZEN_SUM s, the slowest $FROZEN_MAX s, statuses $FROZEN_STATUS"
check "a frozen provider delays reads through the other by at most the barrier's 0.5 s ask limit" \
    'python3 -c "import sys; sys.exit(0 if $FROZEN_MAX < 1.0 and $FROZEN_SUM < 3.0 else 1)" && [ "$FROZEN_STATUS" = 200 ]'

# ---- provider 1 killed under load on both instances ------------------------------------------------------------
for name in one two; do
    python3 scripts/loadgen.py --url "${GUT_URLS[$name]}" --token "$GUT_TOKEN" --workers 4 --rate 15 --seconds 10 \
        --mix read=6,list=1,write=3 --users 5 --timeout 20 --out "$GUT_DIR/requests-$name" --ready-file "$GUT_DIR/ready-$name" &
    LOADS+=($!)
done
for _ in $(seq 1 100); do [ -f "$GUT_DIR/ready-one" ] && [ -f "$GUT_DIR/ready-two" ] && break; sleep 0.1; done
sleep 3
KILLED=$(date +%s.%N)
kill -KILL "$(cat "$GUT_DIR/ldap/p1/pid")"
sleep 3
bash scripts/slapd-set.sh start "$GUT_DIR/ldap" 1 --owner $$
BACK=$(date +%s.%N)
wait "${LOADS[@]}"
cat "$GUT_DIR"/requests-* > "$GUT_DIR/requests"
summary=$(python3 - "$GUT_DIR/requests" "$KILLED" "$BACK" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
killed, back = float(sys.argv[2]), float(sys.argv[3])
ok = ("200", "201", "204")
reads = [r for r in rows if r[2] in ("read", "list") and r[3] not in ok]
writes = [r for r in rows if r[2] == "write" and r[3] not in ok]
writes_bad = [r for r in writes if not (r[3] == "503" and r[4] != "-" and float(r[1]) >= killed - 0.5 and float(r[0]) <= back + 0.5)]
after = [r for r in rows if float(r[0]) > back + 1 and r[3] not in ok]
print(f"{len(rows)} {len(reads)} {len(writes)} {len(writes_bad)} {len(after)}")
for r in (reads + writes_bad + after)[:5]: print(" ".join(r), file=sys.stderr)
PY
)
read -r TOTAL READS WRITES WRITES_BAD AFTER <<< "$summary"
echo "info  provider 1 killed for 3 s under load: $TOTAL requests, $READS reads failed, $WRITES writes failed ($WRITES_BAD not 503+Retry-After around the kill), $AFTER failures after its return"
check "the load ran" '[ "$TOTAL" -gt 100 ]'
check "no read failed (retried on the other provider)" '[ "$READS" = 0 ]'
check "only writes in flight on the dead provider failed, with 503 + Retry-After (at most 8: 4 workers x 2)" \
    '[ "$WRITES_BAD" = 0 ] && [ "$WRITES" -le 8 ]'
check "every answer is 2xx again after the provider returns" '[ "$AFTER" = 0 ]'
check "both instances still running" 'kill -0 "${GUT_PIDS[one]}" && kill -0 "${GUT_PIDS[two]}"'
echo "replication-check: $passed passed, $failed failed"
[ "$failed" = 0 ]
