#!/usr/bin/env bash
# The test command: installs missing system packages, checks the bundled LDAP schema is generated from its
# source, loads it into fresh slapd instances both ways, then builds and runs every unit and integration test.
# Integration tests start their own slapd on 127.0.0.1 and bind as the service account; with CI=true a missing
# slapd fails them (they never skip).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
python3 scripts/gen-ldap-schema.py --check
# The outbound provisioning tests push to python's scim2-server (PyPI), started by the tests on loopback.
if [ ! -x .venv-provisioning/bin/scim2-server ]; then
  python3 -m venv .venv-provisioning && .venv-provisioning/bin/pip install -q "scim2-server==0.8.3"
fi
bash scripts/ldap-selftest.sh
swift build --build-tests
swift test --skip-build "$@"
