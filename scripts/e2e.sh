#!/usr/bin/env bash
# Browser end-to-end tests of the console against the real binary (tests/e2e/).
# Idempotent: installs Debian's chromium and the npm packages only when missing,
# builds the UI and the release binary (the one users run; PROXICLOUD_E2E_PROFILE=debug
# for quicker local iterations), then runs the tests. Screenshots and the server's log
# land in tests/e2e/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/proxicloud/target}

if [ ! -x /usr/bin/chromium ]; then
  echo "e2e.sh: installing chromium from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq chromium >&2
fi

# The bundle the binary embeds (build.rs would do the same; doing it here first
# gives npm's errors a clear place in the output).
(cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build)
export PROXICLOUD_E2E_PROFILE=${PROXICLOUD_E2E_PROFILE:-release}
if [ "$PROXICLOUD_E2E_PROFILE" = release ]; then
  PROXICLOUD_SKIP_UI_BUILD=1 cargo build --release -p proxicloud
else
  PROXICLOUD_SKIP_UI_BUILD=1 cargo build -p proxicloud
fi

(cd tests/e2e && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm test)
