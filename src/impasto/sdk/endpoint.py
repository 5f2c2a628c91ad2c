"""``@endpoint(path)`` and what the SDK learns from an endpoint's signature."""

from __future__ import annotations

import collections.abc
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from impasto.sdk.naming import normalize_path

F = TypeVar("F", bound=Callable[..., Any])
MARK = "__impasto_endpoint__"

EndpointKind = Literal["unary", "streaming"]

_STREAM_ORIGINS = {
    collections.abc.Iterator,
    collections.abc.Iterable,
    collections.abc.Generator,
    collections.abc.AsyncIterator,
    collections.abc.AsyncIterable,
    collections.abc.AsyncGenerator,
}


class NoInput(BaseModel):
    """The input of an endpoint that takes none: an empty object."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class EndpointMark:
    path: str


@dataclass(frozen=True)
class EndpointSpec:
    path: str
    attribute: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    kind: EndpointKind
    is_async: bool
    takes_input: bool

    @property
    def streaming(self) -> bool:
        return self.kind == "streaming"


def endpoint(path: str = "/") -> Callable[[F], F]:
    """Expose an app method at ``path`` (``"/"`` is the app's own id, ``"/sub"`` a sub-path)."""
    normalized = normalize_path(path)

    def mark(func: F) -> F:
        setattr(func, MARK, EndpointMark(path=normalized))
        return func

    return mark


def endpoint_mark(value: object) -> EndpointMark | None:
    mark = getattr(value, MARK, None)
    return mark if isinstance(mark, EndpointMark) else None


def inspect_endpoint(owner: type, attribute: str, func: Callable[..., Any]) -> EndpointSpec:
    """Read the input model, output model and kind off a marked method."""
    mark = endpoint_mark(func)
    if mark is None:
        raise TypeError(f"{owner.__name__}.{attribute} is not an endpoint")
    where = f"{owner.__qualname__}.{attribute}"
    try:
        hints = typing.get_type_hints(func)
    except NameError as exc:
        raise TypeError(f"{where}: cannot resolve type hints ({exc})") from exc
    params = list(inspect.signature(func).parameters.values())[1:]  # drop self
    if len(params) > 1:
        raise TypeError(f"{where}: an endpoint takes one input model, got {len(params)} parameters")
    input_model: type[BaseModel] = NoInput
    if params:
        input_model = _model(hints.get(params[0].name), where, "input")
    streaming = inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func)
    returned = hints.get("return")
    if streaming:
        returned = _stream_item(returned, where)
    return EndpointSpec(
        path=mark.path,
        attribute=attribute,
        input_model=input_model,
        output_model=_model(returned, where, "output"),
        kind="streaming" if streaming else "unary",
        is_async=inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func),
        takes_input=bool(params),
    )


def _model(annotation: Any, where: str, what: str) -> type[BaseModel]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    raise TypeError(
        f"{where}: the {what} must be annotated with a pydantic model, got {annotation!r}"
    )


def _stream_item(annotation: Any, where: str) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in _STREAM_ORIGINS and args:
        return args[0]
    raise TypeError(
        f"{where}: a streaming endpoint is annotated Iterator[Model] or AsyncIterator[Model], "
        f"got {annotation!r}"
    )
