# Sourced by scripts/e2e.sh and scripts/dashboard-bench.sh: bring the dashboard's build and the e2e package's
# dependencies up to date. Each function takes the caller's name for its log lines.

# Playwright drives Debian's Chromium and never downloads a browser; npm stays quiet.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# frontend_is_stale: dist/ is missing or older than the app's sources.
frontend_is_stale() {
  local frontend=$1
  [[ ! -f $frontend/dist/index.html ]] || [[ -n $(find "$frontend/src" "$frontend/index.html" \
    "$frontend/package-lock.json" "$frontend/vite.config.ts" -newer "$frontend/dist/index.html" -type f -print \
    -quit 2>/dev/null) ]]
}

# build_frontend <label> <frontend dir>: npm ci when the lock file changed, then the production build.
build_frontend() {
  local label=$1 frontend=$2
  if [[ ! -d $frontend/node_modules || $frontend/package-lock.json -nt $frontend/node_modules/.package-lock.json ]]; then
    echo "$label: npm ci (frontend)"
    (cd "$frontend" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  echo "$label: npm run build (frontend)"
  (cd "$frontend" && npm run --silent build)
}

# install_e2e_packages <label> <e2e dir>: Playwright and axe-core, when missing or when the lock file changed.
install_e2e_packages() {
  local label=$1 e2e=$2
  if [[ ! -d $e2e/node_modules || $e2e/package-lock.json -nt $e2e/node_modules/.package-lock.json ]]; then
    echo "$label: npm ci (frontend/e2e)"
    (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
