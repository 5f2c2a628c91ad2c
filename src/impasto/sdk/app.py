"""``App``: the class an app author subclasses, with fal's class keywords and settings."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar

from packaging.requirements import InvalidRequirement, Requirement

from impasto.sdk.endpoint import EndpointSpec, endpoint_mark, inspect_endpoint
from impasto.sdk.naming import kebab_case, validate_app_name


@dataclass(frozen=True)
class AppSettings:
    """Scaling settings under fal's names; the worker agent reads them."""

    keep_alive: float = 60.0
    min_concurrency: int = 0
    max_concurrency: int = 1
    max_multiplexing: int = 1
    request_timeout: float = 3600.0
    startup_timeout: float = 900.0

    def __post_init__(self) -> None:
        for name in ("keep_alive", "request_timeout", "startup_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} must be a number of seconds, got {value!r}")
            if not math.isfinite(value) or value < 0 or (value == 0 and name != "keep_alive"):
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        for name in ("min_concurrency", "max_concurrency", "max_multiplexing"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        if self.max_multiplexing < 1 or self.max_concurrency < 1:
            raise ValueError("max_multiplexing and max_concurrency must be at least 1")
        if self.min_concurrency > self.max_concurrency:
            raise ValueError("min_concurrency cannot exceed max_concurrency")


SETTING_NAMES = frozenset(f.name for f in fields(AppSettings))
MAX_REQUIREMENTS = 256


def checked_requirements(value: Any) -> tuple[str, ...]:
    """fal's ``requirements``: PEP 508 lines a worker installs into the app's own
    environment (``impasto.workers.code``)."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise TypeError(f"requirements must be a list of strings, got {value!r}")
    if len(value) > MAX_REQUIREMENTS:
        raise ValueError(f"at most {MAX_REQUIREMENTS} requirements")
    checked: list[str] = []
    for line in value:
        if not isinstance(line, str):
            raise TypeError(f"requirements must be strings, got {line!r}")
        try:
            checked.append(str(Requirement(line)))
        except InvalidRequirement as exc:
            raise ValueError(f"invalid requirement {line!r}: {exc}") from None
    return tuple(checked)


class App:
    """Subclass with ``class MyApp(App, name="my-app", keep_alive=300)``.

    ``setup()`` runs once per runner before the first request (load weights there),
    ``teardown()`` once when the runner stops. Both may be ``async``. Endpoints are
    methods decorated with ``@endpoint(path)``.
    """

    app_name: ClassVar[str] = "app"
    settings: ClassVar[AppSettings] = AppSettings()
    requirements: ClassVar[tuple[str, ...]] = ()
    _endpoints: ClassVar[tuple[EndpointSpec, ...] | None] = None

    def __init_subclass__(
        cls, *, name: str | None = None, requirements: Any = None, **kwargs: Any
    ) -> None:
        unknown = set(kwargs) - SETTING_NAMES
        if unknown:
            raise TypeError(f"{cls.__name__}: unknown app settings {sorted(unknown)}")
        super().__init_subclass__()
        if "__init__" in cls.__dict__:
            raise TypeError(f"{cls.__name__} may not override __init__; load things in setup()")
        own_name = name or cls.__dict__.get("app_name") or kebab_case(cls.__name__)
        cls.app_name = validate_app_name(own_name)
        own = requirements if requirements is not None else cls.__dict__.get("requirements")
        if own is not None:
            cls.requirements = checked_requirements(own)
        # Class attributes (fal style) and class keywords both set the scaling settings.
        chosen = {key: cls.__dict__[key] for key in SETTING_NAMES if key in cls.__dict__}
        chosen.update(kwargs)
        cls.settings = replace(cls.settings, **chosen)
        for key in SETTING_NAMES:
            setattr(cls, key, getattr(cls.settings, key))
        cls._endpoints = None

    def setup(self) -> Any:
        """Load models and other expensive state; runs once per runner."""

    def teardown(self) -> Any:
        """Release what ``setup`` took; runs once when the runner stops."""

    @classmethod
    def endpoints(cls) -> tuple[EndpointSpec, ...]:
        """Every endpoint, in declaration order (base classes first)."""
        if cls._endpoints is None:
            found: dict[str, EndpointSpec] = {}
            for base in reversed(cls.__mro__):
                for attribute, value in vars(base).items():
                    if endpoint_mark(value) is not None:
                        found[attribute] = inspect_endpoint(cls, attribute, value)
                    elif attribute in found:
                        del found[attribute]  # overridden without the decorator
            paths = [spec.path for spec in found.values()]
            duplicated = {path for path in paths if paths.count(path) > 1}
            if duplicated:
                raise TypeError(f"{cls.__name__}: several endpoints at {sorted(duplicated)}")
            if not found:
                raise TypeError(f"{cls.__name__} has no @endpoint methods")
            cls._endpoints = tuple(found.values())
        return cls._endpoints

    @classmethod
    def endpoint_for(cls, path: str) -> EndpointSpec | None:
        return next((spec for spec in cls.endpoints() if spec.path == path), None)
