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
SIDS = ["SMfuzz0001", "SMfuzz0002", "console-1", "console-2", "console-3"]
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
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "query" and parameter.get("name") in QUERY_SCHEMAS:
                parameter["schema"] = QUERY_SCHEMAS[parameter["name"]]


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
    if generated is None or _keeps_generated_signature(generated):
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


try:
    import schemathesis
except ImportError:  # used as a command-line helper outside the venv
    schemathesis = None

if schemathesis is not None:

    @schemathesis.hook
    def before_load_schema(context: Any, raw_schema: dict[str, Any]) -> None:
        patch_webhooks(raw_schema)

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
        protect_own_credentials(case)
        sign_webhook(case)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "sign-twilio":
        print(twilio_signature(sys.argv[2], parse_qsl(sys.argv[3], keep_blank_values=True)))
    elif len(sys.argv) == 4 and sys.argv[1] == "sign-messagebird":
        print(messagebird_jwt(sys.argv[2], sys.argv[3].encode()))
    else:
        sys.exit("usage: hooks.py sign-twilio|sign-messagebird URL BODY")
