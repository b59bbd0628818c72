#!/usr/bin/env bash
# Ingest with replicas on PostgreSQL, measured from outside (issue 14's targets), and SQLite for comparison.
#
#   scripts/replicas-bench.sh            (make bench-replicas)
#
# Every request is a distinct signed text (scripts/bench/sign_texts.py), sent by wrk (scripts/bench/texts.lua)
# to the release binary, each run on a database of its own. It prints:
#   1. PostgreSQL, one replica, against pgbench on the same server, in alternating runs: pgbench running issue
#      14's inbound-SMS transaction (find the pair's ticket, open one if none, insert the text:
#      scripts/bench/inbound_sms_minimal.pgbench), and the transaction smsdesk really runs for a text
#      (scripts/bench/inbound_sms.pgbench: also the queue's bookkeeping, the confirmation and its outbox row).
#      Target: smsdesk >= 0.8x the minimal one.
#   2. One replica against three on one database, through nginx (as docker-compose.yml runs them) and
#      directly (one wrk per replica). Target: three >= one.
#   3. Three replicas, one of them SIGSTOPped while under load: webhooks to the other two slower than 1 s (wrk
#      counts them as timeouts). Target: none.
#   4. SQLite, one process, for comparison with earlier runs (22,200-24,600/s at 64 connections before issue 14).
#
# Needs: cargo (builds target/release/smsdesk when missing or older than the sources), python3, wrk, pgbench,
# psql and nginx (Debian: apt-get install wrk nginx-light postgresql-client), and a PostgreSQL where it may
# create databases: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres.
# Knobs: SMSDESK_BIN (another build to measure), BENCH_SECONDS (10) per run, BENCH_CONNECTIONS (64) for wrk, BENCH_PAIRS (3), PGBENCH_CLIENTS (16),
# BENCH_WRITERS (3): PostgreSQL connections that write, over all replicas (one replica gets all of them, each
# of three a third), so that one and three replicas put the same concurrency on the database.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/scripts/bench"
admin_url="${BENCH_DATABASE_URL:-${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}}"
seconds="${BENCH_SECONDS:-10}"
connections="${BENCH_CONNECTIONS:-64}"
pairs="${BENCH_PAIRS:-3}"
pgbench_clients="${PGBENCH_CLIENTS:-16}"
# Writing connections of all replicas together: PostgreSQL has a best concurrency for this machine, and replicas
# share it (DATABASE_WRITERS = this / replicas each), as an operator sizing replicas against one database would.
writers_total="${BENCH_WRITERS:-3}"
public_url="https://desk.example.test"
auth_token="bench-auth-token"
# More texts than a run can send at these rates (a thread that runs out stops: no text is sent twice), and not
# many more: wrk reads its file while its clock runs.
texts_per_second=10000
sqlite_texts_per_second=40000

for tool in python3 wrk pgbench psql nginx; do
  command -v "$tool" >/dev/null || { echo "replicas-bench: $tool is needed (see the top of this script)" >&2; exit 1; }
done

# SMSDESK_BIN runs another build (an earlier commit's, to compare), as it is.
bin="${SMSDESK_BIN:-$root/target/release/smsdesk}"
if [[ -z ${SMSDESK_BIN:-} && ( ! -x $bin || -n $(find "$root/backend/src" "$root/migrations" "$root/Cargo.lock" -newer "$bin" -type f -print -quit) ) ]]; then
  echo "replicas-bench: cargo build --release"
  (cd "$root" && cargo build --release --locked -p smsdesk)
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/smsdesk-replicas-bench.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # new_database runs in a command substitution (a subshell), so its names are kept in a file, not an array.
  if [[ -f $tmp/databases ]]; then
    while read -r db; do psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" </dev/null >/dev/null 2>&1 || true; done <"$tmp/databases"
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

run_id=$((RANDOM * 32768 + RANDOM))
next_run() { run_id=$((run_id + 1)); }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# new_database: a fresh PostgreSQL database, migrated; prints its URL.
new_database() {
  local name="smsdesk_bench_$run_id"
  psql -q "$admin_url" -c "CREATE DATABASE $name" >/dev/null
  echo "$name" >>"$tmp/databases"
  local url
  url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' \
    "$admin_url" "$name")
  env -i "PATH=$PATH" "DATABASE_URL=$url" "RUST_LOG=warn" "$bin" migrate >>"$tmp/migrate.log" 2>&1
  echo "$url"
}

# start_server DATABASE_URL PORT [WRITERS]: a release server, its pid appended to pids; waits for /healthz.
start_server() {
  local database_url=$1 port=$2 writers=${3:-$writers_total}
  env -i "PATH=$PATH" "DATABASE_URL=$database_url" "BIND_ADDR=127.0.0.1:$port" "PUBLIC_URL=$public_url" \
    "DATABASE_WRITERS=$writers" \
    "TWILIO_AUTH_TOKEN=$auth_token" "SMS_GATEWAY=console" "RUST_LOG=warn" \
    "$bin" serve >>"$tmp/server-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "replicas-bench: the server on port $port did not start:" >&2
  cat "$tmp/server-$port.log" >&2
  exit 1
}

stop_servers() {
  for pid in "${pids[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

# Customers per run, as in `make bench`: after each one's first text (which opens its ticket), texts join.
customers=1000

# texts FILE COUNT: COUNT signed texts of this run's customers into FILE.
texts() {
  local file=$1 count=$2
  python3 "$bench/sign_texts.py" "$public_url" "$auth_token" "$run_id" "$count" "$customers" >"$file"
}

# prepare [PARTS]: this run's texts, enough for the run's duration, dealt round-robin into PARTS files (one per
# wrk: every part has texts from every customer, as a proxy spreads them); prints their paths. Made before any
# load starts, so no signing runs while wrk measures.
prepare() {
  local parts=${1:-1} all="$tmp/texts-$run_id.tsv"
  texts "$all" "$((texts_per_second * seconds))"
  local files=()
  for part in $(seq 0 $((parts - 1))); do files+=("$tmp/texts-$run_id-$part.tsv"); done
  awk -v parts="$parts" -v prefix="$tmp/texts-$run_id-" '{ print > (prefix (NR - 1) % parts ".tsv") }' "$all"
  rm -f "$all"
  echo "${files[@]}"
}

# load URL CONNECTIONS THREADS TEXTS [TIMEOUT]: the texts in file TEXTS, sent with wrk; prints
# "rate p99_ms max_ms non2xx timeouts". wrk leaves a request slower than TIMEOUT (default 2s) out of its latency
# figures and counts it as a timeout.
load() {
  local url=$1 conns=$2 threads=$3 file=$4 timeout=${5:-2s}
  local out
  out=$(TEXTS="$file" WRK_THREADS="$threads" wrk -t "$threads" -c "$conns" -d "${seconds}s" --timeout "$timeout" \
    --latency -s "$bench/texts.lua" "$url")
  rm -f "$file"
  echo "$out" >>"$tmp/wrk.log"
  python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
def ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
p99 = ms(re.search(r"\s99%\s+(\S+)", out).group(1))
latency_max = ms(re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
timeouts = re.search(r"Socket errors: .*timeout (\d+)", out)
print(f"{rate:.0f} {p99:.1f} {latency_max:.0f} {non2xx.group(1) if non2xx else 0} {timeouts.group(1) if timeouts else 0}")
PY
}

# pgbench_rate DATABASE_URL SCRIPT: transactions per second of scripts/bench/SCRIPT.pgbench.
pgbench_rate() {
  local database_url=$1 script=$2 out="$tmp/pgbench-$run_id.out"
  if ! pgbench -n -M prepared -c "$pgbench_clients" -j 2 -T "$seconds" -D numbers="$customers" \
    -D run="$run_id" -f "$bench/$script.pgbench" "$database_url" >"$out" 2>&1; then
    echo "replicas-bench: pgbench failed:" >&2
    cat "$out" >&2
    exit 1
  fi
  cat "$out" >>"$tmp/pgbench.log"
  sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$out" | cut -d. -f1
}

# start_nginx PORT UPSTREAM_PORTS...: nginx in front of the replicas, as deploy/nginx.conf proxies.
start_nginx() {
  local port=$1
  shift
  local upstream=""
  for p in "$@"; do upstream+="server 127.0.0.1:$p;"$'\n'; done
  mkdir -p "$tmp/nginx"
  cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes auto;
error_log $tmp/nginx/error.log warn;
pid $tmp/nginx/nginx.pid;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  upstream smsdesk { $upstream keepalive 64; }
  server {
    listen 127.0.0.1:$port;
    client_max_body_size 64k;
    location / {
      proxy_pass http://smsdesk;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
CONF
  nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "replicas-bench: nginx did not start" >&2
  cat "$tmp/nginx/error.log" >&2
  exit 1
}

ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
verdict() { python3 -c "import sys; print('PASS' if float(sys.argv[1]) >= float(sys.argv[2]) else 'MISS')" "$1" "$2"; }

echo "smsdesk replicas benchmark: $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg), ${seconds} s per run,"
echo "wrk at $connections connections, pgbench at $pgbench_clients clients, $writers_total writing connections over all replicas"
echo

# --- 1. One replica against pgbench ---------------------------------------------------------------------------
echo "1. PostgreSQL, one replica, against pgbench on the same server (alternating runs):"
echo "   minimal = issue 14's inbound-SMS transaction: find the pair's ticket, open one if none, insert the text;"
echo "   full = the transaction smsdesk runs for a text (the queue's bookkeeping, the confirmation and outbox row)"
ratios_minimal=() ratios_full=()
for pair in $(seq 1 "$pairs"); do
  next_run
  minimal=$(pgbench_rate "$(new_database)" inbound_sms_minimal)
  next_run
  full=$(pgbench_rate "$(new_database)" inbound_sms)
  next_run
  db=$(new_database)
  port=$(free_port)
  start_server "$db" "$port"
  file=$(prepare)
  read -r rate p99 _ non2xx _ < <(load "http://127.0.0.1:$port" "$connections" 2 "$file")
  stop_servers
  ratios_minimal+=("$(ratio "$rate" "$minimal")") ratios_full+=("$(ratio "$rate" "$full")")
  echo "   round $pair: pgbench minimal $minimal tx/s, full $full tx/s; smsdesk $rate texts/s (p99 $p99 ms," \
    "non-2xx $non2xx): ${ratios_minimal[-1]}x minimal, ${ratios_full[-1]}x full"
done
r=$(median "${ratios_minimal[@]}")
echo "   median ratio to minimal ${r}x: $(verdict "$r" 0.8) against >= 0.8x; to full $(median "${ratios_full[@]}")x"
echo

# --- 2. One replica against three ----------------------------------------------------------------------------
echo "2. One replica against three on one database"
for via in nginx direct; do
  one=() three=()
  for pair in $(seq 1 "$pairs"); do
    for replicas in 1 3; do
      next_run
      db=$(new_database)
      ports=()
      for _ in $(seq 1 "$replicas"); do ports+=("$(free_port)"); done
      for p in "${ports[@]}"; do start_server "$db" "$p" $(((writers_total + replicas - 1) / replicas)); done
      if [[ $via == nginx ]]; then
        proxy=$(free_port)
        start_nginx "$proxy" "${ports[@]}"
        file=$(prepare)
        read -r rate _ _ _ _ < <(load "http://127.0.0.1:$proxy" "$connections" 2 "$file")
      else
        # One wrk per replica, the connections shared out, all at once.
        total=0
        share=$((connections / replicas))
        read -r -a files < <(prepare "$replicas")
        loaders=()
        for i in "${!ports[@]}"; do
          load "http://127.0.0.1:${ports[$i]}" "$share" 1 "${files[$i]}" >"$tmp/direct-${ports[$i]}" &
          loaders+=($!)
        done
        for loader in "${loaders[@]}"; do wait "$loader" || true; done
        for p in "${ports[@]}"; do read -r r _ _ _ _ <"$tmp/direct-$p"; total=$((total + r)); done
        rate=$total
      fi
      stop_servers
      if [[ $replicas == 1 ]]; then one+=("$rate"); else three+=("$rate"); fi
    done
  done
  m1=$(median "${one[@]}")
  m3=$(median "${three[@]}")
  r=$(ratio "$m3" "$m1")
  echo "   $via: one $(printf '%s ' "${one[@]}")texts/s, three $(printf '%s ' "${three[@]}")texts/s;" \
    "medians $m1 / $m3: ${r}x $(verdict "$r" 1.0) against >= 1x"
done
echo

# --- 3. A frozen replica ---------------------------------------------------------------------------------------
echo "3. Three replicas; replica 0 SIGSTOPped 3 s into the run, while under load"
next_run
db=$(new_database)
ports=("$(free_port)" "$(free_port)" "$(free_port)")
for p in "${ports[@]}"; do start_server "$db" "$p" $(((writers_total + 2) / 3)); done
frozen_pid=${pids[0]}
read -r -a files < <(prepare 3)
loaders=()
load "http://127.0.0.1:${ports[0]}" 16 1 "${files[0]}" >/dev/null 2>&1 &
loaders+=($!)
for i in 1 2; do
  # A webhook slower than 1 s counts as a timeout: none may be.
  load "http://127.0.0.1:${ports[$i]}" 24 1 "${files[$i]}" 1s >"$tmp/live-${ports[$i]}" &
  loaders+=($!)
done
sleep 3
kill -STOP "$frozen_pid"
sleep $((seconds - 2))
kill -CONT "$frozen_pid"
for loader in "${loaders[@]}"; do wait "$loader" || true; done
slowest=0 late=0
for p in "${ports[1]}" "${ports[2]}"; do
  read -r rate p99 max non2xx timeouts <"$tmp/live-$p"
  echo "   replica on $p: $rate texts/s, p99 $p99 ms, slowest answered $max ms, over 1 s $timeouts, non-2xx $non2xx"
  ((max > slowest)) && slowest=$max
  late=$((late + timeouts))
done
echo "   webhooks to live replicas over 1 s: $late, slowest answered $slowest ms:" \
  "$( ((late == 0 && slowest <= 1000)) && echo PASS || echo MISS) against none over 1 s"
stop_servers
echo

# --- 4. SQLite -------------------------------------------------------------------------------------------------
echo "4. SQLite, one process, $connections connections"
texts_per_second=$sqlite_texts_per_second
sqlite_rates=()
for run in $(seq 1 "$pairs"); do
  next_run
  port=$(free_port)
  start_server "sqlite://$tmp/sqlite-$run_id.db" "$port"
  file=$(prepare)
  read -r rate p99 _ non2xx _ < <(load "http://127.0.0.1:$port" "$connections" 2 "$file")
  stop_servers
  sqlite_rates+=("$rate")
  echo "   run $run: $rate texts/s, p99 $p99 ms, non-2xx $non2xx"
done
echo "   median $(median "${sqlite_rates[@]}") texts/s (22,200-24,600/s with p99 22-23 ms before issue 14)"
