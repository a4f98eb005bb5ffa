#!/usr/bin/env bash
# faults.sh -- what a directory outage does to the gateway's clients, measured under load.
#
# Starts a slapd with the bundled configuration (scripts/slapd-set.sh) and the gateway binary on loopback,
# puts a bounded mixed load on it (scripts/loadgen.py: 4 workers, 25 requests/s each: reads, lists, writes, bad
# input), then:
#   1. kills slapd (SIGKILL) for KILL seconds and starts it again on the same data;
#   2. freezes it (SIGSTOP) for FREEZE seconds and thaws it (SIGCONT).
# Prints, per fault: what clients got while the directory was away, the slowest answer, the time from the
# directory's return to the first 200; and the gateway's file descriptors, threads and RSS before and after.
# Fails (exit 1) unless: while away, every request needing the directory got 503 with Retry-After (or 504), within
# the operation timeout (plus the pool's wait, also bounded by it); no connection error, no 500, anywhere; the first
# 200 within 2 s of the return; fds and threads back to their level before the faults (+2).
#
# Usage: scripts/faults.sh [--short]      (--short: 4 s faults, for CI; default 10 s kill, 8 s freeze)
#        KEEP=1 keeps the temporary directory (logs, per-request records).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/gateway-under-test.sh

KILL=10 FREEZE=8 SETTLE=5 BASELINE=3 OP_TIMEOUT=3
[ "${1:-}" = --short ] && { KILL=4; FREEZE=4; SETTLE=4; }
TOTAL=$((BASELINE + KILL + SETTLE + FREEZE + SETTLE + 2))

gut_start "networkTimeoutSeconds: 1" "operationTimeoutSeconds: $OP_TIMEOUT" "poolSize: 8" || exit 1
D=$GUT_DIR
event() { echo "$(date +%s.%N) $1" >> "$D/events"; }

python3 scripts/loadgen.py --url "$GUT_URL" --token "$GUT_TOKEN" --workers 4 --rate 25 --seconds "$TOTAL" \
    --mix read=8,list=1,write=1,bad=1 --timeout 30 --out "$D/requests" --ready-file "$D/ready" &
LOAD=$!
for _ in $(seq 1 300); do [ -f "$D/ready" ] && break; kill -0 "$LOAD" 2>/dev/null || break; sleep 0.1; done
[ -f "$D/ready" ] || { echo "faults: the load generator did not start" >&2; exit 1; }

sleep "$BASELINE"
BEFORE=$(gut_figures "$GUT_PID")
# Each fault's start is noted after its signal, its end before the directory can answer again (before the restart,
# before SIGCONT): on a busy machine a fork can take tens of milliseconds, and a request judged "while away" must
# really have been. (Noting the kill's end after the restart had returned judged reads that slapd, already back,
# answered 200 in those milliseconds as failures: CI of 2026-12-05.)
SLAPD=$(cat "$D/ldap/p1/pid")
kill -KILL "$SLAPD"
event kill
sleep "$KILL"
# "away" ends before the restart; "back" is when slapd answers again, and the first 2xx is timed from there.
event restart
bash scripts/slapd-set.sh start "$D/ldap" 1 --owner $$ || exit 1
event back
sleep "$SETTLE"
SLAPD=$(cat "$D/ldap/p1/pid")
kill -STOP "$SLAPD"
event freeze
sleep "$FREEZE"
event thaw
kill -CONT "$SLAPD"
wait "$LOAD"
# Idle worker threads (dispatch, NIO's blocking pool) linger a few seconds after use: wait up to 15 s for the
# thread count to come back, and print how long that took.
SETTLED=0
for i in $(seq 1 30); do
    sleep 0.5
    AFTER=$(gut_figures "$GUT_PID")
    set -- $BEFORE; b_fd=$1 b_th=$2; set -- $AFTER
    if [ "$1" -le $((b_fd + 2)) ] && [ "$2" -le $((b_th + 2)) ]; then SETTLED=$i; break; fi
done
echo "faults: threads/fds measured $(awk "BEGIN { print ${SETTLED:-30} * 0.5 }") s after the load stopped" \
    "$( [ "$SETTLED" = 0 ] && echo "(never back within 15 s)")"
for t in /proc/$GUT_PID/task/*/comm; do cat "$t"; done 2>/dev/null | sort | uniq -c | sort -rn | tr '\n' ';' | sed 's/^/faults: gateway threads: /'; echo
kill -0 "$GUT_PID" 2>/dev/null && ALIVE=1 || ALIVE=0

python3 - "$D/events" "$D/requests" "$OP_TIMEOUT" "$BEFORE" "$AFTER" "$ALIVE" "$KILL" "$FREEZE" <<'EOF'
import sys
events_file, requests_file, op_timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
before, after = [int(x) for x in sys.argv[4].split()], [int(x) for x in sys.argv[5].split()]
alive, kill_s, freeze_s = sys.argv[6] == "1", sys.argv[7], sys.argv[8]
events = {}
for line in open(events_file):
    t, name = line.split()
    events[name] = float(t)
rows = []
for line in open(requests_file):
    s, e, kind, status, retry, error = line.split()
    rows.append((float(s), float(e), kind, int(status), retry, error))
problems = []
print(f"faults: {len(rows)} requests; kill {kill_s} s, freeze {freeze_s} s, operation timeout {op_timeout:g} s")
faults = {"slapd killed": ("kill", "restart", "back"), "slapd frozen": ("freeze", "thaw", "thaw")}
for name, (down, returning, up) in faults.items():
    t0, t_end, t1 = events[down], events[returning], events[up]
    away = [r for r in rows if r[0] >= t0 + 0.05 and r[1] <= t_end and r[2] != "bad"]
    counts = {}
    for r in away:
        key = f"{r[3]}{'+Retry-After' if r[3] == 503 and r[4] != '-' else ''}" if r[3] else r[5]
        counts[key] = counts.get(key, 0) + 1
    slowest = max((r[1] - r[0] for r in away), default=0)
    bad = [r for r in away if not ((r[3] == 503 and r[4] != "-") or r[3] == 504)]
    first = min((r[1] for r in rows if r[3] in (200, 201, 204) and r[1] > t1 and r[2] != "bad"), default=None)
    to_first = (first - t1) if first else None
    print(f"  {name}: {len(away)} requests while away: "
          + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())) + f"; slowest {slowest:.2f} s; "
          + (f"first 2xx {to_first:.2f} s after its return" if to_first is not None else "no 2xx after its return"))
    if bad:
        problems.append(f"{name}: {len(bad)} answers other than 503+Retry-After/504, e.g. {bad[0]}")
    if slowest > 2 * op_timeout + 1:
        problems.append(f"{name}: an answer took {slowest:.2f} s (bound {2 * op_timeout + 1:g} s)")
    if to_first is None or to_first > 2:
        problems.append(f"{name}: first 2xx {to_first} s after the return (goal < 2 s)")
errors = [r for r in rows if r[3] == 0]
five = [r for r in rows if r[3] >= 500 and r[3] not in (503, 504)]
# Outside the faults: requests that neither overlapped one (a request in flight when slapd was frozen answers 503
# after the operation timeout, legitimately) nor began within 2 s of its end.
outside = [r for r in rows if r[2] != "bad" and r[3] >= 500
           and (r[1] < events["kill"] or (events["back"] + 2 < r[0] and r[1] < events["freeze"]) or r[0] > events["thaw"] + 2)]
bad_input = [r for r in rows if r[2] == "bad" and r[3] != 400]
print(f"  connection errors: {len(errors)}; 5xx other than 503/504: {len(five)}; 5xx outside the faults: {len(outside)};"
      f" bad input not answered 400: {len(bad_input)}")
for label, rs in (("connection errors", errors), ("500s", five), ("5xx outside the faults", outside), ("bad input", bad_input)):
    if rs:
        problems.append(f"{label}: {len(rs)}, e.g. {rs[0]}")
print(f"  gateway before: {before[0]} fds, {before[1]} threads, {before[2]} KiB RSS;"
      f" after: {after[0]} fds, {after[1]} threads, {after[2]} KiB RSS; running: {'yes' if alive else 'NO'}")
if not alive:
    problems.append("the gateway died")
if after[0] > before[0] + 2 or after[1] > before[1] + 2:
    problems.append("fds or threads not back to their level before the faults")
for p in problems:
    print("FAIL  " + p)
print("faults: " + ("passed" if not problems else f"{len(problems)} problem(s)"))
sys.exit(1 if problems else 0)
EOF
STATUS=$?
[ "$STATUS" = 0 ] || { echo "--- gateway log (tail) ---"; tail -n 15 "$D/main.log"; }
exit "$STATUS"
