"""Fuzz the worker API with tenant keys: whatever is sent, an ADMIN or API key gets 403 and
no key gets 401, before any parameter or body is validated. (A body that is no JSON at all
is turned away by FastAPI before any dependency runs, key checks included; its 4xx tells
nothing about the worker API, so negative bodies are not sent.)

The worker API is kept out of the Platform OpenAPI document, so the document here is built
from the worker router's own routes. The cases are fixed per run of the suite unless
``IMPASTO_FUZZ_EXPLORE=1`` asks for fresh ones (as in test_openapi_fuzz.py).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import structlog
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Err

from impasto.container import Container
from impasto.models import KeyScope
from impasto.runs.workers.endpoints import router
from tests.conftest import make_key
from tests.integration.test_openapi_fuzz import EXPLORE

EXAMPLES = 8
ROUTES = 12  # every route of the worker API, counted so that a new one is not missed


@pytest.fixture(autouse=True)
def _captured_logs() -> Iterator[None]:
    with structlog.testing.capture_logs():
        yield


def worker_document() -> dict[str, Any]:
    """The worker API's OpenAPI document (its routes are hidden from the Platform one)."""
    routes = []
    for route in router.routes:
        assert isinstance(route, APIRoute)
        shown = copy.copy(route)
        shown.include_in_schema = True
        routes.append(shown)
    return get_openapi(title="Impasto worker API", version="1", routes=routes)


def _fuzz(app: FastAPI, mode: GenerationMode, header: str | None, expected: int) -> None:
    schema = schemathesis.openapi.from_dict(worker_document())
    schema.app = app
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"unusable operation in the document: {result.err()}")
            continue
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=not EXPLORE,
            suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
        )
        def run(case: Case[Any]) -> None:
            case.headers = {k: v for k, v in (case.headers or {}).items() if k != "Authorization"}
            if header is not None:
                case.headers["Authorization"] = header
            if case.meta is not None and case.meta.is_negative_at(ParameterLocation.BODY):
                return  # FastAPI reads a body before any dependency runs: see below
            response = case.call()
            assert response.status_code == expected, (case.path, response.text)
            assert "detail" in response.json()

        try:
            run()
        except BaseException as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
            failures.append(f"{operation.label}: {exc!r}")
    assert operations == ROUTES
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("mode", list(GenerationMode))
@pytest.mark.parametrize("scope", [KeyScope.ADMIN, KeyScope.API])
def test_tenant_keys_get_403_whatever_they_send(
    app: FastAPI, container: Container, scope: KeyScope, mode: GenerationMode
) -> None:
    header = f"Key {make_key(container, 'fuzz', scope)}"
    _fuzz(app, mode, header, 403)


def test_no_key_gets_401_whatever_is_sent(app: FastAPI) -> None:
    _fuzz(app, GenerationMode.POSITIVE, None, 401)
