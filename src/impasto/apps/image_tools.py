"""``impasto/image-tools``: resize, crop, convert and thumbnail images with Pillow.

Inputs take an image by URL (fetched through the platform) or as a ``data:`` URI;
outputs are ``Image`` files stored by the platform.
"""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from impasto.sdk import App, FieldException, Image, endpoint

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage
    from PIL.Image import Resampling

MAX_PIXELS = 64_000_000  # refuse decompression bombs long before memory runs out
MAX_SIDE = 16384

OutputFormat = Literal["png", "jpeg", "webp", "gif", "bmp", "tiff"]
Resample = Literal["nearest", "bilinear", "bicubic", "lanczos"]
_SAVABLE = {"png", "jpeg", "webp", "gif", "bmp", "tiff"}
_NO_ALPHA = {"jpeg", "bmp"}


class ImageInput(BaseModel):
    image: Image = Field(description="The image, as an http(s) URL, a data: URI or an object.")
    format: OutputFormat | None = Field(
        default=None, description="Output format; by default the input's (PNG if unknown)."
    )
    quality: int = Field(default=90, ge=1, le=100, description="JPEG and WebP quality.")


class ResizeInput(ImageInput):
    width: int = Field(ge=1, le=MAX_SIDE, description="Output width in pixels.")
    height: int = Field(ge=1, le=MAX_SIDE, description="Output height in pixels.")
    resample: Resample = Field(default="lanczos", description="Resampling filter.")


class CropInput(ImageInput):
    left: int = Field(ge=0, description="Left edge of the box, in pixels.")
    top: int = Field(ge=0, description="Top edge of the box, in pixels.")
    width: int = Field(ge=1, le=MAX_SIDE, description="Box width in pixels.")
    height: int = Field(ge=1, le=MAX_SIDE, description="Box height in pixels.")


class ConvertInput(ImageInput):
    format: OutputFormat = Field(description="The format to convert to.")


class ThumbnailInput(ImageInput):
    max_width: int = Field(default=256, ge=1, le=MAX_SIDE, description="Largest output width.")
    max_height: int = Field(default=256, ge=1, le=MAX_SIDE, description="Largest output height.")


class ImageOutput(BaseModel):
    image: Image = Field(description="The resulting image.")


class ImageToolsApp(App, name="image-tools", keep_alive=300, max_multiplexing=4):
    def setup(self) -> None:
        from PIL import Image as PILModule

        PILModule.init()  # register every codec once, not on the first request

    @endpoint("/resize")
    def resize(self, inp: ResizeInput) -> ImageOutput:
        image = _open(inp.image)
        resized = image.resize((inp.width, inp.height), _resample(inp.resample))
        return _answer(resized, inp, image.format)

    @endpoint("/crop")
    def crop(self, inp: CropInput) -> ImageOutput:
        image = _open(inp.image)
        if inp.left + inp.width > image.width or inp.top + inp.height > image.height:
            raise FieldException(
                "width",
                f"the box ({inp.left}, {inp.top}, {inp.width}x{inp.height}) does not fit "
                f"inside the {image.width}x{image.height} image",
            )
        box = (inp.left, inp.top, inp.left + inp.width, inp.top + inp.height)
        return _answer(image.crop(box), inp, image.format)

    @endpoint("/convert")
    def convert(self, inp: ConvertInput) -> ImageOutput:
        image = _open(inp.image)
        return _answer(image, inp, image.format)

    @endpoint("/thumbnail")
    def thumbnail(self, inp: ThumbnailInput) -> ImageOutput:
        image = _open(inp.image)
        source_format = image.format
        image.thumbnail((inp.max_width, inp.max_height), _resample("lanczos"))
        return _answer(image, inp, source_format)


def _open(file: Image) -> PILImage:
    from PIL import Image as PILModule
    from PIL import UnidentifiedImageError

    data = file.as_bytes()
    try:
        with PILModule.open(BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise FieldException(
                    "image", f"the image has more than {MAX_PIXELS} pixels ({probe.size})"
                )
        image = PILModule.open(BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise FieldException("image", f"could not decode the image: {exc}") from None
    return image


def _answer(image: PILImage, inp: ImageInput, source_format: str | None) -> ImageOutput:
    fmt = inp.format or (source_format or "png").lower()
    fmt = fmt if fmt in _SAVABLE else "png"
    needs_rgb = fmt in _NO_ALPHA and image.mode not in ("RGB", "L")
    if needs_rgb or (fmt == "png" and image.mode == "CMYK"):
        image = image.convert("RGB")
    buffer = BytesIO()
    options = {"quality": inp.quality} if fmt in ("jpeg", "webp") else {}
    image.save(buffer, format=fmt, **options)
    output = Image.from_bytes(buffer.getvalue(), f"image/{fmt}", size=image.size)
    return ImageOutput(image=output)


def _resample(name: str) -> Resampling:
    from PIL import Image as PILModule

    return PILModule.Resampling[name.upper()]
