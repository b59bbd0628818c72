# The two commands: `make run` and `make test`. Everything else is a helper of theirs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

CARGO ?= cargo
NPM ?= npm

.PHONY: help run build test lint rust-test api-check api-types fuzz compose-check bench

help:
	@echo "make run    build and serve smsdesk on http://127.0.0.1:8080 (SQLite, console SMS gateway)"
	@echo "make test   run every check and test (PostgreSQL tests too when TEST_DATABASE_URL is set)"
	@echo "make bench  ingest benchmark on SQLite (and PostgreSQL with TEST_DATABASE_URL)"
	@echo "make api-types  regenerate the OpenAPI document and the frontend's TypeScript types"

## Build and serve. Settings come from the environment and .env (see .env.example); with neither, a SQLite
## file smsdesk.db here and the console gateway, which logs texts instead of sending them.
run: build
	$(CARGO) run --locked -p smsdesk -- serve

build:
	@command -v $(CARGO) >/dev/null || { echo "Rust is needed: https://rustup.rs"; exit 1; }
	$(CARGO) build --locked -p smsdesk

test: lint rust-test api-check fuzz compose-check

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

## Unit and integration tests. Integration tests start the real server with stand-in SMS gateways; with
## TEST_DATABASE_URL=postgres://… each also runs on PostgreSQL in a database of its own.
rust-test:
	@if [ -z "$$TEST_DATABASE_URL" ]; then echo "note: TEST_DATABASE_URL is not set: PostgreSQL tests will be skipped"; fi
	$(CARGO) test --locked --workspace

## The committed OpenAPI document and the frontend's TypeScript types are what the code generates now,
## and the types type-check.
api-check:
	scripts/api-types.sh check
	cd frontend && $(NPM) run --silent typecheck

## Regenerates frontend/openapi.json and frontend/src/api/schema.d.ts after an API change.
api-types:
	scripts/api-types.sh write

## Schema-driven fuzzing (schemathesis, in a venv under tools/fuzz) of every operation in the server's own
## OpenAPI document: no input may produce a 5xx.
fuzz:
	tools/fuzz/run.sh

## Validates docker-compose.yml offline against the Compose Specification and our own rules (no Docker
## engine needed).
compose-check:
	@command -v $(NPM) >/dev/null || { echo "Node.js and npm are needed for the compose check"; exit 1; }
	cd deploy/check-compose && $(NPM) ci --silent --no-audit --no-fund && node check.mjs --project-directory ../..

bench:
	$(CARGO) bench --locked -p smsdesk --bench webhooks
