"""What an app declares, as plain data: endpoints with their ids and JSON schemas.

The runner sends this manifest when it is ready; the catalog stores it. Schemas are
self-contained (``$defs`` kept inside each schema), input schemas in pydantic's
validation mode (what callers send) and output schemas in serialisation mode (what they
get back).
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass
from typing import Any

from impasto.sdk.app import App, AppSettings
from impasto.sdk.endpoint import EndpointSpec
from impasto.sdk.naming import endpoint_id


@dataclass(frozen=True)
class EndpointInfo:
    path: str
    name: str
    kind: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]

    def endpoint_id(self, owner: str, app_name: str) -> str:
        return endpoint_id(owner, app_name, self.path)


@dataclass(frozen=True)
class AppManifest:
    name: str
    settings: AppSettings
    endpoints: tuple[EndpointInfo, ...]
    requirements: tuple[str, ...] = ()

    def endpoint_ids(self, owner: str) -> list[str]:
        """``owner`` comes from the deployment (who added the app), never from the class."""
        return [info.endpoint_id(owner, self.name) for info in self.endpoints]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "settings": asdict(self.settings),
            "endpoints": [asdict(info) for info in self.endpoints],
            "requirements": list(self.requirements),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AppManifest:
        return cls(
            name=str(data["name"]),
            settings=AppSettings(**data["settings"]),
            endpoints=tuple(EndpointInfo(**info) for info in data["endpoints"]),
            requirements=tuple(str(line) for line in data.get("requirements") or ()),
        )


def describe_endpoint(spec: EndpointSpec) -> EndpointInfo:
    return EndpointInfo(
        path=spec.path,
        name=spec.attribute,
        kind=spec.kind,
        input_schema=spec.input_model.model_json_schema(mode="validation"),
        output_schema=spec.output_model.model_json_schema(mode="serialization"),
    )


def describe(app: type[App]) -> AppManifest:
    """Introspect an app class without instantiating it (``setup`` does not run)."""
    return AppManifest(
        name=app.app_name,
        settings=app.settings,
        endpoints=tuple(describe_endpoint(spec) for spec in app.endpoints()),
        requirements=app.requirements,
    )


def load_app(ref: str) -> type[App]:
    """Import ``package.module:ClassName`` and check that it is an ``App``."""
    module_name, sep, attribute = ref.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"app reference {ref!r} must look like 'package.module:ClassName'")
    module = importlib.import_module(module_name)
    target: Any = module
    for part in attribute.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise ValueError(f"{module_name!r} has no attribute {attribute!r}")
    if not (isinstance(target, type) and issubclass(target, App)) or target is App:
        raise ValueError(f"{ref!r} is not an impasto.sdk.App subclass")
    return target
