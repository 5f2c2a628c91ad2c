"""Request field types that refuse text no database can store (see ``kit/text``).

The pattern puts the rule in the OpenAPI document too; the validator also catches lone
surrogates, which a pattern cannot name."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from impasto.kit.text import escaped, is_storable, lone_surrogate_at

_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
# Text the databases can store: no control characters but tab, newline and carriage return.
TEXT_PATTERN = rf"^[^{_CONTROL}]*$"
# The same with at least one character that is not white space.
NOT_BLANK_PATTERN = rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$"


def storable(value: str) -> str:
    if not is_storable(value):
        raise ValueError("must not contain control characters or lone surrogates")
    return value


Text = Annotated[str, Field(pattern=TEXT_PATTERN), AfterValidator(storable)]
NotBlankText = Annotated[str, Field(pattern=NOT_BLANK_PATTERN), AfterValidator(storable)]


def _encodable(value: dict[str, Any]) -> dict[str, Any]:
    where = lone_surrogate_at(value)
    if where is not None:
        at = ".".join(str(escaped(part)) for part in where)
        raise ValueError(f"{at} must not contain a lone surrogate")
    return value


# Free-form JSON is stored as JSON text, where control characters are escaped and harmless;
# a lone surrogate could be stored but never sent back.
JsonObject = Annotated[dict[str, Any], AfterValidator(_encodable)]


def _not_boolean(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("must be an integer, not a boolean")
    return value


# For an int, last in its Annotated (before a Field, it hides the bounds from the schema):
# 3 and 3.0 are integers as JSON Schema has them; true, which pydantic reads as 1, is not.
NotBoolean = BeforeValidator(_not_boolean)
