"""Comma-separated lists, as settings (``IMPASTO_APPS=a,b``) and query parameters
(``?endpoint_id=a,b``, also repeated) write them."""

from __future__ import annotations

from collections.abc import Iterable


def split_commas(values: str | Iterable[str]) -> list[str]:
    """The items of one or more comma-separated values in order, stripped; blanks dropped."""
    texts = [values] if isinstance(values, str) else values
    return [part.strip() for text in texts for part in text.split(",") if part.strip()]


def split_comma_lists(value: object) -> object:
    """A before-validator for repeated query parameters: every value's items, in order.

    Anything but a list is left to the field's own validation."""
    if isinstance(value, list):
        return split_commas(str(item) for item in value)
    return value
