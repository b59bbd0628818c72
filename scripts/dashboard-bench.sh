#!/usr/bin/env bash
# Dashboard benchmark (frontend/e2e/bench/dashboard.ts): the first render of the queue with 10,000 tickets in
# the database, on localhost, in Debian's Chromium against the release server (SQLite, console gateway).
# Prints its figures and PASS/MISS against the 1 s target; exits non-zero only when it could not measure.
# Not part of `make test`. `make bench-dashboard` runs this.
#
#   scripts/dashboard-bench.sh
#
# Environment:
#   SMSDESK_BIN=/path/to/smsdesk      a server binary to measure instead of target/release/smsdesk (not rebuilt)
#   CHROMIUM_PATH=/path/to/chromium   the browser (default /usr/bin/chromium; Playwright never downloads one)
#   BENCH_TICKETS=10000  BENCH_RUNS=10  BENCH_CONCURRENCY=16  BENCH_KEEP_DATA=1  BENCH_RUST_LOG=warn
#   BENCH_TRACE=trace.json            also record one more cold load as a Chromium trace (DevTools' Performance panel)
set -euo pipefail

if [[ -n ${BENCH_TRACE:-} && $BENCH_TRACE != /* ]]; then export BENCH_TRACE=$PWD/$BENCH_TRACE; fi
cd "$(dirname "$0")/.."
root=$PWD
# shellcheck source=lib/frontend.sh
source scripts/lib/frontend.sh
e2e=$root/frontend/e2e

chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
[[ -x $chromium ]] || { echo "bench: Chromium not found at $chromium (apt-get install -y chromium, or set CHROMIUM_PATH)" >&2; exit 1; }
export CHROMIUM_PATH=$chromium
command -v node >/dev/null && command -v npm >/dev/null || { echo "bench: Node.js and npm are needed" >&2; exit 1; }

# The server: the release binary, built when missing or older than its sources.
binary=${SMSDESK_BIN:-$root/target/release/smsdesk}
if [[ -z ${SMSDESK_BIN:-} ]] && [[ ! -x $binary || -n $(find "$root/backend" "$root/migrations" "$root/Cargo.toml" \
  "$root/Cargo.lock" -newer "$binary" -type f -print -quit 2>/dev/null) ]]; then
  command -v cargo >/dev/null || { echo "bench: Rust (cargo) is needed to build the server: https://rustup.rs" >&2; exit 1; }
  echo "bench: cargo build --release --locked -p smsdesk"
  cargo build --release --locked -p smsdesk
fi
[[ -x $binary ]] || { echo "bench: no server binary at $binary" >&2; exit 1; }
export SMSDESK_BIN=$binary

# The app: built when dist/ is missing or older than its sources, as scripts/e2e.sh does; Playwright from
# the e2e package.
frontend=$root/frontend
if frontend_is_stale "$frontend"; then
  build_frontend bench "$frontend"
fi
install_e2e_packages bench "$e2e"

cd "$e2e"
exec node --enable-source-maps --import ./bench/typescript-loader.mjs bench/dashboard.ts
