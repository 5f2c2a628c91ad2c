"""What kind of media a file is, and what Pillow can tell about an image cheaply."""

from __future__ import annotations

import io
import warnings
from pathlib import PurePosixPath

from PIL import Image, UnidentifiedImageError

MEDIA_TYPES = ("image", "video", "audio", "3d")
THUMBNAIL_EDGE = 384
# Larger images are refused by the thumbnailer rather than decoded (decompression bombs).
MAX_PIXELS = 100_000_000

_3D_TYPES = {"model/gltf-binary", "model/gltf+json", "model/obj", "model/stl", "model/vnd.usdz+zip"}
_3D_SUFFIXES = {".glb", ".gltf", ".obj", ".stl", ".ply", ".fbx", ".usdz", ".3mf"}


def media_type_for(content_type: str | None, file_name: str | None = None) -> str | None:
    """``image|video|audio|3d`` from the content type (or the name); None for other files."""
    main = (content_type or "").split(";", 1)[0].strip().lower()
    if main in _3D_TYPES or main.startswith("model/"):
        return "3d"
    for kind in ("image", "video", "audio"):
        if main.startswith(f"{kind}/"):
            return kind
    suffix = PurePosixPath(file_name or "").suffix.lower()
    return "3d" if suffix in _3D_SUFFIXES else None


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the image header; None when Pillow cannot read it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def thumbnail(data: bytes) -> bytes | None:
    """A WebP no larger than ``THUMBNAIL_EDGE`` on its long side; None when not an image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    return None
                image.seek(0)
                return webp_thumbnail(image)
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        EOFError,
    ):
        return None


def webp_thumbnail(image: Image.Image) -> bytes:
    """``image`` shrunk to ``THUMBNAIL_EDGE`` on its long side, as WebP bytes."""
    image.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    converted = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    out = io.BytesIO()
    converted.save(out, format="WEBP", quality=80)
    return out.getvalue()


def title_for(file_name: str) -> str:
    """A readable default title: the file name without its extension."""
    stem = PurePosixPath(file_name).stem or file_name
    return stem[:255] or "untitled"
