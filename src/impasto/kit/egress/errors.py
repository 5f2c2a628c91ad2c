"""Why an outbound request on a user's behalf did not happen: refused, or failed."""

from __future__ import annotations

from impasto.kit.errors import InvalidRequest


class FetchRefused(InvalidRequest):
    """The server will not fetch this URL: its scheme, form or address is not allowed."""


class FetchFailed(InvalidRequest):
    """The remote end could not be fetched: unreachable, too slow, or an error status."""
