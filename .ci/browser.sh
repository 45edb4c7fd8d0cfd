#!/usr/bin/env bash
# The client area's browser suite: Debian's Chromium (installed if missing), Playwright from the
# committed lock file (no browser download), the release server on a fresh SQLite file and mail
# folder (Playwright starts it and stops it), one worker. Screenshots land in docs/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! dpkg -s chromium fonts-dejavu-core > /dev/null 2>&1; then
  bash .ci/apt.sh chromium fonts-dejavu-core
fi

# The release server: the one .ci/run built meanwhile, else built here.
if [ -z "${PORTAL_BINARY:-}" ]; then
  cargo build --release --quiet -p portal
  PORTAL_BINARY="$(pwd)/target/release/portal"
fi
export PORTAL_BINARY

cd crates/portal/browser
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
npx playwright test
