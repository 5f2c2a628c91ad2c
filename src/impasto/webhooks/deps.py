"""What the webhook endpoints receive: the keys webhooks are signed with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from impasto.deps import Provided
from impasto.webhooks.core import Webhooks
from impasto.webhooks.signing_keys import SigningKeys

WEBHOOKS = Provided[Webhooks]("webhooks")


async def _signing_keys(webhooks: Annotated[Webhooks, Depends(WEBHOOKS)]) -> SigningKeys:
    return webhooks.keys


SigningKeysDep = Annotated[SigningKeys, Depends(_signing_keys)]
