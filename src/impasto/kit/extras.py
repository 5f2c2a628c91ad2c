"""Optional parts of the install: a clear message, not an ImportError, when a setting
asks for a backend whose extra is not installed."""

from __future__ import annotations

import importlib.util


class MissingExtra(RuntimeError):
    """A configured feature needs a package of an extra that is not installed."""


def require(module: str, *, feature: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise MissingExtra(
            f"{feature} needs the '{extra}' extra ({module} is not installed): "
            f"pip install 'impasto[{extra}]'"
        )
