"""What a set of weights is: its family (SD 1.5, SDXL, SD3, FLUX), its pipeline class, and
which of a repository's files a pipeline needs.

Hub repositories often carry every format at once (``.bin`` and ``.safetensors``, fp32 and
fp16, a root-level ``.ckpt``): a pull fetches one weight format per component, the
safetensors of the chosen variant when there are any, and the small config files beside it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from impasto.weights.errors import NotAPipeline

MODEL_INDEX = "model_index.json"
WEIGHT_SUFFIXES = (
    ".safetensors",
    ".bin",
    ".ckpt",
    ".pt",
    ".pth",
    ".msgpack",
    ".h5",
    ".onnx",
    ".onnx_data",
    ".pb",
    ".gguf",
)
# By preference: the first format a component has is the one pulled.
PREFERRED_FORMATS = (".safetensors", ".bin")
VARIANTS = ("fp16", "bf16", "fp32", "non_ema", "ema")

FAMILY_OF_PIPELINE = {
    "StableDiffusionPipeline": "sd15",
    "StableDiffusionImg2ImgPipeline": "sd15",
    "StableDiffusionInpaintPipeline": "sd15",
    "StableDiffusionXLPipeline": "sdxl",
    "StableDiffusionXLImg2ImgPipeline": "sdxl",
    "StableDiffusionXLInpaintPipeline": "sdxl",
    "StableDiffusion3Pipeline": "sd3",
    "FluxPipeline": "flux",
    "StableDiffusionUpscalePipeline": "upscaler",
    "StableDiffusionLatentUpscalePipeline": "upscaler",
}
PIPELINE_OF_FAMILY = {
    "sd15": "StableDiffusionPipeline",
    "sdxl": "StableDiffusionXLPipeline",
    "sd3": "StableDiffusion3Pipeline",
    "flux": "FluxPipeline",
}


def family_of(pipeline_class: str) -> str:
    return FAMILY_OF_PIPELINE.get(pipeline_class, "other")


def read_model_index(path: Path) -> dict[str, Any]:
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotAPipeline(f"{path.name} is not readable JSON: {exc}") from None
    if not isinstance(index, dict) or not isinstance(index.get("_class_name"), str):
        raise NotAPipeline(f"{path.name} names no pipeline class (_class_name)")
    return index


def components_of(index: Mapping[str, Any]) -> list[str]:
    """The component folders a pipeline loads (``unet``, ``vae``, ``text_encoder``...)."""
    found = []
    for key, value in index.items():
        if key.startswith("_"):
            continue
        # [library, class]; [null, null] marks a component left out (safety_checker).
        if isinstance(value, list) and len(value) == 2 and value[0] is not None:
            found.append(key)
    return found


def variant_of(filename: str) -> str | None:
    """``diffusion_pytorch_model.fp16.safetensors`` -> ``fp16``."""
    parts = PurePosixPath(filename).name.split(".")
    return parts[-2] if len(parts) >= 3 and parts[-2] in VARIANTS else None


def is_weight(filename: str) -> bool:
    return filename.endswith(WEIGHT_SUFFIXES)


def select_files(
    repo_files: Iterable[str], components: Iterable[str], variant: str | None
) -> list[str]:
    """The files a pipeline needs from a repository's listing.

    Raises ``NotAPipeline`` when a component has no weights in a loadable format (of the
    variant asked for, if one was).
    """
    files = sorted(set(repo_files))
    chosen = [MODEL_INDEX] if MODEL_INDEX in files else []
    for component in components:
        inside = [name for name in files if name.startswith(f"{component}/")]
        chosen += [name for name in inside if not is_weight(name)]
        weights = [name for name in inside if is_weight(name)]
        if not weights:
            continue  # tokenizers and schedulers carry no weights
        picked = _pick_weights(weights, variant)
        if not picked:
            wanted = f" of variant {variant}" if variant else ""
            raise NotAPipeline(f"{component}/ has no safetensors or .bin weights{wanted}")
        chosen += picked
    return chosen


def _pick_weights(weights: list[str], variant: str | None) -> list[str]:
    for suffix in PREFERRED_FORMATS:
        of_format = [name for name in weights if name.endswith(suffix)]
        matching = [name for name in of_format if variant_of(name) == variant]
        if matching:
            return matching
    return []


def single_file_family(keys: Iterable[str]) -> str:
    """The family of a single-file checkpoint (ComfyUI's ``.safetensors``), from its keys."""
    names = set(keys)

    def has(prefix: str) -> bool:
        return any(name.startswith(prefix) for name in names)

    if has("double_blocks.") or has("model.diffusion_model.double_blocks."):
        return "flux"
    if has("model.diffusion_model.joint_blocks."):
        return "sd3"
    if has("conditioner.embedders.1."):
        return "sdxl"
    if has("model.diffusion_model.input_blocks.") and has("cond_stage_model."):
        return "sd15"
    raise NotAPipeline(
        "not a checkpoint of a known family (SD 1.5, SDXL, SD3, FLUX): its tensor names "
        "match none of them"
    )
