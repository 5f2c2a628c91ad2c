"""File types with fal's toolkit wire shape (``url``, ``content_type``, ``file_name``,
``file_size``; images add ``width`` and ``height``).

Inputs accept a plain URL string (http, https or data) or the object. Outputs built with
``from_bytes``/``from_pil``/``from_path`` keep their bytes pending in ``file_data`` (never
serialised); the runner writes them to its spool directory and the platform stores them
and fills in ``url`` (docs/architecture/runners.md).
"""

from __future__ import annotations

import asyncio
import mimetypes
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from impasto.sdk.context import maybe_current_request
from impasto.sdk.data_uri import decode_data_uri, is_data_uri
from impasto.sdk.errors import FetchError

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

INPUT_URL_SCHEMES = ("http://", "https://", "data:")
SPOOL_SCHEME = "impasto-spool://"  # where a runner put an output file (runners/spool.py)


class File(BaseModel):
    model_config = ConfigDict(json_schema_extra={"ui": {"field": "file"}})
    ui_field: ClassVar[str] = "file"

    url: str = Field(description="The URL where the file can be downloaded from.")
    content_type: str | None = Field(
        default=None, description="The mime type of the file.", examples=["image/png"]
    )
    file_name: str | None = Field(
        default=None,
        description="The name of the file. It will be auto-generated if not provided.",
        examples=["z9RV14K95DvU.png"],
    )
    file_size: int | None = Field(
        default=None, ge=0, description="The size of the file in bytes.", examples=[4404019]
    )
    file_data: bytes | None = Field(default=None, description="File data", exclude=True, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _from_url(cls, value: Any) -> Any:
        return {"url": value} if isinstance(value, str) else value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        value = handler(schema)
        if handler.mode != "validation":
            return value
        # Inputs take a bare URL too; the schema says so, so schema-based checks agree.
        url = {"type": "string", "description": "URL (http, https or data) of the file."}
        wrapped: dict[str, Any] = {key: value.pop(key) for key in ("title", "ui") if key in value}
        wrapped["anyOf"] = [url, value]
        return wrapped

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str) -> str:
        if not url.lower().startswith(INPUT_URL_SCHEMES):
            raise ValueError("url must be an http, https or data URL")
        return url

    @property
    def pending(self) -> bool:
        """True while the bytes wait to be stored: no url yet, or only a spool reference
        (an app may return the same object again; each request stores its own copy)."""
        return self.file_data is not None and (not self.url or self.url.startswith(SPOOL_SCHEME))

    @classmethod
    def from_bytes(
        cls, data: bytes, content_type: str | None = None, file_name: str | None = None
    ) -> Self:
        if content_type is None and file_name is not None:
            content_type = mimetypes.guess_type(file_name)[0]
        made = cls.model_construct(
            url="",
            content_type=content_type or "application/octet-stream",
            file_name=file_name,
            file_size=len(data),
            file_data=bytes(data),
        )
        return cast(Self, made)

    @classmethod
    def from_path(cls, path: str | Path, content_type: str | None = None) -> Self:
        path = Path(path)
        return cls.from_bytes(path.read_bytes(), content_type, path.name)

    def as_bytes(self) -> bytes:
        """The file's bytes: pending data, a data URI, or a fetch through the runner.

        Fetching an http(s) URL blocks, so async endpoints use ``aread()`` instead.
        """
        if self.file_data is not None:
            return self.file_data
        if is_data_uri(self.url):
            return self._keep(decode_data_uri(self.url)[0])
        ctx = maybe_current_request()
        if ctx is None:
            raise FetchError(f"cannot fetch {self.url!r} outside a request")
        if _on_event_loop():
            raise FetchError("as_bytes() would block the event loop; use 'await file.aread()'")
        return self._keep(ctx.fetch(self.url))

    async def aread(self) -> bytes:
        if self.file_data is not None or is_data_uri(self.url):
            return self.as_bytes()
        ctx = maybe_current_request()
        if ctx is None:
            raise FetchError(f"cannot fetch {self.url!r} outside a request")
        return self._keep(await ctx.afetch(self.url))

    def _keep(self, data: bytes) -> bytes:
        self.file_data = data
        return data


class Image(File):
    model_config = ConfigDict(json_schema_extra={"ui": {"field": "image"}})
    ui_field: ClassVar[str] = "image"

    width: int | None = Field(
        default=None, ge=0, description="The width of the image in pixels.", examples=[1024]
    )
    height: int | None = Field(
        default=None, ge=0, description="The height of the image in pixels.", examples=[1024]
    )

    @classmethod
    def from_pil(cls, image: PILImage, format: str | None = None) -> Self:
        """Encode a Pillow image (``format`` defaults to the image's own, else PNG)."""
        fmt = (format or image.format or "png").lower()
        fmt = "jpeg" if fmt == "jpg" else fmt
        buffer = BytesIO()
        image.save(buffer, format=fmt)
        return cls.from_bytes(buffer.getvalue(), f"image/{fmt}", size=image.size)

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        content_type: str | None = None,
        file_name: str | None = None,
        *,
        size: tuple[int, int] | None = None,
    ) -> Self:
        if content_type is not None and "/" not in content_type:
            content_type = f"image/{content_type.lower()}"  # fal passes a bare format
        made = super().from_bytes(data, content_type, file_name)
        if size is not None:
            made.width, made.height = size
        return made

    def to_pil(self) -> PILImage:
        from PIL import Image as PILModule

        image = PILModule.open(BytesIO(self.as_bytes()))
        image.load()
        return image


class Video(File):
    model_config = ConfigDict(json_schema_extra={"ui": {"field": "video"}})
    ui_field: ClassVar[str] = "video"


class Audio(File):
    model_config = ConfigDict(json_schema_extra={"ui": {"field": "audio"}})
    ui_field: ClassVar[str] = "audio"


class ImageSize(BaseModel):
    width: int = Field(default=512, gt=0, le=14142, description="The width of the generated image.")
    height: int = Field(
        default=512, gt=0, le=14142, description="The height of the generated image."
    )


ImageSizePreset = Literal[
    "square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9"
]

IMAGE_SIZE_PRESETS: dict[str, ImageSize] = {
    "square_hd": ImageSize(width=1024, height=1024),
    "square": ImageSize(width=512, height=512),
    "portrait_4_3": ImageSize(width=768, height=1024),
    "portrait_16_9": ImageSize(width=576, height=1024),
    "landscape_4_3": ImageSize(width=1024, height=768),
    "landscape_16_9": ImageSize(width=1024, height=576),
}


def get_image_size(value: ImageSize | str) -> ImageSize:
    """Resolve a preset name (``square_hd``...) or pass an ``ImageSize`` through."""
    if isinstance(value, ImageSize):
        return value
    try:
        return IMAGE_SIZE_PRESETS[value].model_copy()
    except KeyError:
        raise ValueError(f"unknown image size preset {value!r}") from None


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
