"""The weights manager: pulls, imports and removals, each as long file work outside any
transaction and one short transaction that records the outcome.

A model is recorded only after its files are complete and verified, so a pull that fails
or is interrupted leaves no row (the partial blobs stay in the cache for the next pull to
resume). Removing deletes the files Impasto downloaded, after the row is gone.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from impasto.kit.clock import Clock
from impasto.kit.db import Database
from impasto.kit.errors import AppError, Conflict
from impasto.kit.logging import get_logger
from impasto.models import InstalledModel
from impasto.weights.hub import HubSource, pull_pipeline
from impasto.weights.local import inspect_path
from impasto.weights.progress import PullBoard, PullProgress
from impasto.weights.service import ModelView, WeightsService

logger = get_logger(__name__)


@dataclass(frozen=True)
class WeightsLayout:
    """``root`` holds what Impasto downloads: ``root/hub`` is a Hugging Face cache."""

    root: Path

    @property
    def hub_cache(self) -> Path:
        return self.root / "hub"


def parse_repo(spec: str) -> tuple[str, str | None]:
    """``org/name@revision`` -> (``org/name``, ``revision``)."""
    repo_id, _, revision = spec.strip().partition("@")
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(parts) or any(part in (".", "..") for part in parts):
        raise InvalidRepo(f"{spec!r}: give a Hub repository as org/name[@revision]")
    return repo_id, revision or None


def default_name(path: Path) -> str:
    """A cache snapshot (``models--org--name/snapshots/<sha>``) is named ``org/name``; a
    folder or file by its own name."""
    if path.parent.name == "snapshots" and path.parent.parent.name.startswith("models--"):
        return path.parent.parent.name.removeprefix("models--").replace("--", "/")
    return path.stem if path.is_file() else path.name


class InvalidRepo(AppError):
    status_code = 400
    platform_type = "validation_error"
    run_type = "bad_request"


class WeightsManager:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        layout: WeightsLayout,
        *,
        operator: str,
        hub_endpoint: str | None = None,
        hub_token: str | None = None,
        board: PullBoard | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._layout = layout
        self.operator = operator
        self._source = HubSource(layout.hub_cache, hub_endpoint, hub_token)
        self.board = board or PullBoard()

    def pull(
        self,
        spec: str,
        *,
        variant: str | None = None,
        name: str | None = None,
        alias: str | None = None,
        progress: PullProgress | None = None,
    ) -> InstalledModel:
        repo_id, revision = parse_repo(spec)
        name = name or repo_id
        if progress is None:
            try:
                progress = self.board.start(name)
            except RuntimeError as exc:
                raise Conflict(str(exc)) from None
        self._layout.hub_cache.mkdir(parents=True, exist_ok=True)
        try:
            pulled = pull_pipeline(self._source, repo_id, revision, variant, progress)
        except Exception as exc:
            progress.set_state("failed", str(exc))
            raise
        model = InstalledModel(
            name=name,
            source="hub",
            repo_id=repo_id,
            revision=revision,
            commit_sha=pulled.commit_sha,
            family=pulled.family,
            pipeline_class=pulled.pipeline_class,
            variant=variant,
            path=str(pulled.path),
            size_bytes=pulled.size_bytes,
            owned=True,
        )
        try:
            recorded = self._record(model, alias)
        except Exception as exc:
            progress.set_state("failed", str(exc))
            raise
        progress.set_state("done")
        logger.info("model_pulled", model=name, commit=pulled.commit_sha, size=pulled.size_bytes)
        return recorded

    def import_path(
        self, path: Path, *, name: str | None = None, alias: str | None = None
    ) -> InstalledModel:
        found = inspect_path(path)
        model = InstalledModel(
            name=name or default_name(found.path),
            source=found.source,
            repo_id=None,
            revision=None,
            commit_sha=found.commit_sha,
            family=found.family,
            pipeline_class=found.pipeline_class,
            variant=None,
            path=str(found.path),
            size_bytes=found.size_bytes,
            owned=False,
        )
        recorded = self._record(model, alias)
        logger.info("model_imported", model=model.name, path=str(found.path))
        return recorded

    def list(self) -> list[ModelView]:
        with self._database.session(write=False) as session:
            views = self._service(session).list()
            session.expunge_all()
            return views

    def remove(self, name: str) -> InstalledModel:
        with self._database.session(write=True) as session:
            model, delete_files = self._service(session).remove(name)
            session.expunge(model)
        if delete_files and model.repo_id is not None:
            # The repository's whole cache folder: blobs, snapshots, refs, partial files.
            folder = self._layout.hub_cache / f"models--{model.repo_id.replace('/', '--')}"
            shutil.rmtree(folder, ignore_errors=True)
        logger.info("model_removed", model=name, files_deleted=delete_files)
        return model

    def add_alias(
        self,
        endpoint_id: str,
        model_name: str,
        task: str = "text-to-image",
        device: str | None = None,
    ) -> None:
        with self._database.session(write=True) as session:
            self._service(session).add_alias(endpoint_id, model_name, task, device)

    def remove_alias(self, endpoint_id: str) -> None:
        with self._database.session(write=True) as session:
            self._service(session).remove_alias(endpoint_id)

    def _record(self, model: InstalledModel, alias: str | None) -> InstalledModel:
        with self._database.session(write=True) as session:
            service = self._service(session)
            recorded = service.record(model)
            if alias is not None:
                # ``--as`` serves what the model does first: generate, or upscale.
                task = "upscale" if recorded.family == "upscaler" else "text-to-image"
                service.add_alias(alias, recorded.name, task)
            session.flush()
            session.expunge(recorded)
            return recorded

    def _service(self, session: Session) -> WeightsService:
        return WeightsService(session, self._clock, operator=self.operator)
