"""Text that is safe to store: no control characters, no lone surrogates.

PostgreSQL cannot store U+0000, and a lone surrogate cannot be encoded to UTF-8 at all;
either would otherwise reach the driver and fail as a server error.
"""

from __future__ import annotations

import re

_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def is_storable(value: str) -> bool:
    return _UNSTORABLE.search(value) is None
