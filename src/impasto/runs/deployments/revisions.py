"""Apps deployed as code (``impasto deploy``): each deploy stores a revision.

The deploying client imports the app on its own machine, as ``fal deploy`` does, and
sends the source as a zip archive with the manifest it read (endpoints, schemas, settings,
requirements). The API process never imports or runs uploaded code: it checks the
archive's shape and the manifest's, stores the archive once per content hash, records the
revision and makes it the app's live one. Workers fetch the archive by hash and import
the entry from it (``impasto.workers.code``).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from jsonschema import SchemaError
from jsonschema.validators import validator_for
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from impasto.kit.clock import Clock
from impasto.kit.errors import InvalidRequest, NotFound
from impasto.kit.ids import IdGenerator
from impasto.models import AppCode, AppRevision, DeployedApp
from impasto.runs.deployments.activity import AppActivity
from impasto.runs.deployments.service import DeploymentService, auth_mode
from impasto.sdk.app import AppSettings, checked_requirements
from impasto.sdk.introspect import AppManifest, EndpointInfo
from impasto.sdk.naming import normalize_path, validate_app_name

MAX_CODE_BYTES = 8 << 20  # the zip as sent; large files (weights) belong in setup()
MAX_UNPACKED_BYTES = 64 << 20
MAX_ARCHIVE_ENTRIES = 4096
MAX_ENDPOINTS = 64
ENTRY_PATTERN = re.compile(
    r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
)


@dataclass(frozen=True)
class _AppState:
    revision_id: str | None
    settings: dict[str, Any]
    auth_mode: str


@dataclass(frozen=True)
class Deploy:
    """One deploy as received: who, under which name, and what."""

    owner: str
    name: str | None
    entry: str
    manifest: dict[str, Any]
    code: bytes
    public: bool | None
    deployed_by: str | None


class RevisionService:
    def __init__(self, session: Session, clock: Clock, ids: IdGenerator, *, operator: str):
        self._session = session
        self._clock = clock
        self._ids = ids
        self.operator = operator
        self.deployments = DeploymentService(session, clock, operator=operator)

    def deploy(self, given: Deploy) -> tuple[DeployedApp, AppRevision]:
        """Store the code and a new revision, and make it the app's live one: workers
        recycle the app's runners at their next look at the app list."""
        manifest = parse_manifest(given.manifest)
        try:
            validate_app_name(given.name or manifest.name)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        check_archive(given.code, given.entry)
        sha256 = hashlib.sha256(given.code).hexdigest()
        now = self._clock.now()
        if self._session.get(AppCode, sha256) is None:
            self._session.add(
                AppCode(sha256=sha256, size=len(given.code), data=given.code, created_at=now)
            )
        before = self._state(given.owner, given.name or manifest.name)
        revision_id = self._ids.new()
        app = self.deployments.register(
            manifest,
            given.entry,
            owner=given.owner,
            name=given.name,
            public=given.public,
            revision_id=revision_id,
        )
        revision = AppRevision(
            revision_id=revision_id,
            app_id=app.app_id,
            code_sha256=sha256,
            entry=given.entry,
            requirements=list(manifest.requirements),
            manifest=manifest.to_json(),
            deployed_by=given.deployed_by,
            created_at=now,
        )
        self._session.add(revision)
        self._record_deploy(app, revision, before)
        self._session.flush()
        return app, revision

    def _state(self, owner: str, name: str) -> _AppState | None:
        """An app's live revision, settings and auth mode, before a deploy changes them."""
        app = self.deployments.repository.get(f"{owner}/{name}")
        if app is None:
            return None
        return _AppState(
            app.revision_id, dict(app.manifest.get("settings") or {}), auth_mode(self._session, app)
        )

    def _record_deploy(
        self, app: DeployedApp, revision: AppRevision, before: _AppState | None
    ) -> None:
        activity = AppActivity(self._session, self._clock, self._ids)
        actor = {"nickname": app.owner}
        deployed: dict[str, Any] = {"new_application_id": revision.revision_id, "actor": actor}
        if before is not None and before.revision_id:
            deployed["old_application_id"] = before.revision_id
        activity.record(app.app_id, "deployment_ended", deployed)
        if before is None:
            return
        settings = dict(revision.manifest.get("settings") or {})
        mode = auth_mode(self._session, app)
        changed: dict[str, Any] = {}
        if settings != before.settings:
            changed |= {"old_config": before.settings, "new_config": settings}
        if mode != before.auth_mode:
            changed |= {"old_app_auth_mode": before.auth_mode, "new_app_auth_mode": mode}
        if changed:
            activity.record(app.app_id, "config_changed", changed | {"actor": actor})

    def revisions(self, app_id: str) -> list[AppRevision]:
        """Newest first."""
        query = (
            select(AppRevision)
            .where(AppRevision.app_id == app_id)
            .order_by(AppRevision.created_at.desc(), AppRevision.revision_id.desc())
        )
        return list(self._session.scalars(query))

    def get(self, revision_id: str) -> AppRevision:
        revision = self._session.get(AppRevision, revision_id)
        if revision is None:
            raise NotFound(f"revision {revision_id} not found")
        return revision

    def code(self, sha256: str) -> bytes:
        code = self._session.get(AppCode, sha256)
        if code is None:
            raise NotFound(f"code {sha256} not found")
        return code.data

    def remove(self, app_id: str) -> None:
        """Remove the app, its revisions (cascade) and the archives nothing uses any more."""
        hashes = {revision.code_sha256 for revision in self.revisions(app_id)}
        self.deployments.remove(app_id)
        self._session.flush()
        for sha256 in hashes:
            used = self._session.scalar(
                select(AppRevision.revision_id).where(AppRevision.code_sha256 == sha256).limit(1)
            )
            if used is None:
                self._session.execute(delete(AppCode).where(AppCode.sha256 == sha256))


def parse_manifest(data: dict[str, Any]) -> AppManifest:
    """The client's manifest, checked as strictly as the SDK builds it."""
    try:
        name = data["name"]
        endpoints = data["endpoints"]
        if not isinstance(name, str) or not isinstance(endpoints, list):
            raise TypeError("name must be a string and endpoints a list")
        if not 1 <= len(endpoints) <= MAX_ENDPOINTS:
            raise ValueError(f"an app has 1 to {MAX_ENDPOINTS} endpoints")
        settings = data.get("settings") or {}
        if not isinstance(settings, dict):
            raise TypeError("settings must be an object")
        manifest = AppManifest(
            name=name,
            settings=AppSettings(**settings),
            endpoints=tuple(_endpoint(item) for item in endpoints),
            requirements=checked_requirements(data.get("requirements") or []),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidRequest(f"invalid app manifest: {exc}") from None
    paths = [info.path for info in manifest.endpoints]
    if len(set(paths)) != len(paths):
        raise InvalidRequest("invalid app manifest: two endpoints share a path")
    return manifest


def _endpoint(item: Any) -> EndpointInfo:
    if not isinstance(item, dict):
        raise TypeError("each endpoint must be an object")
    info = EndpointInfo(
        path=item["path"],
        name=item["name"],
        kind=item["kind"],
        input_schema=item["input_schema"],
        output_schema=item["output_schema"],
    )
    if not isinstance(info.path, str) or normalize_path(info.path) != info.path:
        raise ValueError(f"bad endpoint path {info.path!r}")
    if not isinstance(info.name, str) or not 0 < len(info.name) <= 127:
        raise ValueError(f"bad endpoint name {info.name!r}")
    if info.kind not in ("unary", "streaming"):
        raise ValueError(f"bad endpoint kind {info.kind!r}")
    for schema in (info.input_schema, info.output_schema):
        if not isinstance(schema, dict):
            raise TypeError("schemas must be objects")
        try:
            validator_for(schema).check_schema(schema)
        except SchemaError as exc:
            raise ValueError(f"{info.path}: not a JSON Schema: {exc.message}") from None
    return info


def check_archive(code: bytes, entry: str) -> None:
    """A zip of plain files under relative paths, within the limits, holding the entry's
    module. Workers check the same again before they extract (``workers.code``)."""
    if not ENTRY_PATTERN.match(entry):
        raise InvalidRequest(f"entry {entry!r} must look like 'package.module:ClassName'")
    if len(code) > MAX_CODE_BYTES:
        raise InvalidRequest(f"the code archive is larger than {MAX_CODE_BYTES} bytes")
    try:
        names = archive_names(code)
    except ValueError as exc:
        raise InvalidRequest(f"invalid code archive: {exc}") from None
    module = entry.partition(":")[0].replace(".", "/")
    if f"{module}.py" not in names and f"{module}/__init__.py" not in names:
        raise InvalidRequest(f"the archive has no module for entry {entry!r}")


def archive_names(code: bytes) -> set[str]:
    """The files of a code archive; ``ValueError`` for anything but a safe, bounded zip."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(code))
    except zipfile.BadZipFile as exc:
        raise ValueError(str(exc)) from None
    infos = archive.infolist()
    if len(infos) > MAX_ARCHIVE_ENTRIES:
        raise ValueError(f"more than {MAX_ARCHIVE_ENTRIES} entries")
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise ValueError(f"more than {MAX_UNPACKED_BYTES} bytes unpacked")
    names: set[str] = set()
    for info in infos:
        if info.is_dir():
            continue
        path = PurePosixPath(info.filename)
        if path.is_absolute() or ".." in path.parts or "\\" in info.filename:
            raise ValueError(f"unsafe path {info.filename!r}")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise ValueError(f"{info.filename!r} is a symbolic link")
        names.add(path.as_posix())
    return names
