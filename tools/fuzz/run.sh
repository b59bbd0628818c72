#!/usr/bin/env bash
# Schema-driven fuzz test: schemathesis generates requests from smsdesk's OpenAPI document (valid ones and
# invalid ones) against a real server on a throw-away database, and fails if any answer is a 5xx. It runs on
# SQLite, and then again, the same way, on PostgreSQL when TEST_DATABASE_URL names a server: the backends fail
# differently (PostgreSQL text cannot hold a NUL byte, SQLite's can), so a run on one proves nothing about the
# other.
#
#   tools/fuzz/run.sh                 from any directory; builds target/debug/smsdesk first
#   SMSDESK_BIN=path tools/fuzz/run.sh   use that binary, build nothing
#   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres tools/fuzz/run.sh
#                                     PostgreSQL too, in a database the run creates there and drops at the end
#
# Knobs (environment): FUZZ_MAX_EXAMPLES (50 per operation and phase), FUZZ_SEED (20261121),
# FUZZ_WORKERS (1: one worker keeps the run reproducible), FUZZ_CHECKS (the gate, see below),
# FUZZ_EXTRA_ARGS (appended to `st run`, e.g. "--phases fuzzing"), FUZZ_KEEP_TMP=1 (keep the database,
# server log, HAR of every request and schema; they are always kept when the run fails), FUZZ_NUL_EVERY
# (4: one request in that many carries NUL bytes, see hooks.py). Every knob applies to each backend.
#
# The gate: no 5xx for any input (`not_a_server_error`), the server still alive and never panicking, texts
# with a NUL byte in their body stored like any other (seeded below), plus every other check that holds
# today: answers match their documented schemas, content types and headers, required headers and auth are
# enforced, deleted resources stay gone, created ones can be fetched.
# Left out for now: status_code_conformance and positive_data_acceptance (the document does not yet list
# every status the server answers, e.g. 415, nor every limit it enforces), unsupported_method and
# allow_header_conformance (PATCH/OPTIONS /api/tickets/counts), negative_data_rejection (JSON arrays are
# accepted as bodies). See them all with FUZZ_CHECKS=all.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

max_examples="${FUZZ_MAX_EXAMPLES:-50}"
seed="${FUZZ_SEED:-20261121}"
workers="${FUZZ_WORKERS:-1}"
checks="${FUZZ_CHECKS:-not_a_server_error,response_schema_conformance,content_type_conformance,response_headers_conformance,missing_required_header,ignored_auth,use_after_free,ensure_resource_availability}"
admin_url="${TEST_DATABASE_URL:-}"

backend=""
log() { printf '== fuzz%s: %s\n' "${backend:+ ($backend)}" "$*" >&2; }

# --- the backends (checked first: a wrong TEST_DATABASE_URL should not wait for a build) ------------------
backends=(sqlite)
if [[ -z "${admin_url//[[:space:]]/}" ]]; then
    log "note: TEST_DATABASE_URL is not set: fuzzing on SQLite only" \
        "(failures only PostgreSQL has, such as NUL bytes in strings, go unseen)"
elif [[ "$admin_url" != postgres://* && "$admin_url" != postgresql://* ]]; then
    echo "TEST_DATABASE_URL must be a postgres:// URL, not $admin_url" >&2
    exit 1
else
    command -v psql >/dev/null || { echo "TEST_DATABASE_URL is set but psql is not installed" >&2; exit 1; }
    # An unreachable server should fail the run, not hang it.
    export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-10}"
    psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c 'SELECT 1' >/dev/null ||
        { echo "TEST_DATABASE_URL is set but PostgreSQL does not answer there" >&2; exit 1; }
    backends+=(postgres)
fi

# --- schemathesis in its own venv, reinstalled only when the lock changes --------------------------------
stamp="$venv/.requirements.sha256"
want="$( (cat "$here/requirements.txt"; "$python" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/st" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    log "installing schemathesis into $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
        -r "$here/requirements.txt"
    echo "$want" >"$stamp"
fi

# --- the server binary --------------------------------------------------------------------------------------
if [[ -n "${SMSDESK_BIN:-}" ]]; then
    bin="$(cd "$(dirname "$SMSDESK_BIN")" && pwd)/$(basename "$SMSDESK_BIN")"
else
    log "building smsdesk"
    (cd "$root" && cargo build -q --locked -p smsdesk)
    bin="$root/target/debug/smsdesk"
fi
[[ -x "$bin" ]] || { echo "no smsdesk binary at $bin" >&2; exit 1; }

# One whole run on one backend: a fresh database, a server on it, seeding, schemathesis, and the checks the
# answers cannot show. Called in a subshell of its own, so its traps, `exit`s and variables stay there and
# `set -e` holds inside it (it would not in a function called as `fuzz_backend || …`). Its variables are not
# `local`: the EXIT trap, which runs after the function returned, still needs them.
fuzz_backend() {
    set -euo pipefail
    backend="$1"

    # --- a server on a fresh database, in a temp dir (no .env there), stopped on exit -------------------------
    database=""
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/smsdesk-fuzz-$backend.XXXXXX")"
    server_pid=""
    status=1
    # shellcheck disable=SC2317 # only the EXIT trap calls it
    cleanup() {
        if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
            kill "$server_pid" 2>/dev/null || true
            wait "$server_pid" 2>/dev/null || true
        fi
        if [[ -n "$database" ]]; then
            # FORCE: connections the server left behind must not keep the database alive.
            psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >&2 ||
                log "WARNING: could not drop the PostgreSQL database $database"
        fi
        if [[ "$status" -ne 0 && -f "$tmp/server.log" ]]; then
            echo "---- smsdesk server log (last 200 lines of $tmp/server.log) ----" >&2
            tail -n 200 "$tmp/server.log" >&2
            echo "---- end of server log ----" >&2
        fi
        if [[ "${FUZZ_KEEP_TMP:-}" == 1 || "$status" -ne 0 ]]; then
            log "kept $tmp"
        else
            rm -rf "$tmp"
        fi
    }
    trap 'status=$?; cleanup' EXIT

    case "$backend" in
    sqlite)
        database_url="sqlite://$tmp/fuzz.db"
        ;;
    postgres)
        database="smsdesk_fuzz_$("$python" -c 'import uuid; print(uuid.uuid4().hex)')"
        psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c "CREATE DATABASE $database" >&2 ||
            { database=""; echo "could not create a database with TEST_DATABASE_URL" >&2; exit 1; }
        database_url="$("$python" -c '
import sys, urllib.parse as up
print(up.urlunsplit(up.urlsplit(sys.argv[1])._replace(path="/" + sys.argv[2])))' "$admin_url" "$database")"
        ;;
    esac

    port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    base="http://127.0.0.1:$port"
    # Only what is set here reaches smsdesk: nothing from the caller's environment or a .env.
    smsdesk_env=(
        env -i "PATH=$PATH" "HOME=${HOME:-$tmp}"
        "DATABASE_URL=$database_url"
        "BIND_ADDR=127.0.0.1:$port"
        "PUBLIC_URL=$base"
        "SMS_GATEWAY=console"
        "TWILIO_AUTH_TOKEN=fuzz-token"
        # Our number: conversations go out only from a number of ours.
        "TWILIO_PHONE_NUMBER=+14155550100"
        "MESSAGEBIRD_SIGNING_KEY=fuzz-key"
        "RUST_LOG=warn"
    )
    cd "$tmp"
    "${smsdesk_env[@]}" "$bin" users add --email fuzz@example.com --name Fuzz --role admin >/dev/null
    token="$("${smsdesk_env[@]}" "$bin" tokens create --email fuzz@example.com)"
    "${smsdesk_env[@]}" "$bin" serve >"$tmp/server.log" 2>&1 &
    server_pid=$!

    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
        kill -0 "$server_pid" 2>/dev/null || { echo "smsdesk serve exited at start-up" >&2; exit 1; }
        sleep 0.1
    done
    curl -fsS -o /dev/null "$base/healthz" || { echo "smsdesk did not answer /healthz within 10 s" >&2; exit 1; }
    log "server on $base (pid $server_pid), database ${database:-$tmp/fuzz.db}"

    # --- seed rows, so that path ids hit real tickets, messages, contacts, canned replies, users, tokens ------
    api() { # METHOD PATH [JSON]: fails the run on a non-2xx answer, prints the body
        local method="$1" path="$2" data="${3:-}"
        local args=(-fsS -X "$method" -H "Authorization: Bearer $token")
        [[ -n "$data" ]] && args+=(-H 'Content-Type: application/json' --data "$data")
        curl "${args[@]}" "$base$path" || { echo "seeding failed: $method $path $data" >&2; return 1; }
    }
    webhook() { # PATH FORM: a correctly signed Twilio webhook, as Twilio would send it
        local path="$1" form="$2"
        local signature
        signature="$("$venv/bin/python" "$here/hooks.py" sign-twilio "$base$path" "$form")"
        curl -fsS -o /dev/null -H "X-Twilio-Signature: $signature" --data "$form" "$base$path" ||
            { echo "seeding failed: POST $path $form" >&2; return 1; }
    }
    messagebird_webhook() { # PATH FORM: a correctly signed MessageBird webhook, as MessageBird would send it
        local path="$1" form="$2"
        local jwt
        jwt="$("$venv/bin/python" "$here/hooks.py" sign-messagebird "$base$path" "$form")"
        curl -fsS -o /dev/null -H "MessageBird-Signature-JWT: $jwt" --data "$form" "$base$path" ||
            { echo "seeding failed: POST $path $form" >&2; return 1; }
    }
    for i in 1 2 3 4 5 6; do
        api POST /api/conversations "{\"to\": \"+1415555012$i\", \"body\": \"hi $i\", \"from\": \"+14155550100\"}" >/dev/null
    done
    webhook /webhooks/twilio 'MessageSid=SM00000000000000000000000000000001&From=%2B14155550121&To=%2B14155550100&Body=My+parcel+never+arrived'
    webhook /webhooks/twilio 'MessageSid=SM00000000000000000000000000000002&From=%2B14155550177&To=%2B14155550100&Body=Hello%3F'
    webhook /webhooks/twilio 'MessageSid=SM00000000000000000000000000000003&From=%2B14155550178&To=%2B14155550100&Body=STOP'
    api POST /api/tickets/1/messages '{"body": "Looking into it.", "internal": false}' >/dev/null
    api POST /api/tickets/1/messages '{"body": "Carrier says Tuesday.", "internal": true}' >/dev/null
    api PATCH /api/tickets/2 '{"status": "pending"}' >/dev/null
    api PATCH /api/tickets/3 '{"status": "closed"}' >/dev/null
    api PATCH /api/contacts/1 '{"name": "Ana Customer", "notes": "Prefers texts in the morning."}' >/dev/null
    api POST /api/canned-replies '{"title": "Thanks", "body": "Thanks {contact_name}, ticket {ticket_id} is open."}' >/dev/null
    api POST /api/canned-replies '{"title": "Closing", "body": "Closing this one; text us any time."}' >/dev/null
    for i in 1 2 3 4 5; do
        api POST /api/users "{\"email\": \"agent$i@example.com\", \"name\": \"Agent $i\", \"role\": \"agent\"}" >/dev/null
        api POST /api/tokens "{\"name\": \"seed $i\", \"user_id\": $((i + 1))}" >/dev/null
    done
    # The fuzz run must not revoke its own token or deactivate its own admin: the hooks steer those ids away.
    me="$(api GET /api/me)"
    protected_user_id="$("$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["user"]["id"])' <<<"$me")"
    protected_token_id="$(api GET /api/tokens | "$venv/bin/python" -c '
import json, sys
print(min(t["id"] for t in json.load(sys.stdin) if t["user_id"] == int(sys.argv[1])))' "$protected_user_id")"

    # A text with a NUL byte in its body is a text like any other: stored, answered 200 (a gateway retries
    # every other answer, for hours). PostgreSQL text cannot hold U+0000, so this is where a backend that
    # passes every NUL to the database fails. They join seeded tickets 4 and 5, so the fuzz reads them back.
    # A failure here fails the backend only after the fuzz ran, so that one run shows everything NUL breaks.
    # (A NUL in an identifier should be refused with a 4xx: the hooks fuzz those.)
    nul_failures=()
    webhook /webhooks/twilio 'MessageSid=SM00000000000000000000000000000a01&From=%2B14155550124&To=%2B14155550100&Body=nul%00byte' ||
        nul_failures+=("Twilio text with Body=nul%00byte")
    messagebird_webhook /webhooks/messagebird \
        'id=mbnul0001&originator=%2B14155550125&recipient=%2B14155550100&payload=nul%00byte' ||
        nul_failures+=("MessageBird text with payload=nul%00byte")
    # Nor may a NUL in the confirmation template break the texts after it (whether the template is refused
    # or stored): on PostgreSQL it was stored, and then every new customer's first text was answered 500,
    # because its confirmation could not be. Only a request that opens a ticket shows it, hence this pair.
    template_status="$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' --data '{"confirmation_template": "Thanks\u0000! Ticket {ticket_id}."}' \
        "$base/api/settings")"
    [[ "$template_status" != 5* ]] ||
        nul_failures+=("PUT /api/settings with a NUL in confirmation_template: answered $template_status")
    webhook /webhooks/twilio 'MessageSid=SM00000000000000000000000000000a02&From=%2B14155550142&To=%2B14155550100&Body=first+text' ||
        nul_failures+=("a new customer's first text after PUT /api/settings set a template with a NUL")
    api PUT /api/settings '{"confirmation_template": "Thanks! Your ticket is {ticket_id}."}' >/dev/null
    log "seeded; the run's own user $protected_user_id and token $protected_token_id are protected"

    # --- the schema: the server's own document -----------------------------------------------------------------
    schema="$base/api/openapi.json"
    url_args=()
    if ! curl -fsS -o "$tmp/openapi.json" "$schema" 2>/dev/null; then
        # GET /api/openapi.json should serve it; until it does, use the identical document the binary prints.
        log "WARNING: GET $schema does not answer 200; using \`smsdesk openapi\` instead (the same document)"
        "${smsdesk_env[@]}" "$bin" openapi >"$tmp/openapi.json"
        schema="$tmp/openapi.json"
        url_args=(--url "$base")
    fi

    # --- the fuzz run --------------------------------------------------------------------------------------------
    # The token goes in through the document's own `bearer` scheme (Authorization: Bearer <token>) rather than a
    # blanket --header, so that schemathesis knows which header is the credential and its ignored_auth check can
    # leave it out; it reaches st through the environment, not the command line.
    cat >"$tmp/schemathesis.toml" <<'TOML'
[auth.openapi.bearer]
bearer = "${FUZZ_TOKEN}"
TOML
    st_args=(
        --config-file "$tmp/schemathesis.toml"
        run "$schema" "${url_args[@]}"
        --checks "$checks"
        --max-examples "$max_examples"
        --seed "$seed"
        --workers "$workers"
        --generation-database none
        --request-timeout 10
        --no-color
        --report har --report-har-path "$tmp/requests.har"
    )
    # shellcheck disable=SC2206 # word splitting of the extra arguments is intended
    [[ -n "${FUZZ_EXTRA_ARGS:-}" ]] && st_args+=(${FUZZ_EXTRA_ARGS})
    log "st ${st_args[*]}"
    started=$SECONDS st_status=0
    FUZZ_TOKEN="$token" \
    SCHEMATHESIS_HOOKS="$here/hooks.py" \
    FUZZ_PUBLIC_URL="$base" \
    FUZZ_TWILIO_AUTH_TOKEN=fuzz-token \
    FUZZ_MESSAGEBIRD_SIGNING_KEY=fuzz-key \
    FUZZ_PROTECTED_USER_ID="$protected_user_id" \
    FUZZ_PROTECTED_TOKEN_ID="$protected_token_id" \
        "$venv/bin/st" "${st_args[@]}" || st_status=$?
    log "schemathesis finished in $((SECONDS - started)) s with exit status $st_status"

    # --- what the answers cannot show: a panic or a dead server ---------------------------------------------
    if ! kill -0 "$server_pid" 2>/dev/null; then
        local server_status=0
        wait "$server_pid" || server_status=$?
        server_pid=""
        if ((server_status > 128)); then
            echo "FAIL: smsdesk died during the run: killed by signal $((server_status - 128))" \
                "($(kill -l $((server_status - 128)) 2>/dev/null || echo '?'))" >&2
        else
            echo "FAIL: smsdesk exited during the run with status $server_status" >&2
        fi
        echo "the requests sent are in $tmp/requests.har" >&2
        exit 1
    fi
    if grep -q 'panicked' "$tmp/server.log"; then
        echo "FAIL: smsdesk panicked during the run:" >&2
        grep -n -A3 'panicked' "$tmp/server.log" >&2
        exit 1
    fi
    if grep -q 'ERROR' "$tmp/server.log"; then
        log "note: the server logged errors during the run:"
        grep -m 20 'ERROR' "$tmp/server.log" >&2 # not `| head`: with pipefail, grep's SIGPIPE would fail the run
    fi
    if ((${#nul_failures[@]} > 0)); then
        echo "FAIL: texts with a NUL byte in their body were not stored (the seeding above says how):" >&2
        printf '  %s\n' "${nul_failures[@]}" >&2
    fi
    if [[ "$st_status" -ne 0 ]]; then
        echo "FAIL: schemathesis found failures (reproductions above; server log below)" >&2
        exit "$st_status"
    fi
    ((${#nul_failures[@]} == 0)) || exit 1
    log "passed: no 5xx and no check failures"
}

# Every backend runs even when an earlier one failed: one run shows everything that fails, on each. An
# interrupt stops the run after the current backend has cleaned up (its server stopped, its database dropped).
summary=()
failed=0
interrupted=""
trap 'interrupted=1' INT TERM
for name in "${backends[@]}"; do
    started=$SECONDS
    set +e
    (fuzz_backend "$name")
    backend_status=$?
    set -e
    [[ -z "$interrupted" ]] || { log "interrupted during $name"; exit 130; }
    result="passed"
    ((backend_status == 0)) || { result="FAILED (exit status $backend_status)"; failed=1; }
    summary+=("$name: $result in $((SECONDS - started)) s (seeding, schemathesis and checks)")
done
for line in "${summary[@]}"; do log "$line"; done
exit "$failed"
