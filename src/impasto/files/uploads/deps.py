"""What the upload endpoints receive (with ``files/deps.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from impasto.files.deps import FilesCoreDep
from impasto.files.uploads.service import UploadService


async def _upload_service(core: FilesCoreDep) -> UploadService:
    return UploadService(core)


Uploads = Annotated[UploadService, Depends(_upload_service)]
