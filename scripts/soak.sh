#!/usr/bin/env bash
# soak.sh -- moderate mixed load for N minutes; resources must stay flat and nothing may answer 5xx.
#
# A slapd with the bundled configuration and the gateway binary on loopback (scripts/lib/gateway-under-test.sh),
# 4 workers at 10 requests/s each (scripts/loadgen.py): reads by id and by filter, group lists, user create+delete,
# group member adds and removes, malformed input. Prints the gateway's RSS, file descriptors and threads at the
# start (after warm-up), every minute and at the end, and the answers by kind and status.
# Fails (exit 1) on any 5xx, any connection error, bad input not answered 400, or fds or threads above their
# start level (+2) once the load has stopped.
#
# Usage: scripts/soak.sh [--minutes N]    (default 30; CI runs 1)
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/gateway-under-test.sh
MINUTES=30
[ "${1:-}" = --minutes ] && MINUTES=${2:?}
gut_start "poolSize: 8" || exit 1
D=$GUT_DIR
SECONDS_TOTAL=$((MINUTES * 60))
python3 scripts/loadgen.py --url "$GUT_URL" --token "$GUT_TOKEN" --workers 4 --rate 10 --seconds "$SECONDS_TOTAL" \
    --mix read=6,list=1,write=1,member=1,bad=1 --out "$D/requests" --ready-file "$D/ready" &
LOAD=$!
for _ in $(seq 1 300); do [ -f "$D/ready" ] && break; kill -0 "$LOAD" 2>/dev/null || break; sleep 0.1; done
[ -f "$D/ready" ] || { echo "soak: the load generator did not start" >&2; exit 1; }
sleep 5
read -r FD0 TH0 RSS0 <<< "$(gut_figures "$GUT_PID")"
echo "soak: start      fds $FD0, threads $TH0, RSS $RSS0 KiB"
for ((m = 1; m <= MINUTES; m++)); do
    for _ in $(seq 1 60); do kill -0 "$LOAD" 2>/dev/null || break; sleep 1; done
    read -r FD TH RSS <<< "$(gut_figures "$GUT_PID")"
    printf 'soak: minute %-3s fds %s, threads %s, RSS %s KiB, %s requests so far\n' "$m" "$FD" "$TH" "$RSS" "$(wc -l < "$D/requests")"
done
wait "$LOAD"
for _ in $(seq 1 30); do
    sleep 0.5
    read -r FD TH RSS <<< "$(gut_figures "$GUT_PID")"
    [ "$FD" -le $((FD0 + 2)) ] && [ "$TH" -le $((TH0 + 2)) ] && break
done
echo "soak: end        fds $FD, threads $TH, RSS $RSS KiB (load stopped)"
kill -0 "$GUT_PID" 2>/dev/null || { echo "FAIL  the gateway died"; exit 1; }
python3 - "$D/requests" "$FD0 $TH0" "$FD $TH" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1])]
start, end = [int(x) for x in sys.argv[2].split()], [int(x) for x in sys.argv[3].split()]
by = {}
for r in rows:
    key = (r[2], r[3] if r[3] != "0" else r[5])
    by[key] = by.get(key, 0) + 1
print(f"soak: {len(rows)} requests: " + ", ".join(f"{k} {s} x{n}" for (k, s), n in sorted(by.items())))
problems = []
five = [r for r in rows if r[3] != "0" and int(r[3]) >= 500]
errors = [r for r in rows if r[3] == "0"]
bad = [r for r in rows if r[2] == "bad" and r[3] != "400"]
if five: problems.append(f"{len(five)} 5xx, e.g. {' '.join(five[0])}")
if errors: problems.append(f"{len(errors)} connection errors, e.g. {' '.join(errors[0])}")
if bad: problems.append(f"{len(bad)} malformed requests not answered 400")
if end[0] > start[0] + 2 or end[1] > start[1] + 2: problems.append("fds or threads above their start level")
for p in problems: print("FAIL  " + p)
print("soak: " + ("passed" if not problems else f"{len(problems)} problem(s)"))
sys.exit(1 if problems else 0)
PY
