#!/usr/bin/env bash
# The frontend's API types come from the server's OpenAPI document:
#   backend (utoipa) --`smsdesk openapi`--> frontend/openapi.json --openapi-typescript--> frontend/src/api/schema.d.ts
#
#   scripts/api-types.sh write   regenerate both files (commit them)
#   scripts/api-types.sh check   exit 1 if either committed file is not what the code generates now
#
# Needs cargo, node and npm; the network only for `npm ci` (npm registry) when frontend/node_modules is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
frontend="$root/frontend"
doc="$frontend/openapi.json"
types="$frontend/src/api/schema.d.ts"
CARGO="${CARGO:-cargo}"
NPM="${NPM:-npm}"

usage() {
  echo "usage: scripts/api-types.sh write|check" >&2
  exit 2
}
[ $# -eq 1 ] || usage

tmp="$(mktemp -d "${TMPDIR:-/tmp}/smsdesk-api-types.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# The OpenAPI document as the server builds it (no database needed).
generate_doc() {
  (cd "$root" && "$CARGO" run -q -p smsdesk -- openapi) >"$1"
}

ensure_node_modules() {
  if [ ! -d "$frontend/node_modules/openapi-typescript" ]; then
    echo "api-types: installing frontend dependencies (npm ci)" >&2
    (cd "$frontend" && "$NPM" ci --silent --no-audit --no-fund)
  fi
}

case "$1" in
  write)
    generate_doc "$tmp/openapi.json"
    # Moved into place only once complete, so a failed build leaves the committed file alone.
    mv "$tmp/openapi.json" "$doc"
    echo "api-types: wrote ${doc#"$root"/}"
    ensure_node_modules
    (cd "$frontend" && "$NPM" run --silent api:types)
    echo "api-types: wrote ${types#"$root"/}"
    ;;
  check)
    stale=0
    generate_doc "$tmp/openapi.json"
    if cmp -s "$tmp/openapi.json" "$doc"; then
      echo "api-types: ${doc#"$root"/} is up to date"
    else
      stale=1
      echo "api-types: ${doc#"$root"/} differs from what \`smsdesk openapi\` prints now:" >&2
      if [ -f "$doc" ]; then
        diff -u --label "committed ${doc#"$root"/}" --label "generated" "$doc" "$tmp/openapi.json" | head -n 40 >&2 || true
      else
        echo "  (the file is missing)" >&2
      fi
    fi
    ensure_node_modules
    # The types as generated from the document the code prints now, compared with the committed ones.
    status=0
    (cd "$frontend" && node scripts/check-api-types.mjs --input "$tmp/openapi.json") || status=$?
    case "$status" in
      0) ;;
      1) stale=1 ;;
      *) echo "api-types: could not generate the types (exit $status)" >&2; exit "$status" ;;
    esac
    if [ "$stale" -ne 0 ]; then
      echo "api-types: the committed API document or types are out of date: run \`scripts/api-types.sh write\` and commit the result." >&2
      exit 1
    fi
    ;;
  *)
    usage
    ;;
esac
