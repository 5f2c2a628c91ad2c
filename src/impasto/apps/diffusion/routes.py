"""Which model and task each served path of a diffusion app means.

The platform deploys one diffusion app per ``owner/app`` of its aliases and hands the
runner the routes in ``ROUTES_ENV`` (JSON: path -> route), so the runner needs no database.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from typing import Any

DIFFUSION_APP = "impasto.apps.diffusion.app:DiffusionApp"
ROUTES_ENV = "IMPASTO_DIFFUSION_ROUTES"
# The class's endpoint for each task; an alias serves a copy of it at its own path.
TASK_PATHS = {
    "text-to-image": "/",
    "image-to-image": "/image-to-image",
    "inpainting": "/inpainting",
    "upscale": "/upscale",
}


@dataclass(frozen=True)
class Route:
    task: str
    model: str  # the installed model's name
    path: str  # its weights on disk
    source: str  # hub | folder | file
    family: str
    pipeline_class: str
    device: str | None = None  # None: chosen per machine (devices.place)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Route:
        fields = {key: str(data[key]) for key in cls.__dataclass_fields__ if key != "device"}
        device = data.get("device")
        return cls(**fields, device=str(device) if device else None)


def routes_from_env() -> dict[str, Route]:
    raw = os.environ.get(ROUTES_ENV)
    if not raw:
        return {}
    return {path: Route.from_json(route) for path, route in json.loads(raw).items()}
