# syntax=docker/dockerfile:1
#
# smsdesk container image: `docker build -t smsdesk .`
#
#   docker run --rm -p 8080:8080 smsdesk                 # serve, SQLite file in /var/lib/smsdesk
#   docker run --rm -e DATABASE_URL=postgres://… smsdesk migrate
#
# Configuration is the environment (see .env.example); docker-compose.yml runs PostgreSQL, a one-shot
# migration and several replicas behind nginx. Needs BuildKit (the default builder of current Docker and of
# `docker compose build`) for the cache mounts below.

# --- dashboard --------------------------------------------------------------------------------------------
# The single-page app, built on its own; only its dist/ reaches the runtime image.
FROM node:20-bookworm-slim AS dashboard
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY frontend ./
RUN npm run build

# --- build ------------------------------------------------------------------------------------------------
# The rust:*-bookworm image is based on buildpack-deps:bookworm, so the C compiler (bundled SQLite, ring) and
# libpq-dev (pq-sys links the system libpq) are already there.
FROM rust:1.95-bookworm AS build
WORKDIR /src

# Only what the build reads: the migrations are embedded at compile time (backend/build.rs).
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY .cargo ./.cargo
COPY backend ./backend
COPY migrations ./migrations

# The registry and target dir live in BuildKit cache mounts, so a rebuild after a source change only
# recompiles smsdesk itself. The cache mount is not part of the image: copy the binary out in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/git/db \
    --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p smsdesk \
    && install -m 0755 target/release/smsdesk /usr/local/bin/smsdesk

# --- runtime ----------------------------------------------------------------------------------------------
FROM debian:bookworm-slim

# libpq5: the PostgreSQL client library the binary links; ca-certificates: the roots rustls trusts when
# calling the SMS gateways. SQLite is compiled in.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 smsdesk \
    && useradd --system --uid 10001 --gid smsdesk --home-dir /var/lib/smsdesk --create-home \
       --shell /usr/sbin/nologin smsdesk

COPY --from=build /usr/local/bin/smsdesk /usr/local/bin/smsdesk
COPY --from=dashboard /src/frontend/dist /usr/share/smsdesk/dashboard
ENV FRONTEND_DIR=/usr/share/smsdesk/dashboard

USER smsdesk
# The default DATABASE_URL (sqlite://smsdesk.db) is relative: it lands here, in a directory smsdesk may write.
WORKDIR /var/lib/smsdesk

# The server's own default is 127.0.0.1:8080, which is unreachable from outside a container.
ENV BIND_ADDR=0.0.0.0:8080
EXPOSE 8080

# No HEALTHCHECK: the image has no HTTP client. GET /healthz answers 200 while the database does.
ENTRYPOINT ["smsdesk"]
CMD ["serve"]
