"""Request field types that refuse text no database can store (see ``kit/text``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator

from impasto.kit.text import escaped, is_storable, unstorable_at

UNSTORABLE = "must not contain control characters or lone surrogates"


def storable(value: str) -> str:
    if not is_storable(value):
        raise ValueError(UNSTORABLE)
    return value


def _storable_json(value: Any) -> Any:
    where = unstorable_at(value)
    if where is not None:
        at = ".".join(str(escaped(part)) for part in where)
        raise ValueError(f"{at or 'value'} {UNSTORABLE}")
    return value


StorableStr = Annotated[str, AfterValidator(storable)]
StorableJson = AfterValidator(_storable_json)
