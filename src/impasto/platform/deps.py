"""What the platform endpoints receive beyond settings and the database: the metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from prometheus_client import CollectorRegistry

from impasto.deps import Provided

REGISTRY = Provided[CollectorRegistry]("registry")
RegistryDep = Annotated[CollectorRegistry, Depends(REGISTRY)]
