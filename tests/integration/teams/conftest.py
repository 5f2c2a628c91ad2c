"""The organization tests' server: the usage tests' one, whose requests the test completes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import SettingsFactory
from tests.integration.usage.server import Server, serving


@pytest.fixture
def server(make_settings: SettingsFactory) -> Iterator[Server]:
    with serving(make_settings) as server:
        yield server
