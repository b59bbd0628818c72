"""Schemathesis hooks for the smsdesk fuzz run (loaded through SCHEMATHESIS_HOOKS by run.sh).

They make the run reach the server's logic instead of its front door, without hiding anything from the
`not_a_server_error` check:

* Webhooks: the OpenAPI document declares their form bodies without a schema (the gateways send what they
  send), so generated bodies would only ever be answered "missing field". `before_load_schema` gives them
  the fields the gateways really send, each allowing a few realistic values *or any string*, and
  `before_call` signs most requests the way Twilio and MessageBird do (over the exact URL and body that go
  on the wire), so they get past the 403 into parsing and ticket filing. One request in eight keeps its
  generated (wrong or missing) signature, so refusals are fuzzed too.
* Path ids: the generator rarely picks ids of rows that exist; a third of integer ids are folded onto
  the first few rows (run.sh seeds them).
* The run's own credentials: requests that would revoke the fuzz token or deactivate or demote the fuzz
  admin are pointed at an id that does not exist (they would turn every later request into a 401 and the
  rest of the run into noise). Everything else, including revoking other tokens and deactivating other
  users, is fuzzed.
* NUL bytes: PostgreSQL text cannot hold U+0000, so a NUL that reaches a query is a 500 there (SQLite stores
  it). The generator only rarely produces one, so NULs go in two ways, both before signing (the webhooks
  stay correctly signed):
  - `before_add_examples` adds, for the operations that store or look up strings, a realistic request
    (NUL_EXAMPLES) once per string value in it, with a NUL in that value: each such field gets a NUL in an
    otherwise valid request on every run, whatever the seed.
  - `before_call` puts a NUL into the string values of one generated request in NUL_EVERY (JSON bodies,
    form fields, query and path parameters; headers cannot carry one), chosen by a hash of the request
    itself, so the same requests carry NULs on every run and on every replay of a failing case. Most get
    one NUL in one value (so that a NUL in a message body is fuzzed apart from a NUL in an identifier, which
    should be refused before it gets that far); one in four gets a NUL in every string value.

This file is also a small command-line helper for run.sh's seeding (`python hooks.py sign-twilio URL BODY`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import uuid
import zlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

PUBLIC_URL = os.environ.get("FUZZ_PUBLIC_URL", "http://127.0.0.1:8080").rstrip("/")
TWILIO_AUTH_TOKEN = os.environ.get("FUZZ_TWILIO_AUTH_TOKEN", "fuzz-token")
MESSAGEBIRD_SIGNING_KEY = os.environ.get("FUZZ_MESSAGEBIRD_SIGNING_KEY", "fuzz-key")
PROTECTED_TOKEN_ID = int(os.environ.get("FUZZ_PROTECTED_TOKEN_ID", "1"))
PROTECTED_USER_ID = int(os.environ.get("FUZZ_PROTECTED_USER_ID", "1"))
# How many rows of each kind run.sh seeds at least; folded ids land in 1..SEEDED_IDS.
SEEDED_IDS = int(os.environ.get("FUZZ_SEEDED_IDS", "6"))
MISSING_ID = 9_000_000_001

TWILIO_HEADER = "X-Twilio-Signature"
MESSAGEBIRD_HEADER = "MessageBird-Signature-JWT"


# --- signatures (as the gateways compute them) -----------------------------------------------------------


def twilio_signature(url: str, params: list[tuple[str, str]]) -> str:
    """base64(HMAC-SHA1(auth token, url + name+value for names sorted, values sorted within a name))."""
    by_name: dict[str, list[str]] = {}
    for name, value in params:
        by_name.setdefault(name, []).append(value)
    data = url + "".join(name + value for name in sorted(by_name) for value in sorted(by_name[name]))
    digest = hmac.new(TWILIO_AUTH_TOKEN.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def messagebird_jwt(url: str, body: bytes) -> str:
    """An HS256 MessageBird-Signature-JWT for this URL (query included) and raw body."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "MessageBird",
        "nbf": now - 5,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        "url_hash": hashlib.sha256(url.encode()).hexdigest(),
    }
    if body:
        claims["payload_hash"] = hashlib.sha256(body).hexdigest()
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(MESSAGEBIRD_SIGNING_KEY.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


# --- realistic webhook fields ------------------------------------------------------------------------------

NUMBERS = ["+14155550123", "+14155550124", "+14155550100", "+447700900123", "14155550125", "+1415555"]
BODIES = ["hi", "My parcel never arrived", "STOP", "stop", "START", "UNSUBSCRIBE", "HELP", "", "é ü 😀"]
# Twilio's message SIDs are SM/MM and 32 hex digits (anything else is a 400); one malformed one keeps that refusal
# fuzzed too. The MessageBird ids are what the console gateway gives the messages it "sends".
SIDS = ["SM00000000000000000000000000f0a001", "MM00000000000000000000000000f0a002", "SMfuzz0001", "console-1",
        "console-2", "console-3"]
TWILIO_STATUSES = ["queued", "sending", "sent", "delivered", "undelivered", "failed", "receiving", "received",
                   "accepted", "read", "canceled"]
MESSAGEBIRD_STATUSES = ["scheduled", "sent", "buffered", "delivered", "expired", "delivery_failed"]


def _one_of(values: list[str]) -> dict[str, Any]:
    """For a required field: one of `values` or any non-empty string (an empty field counts as a missing one)."""
    return {"anyOf": [{"enum": values}, {"type": "string", "minLength": 1}]}


def _maybe(values: list[str]) -> dict[str, Any]:
    """For an optional field: one of `values` or any string."""
    return {"anyOf": [{"enum": values}, {"type": "string"}]}


def _number() -> dict[str, Any]:
    """A phone number as gateways send them (a few of them are not quite numbers)."""
    return {"enum": NUMBERS}


TWILIO_SMS = {
    "type": "object",
    "properties": {
        "MessageSid": _one_of(SIDS),
        "From": _number(),
        "To": _number(),
        "Body": _maybe(BODIES),
        "NumMedia": _maybe(["0", "1", "2", "11", "-1"]),
        "MediaUrl0": _maybe(["https://api.twilio.com/media/ME1"]),
        "MediaUrl1": {"type": "string"},
    },
    "required": ["MessageSid", "From", "To"],
}
TWILIO_STATUS = {
    "type": "object",
    "properties": {
        "MessageSid": _one_of(SIDS),
        "MessageStatus": _one_of(TWILIO_STATUSES),
        "ErrorCode": _maybe(["0", "30003", "30007"]),
    },
    "required": ["MessageSid", "MessageStatus"],
}
MESSAGEBIRD_SMS = {
    "type": "object",
    "properties": {
        "id": _maybe(SIDS),
        "originator": _number(),
        "recipient": _number(),
        "payload": _maybe(BODIES),
        "body": _maybe(BODIES),
    },
    # `recipient` is optional for MessageBird Flows only when MESSAGEBIRD_ORIGINATOR is set; run.sh leaves it unset.
    "required": ["originator", "recipient"],
}
FORM_SCHEMAS = {
    ("post", "/webhooks/twilio"): TWILIO_SMS,
    ("post", "/webhooks/twilio/status"): TWILIO_STATUS,
    ("post", "/webhooks/messagebird"): MESSAGEBIRD_SMS,
}
QUERY_SCHEMAS = {"id": _one_of(SIDS), "status": _one_of(MESSAGEBIRD_STATUSES), "statusErrorCode": {"type": "string"}}


def patch_webhooks(raw_schema: dict[str, Any]) -> None:
    paths = raw_schema.get("paths", {})
    for (method, path), schema in FORM_SCHEMAS.items():
        body = paths.get(path, {}).get(method, {}).get("requestBody")
        if not body:
            continue
        form = body.setdefault("content", {}).setdefault("application/x-www-form-urlencoded", {})
        form.setdefault("schema", schema)
        body["required"] = True  # the gateways always send these fields
    for method, operation in paths.get("/webhooks/messagebird/status", {}).items():
        if not isinstance(operation, dict):
            continue
        parameters = operation.setdefault("parameters", [])
        for parameter in parameters:
            if parameter.get("in") == "query" and parameter.get("name") in QUERY_SCHEMAS:
                parameter["schema"] = QUERY_SCHEMAS[parameter["name"]]
        # The server reads statusErrorCode too (and stores it), but the document does not declare it.
        declared = {(p.get("in"), p.get("name")) for p in parameters}
        for name, schema in QUERY_SCHEMAS.items():
            if ("query", name) not in declared:
                parameters.append({"name": name, "in": "query", "required": False, "schema": schema})


# --- hooks ------------------------------------------------------------------------------------------------


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _keeps_generated_signature(value: Any) -> bool:
    return zlib.crc32(repr(value).encode()) % 8 == 0


def _wire(case: Any) -> tuple[str, bytes]:
    """The URL as the server reconstructs it (PUBLIC_URL + path?query) and the raw body, as they will be sent."""
    import requests

    kwargs = case.as_transport_kwargs(base_url=case.operation.base_url)
    allowed = ("method", "url", "headers", "params", "data", "json", "files", "cookies")
    prepared = requests.Request(**{k: v for k, v in kwargs.items() if k in allowed}).prepare()
    parts = urlsplit(prepared.url)
    url = PUBLIC_URL + parts.path + (f"?{parts.query}" if parts.query else "")
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    return url, body


def sign_webhook(case: Any) -> None:
    path = case.operation.path
    if not path.startswith("/webhooks/"):
        return
    header = TWILIO_HEADER if path.startswith("/webhooks/twilio") else MESSAGEBIRD_HEADER
    headers = dict(case.headers) if isinstance(case.headers, Mapping) else {}
    generated = next((v for k, v in headers.items() if k.lower() == header.lower()), None)
    if generated is None or (generated != EXAMPLE_SIGNATURE and _keeps_generated_signature(generated)):
        return  # missing or kept: the refusal path gets fuzzed too
    url, body = _wire(case)
    if header == TWILIO_HEADER:
        try:
            params = parse_qsl(body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            return
        signature = twilio_signature(url, params)
    else:
        signature = messagebird_jwt(url, body)
    headers = {k: v for k, v in headers.items() if k.lower() != header.lower()}
    headers[header] = signature
    case.headers = headers


def protect_own_credentials(case: Any) -> None:
    method, path = case.operation.method.upper(), case.operation.path
    params = dict(case.path_parameters or {})
    if method == "DELETE" and path == "/api/tokens/{id}" and _as_int(params.get("id")) == PROTECTED_TOKEN_ID:
        case.path_parameters = {**params, "id": MISSING_ID}
    if method == "PATCH" and path == "/api/users/{id}" and _as_int(params.get("id")) == PROTECTED_USER_ID:
        # A JSON array counts too: the server reads it field by field (`[null, null, null, false]` deactivates).
        if not isinstance(case.body, Mapping) or "active" in case.body or "role" in case.body:
            case.path_parameters = {**params, "id": MISSING_ID}


NUL = "\x00"
# One generated request in NUL_EVERY carries NULs: a few dozen per operation in a 50-example run, and most
# requests still explore everything else.
NUL_EVERY = int(os.environ.get("FUZZ_NUL_EVERY", "4"))
# The parts of a request that hold generated strings and can carry a NUL (percent-encoded in the URL and in
# form bodies, \u0000 in JSON).
NUL_CONTAINERS = ("path_parameters", "query", "body")


def _string_paths(value: Any, path: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The paths of every string inside `value` (dict keys and list indexes), in order."""
    if isinstance(value, str):
        return [path]
    if isinstance(value, Mapping):
        return [p for key, item in value.items() for p in _string_paths(item, (*path, key))]
    if isinstance(value, (list, tuple)):
        return [p for index, item in enumerate(value) for p in _string_paths(item, (*path, index))]
    return []


def _with_nul(value: Any, path: tuple[Any, ...], targets: set[tuple[Any, ...]]) -> Any:
    """`value` with a NUL in the middle of every string whose path is in `targets` (a copy; `value` is kept)."""
    if isinstance(value, str):
        return value[: len(value) // 2] + NUL + value[len(value) // 2 :] if path in targets else value
    if isinstance(value, Mapping):
        return {key: _with_nul(item, (*path, key), targets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_with_nul(item, (*path, index), targets) for index, item in enumerate(value)]
    return value


def _stable_digest(case: Any) -> int:
    """A hash of what the request sends (not of object identities, so the same on every run)."""
    parts = [case.operation.label] + [getattr(case, name, None) for name in NUL_CONTAINERS]
    encoded = json.dumps(parts, default=lambda o: type(o).__name__, ensure_ascii=False)
    return zlib.crc32(b"nul:" + encoded.encode("utf-8", "surrogatepass"))


def inject_nul(case: Any) -> None:
    if any(case is added for added in ADDED_EXAMPLES):
        return  # the NUL examples below carry theirs already, and a restoring one must stay as it is
    paths = [(name, *p) for name in NUL_CONTAINERS for p in _string_paths(getattr(case, name, None), ())]
    if not paths or any(NUL in _value_at(case, path) for path in paths):
        return  # nothing to carry one, or it already does
    digest = _stable_digest(case)
    if digest % NUL_EVERY != 0:
        return
    digest //= NUL_EVERY
    targets = set(paths) if digest % 4 == 0 else {paths[(digest // 4) % len(paths)]}
    for name in NUL_CONTAINERS:
        if any(target[0] == name for target in targets):
            setattr(case, name, _with_nul(getattr(case, name), (name,), targets))


def _value_at(case: Any, path: tuple[Any, ...]) -> Any:
    value = getattr(case, path[0])
    for key in path[1:]:
        value = value[key]
    return value


# Requests that get past validation to the database when sent as they are: they mirror run.sh's seeding
# (console-1.. are the seeded conversations' messages, +1415555012N their customers, tickets and users 1..6
# exist). The generator gets that far with a NUL only by luck (a known delivery status *and* a NUL in the
# message id, an e-mail address that parses *and* a NUL in it), so the examples phase sends each of these once
# per string value in it, with a NUL in that value: every field that could carry a NUL into a query does so
# on every run, whatever the seed. "{n}" becomes the variant's number ("{hex32}" the same as 32 hex digits, for
# Twilio's SIDs), so that no variant duplicates another
# (a duplicate webhook is answered from the first one's record and reaches nothing).
NUL_EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/webhooks/twilio"): {
        "body": {"MessageSid": "SM{hex32}", "From": "+14155550126", "To": "+14155550100",
                 "Body": "nul example {n}", "NumMedia": "1", "MediaUrl0": "https://api.twilio.com/media/ME{n}"},
    },
    ("POST", "/webhooks/twilio/status"): {
        "body": {"MessageSid": "SM00000000000000000000000000f0a001", "MessageStatus": "undelivered", "ErrorCode": "30003"},
    },
    ("POST", "/webhooks/messagebird"): {
        "body": {"id": "mbnulex{n}", "originator": "+14155550126", "recipient": "+14155550100",
                 "payload": "nul example {n}"},
    },
    ("GET", "/webhooks/messagebird/status"): {
        "query": {"id": "console-2", "status": "delivery_failed", "statusErrorCode": "104"},
    },
    ("POST", "/webhooks/messagebird/status"): {
        "query": {"id": "console-3", "status": "delivery_failed", "statusErrorCode": "104"},
    },
    ("POST", "/api/session"): {"body": {"email": "agent1@example.com", "password": "not the password"}},
    # A NUL in the template was stored (as JSON) and broke every later new ticket's confirmation on PostgreSQL:
    # run.sh checks that. Here the request as it is comes after the variants (RESTORED), so nothing a variant
    # stored outlives this operation and fails others for a reason not their own.
    ("PUT", "/api/settings"): {
        "body": {"business_name": "Fuzz Parcels", "confirmation_template": "Thanks! Your ticket is {ticket_id}.",
                 "default_sender_number": "+14155550100"},
    },
    ("POST", "/api/conversations"): {"body": {"to": "+14155550131", "body": "Hello {n}", "from": "+14155550100"}},
    ("POST", "/api/sms/segments"): {"body": {"body": "How many segments is this?"}},
    ("POST", "/api/tickets/{id}/messages"): {
        "path_parameters": {"id": 1}, "body": {"body": "On its way.", "internal": False},
    },
    ("PATCH", "/api/tickets/{id}"): {"path_parameters": {"id": 1}, "body": {"status": "pending"}},
    ("GET", "/api/tickets"): {
        "query": {"q": "parcel", "status": "open", "assignee": "none", "customer_number": "+14155550121",
                  "updated_since": "2026-01-01T00:00:00Z"},
    },
    ("GET", "/api/contacts"): {"query": {"q": "Ana"}},
    ("PATCH", "/api/contacts/{id}"): {
        "path_parameters": {"id": 1}, "body": {"name": "Ana Customer", "notes": "Morning texts."},
    },
    ("POST", "/api/canned-replies"): {"body": {"title": "Nul example {n}", "body": "Thanks {contact_name}."}},
    ("PATCH", "/api/canned-replies/{id}"): {
        "path_parameters": {"id": 1}, "body": {"title": "Thanks", "body": "Thanks!"},
    },
    ("POST", "/api/users"): {"body": {"email": "nul{n}@example.com", "name": "Nul Example", "role": "agent"}},
    ("PATCH", "/api/users/{id}"): {"path_parameters": {"id": 2}, "body": {"name": "Agent One"}},
    ("POST", "/api/tokens"): {"body": {"name": "nul example", "user_id": 2}},
}
# Operations whose NUL variants are followed by the request as it is, to undo what they stored.
RESTORED = {("PUT", "/api/settings")}
# Every case nul_examples made (held, so that `is` recognises them in before_call).
ADDED_EXAMPLES: list[Any] = []
# Stands in for a webhook signature until `before_call` signs the request (always, for these examples).
EXAMPLE_SIGNATURE = "signed-in-before-call"


def _numbered(value: Any, n: int) -> Any:
    if isinstance(value, str):
        return value.replace("{hex32}", f"{n:032x}").replace("{n}", str(n))
    if isinstance(value, Mapping):
        return {key: _numbered(item, n) for key, item in value.items()}
    return value


def nul_examples(operation: Any) -> list[Any]:
    """One case per string value of the operation's NUL_EXAMPLES request, with a NUL in that value (and, for the
    RESTORED ones, the request as it is around them)."""
    request = NUL_EXAMPLES.get((operation.method.upper(), operation.path))
    if request is None:
        return []
    webhook = operation.path.startswith("/webhooks/")
    headers = {}
    if webhook:
        header = TWILIO_HEADER if operation.path.startswith("/webhooks/twilio") else MESSAGEBIRD_HEADER
        headers[header] = EXAMPLE_SIGNATURE
    media_type = "application/x-www-form-urlencoded" if webhook else "application/json"
    cases = []
    paths = [(name, *p) for name in NUL_CONTAINERS for p in _string_paths(request.get(name), ())]
    targets = [{path} for path in paths]
    if (operation.method.upper(), operation.path) in RESTORED:
        # At both ends: schemathesis sends an operation's examples one after another, but (today) last first.
        targets = [set(), *targets, set()]
    for n, target in enumerate(targets, start=1):
        parts = {name: _with_nul(_numbered(value, n), (name,), target) for name, value in request.items()}
        if "body" in parts:
            parts["media_type"] = media_type
        case = operation.Case(headers=dict(headers), **parts)
        # The examples phase leaves added examples without the run's configured auth (the bearer token);
        # this is how schemathesis itself puts it on a case, marked as the run's own rather than generated.
        auths.set_on_case(case, auths.AuthContext(operation=operation, app=operation.app), None)
        cases.append(case)
    ADDED_EXAMPLES.extend(cases)
    return cases


try:
    import schemathesis
    from schemathesis import auths
except ImportError:  # used as a command-line helper outside the venv
    schemathesis = None

if schemathesis is not None:

    @schemathesis.hook
    def before_load_schema(context: Any, raw_schema: dict[str, Any]) -> None:
        patch_webhooks(raw_schema)

    @schemathesis.hook
    def before_add_examples(context: Any, examples: list[Any]) -> None:
        examples.extend(nul_examples(context.operation))

    @schemathesis.hook
    def map_path_parameters(context: Any, path_parameters: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(path_parameters, Mapping):
            return path_parameters
        mapped = dict(path_parameters)
        for name, value in path_parameters.items():
            if isinstance(value, int) and not isinstance(value, bool) and value % 3 == 0:
                mapped[name] = 1 + abs(value) % SEEDED_IDS
        return mapped

    @schemathesis.hook
    def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
        # In this order: the credentials check sees the ids that are sent, and the signature covers the NULs.
        inject_nul(case)
        protect_own_credentials(case)
        sign_webhook(case)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "sign-twilio":
        print(twilio_signature(sys.argv[2], parse_qsl(sys.argv[3], keep_blank_values=True)))
    elif len(sys.argv) == 4 and sys.argv[1] == "sign-messagebird":
        print(messagebird_jwt(sys.argv[2], sys.argv[3].encode()))
    else:
        sys.exit("usage: hooks.py sign-twilio|sign-messagebird URL BODY")
