"""``impasto/text-to-image``: a diffusers pipeline from weights the operator supplies.

Nothing is downloaded: ``setup()`` loads a pipeline saved with ``save_pretrained()``
(``model_index.json`` plus one folder per component, Stable Diffusion 1.x/2.x being the
usual case) from the directory named by ``IMPASTO_TEXT_TO_IMAGE_WEIGHTS`` in the
runner's environment. The platform sets it from the ``text_to_image_weights`` setting and
serves the app only when that setting is present (``enabled``). Inputs and outputs follow
fal's text-to-image models (``prompt``, ``image_size``, ``seed`` -> ``images``, ``seed``).
"""

from __future__ import annotations

import inspect
import os
import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from impasto.sdk import (
    App,
    FieldException,
    Image,
    ImageSize,
    ImageSizePreset,
    current_request,
    endpoint,
    get_image_size,
)

WEIGHTS_ENV = "IMPASTO_TEXT_TO_IMAGE_WEIGHTS"
MAX_SIDE = 2048
MAX_SEED = 2**63 - 1


def enabled(weights_dir: Path | None) -> bool:
    """Whether the platform should serve the app: only with weights configured."""
    return weights_dir is not None


class TextToImageInput(BaseModel):
    prompt: str = Field(
        min_length=1,
        max_length=4000,
        description="What to draw.",
        examples=["a watercolor painting of a fox in the snow"],
    )
    negative_prompt: str = Field(
        default="", max_length=4000, description="What to keep out of the image."
    )
    image_size: ImageSize | ImageSizePreset = Field(
        default="square",
        description=(
            "A preset (square is 512x512) or an explicit width and height; both must be "
            f"multiples of 8 and at most {MAX_SIDE}."
        ),
    )
    num_inference_steps: int = Field(
        default=25, ge=1, le=100, description="Denoising steps: more is slower and finer."
    )
    guidance_scale: float = Field(
        default=7.5, ge=0, le=30, description="How closely to follow the prompt (CFG scale)."
    )
    seed: int | None = Field(
        default=None,
        ge=0,
        le=MAX_SEED,
        description="The same seed and inputs give the same images; random when left out.",
    )
    num_images: int = Field(default=1, ge=1, le=4, description="How many images to generate.")
    output_format: Literal["png", "jpeg"] = Field(
        default="png", description="The format of the generated images."
    )


class TextToImageOutput(BaseModel):
    images: list[Image] = Field(description="The generated images.")
    seed: int = Field(description="The seed used; send it back to get the same images.")
    prompt: str = Field(description="The prompt used.")


class TextToImageApp(App, name="text-to-image", keep_alive=600, max_multiplexing=1):
    def setup(self) -> None:
        configured = os.environ.get(WEIGHTS_ENV)
        if not configured:
            raise RuntimeError(f"{WEIGHTS_ENV} is not set; it names the pipeline's directory")
        weights = Path(configured)
        if not (weights / "model_index.json").is_file():
            raise RuntimeError(f"{weights} has no model_index.json (a diffusers pipeline)")
        # Refuse any hub access: the weights are local or the runner does not start.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        import torch
        from diffusers import DiffusionPipeline
        from diffusers.utils import logging as diffusers_logging
        from transformers.utils import logging as transformers_logging

        # Loading bars would become runner log lines, one per redraw.
        diffusers_logging.disable_progress_bar()
        transformers_logging.disable_progress_bar()
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.float16 if self.device == "cuda" else torch.float32
        pipe = DiffusionPipeline.from_pretrained(
            weights, dtype=dtype, local_files_only=True, low_cpu_mem_usage=False
        )
        pipe.set_progress_bar_config(disable=True)
        self.pipe: Any = pipe.to(self.device)
        self.accepts = set(inspect.signature(pipe.__call__).parameters)
        # Latents are smaller than the image by this factor; sizes must divide by it.
        self.size_multiple = max(8, int(getattr(pipe, "vae_scale_factor", 8)))

    @endpoint("/")
    def generate(self, inp: TextToImageInput) -> TextToImageOutput:
        import torch

        size = get_image_size(inp.image_size)
        for side in (size.width, size.height):
            if side % self.size_multiple or side > MAX_SIDE:
                raise FieldException(
                    "image_size",
                    f"width and height must be multiples of {self.size_multiple} "
                    f"up to {MAX_SIDE}, got {size.width}x{size.height}",
                )
        if inp.negative_prompt and "negative_prompt" not in self.accepts:
            raise FieldException("negative_prompt", "this model does not take a negative prompt")
        seed = secrets.randbelow(2**32) if inp.seed is None else inp.seed
        ctx = current_request()
        steps = inp.num_inference_steps

        def on_step(_pipe: Any, step: int, _timestep: Any, kwargs: dict[str, Any]) -> Any:
            ctx.raise_if_cancelled()  # a sync endpoint stops between steps, not mid-step
            # Second-order schedulers call back more often than num_inference_steps.
            ctx.progress(min(1.0, (step + 1) / steps), f"step {step + 1} of {steps}")
            return kwargs

        options: dict[str, Any] = {
            "prompt": inp.prompt,
            "height": size.height,
            "width": size.width,
            "num_inference_steps": steps,
            "guidance_scale": inp.guidance_scale,
            "num_images_per_prompt": inp.num_images,
            "generator": torch.Generator(self.device).manual_seed(seed),
        }
        if inp.negative_prompt:
            options["negative_prompt"] = inp.negative_prompt
        if "callback_on_step_end" in self.accepts:
            options["callback_on_step_end"] = on_step
        ctx.log(f"generating {inp.num_images} image(s) at {size.width}x{size.height}, seed {seed}")
        with torch.inference_mode():
            result = self.pipe(**options)
        images = [Image.from_pil(image, inp.output_format) for image in result.images]
        return TextToImageOutput(images=images, seed=seed, prompt=inp.prompt)
