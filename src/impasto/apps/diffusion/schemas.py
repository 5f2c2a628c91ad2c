"""Inputs and outputs in the shapes of fal's generation models.

Text-to-image follows ``fal-ai/flux/dev`` and ``fal-ai/fast-sdxl`` (``prompt``,
``image_size`` as a preset or ``{width, height}``, ``num_inference_steps``,
``guidance_scale``, ``seed``, ``num_images``, ``enable_safety_checker``,
``output_format``, ``loras``) -> ``images[{url, width, height, content_type}]``,
``timings``, ``seed``, ``has_nsfw_concepts``, ``prompt``; image-to-image and inpainting
add fal's ``image_url``, ``mask_url`` and ``strength``. Steps and guidance left out take the
model family's usual values (FLUX dev 28 / 3.5, SDXL 25 / 7.5 ...).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from impasto.sdk import Image, ImageSize, ImageSizePreset

MAX_SEED = 2**63 - 1
MAX_LORAS = 4


class LoraWeight(BaseModel):
    # No length cap of its own: a data: URI carries the file, and the request body limit
    # bounds it.
    path: str = Field(
        min_length=1,
        description="URL (or data: URI) of a LoRA in safetensors format.",
    )
    scale: float = Field(default=1.0, ge=-4, le=4, description="How strongly it applies.")


class GenerationInput(BaseModel):
    prompt: str = Field(
        min_length=1,
        max_length=4000,
        description="The prompt to generate an image from.",
        examples=["Extreme close-up of a single tiger eye, direct frontal view"],
    )
    negative_prompt: str = Field(
        default="",
        max_length=4000,
        description="What to keep out of the image (families with classifier-free guidance).",
    )
    num_inference_steps: int | None = Field(
        default=None, ge=1, le=100, description="Denoising steps [default: the family's]."
    )
    guidance_scale: float | None = Field(
        default=None, ge=0, le=30, description="How closely to follow the prompt (CFG scale)."
    )
    seed: int | None = Field(
        default=None,
        ge=0,
        le=MAX_SEED,
        description="The same seed and inputs give the same images; random when left out.",
    )
    num_images: int = Field(default=1, ge=1, le=4, description="The number of images.")
    enable_safety_checker: bool = Field(
        default=True,
        description="Accepted for fal compatibility; no safety checker is loaded, so "
        "has_nsfw_concepts is always false.",
    )
    output_format: Literal["jpeg", "png"] = Field(
        default="jpeg", description="The format of the generated images."
    )
    loras: list[LoraWeight] = Field(
        default_factory=list, max_length=MAX_LORAS, description="LoRAs to apply, with scales."
    )


class TextToImageInput(GenerationInput):
    image_size: ImageSize | ImageSizePreset = Field(
        default="landscape_4_3",
        description="A preset or an explicit width and height (multiples of the model's "
        "latent factor, usually 8).",
    )


class ImageToImageInput(GenerationInput):
    image_url: Image = Field(description="The image to start from (URL or data: URI).")
    strength: float = Field(
        default=0.95,
        gt=0,
        le=1,
        description="How much to change the image: 1 ignores it, near 0 keeps it.",
    )


class InpaintingInput(ImageToImageInput):
    mask_url: Image = Field(description="White where to paint, black where to keep.")


class Timings(BaseModel):
    inference: float = Field(description="Seconds spent in the denoising loop and decoding.")


class GenerationOutput(BaseModel):
    images: list[Image] = Field(description="The generated images.")
    timings: Timings
    seed: int = Field(description="The seed used; send it back to get the same images.")
    has_nsfw_concepts: list[bool] = Field(description="Per image: whether it was flagged.")
    prompt: str = Field(description="The prompt used.")


class UpscaleInput(BaseModel):
    image_url: Image = Field(description="The image to enlarge 4x (URL or data: URI).")
    prompt: str = Field(default="", max_length=4000, description="What the image shows.")
    negative_prompt: str = Field(default="", max_length=4000)
    num_inference_steps: int | None = Field(default=None, ge=1, le=100)
    guidance_scale: float | None = Field(default=None, ge=0, le=30)
    noise_level: int = Field(
        default=20, ge=0, le=350, description="Noise added to the input: more invents more."
    )
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    output_format: Literal["jpeg", "png"] = Field(default="png")


class UpscaleOutput(BaseModel):
    image: Image = Field(description="The enlarged image.")
    timings: Timings
    seed: int
