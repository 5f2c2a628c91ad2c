"""Schemathesis against fal's own spec, for the usage and billing operations: whatever it
generates, the answer is no 5xx and matches fal's documented statuses, content types and
response schemas; a valid request with an ADMIN key is accepted."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
import schemathesis
import structlog
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from impasto.container import Container
from impasto.models import KeyScope
from impasto.teams.service import TeamService
from tests.conftest import auth, make_key
from tests.fal_spec import fal_spec

OPERATIONS = (
    "getUsage",
    "getAnalytics",
    "getBillingEvents",
    "getAccountBilling",
    "getFocusReport",
    "getOrganizationTeams",
    "getOrganizationUsage",
    "getOrganizationBillingEvents",
    "getOrganizationFocusReport",
    "getModelAccessControls",
    "serverlessLogsHistory",
    "serverlessGetUsage",
    "serverlessGetAnalytics",
)
# serverlessLogsStream follows new lines until ``end``: a generated request without one
# never ends, so it is tested by hand (tests/integration/logs).
EXAMPLES = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(autouse=True)
def _captured_logs() -> Iterator[None]:
    with structlog.testing.capture_logs():
        yield


@pytest.mark.parametrize("operation_id", OPERATIONS)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fal_spec_fuzz(
    app: FastAPI, container: Container, operation_id: str, mode: GenerationMode
) -> None:
    raw = copy.deepcopy(fal_spec())
    raw["servers"] = [{"url": "http://testserver/v1"}]
    # fal documents no 400 for logs history; we answer one for a body that is not fal's
    # condition list or a range that ends before it starts (README: Logs).
    logs = raw["paths"]["/serverless/logs/history"]["post"]["responses"]
    logs.setdefault("400", raw["paths"]["/models/usage"]["get"]["responses"]["400"])
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = app
    operation = schema.find_operation_by_id(operation_id)
    headers = auth(make_key(container, "fuzz", KeyScope.ADMIN))
    with container.database.session(write=True) as session:
        TeamService(session, container.clock).add_team("fuzz", "fuzz")  # a root: org reads
    statuses: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case) -> None:  # type: ignore[type-arg]
        case.headers.update(headers)
        response = case.call()
        statuses.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    run()
    if mode is GenerationMode.POSITIVE:
        assert 200 in statuses, statuses  # valid requests are served, not all refused
