# The two commands: `make run` and `make test`. Everything else is a helper of theirs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

CARGO ?= cargo
NPM ?= npm

.PHONY: help run build frontend-build test lint deny audit rust-test api-check api-types frontend-check e2e fuzz compose-check bench bench-dashboard bench-signin bench-replicas bench-copy bench-export bench-reports

# The cargo-deny that deny.toml was written and tested against; `make deny` and `make audit` install it when
# cargo-deny is missing.
CARGO_DENY_VERSION := 0.20.2

# npm writes this file on every install: the app's dependencies are reinstalled when the lock file changes.
FRONTEND_DEPS := frontend/node_modules/.package-lock.json

help:
	@echo "make run    build and serve smsdesk on http://127.0.0.1:8080 (SQLite, console SMS gateway)"
	@echo "make test   run every check and test (PostgreSQL tests too when TEST_DATABASE_URL is set)"
	@echo "make bench  ingest benchmark on SQLite (and PostgreSQL with TEST_DATABASE_URL)"
	@echo "make bench-dashboard  the queue's first render in Chromium with 10,000 tickets (target < 1 s)"
	@echo "make bench-signin  RSS and latency of 160 failed sign-ins in bursts of 40 (target <= 150 MB above idle)"
	@echo "make bench-copy  time of smsdesk copy with 100k tickets / 1M messages, SQLite -> PostgreSQL -> SQLite"
	@echo "make bench-export  CSV export of 1M tickets / 1M messages: rows/s and the server's peak RSS at 100k and 1M rows"
	@echo "make bench-reports  30-day summary and daily series on 1M tickets / 5M messages: p50/p95 (target p95 <= 200 ms)"
	@echo "make bench-replicas  PostgreSQL ingest against pgbench, one replica against three, a frozen replica; SQLite (wrk)"
	@echo "make api-types  regenerate the OpenAPI document and the frontend's TypeScript types"
	@echo "make e2e   end-to-end tests in Chromium against the real server (skipped without /usr/bin/chromium)"
	@echo "make deny   the dependency policy in deny.toml: licenses, banned crates, crates.io only (part of make test)"
	@echo "make audit  known vulnerabilities in the Rust and shipped npm dependencies (needs network; before a release)"

## Build and serve: the dashboard and the API on http://127.0.0.1:8080. Settings come from the environment
## and .env (see .env.example); with neither, a SQLite file smsdesk.db here and the console gateway, which
## logs texts instead of sending them.
run: build
	$(CARGO) run --locked -p smsdesk -- serve

build: frontend-build
	@command -v $(CARGO) >/dev/null || { echo "Rust is needed: https://rustup.rs"; exit 1; }
	$(CARGO) build --locked -p smsdesk

$(FRONTEND_DEPS): frontend/package-lock.json
	@command -v $(NPM) >/dev/null || { echo "Node.js 20.19+ and npm are needed for the dashboard"; exit 1; }
	cd frontend && $(NPM) ci --no-audit --no-fund

## The dashboard's production build (frontend/dist, served by the backend at /); prints the initial
## JavaScript's gzipped size and fails above 150 KB.
frontend-build: $(FRONTEND_DEPS)
	cd frontend && $(NPM) run --silent build

test: lint deny rust-test api-check frontend-check e2e fuzz compose-check

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

# Installs the pinned cargo-deny when there is none (a clean CI machine); a different version is used as it is.
define ensure-cargo-deny
@if ! $(CARGO) deny --version >/dev/null 2>&1; then \
  echo "cargo-deny is not installed: installing cargo-deny $(CARGO_DENY_VERSION) (cargo install --locked, once, a few minutes)"; \
  $(CARGO) install --locked cargo-deny@$(CARGO_DENY_VERSION); \
elif [ "$$($(CARGO) deny --version)" != "cargo-deny $(CARGO_DENY_VERSION)" ]; then \
  echo "note: $$($(CARGO) deny --version) here; deny.toml is tested with $(CARGO_DENY_VERSION) (cargo install --locked cargo-deny@$(CARGO_DENY_VERSION))"; \
fi
endef

## The dependency policy in deny.toml, on every crate of every platform: licenses compatible with
## AGPL-3.0-or-later, no banned crates (OpenSSL, aws-lc), no `*` requirements, crates from crates.io only.
## Needs no network beyond crates.io (no advisory database); any finding fails.
deny:
	$(ensure-cargo-deny)
	$(CARGO) deny --locked check licenses bans sources

## Known vulnerabilities, and unsound, unmaintained or yanked crates, in the Rust dependencies (RustSec advisory
## database, cloned from GitHub) and in the dashboard's shipped npm dependencies, high severity and up (the npm
## registry's audit service). Needs network access to both, so it is not part of `make test`; run it on a
## connected machine before each release (README, "Supply chain"). Runs both audits, fails if either does.
audit:
	$(ensure-cargo-deny)
	@status=0; log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	echo "$(CARGO) deny --locked check advisories"; \
	$(CARGO) deny --locked check advisories 2>&1 | tee "$$log"; \
	if [ "$${PIPESTATUS[0]}" -ne 0 ]; then \
	  status=1; \
	  if grep -q 'failed to fetch advisory database' "$$log"; then \
	    echo "make audit: could not fetch the RustSec advisory database (https://github.com/rustsec/advisory-db). It needs network access to GitHub: run make audit on a connected machine." >&2; \
	  else \
	    echo "make audit: RustSec advisories above. README, \"Supply chain\": how to read and waive one." >&2; \
	  fi; \
	fi; \
	echo "cd frontend && $(NPM) audit --omit=dev --audit-level=high"; \
	(cd frontend && $(NPM) audit --omit=dev --audit-level=high) 2>&1 | tee "$$log"; \
	if [ "$${PIPESTATUS[0]}" -ne 0 ]; then \
	  status=1; \
	  if grep -Eq 'audit endpoint returned an error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET' "$$log"; then \
	    echo "make audit: npm could not use the registry's audit endpoint (POST /-/npm/v1/security/advisories/bulk). It needs network access to registry.npmjs.org's audit service, which a mirror or proxy that only serves packages refuses (405): run make audit on a connected machine." >&2; \
	  else \
	    echo "make audit: npm advisories above (the dashboard's shipped dependencies). README, \"Supply chain\": how to read and waive one." >&2; \
	  fi; \
	fi; \
	exit $$status

## Unit and integration tests. Integration tests start the real server with stand-in SMS gateways; with
## TEST_DATABASE_URL=postgres://… each also runs on PostgreSQL in a database of its own. With nginx installed
## (Debian: nginx-light) too, the proxy tests run deploy/nginx.conf in front of three replicas
## (backend/tests/api/proxy.rs: kill -9 during a burst, a rolling restart); PROXY_TESTS_REQUIRE_NGINX=1 (CI)
## fails them when nginx is missing instead of skipping them.
rust-test:
	@if [ -z "$$TEST_DATABASE_URL" ]; then echo "note: TEST_DATABASE_URL is not set: PostgreSQL tests will be skipped"; fi
	@if [ -z "$$NGINX" ] && ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then echo "note: nginx is not installed: the proxy tests will be skipped"; fi
	$(CARGO) test --locked --workspace

## The committed OpenAPI document and the frontend's TypeScript types are what the code generates now,
## and the types type-check.
api-check: $(FRONTEND_DEPS)
	scripts/api-types.sh check
	cd frontend && $(NPM) run --silent typecheck

## Regenerates frontend/openapi.json and frontend/src/api/schema.d.ts after an API change.
api-types:
	scripts/api-types.sh write

## The dashboard's lint (ESLint), strict type check and component tests (Vitest, Testing Library).
frontend-check: $(FRONTEND_DEPS)
	cd frontend && $(NPM) run --silent lint && $(NPM) run --silent typecheck && $(NPM) test

## Playwright in Debian's Chromium against the real server (SQLite, a stand-in SMS gateway); takes the
## README's screenshots. Reports skipped on a machine without Chromium; .ci/run installs it.
e2e: frontend-build
	scripts/e2e.sh

## Schema-driven fuzzing (schemathesis, in a venv under tools/fuzz) of every operation in the server's own
## OpenAPI document: no input may produce a 5xx. On SQLite, and with TEST_DATABASE_URL=postgres://… also on
## PostgreSQL in a database of its own (NUL bytes in strings fail only there).
fuzz:
	tools/fuzz/run.sh

## Validates docker-compose.yml offline against the Compose Specification and our own rules (no Docker
## engine needed).
compose-check:
	@command -v $(NPM) >/dev/null || { echo "Node.js and npm are needed for the compose check"; exit 1; }
	cd deploy/check-compose && $(NPM) ci --silent --no-audit --no-fund && node check.mjs --project-directory ../..

bench:
	$(CARGO) bench --locked -p smsdesk --bench webhooks

## The dashboard's first render of the queue with 10,000 tickets (release server, SQLite, Debian's Chromium):
## prints each load's time, the median and p95, and PASS/MISS against the 1 s target. Not part of `make test`.
bench-dashboard:
	scripts/dashboard-bench.sh

## Failed sign-ins (issue 13): the release server's RSS (idle, peak, 5 s after) and sign-in latency over 160
## wrong POST /api/session in 4 bursts of 40, mostly to unknown addresses; PASS/MISS against RSS <= 150 MB
## above idle. PostgreSQL too with BENCH_DATABASE_URL or TEST_DATABASE_URL. Not part of `make test`.
bench-signin:
	$(CARGO) bench --locked -p smsdesk --bench signin

## `smsdesk copy` of a desk of 100,000 tickets and 1,000,000 messages seeded with SQL: SQLite -> PostgreSQL and
## back, with BENCH_DATABASE_URL or TEST_DATABASE_URL (SQLite -> SQLite without). Prints the time of each
## direction. Not part of `make test`.
bench-copy:
	$(CARGO) bench --locked -p smsdesk --bench copy

## The CSV exports (issue 17) of a desk of 1,000,000 tickets and 1,000,000 messages seeded with SQL: downloads
## tickets.csv and messages.csv from the release server and prints rows/s and the server's peak RSS up to 100,000
## rows and up to 1,000,000 (constant memory: about the same). PostgreSQL too with BENCH_DATABASE_URL or
## TEST_DATABASE_URL. Not part of `make test`.
bench-export:
	$(CARGO) bench --locked -p smsdesk --bench export

## Reports (issue 18) on a year of 1,000,000 tickets and 5,000,000 messages seeded with SQL: waits for the release
## server's rollup to count them, then times the 30-day summary, the daily series and the agent and inbox tables
## (target: p95 <= 200 ms for the summary and the daily series). PostgreSQL too with BENCH_DATABASE_URL or
## TEST_DATABASE_URL. Not part of `make test`.
bench-reports:
	$(CARGO) bench --locked -p smsdesk --bench reports

## PostgreSQL ingest from outside (wrk, distinct signed texts) against pgbench running the same transaction, one
## replica against three (through nginx and directly), a replica frozen under load, and SQLite for comparison.
## Needs wrk, pgbench, psql and nginx; not part of `make test`.
bench-replicas:
	scripts/replicas-bench.sh
