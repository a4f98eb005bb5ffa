#!/usr/bin/env bash
# Lint: swift-format (the toolchain's `swift format`) with the repository's .swift-format, nothing rewritten.
#   scripts/validate.sh                 every Swift file of the package (Sources, Tests, Package.swift)
#   scripts/validate.sh --changed REF   only the Swift files changed since REF (e.g. main)
# Exits non-zero on any finding. Takes a few seconds. The first step of .ci/run. To fix what it finds:
#   swift format format --in-place --recursive --configuration .swift-format Package.swift Sources Tests
set -euo pipefail
cd "$(dirname "$0")/.."

if ! swift format --version >/dev/null 2>&1; then
  echo "validate: swift format is not available in this toolchain" >&2
  exit 2
fi

files=()
if [ "${1:-}" = "--changed" ]; then
  base="${2:?--changed needs a git revision}"
  while IFS= read -r f; do [ -f "$f" ] && files+=("$f"); done < <(git diff --name-only --diff-filter=ACMR "$base" -- '*.swift')
  [ ${#files[@]} -gt 0 ] || { echo "validate: no Swift files changed since $base"; exit 0; }
else
  files=(Package.swift Sources Tests)
fi

out=$(swift format lint --strict --recursive --parallel --configuration .swift-format "${files[@]}" 2>&1) && status=0 || status=$?
if [ "$status" -ne 0 ]; then
  count=$(printf '%s\n' "$out" | grep -cE '(warning|error):' || true)
  printf '%s\n' "$out" | sed -n '1,50p'
  echo "validate: $count swift-format findings" >&2
  exit 1
fi
echo "validate: swift-format lint clean"
