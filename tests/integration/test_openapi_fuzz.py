"""Fuzz the Platform API through its own OpenAPI document (schemathesis, in-process ASGI).

Every operation in ``/v1/openapi.json`` gets generated requests, valid and invalid, with an
ADMIN key and with no usable key; whatever comes back must not be a 5xx and must match the
documented status codes, content types, headers and response schemas. The cases are fixed
per run of the suite unless ``IMPASTO_FUZZ_EXPLORE=1`` asks for fresh ones.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Err
from schemathesis.generation.meta import negated_parameters
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from impasto.container import Container
from impasto.kit.text import is_storable
from impasto.models import KeyScope
from tests.conftest import auth, make_key

FuzzCase = Case[Any]
EXAMPLES_WITH_KEY = 25
EXAMPLES_WITHOUT_KEY = 10
# The gate runs the same cases every time, so it fails on a change, not on a draw; set
# IMPASTO_FUZZ_EXPLORE=1 to draw new cases (and look for new bugs) on each run.
EXPLORE = os.environ.get("IMPASTO_FUZZ_EXPLORE") == "1"

CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Parameters for which every string is valid once on the wire: query values and path segments
# arrive as text, so the numbers or booleans schemathesis sends as "invalid" are valid there,
# and the Authorization header it negates is replaced by the caller's key.
FREE_FORM = {
    "expand",
    "cursor",
    "endpoint_id",
    "q",
    "query",
    "category",
    "search",
    "used_endpoint_ids",
    "api_key_id",
    "login_username",
    "request_id",
    "Idempotency-Key",
    "Authorization",
}

# The log stream follows new lines until its ``end`` (or the client leaves): a generated
# request without one never finishes. tests/integration/logs covers it.
NOT_FUZZED = {"serverlessLogsStream"}
USAGE_OPERATIONS = {
    "getUsage",
    "getAnalytics",
    "getBillingEvents",
    "getAccountBilling",
    "getFocusReport",
    "serverlessGetUsage",
    "serverlessGetAnalytics",
    "serverlessLogsHistory",
}

# Operations with fal's date ranges: real dates, in order.
WINDOWED_OPERATIONS = USAGE_OPERATIONS | {"serverlessListAppEvents", "serverlessGetRunnerHistory"}

# Every documented operation, several examples each: minutes, not the default two.
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(autouse=True)
def _captured_logs() -> Iterator[None]:
    """Keep log events in memory: structlog's default console renderer draws each unhandled
    error as a rich traceback with every frame's locals, seconds per 500."""
    with structlog.testing.capture_logs():
        yield


def _fuzz(
    app: FastAPI, mode: GenerationMode, examples: int, test: Callable[[FuzzCase], None]
) -> None:
    """Run ``test`` on generated cases of every operation; report every failing operation."""
    schema = schemathesis.openapi.from_asgi("/v1/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"unusable operation in the document: {result.err()}")
            continue
        operation = result.ok()
        if operation.definition.raw.get("operationId") in NOT_FUZZED:
            continue
        if mode.is_negative and not [*operation.iter_parameters(), *operation.body]:
            continue  # nothing to make invalid
        strategy = operation.as_strategy(generation_mode=mode)

        @given(case=strategy)
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=not EXPLORE,
            # Negative cases for a few operations need many draws to break a path rule.
            suppress_health_check=[HealthCheck.filter_too_much],
        )
        def run(case: FuzzCase) -> None:
            test(case)

        try:
            run()
        except BaseException as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
            failures.append(f"{operation.label}:\n{_describe(exc)}")
    assert not failures, "\n\n".join(failures)


def _describe(exc: BaseException) -> str:
    """The failure with every sub-exception spelled out: hypothesis' flaky-test error hides them."""
    if isinstance(exc, BaseExceptionGroup):
        parts = [_describe(inner) for inner in exc.exceptions]
        return "\n".join([str(exc), *(f"  - {part}" for part in parts)])
    return f"{type(exc).__name__}: {exc}"


def _rejection_expected(case: FuzzCase) -> bool:
    """Whether a negative case is invalid as sent, not only as schemathesis typed it."""
    meta = case.meta
    if meta is None:
        return False
    if meta.is_negative_at(ParameterLocation.BODY):
        return True
    # A negated value that did not survive on the wire (an optional query parameter
    # negated to null or to an empty list is left out) makes nothing invalid.
    given = [case.query or {}, case.path_parameters or {}, case.headers or {}]
    sent = {name for values in given for name, value in values.items() if value not in (None, [])}
    return any(name not in FREE_FORM and name in sent for name, _ in negated_parameters(meta))


def _acceptance_expected(case: FuzzCase) -> bool:
    """Whether a positive case must be accepted: schema-valid, and valid where the schema
    cannot say so. A cursor is opaque (only ones the server issued are valid), an alias
    must have a visible character and no control characters or lone surrogates, a URL to
    upload from (files or assets) must be reachable and a body to unzip must be a ZIP archive."""
    query = case.query or {}
    if "cursor" in query or str(query.get("unzip")).lower() == "true":
        return False
    # Request search takes one search input and one API-request filter (spec: exclusive).
    searched = [n for n in ("query", "image_url", "video_url") if str(query.get(n) or "").strip()]
    if len(searched) > 1 or (
        str(query.get("exclude_api_requests")).lower() == "true"
        and str(query.get("only_api_requests")).lower() == "true"
    ):
        return False
    operation_id = case.operation.definition.raw.get("operationId")
    if operation_id in (
        "serverlessUploadFromUrl",
        "uploadAsset",
        # A workflow's nodes must call deployed apps the caller may call.
        "createWorkflow",
        "updateWorkflow",
        "replaceWorkflow",
        # A deploy's code must be a ZIP holding the entry's module, named as Python names.
        "deployApp",
    ) or (
        # Usage reports: dates must be real dates in order, a timezone a real IANA zone,
        # and fal's rules tie expand values together (a view and a metric).
        operation_id in WINDOWED_OPERATIONS
        and query.keys() & {"start", "end", "timezone", "expand", "billing_month", "charge_month"}
    ):
        return False
    # Asset search: one search input at a time, and a search URL must be a file served here.
    searches = [query.get(name) for name in ("q", "search_image_url", "search_video_url")]
    if sum(value is not None for value in searches) > 1 or any(searches[1:]):
        return False
    if not isinstance(case.body, dict):
        return True
    alias = str(case.body.get("alias", "x"))
    return bool(alias.strip()) and is_storable(alias)


@pytest.mark.parametrize("mode", list(GenerationMode))
def test_fuzz_with_admin_key(app: FastAPI, container: Container, mode: GenerationMode) -> None:
    headers = auth(make_key(container, "fuzz", KeyScope.ADMIN))

    def test(case: FuzzCase) -> None:
        checks = [*CONFORMANCE, ignored_auth]
        if mode.is_positive and _acceptance_expected(case):
            checks.append(positive_data_acceptance)
        if mode.is_negative and _rejection_expected(case):
            checks.append(negative_data_rejection)
        case.call_and_validate(headers=headers, checks=checks)

    _fuzz(app, mode, EXAMPLES_WITH_KEY, test)


@pytest.mark.parametrize(
    "variant", ["missing", "generated", "unknown-key", "wrong-secret", "bearer", "api-scope"]
)
def test_fuzz_without_admin_key(app: FastAPI, container: Container, variant: str) -> None:
    admin = make_key(container, "fuzz", KeyScope.ADMIN)
    header = {
        "missing": None,
        "generated": None,  # whatever schemathesis generates for the apiKey scheme
        "unknown-key": "Key 01900000-0000-7000-8000-000000000000:" + "0" * 64,
        "wrong-secret": f"Key {admin.partition(':')[0]}:{'0' * 64}",
        "bearer": f"Bearer {admin}",
        "api-scope": f"Key {make_key(container, 'fuzz', KeyScope.API)}",
    }[variant]
    expected = 403 if variant == "api-scope" else 401

    def test(case: FuzzCase) -> None:
        if variant == "missing":
            case.headers.pop("Authorization", None)
        elif header is not None:
            case.headers["Authorization"] = header
        response = case.call()
        case.validate_response(response, checks=CONFORMANCE)
        schemes = [set(option) for option in case.operation.definition.raw.get("security", [])]
        if not schemes or not all(schemes):
            return  # no key needed, or a key is optional
        if variant == "api-scope" and not all("adminApiKey" in option for option in schemes):
            assert response.status_code not in {401, 403}, response.text  # API scope suffices
        else:
            assert response.status_code == expected, response.text

    _fuzz(app, GenerationMode.POSITIVE, EXAMPLES_WITHOUT_KEY, test)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer x",
        "Key",
        "Key :",
        "Key a:b",
        "Key " + "a" * 10_000,
        "Key " + "a" * 36 + ":" + "b" * 10_000,
        b"Key \xc3\xa9\xff:\xfe\x00",
        "Basic Zm9v",
        "",
        "   ",
    ],
    ids=lambda header: repr(header[:24]),
)
def test_malformed_authorization_is_401(client: TestClient, header: str | bytes) -> None:
    raw = header.encode() if isinstance(header, str) else header
    response = client.get("/v1/keys", headers={b"Authorization": raw})
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["type"] == "authorization_error"
    assert error["message"]
    assert error["request_id"] == response.headers["x-fal-request-id"]


def _cursor(after: str) -> str:
    raw = json.dumps({"after": after}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "expected"),
    [
        ("POST", "/v1/keys", None, r'{"alias": "a\u0000b"}', 400),
        ("POST", "/v1/keys", None, r'{"alias": "a\ud800b"}', 400),
        ("DELETE", "/v1/keys/a%00b", None, None, 404),  # no key can have it
        ("GET", "/v1/keys", {"cursor": _cursor("a\x00b")}, None, 400),
        ("GET", "/v1/keys", {"cursor": _cursor("\ud800")}, None, 400),
    ],
    ids=["alias-nul", "alias-surrogate", "key_id-nul", "cursor-nul", "cursor-surrogate"],
)
def test_unstorable_text_is_a_client_error(
    client: TestClient,
    container: Container,
    method: str,
    path: str,
    params: dict[str, str] | None,
    body: str | None,
    expected: int,
) -> None:
    """PostgreSQL cannot store U+0000 and nothing can encode a lone surrogate: these used to
    reach the driver and answer 500."""
    headers = {
        **auth(make_key(container, "fuzz", KeyScope.ADMIN)),
        "Content-Type": "application/json",
    }
    response = client.request(method, path, params=params, content=body, headers=headers)
    assert response.status_code == expected, response.text
    if expected == 400:
        assert response.json()["error"]["type"] == "validation_error"
