"""What the weights endpoints receive: the manager, for the operator's ADMIN keys only.

Weights belong to the deployment, not to an owner: importing reads the server's disk and a
pull fills it, so another owner's ADMIN key is refused (403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from impasto.deps import Provided
from impasto.keys.auth import AdminPrincipal
from impasto.kit.errors import PermissionDenied
from impasto.weights.manager import WeightsManager

WEIGHTS = Provided[WeightsManager]("weights")


async def _operator_weights(
    principal: AdminPrincipal, manager: Annotated[WeightsManager, Depends(WEIGHTS)]
) -> WeightsManager:
    if principal.owner != manager.operator:
        raise PermissionDenied("only the operator's ADMIN keys manage model weights")
    return manager


OperatorWeights = Annotated[WeightsManager, Depends(_operator_weights)]
