"""The code of apps deployed as revisions, made ready on this worker's machine.

A revision names a zip archive by its SHA-256 and a list of requirements. The worker
fetches the archive through its link (``WorkerLink.fetch_code``), checks the hash and the
archive's shape again, and unpacks it once under ``<cache>/code/<sha256>``; the
requirements are installed once per distinct list under ``<cache>/envs/<hash>`` with uv
(``uv pip install --target``). Both are built in a temporary folder and renamed into
place, so a crash leaves no half-made folder that later runners would trust, and workers
sharing a cache never see one another's partial work.

A runner of the revision gets the code folder first on its import path (the app's own
modules win) and the environment folder last (the platform's own packages win over an
app's pins of the same ones: an app gets its own extra libraries, not a different
runtime).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from impasto.kit.logging import get_logger
from impasto.runners.errors import RunnerStartFailed
from impasto.runs.deployments.revisions import archive_names
from impasto.runs.workers.local_link import AppSpec

logger = get_logger(__name__)
INSTALL_TIMEOUT = 1800.0
OUTPUT_TAIL = 4000

FetchCode = Callable[[str, str], Awaitable[bytes]]  # (app_id, revision_id) -> zip bytes


class CodeUnavailable(RunnerStartFailed):
    """The revision's code or requirements could not be made ready: the app's runners
    cannot start (its requests fail like those of an app that does not import)."""


@dataclass(frozen=True)
class CodeSettings:
    """Where revisions are unpacked and how their requirements are installed."""

    cache_dir: Path
    index_url: str | None = None  # None: uv's default (PyPI)
    find_links: tuple[str, ...] = ()
    no_index: bool = False


@dataclass(frozen=True)
class CodePaths:
    """Import path additions for a runner: before and after its own ``sys.path``."""

    first: tuple[Path, ...] = ()
    last: tuple[Path, ...] = ()


@dataclass
class CodeCache:
    settings: CodeSettings
    fetch: FetchCode
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def prepare(self, app: AppSpec) -> CodePaths:
        """The folders a runner of ``app`` imports from; nothing for an app imported
        from this environment."""
        if not app.revision_id:
            return CodePaths()
        code = await self._once(f"code:{app.code_sha256}", lambda: self._unpack(app))
        if not app.requirements:
            return CodePaths(first=(code,))
        env = await self._once(f"env:{env_hash(app.requirements)}", lambda: self._install(app))
        return CodePaths(first=(code,), last=(env,))

    async def _once(self, key: str, build: Callable[[], Awaitable[Path]]) -> Path:
        async with self._locks.setdefault(key, asyncio.Lock()):
            return await build()

    async def _unpack(self, app: AppSpec) -> Path:
        target = self.settings.cache_dir / "code" / app.code_sha256
        if target.is_dir():
            return target
        data = await self.fetch(app.app_id, app.revision_id)
        if hashlib.sha256(data).hexdigest() != app.code_sha256:
            raise CodeUnavailable(f"the code of {app.app_id} does not match its hash")
        await asyncio.to_thread(_extract, data, target)
        logger.info("app_code_unpacked", app=app.app_id, sha256=app.code_sha256)
        return target

    async def _install(self, app: AppSpec) -> Path:
        target = self.settings.cache_dir / "envs" / env_hash(app.requirements)
        if target.is_dir():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
        try:
            await self._uv_install(app, building)
            _publish(building, target)
        finally:
            shutil.rmtree(building, ignore_errors=True)
        logger.info("app_requirements_installed", app=app.app_id, requirements=app.requirements)
        return target

    async def _uv_install(self, app: AppSpec, into: Path) -> None:
        from uv import find_uv_bin  # only workers that install requirements need it

        command = [find_uv_bin(), "pip", "install", "--target", str(into)]
        command += ["--python", sys.executable, "--quiet", "--no-progress"]
        if self.settings.index_url:
            command += ["--index-url", self.settings.index_url]
        for link in self.settings.find_links:
            command += ["--find-links", link]
        if self.settings.no_index:
            command.append("--no-index")
        command += ["--", *app.requirements]
        process = await asyncio.create_subprocess_exec(
            *command,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "UV_CACHE_DIR": str(self.settings.cache_dir / "uv")},
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), INSTALL_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise CodeUnavailable(f"installing {app.app_id}'s requirements timed out") from None
        if process.returncode != 0:
            tail = output.decode(errors="replace")[-OUTPUT_TAIL:].strip()
            raise CodeUnavailable(f"cannot install {app.app_id}'s requirements: {tail}")


def env_hash(requirements: list[str]) -> str:
    """One environment per Python version and requirement set, in any order."""
    key = "\n".join([sys.version, *sorted(requirements)])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _extract(data: bytes, target: Path) -> None:
    try:
        names = archive_names(data)
    except ValueError as exc:
        raise CodeUnavailable(f"invalid code archive: {exc}") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in sorted(names):
                destination = building / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(name) as source, destination.open("wb") as sink:
                    shutil.copyfileobj(source, sink)
        _publish(building, target)
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _publish(building: Path, target: Path) -> None:
    """Rename the finished folder into place; another worker that got there first wins
    (its folder holds the same content)."""
    try:
        building.rename(target)
    except OSError:
        if not target.is_dir():
            raise
