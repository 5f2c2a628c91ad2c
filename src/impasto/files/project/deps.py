"""What the project-storage endpoints receive (with ``files/deps.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from impasto.files.deps import FilesCoreDep, UrlFetcherDep
from impasto.files.project.service import ProjectFiles


async def _project_files(core: FilesCoreDep, fetcher: UrlFetcherDep) -> ProjectFiles:
    return ProjectFiles(core, fetcher)


Project = Annotated[ProjectFiles, Depends(_project_files)]
