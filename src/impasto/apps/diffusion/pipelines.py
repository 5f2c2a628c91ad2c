"""Loading installed weights as diffusers pipelines, one per model, placed on a device.

The runner never reaches the Hub (``HF_HUB_OFFLINE``): every file was installed by the
weights manager. Image-to-image and inpainting reuse the text-to-image pipeline's parts
(``from_pipe``), so a model's weights are in memory once whatever its aliases ask for.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from impasto.apps.diffusion.devices import Placement, place
from impasto.apps.diffusion.routes import Route

# (steps, guidance) when the input leaves them out, as fal's endpoints default them.
FAMILY_DEFAULTS = {
    "flux": (28, 3.5),
    "sd3": (28, 7.0),
    "sdxl": (25, 7.5),
    "sd15": (25, 7.5),
    "upscaler": (20, 9.0),
}
# Distilled models sample in a few steps without guidance (SDXL turbo, FLUX schnell).
FEW_STEP_MARKERS = ("turbo", "schnell", "lightning")


def defaults_for(route: Route) -> tuple[int, float]:
    if any(marker in route.model.lower() for marker in FEW_STEP_MARKERS):
        return 4, 0.0
    return FAMILY_DEFAULTS.get(route.family, (25, 7.5))


def quiet_offline() -> None:
    """No Hub access and no loading bars (they would become log lines, one per redraw)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    diffusers_logging.disable_progress_bar()
    transformers_logging.disable_progress_bar()


class Loaded:
    """A model's pipeline, its placement, and the task variants made from it."""

    def __init__(self, route: Route, pipe: Any, placement: Placement) -> None:
        self.route = route
        self.placement = placement
        # The loaded pipeline is filed as text-to-image; an upscaler's serves upscale.
        self.tasks: dict[str, Any] = {"text-to-image": pipe}
        # Latents are smaller than the image by this factor; FLUX packs 2x2 patches.
        factor = max(8, int(getattr(pipe, "vae_scale_factor", 8)))
        self.size_multiple = factor * 2 if route.family == "flux" else factor

    def for_task(self, task: str) -> Any:
        if task == "upscale":
            return self.tasks["text-to-image"]  # the pipeline as loaded: an upscaler
        if task not in self.tasks:
            from diffusers import AutoPipelineForImage2Image, AutoPipelineForInpainting

            kind = (
                AutoPipelineForImage2Image
                if task == "image-to-image"
                else (AutoPipelineForInpainting)
            )
            derived = kind.from_pipe(self.tasks["text-to-image"])
            derived.set_progress_bar_config(disable=True)
            self.tasks[task] = derived
        return self.tasks[task]


def load(route: Route) -> Loaded:
    import diffusers
    import torch

    weights = Path(route.path)
    if not weights.exists():
        raise RuntimeError(
            f"the weights of {route.model} are not at {weights}; reinstall them with "
            "`impasto models pull` or `impasto models import`"
        )
    size = (
        weights.stat().st_size
        if weights.is_file()
        else sum(item.stat().st_size for item in weights.rglob("*") if item.is_file())
    )
    placement = place(route.family, size, wanted=route.device)
    dtype = getattr(torch, placement.dtype)
    if route.source == "file":
        pipeline_class = getattr(diffusers, route.pipeline_class)
        pipe = pipeline_class.from_single_file(str(weights), torch_dtype=dtype)
    else:
        pipe = diffusers.DiffusionPipeline.from_pretrained(
            weights, dtype=dtype, local_files_only=True, low_cpu_mem_usage=False
        )
    pipe.set_progress_bar_config(disable=True)
    if placement.offload:
        pipe.enable_model_cpu_offload(device=placement.device)
    else:
        pipe = pipe.to(placement.device)
    return Loaded(route, pipe, placement)
