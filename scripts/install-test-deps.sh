#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain. Idempotent: each
# dependency is checked first and installed only when missing.
set -euo pipefail

# proxmoxer: a third-party PVE client the simulator must satisfy.
if ! python3 -c 'import proxmoxer, requests' >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check 'proxmoxer>=2.3,<3' 'requests>=2.31'
fi
python3 -c 'import proxmoxer; print("proxmoxer", proxmoxer.__version__)'
