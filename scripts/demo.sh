#!/usr/bin/env bash
# Runs the gateway on a throwaway local slapd with the bundled schema and sample data:
#   scripts/demo.sh [--port 8080] [--ldap-port 3389] [--token T] [--users 20] [--data-dir DIR] ...
# Installs missing system packages first. Ctrl-C stops the gateway and slapd.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build --product scim-gateway
exec .build/debug/scim-gateway demo "$@"
