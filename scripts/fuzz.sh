#!/usr/bin/env bash
# Fuzzes the protocol core's parsers with libFuzzer: the SCIM filter parser, attribute paths, and request bodies
# (JSON, resources, PATCH, search). The targets live in Tests/Fuzz (a package depending only on SCIMCore) and are
# built in their own scratch path with -sanitize=fuzzer,address.
#
# Usage: scripts/fuzz.sh [--seconds N] [--merge] [filter|path|body ...]
#   --seconds N  run each target N seconds (default 600), all targets at once
#   --merge      fold new coverage into the committed corpus (Tests/SCIMCoreUnitTests/FuzzCorpus/<target>), which the
#                unit tests replay
# Prints per target: executions, executions/s, and any crash (the input is kept in .build-fuzz/artifacts).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=600
MERGE=0
TARGETS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECONDS_EACH=$2; shift 2 ;;
        --merge) MERGE=1; shift ;;
        filter|path|body) TARGETS+=("$1"); shift ;;
        *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(filter path body)

swift build -c release --package-path Tests/Fuzz --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address 2>&1 | tail -n 1
BIN=.build-fuzz/release/SCIMFuzz
WORK=.build-fuzz/work
mkdir -p "$WORK" .build-fuzz/artifacts
# Swift's runtime keeps caches for the life of the process: leak reports would only be noise.
export ASAN_OPTIONS=detect_leaks=0

pids=()
for target in "${TARGETS[@]}"; do
    mkdir -p "$WORK/$target"
    SCIM_FUZZ_TARGET=$target "$BIN" -max_total_time="$SECONDS_EACH" -timeout=5 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix=".build-fuzz/artifacts/$target-" \
        "$WORK/$target" "Tests/SCIMCoreUnitTests/FuzzCorpus/$target" > "$WORK/$target.log" 2>&1 &
    pids+=($!)
done
status=0
for index in "${!TARGETS[@]}"; do
    target=${TARGETS[$index]}
    if ! wait "${pids[$index]}"; then status=1; fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/$target.log" | tail -n1)
    secs=$(sed -n 's/^stat::.*//;s/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$WORK/$target.log" | tail -n1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$WORK/$target.log" | tail -n1)
    crash=$(ls .build-fuzz/artifacts/"$target"-crash-* .build-fuzz/artifacts/"$target"-timeout-* .build-fuzz/artifacts/"$target"-oom-* 2>/dev/null | head -n1 || true)
    printf 'fuzz %-6s %10s executions in %4ss  %7s exec/s  %s\n' "$target" "${runs:-?}" "${secs:-?}" "${rate:-?}" \
        "${crash:+CRASH: $crash}"
    if [ -n "$crash" ]; then status=1; tail -n 40 "$WORK/$target.log"; fi
    if [ "$MERGE" = 1 ]; then
        mkdir -p "$WORK/$target-merged"
        SCIM_FUZZ_TARGET=$target "$BIN" -merge=1 "$WORK/$target-merged" "Tests/SCIMCoreUnitTests/FuzzCorpus/$target" "$WORK/$target" \
            > /dev/null 2>&1
        # Keep the committed corpus small: the seeds plus what adds coverage, at most 300 files of 4 KiB.
        find "$WORK/$target-merged" -type f -size -4k | head -n 300 | while read -r f; do
            cp "$f" "Tests/SCIMCoreUnitTests/FuzzCorpus/$target/"
        done
    fi
done
exit $status
