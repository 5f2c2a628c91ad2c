"""The diffusion app: text-to-image, image-to-image and inpainting on installed weights.

One class serves every alias of one ``owner/app`` (``fal-ai/flux/dev``,
``fal-ai/flux/dev/image-to-image`` ...): the platform deploys it with a manifest listing
each alias path, and ``endpoint_for`` maps a path to the endpoint of its task
(``routes.ROUTES_ENV``). ``setup()`` loads each routed model once. Progress is reported per
denoising step and a cancel stops the loop at the next step.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from PIL import Image as PILModule

from impasto.apps.diffusion import loras
from impasto.apps.diffusion.pipelines import Loaded, defaults_for, load, quiet_offline
from impasto.apps.diffusion.routes import TASK_PATHS, Route, routes_from_env
from impasto.apps.diffusion.schemas import (
    MAX_SEED,
    GenerationInput,
    GenerationOutput,
    ImageToImageInput,
    InpaintingInput,
    TextToImageInput,
    Timings,
    UpscaleInput,
    UpscaleOutput,
)
from impasto.sdk import (
    App,
    EndpointSpec,
    FieldException,
    Image,
    RequestContext,
    current_request,
    endpoint,
    get_image_size,
)

MAX_SIDE = 2048
UPSCALE = 4  # Stable Diffusion's x4 upscaler


class DiffusionApp(App, name="diffusion", keep_alive=900, max_multiplexing=1):
    @classmethod
    def endpoint_for(cls, path: str) -> EndpointSpec | None:
        route = routes_from_env().get(path)
        if route is not None:
            path = TASK_PATHS[route.task]
        return super().endpoint_for(path)

    def setup(self) -> None:
        quiet_offline()
        self.routes = routes_from_env()
        if not self.routes:
            raise RuntimeError("no models to serve: add one with `impasto models alias`")
        self.models: dict[str, Loaded] = {}
        for route in self.routes.values():
            if route.model not in self.models:
                self.models[route.model] = load(route)

    @endpoint("/")
    def text_to_image(self, inp: TextToImageInput) -> GenerationOutput:
        ctx, route, loaded = self._serving("text-to-image")
        size = get_image_size(inp.image_size)
        self._check_size(loaded, size.width, size.height, "image_size")
        return self._generate(ctx, route, loaded, inp, {"width": size.width, "height": size.height})

    @endpoint("/image-to-image")
    def image_to_image(self, inp: ImageToImageInput) -> GenerationOutput:
        ctx, route, loaded = self._serving("image-to-image")
        image = self._input_image(loaded, inp.image_url, "image_url")
        options = {"image": image, "strength": inp.strength}
        return self._generate(ctx, route, loaded, inp, options)

    @endpoint("/inpainting")
    def inpainting(self, inp: InpaintingInput) -> GenerationOutput:
        ctx, route, loaded = self._serving("inpainting")
        image = self._input_image(loaded, inp.image_url, "image_url")
        mask = _decoded(inp.mask_url, "mask_url").convert("L").resize(image.size)
        options = {
            "image": image,
            "mask_image": mask,
            "strength": inp.strength,
            "width": image.width,
            "height": image.height,
        }
        return self._generate(ctx, route, loaded, inp, options)

    @endpoint("/upscale")
    def upscale(self, inp: UpscaleInput) -> UpscaleOutput:
        import torch

        ctx, route, loaded = self._serving("upscale")
        image = _decoded(inp.image_url, "image_url").convert("RGB")
        if max(image.size) * UPSCALE > MAX_SIDE:
            raise FieldException(
                "image_url", f"the image is larger than {MAX_SIDE // UPSCALE} on a side"
            )
        steps, guidance = defaults_for(route)
        steps = inp.num_inference_steps or steps
        guidance = guidance if inp.guidance_scale is None else inp.guidance_scale
        seed = secrets.randbelow(2**32) if inp.seed is None else inp.seed
        call: dict[str, Any] = {
            "prompt": inp.prompt,
            "image": image,
            "num_inference_steps": steps,
            "guidance_scale": guidance,
            "noise_level": inp.noise_level,
            "generator": torch.Generator("cpu").manual_seed(seed),
        }
        report = _step_reporter(ctx, steps)
        # The upscaler keeps diffusers' older per-step callback.
        call["callback"] = lambda step, timestep, _latents: report(None, step, timestep, {})
        call["callback_steps"] = 1
        if inp.negative_prompt:
            call["negative_prompt"] = inp.negative_prompt
        ctx.log(f"upscale with {route.model}, {steps} steps, seed {seed}")
        started = time.perf_counter()
        with torch.inference_mode():
            [result] = loaded.for_task("upscale")(**call).images
        elapsed = time.perf_counter() - started
        return UpscaleOutput(
            image=Image.from_pil(result, inp.output_format),
            timings=Timings(inference=elapsed),
            seed=seed,
        )

    def _serving(self, task: str) -> tuple[RequestContext, Route, Loaded]:
        ctx = current_request()
        route = self.routes.get(ctx.endpoint)
        if route is None or route.task != task:
            # Called on the class's own path: the one route of that task, if there is one.
            matching = [r for r in self.routes.values() if r.task == task]
            if len(matching) != 1:
                raise FieldException("prompt", f"no model serves {task} at {ctx.endpoint}", 404)
            route = matching[0]
        return ctx, route, self.models[route.model]

    @staticmethod
    def _check_size(loaded: Loaded, width: int, height: int, field: str) -> None:
        multiple = loaded.size_multiple
        if width % multiple or height % multiple or max(width, height) > MAX_SIDE:
            raise FieldException(
                field,
                f"width and height must be multiples of {multiple} up to {MAX_SIDE}, "
                f"got {width}x{height}",
            )

    def _input_image(self, loaded: Loaded, image: Image, field: str) -> PILModule.Image:
        decoded = _decoded(image, field).convert("RGB")
        multiple = loaded.size_multiple
        width, height = (side - side % multiple for side in decoded.size)
        if not width or not height:
            raise FieldException(field, f"the image is smaller than {multiple}x{multiple}")
        if max(width, height) > MAX_SIDE:
            raise FieldException(field, f"the image is larger than {MAX_SIDE} on a side")
        return decoded.crop((0, 0, width, height)) if (width, height) != decoded.size else decoded

    def _generate(
        self,
        ctx: RequestContext,
        route: Route,
        loaded: Loaded,
        inp: GenerationInput,
        options: dict[str, Any],
    ) -> GenerationOutput:
        import inspect

        import torch

        pipe = loaded.for_task(route.task)
        accepts = set(inspect.signature(pipe.__call__).parameters)
        if inp.negative_prompt and "negative_prompt" not in accepts:
            raise FieldException("negative_prompt", "this model does not take a negative prompt")
        default_steps, default_guidance = defaults_for(route)
        steps = inp.num_inference_steps or default_steps
        guidance = default_guidance if inp.guidance_scale is None else inp.guidance_scale
        seed = secrets.randbelow(2**32) if inp.seed is None else min(inp.seed, MAX_SEED)

        call: dict[str, Any] = {
            "prompt": inp.prompt,
            "num_inference_steps": steps,
            "guidance_scale": guidance,
            "num_images_per_prompt": inp.num_images,
            # A CPU generator gives the same images for a seed on every device.
            "generator": torch.Generator("cpu").manual_seed(seed),
            "callback_on_step_end": _step_reporter(ctx, steps),
            **options,
        }
        if inp.negative_prompt:
            call["negative_prompt"] = inp.negative_prompt
        ctx.log(f"{route.task} with {route.model}, {steps} steps, seed {seed}")
        started = time.perf_counter()
        with loras.applied(pipe, inp.loras, ctx), torch.inference_mode():
            result = pipe(**call)
        elapsed = time.perf_counter() - started
        images = [Image.from_pil(image, inp.output_format) for image in result.images]
        return GenerationOutput(
            images=images,
            timings=Timings(inference=elapsed),
            seed=seed,
            has_nsfw_concepts=[False] * len(images),
            prompt=inp.prompt,
        )


def _step_reporter(ctx: RequestContext, steps: int) -> Any:
    """A diffusers step callback: progress and a log line per step, and the cancel check."""

    def on_step(running: Any, step: int, _timestep: Any, kwargs: dict[str, Any]) -> Any:
        ctx.raise_if_cancelled()  # between steps: a step itself cannot be interrupted
        total = int(getattr(running, "num_timesteps", 0) or steps)
        message = f"step {step + 1} of {total}"
        ctx.progress(min(1.0, (step + 1) / total), message)
        ctx.log(message)  # fal's clients see logs, not progress events
        return kwargs

    return on_step


def _decoded(image: Image, field: str) -> PILModule.Image:
    try:
        return image.to_pil()
    except Exception as exc:  # Pillow raises many kinds for bytes that are no image
        raise FieldException(field, f"not a readable image: {exc}") from None
