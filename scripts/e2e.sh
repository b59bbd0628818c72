#!/usr/bin/env bash
# End-to-end tests (frontend/e2e): Debian's Chromium, driven by Playwright, against the real smsdesk server
# (debug build, SQLite) and a stand-in Twilio. Builds what is missing first. `make test` runs this.
#
#   scripts/e2e.sh [playwright test options…]     e.g. scripts/e2e.sh tests/xss.spec.ts --headed
#
# Environment:
#   CHROMIUM_PATH=/path/to/chromium   the browser (default /usr/bin/chromium; Playwright never downloads one)
#   E2E_REQUIRE_CHROMIUM=1            a missing Chromium fails the run instead of skipping it (CI sets this)
#   E2E_REBUILD_FRONTEND=1            rebuild frontend/dist even when it looks current
#   E2E_NO_BUILD=1                    use the server binary and frontend/dist as they are (build only what is missing)
#   SMSDESK_BIN=/path/to/smsdesk      a server binary to test instead of target/debug/smsdesk (not rebuilt)
#   E2E_KEEP_DATA=1                   keep the run's SQLite database (its directory is printed)
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
# shellcheck source=lib/frontend.sh
source scripts/lib/frontend.sh
e2e=$root/frontend/e2e

chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
  if [[ ${E2E_REQUIRE_CHROMIUM:-} == 1 ]]; then
    echo "e2e: FAILED: Chromium not found at $chromium (apt-get install -y chromium, or set CHROMIUM_PATH)" >&2
    exit 1
  fi
  echo "e2e: SKIPPED: Chromium not found (apt-get install -y chromium)"
  exit 0
fi
export CHROMIUM_PATH=$chromium

command -v node >/dev/null && command -v npm >/dev/null || { echo "e2e: Node.js and npm are needed" >&2; exit 1; }

# The server: the debug binary, built when missing or older than its sources (never a release build).
binary=${SMSDESK_BIN:-$root/target/debug/smsdesk}
export SMSDESK_BIN=$binary
if [[ ${E2E_NO_BUILD:-} == 1 ]]; then
  [[ -x $binary ]] || { echo "e2e: E2E_NO_BUILD=1 but there is no server binary at $binary" >&2; exit 1; }
elif [[ $binary == "$root/target/debug/smsdesk" ]] && [[ ! -x $binary || -n $(find "$root/backend" "$root/migrations" \
  "$root/Cargo.toml" "$root/Cargo.lock" -newer "$binary" -type f -print -quit 2>/dev/null) ]]; then
  command -v cargo >/dev/null || { echo "e2e: Rust (cargo) is needed to build the server: https://rustup.rs" >&2; exit 1; }
  echo "e2e: cargo build --locked -p smsdesk"
  cargo build --locked -p smsdesk
fi
[[ -x $binary ]] || { echo "e2e: no server binary at $binary" >&2; exit 1; }

# The app: built when dist/ is missing, or older than its sources (or on request).
frontend=$root/frontend
if [[ ${E2E_REBUILD_FRONTEND:-} == 1 || ! -f $frontend/dist/index.html ]] \
  || { [[ ${E2E_NO_BUILD:-} != 1 ]] && frontend_is_stale "$frontend"; }; then
  build_frontend e2e "$frontend"
fi

# The tests' own packages (Playwright, axe-core).
install_e2e_packages e2e "$e2e"

echo "e2e: $("$chromium" --version 2>/dev/null | head -n1), Playwright $(cd "$e2e" && node -p 'require("@playwright/test/package.json").version')"
cd "$e2e"
exec npx --no-install playwright test "$@"
