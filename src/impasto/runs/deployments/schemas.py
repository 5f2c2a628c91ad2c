"""Wire shapes of ``/v1/apps``: deploys of app code and the apps they made."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from impasto.keys.schemas import iso_z
from impasto.kit.fields import JsonObject
from impasto.models import AppRevision, DeployedApp
from impasto.runs.deployments.revisions import MAX_CODE_BYTES
from impasto.runs.deployments.service import endpoint_ids_of


def _decoded(value: str) -> bytes:
    try:
        code = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("code must be standard base64") from None
    if len(code) > MAX_CODE_BYTES:
        raise ValueError(f"the code archive is larger than {MAX_CODE_BYTES} bytes")
    return code


def _checked(value: str) -> str:
    _decoded(value)
    return value


class DeployRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry: str = Field(
        max_length=512,
        description="The app class inside the archive, `package.module:ClassName`",
        examples=["app:TextTools"],
    )
    manifest: JsonObject = Field(
        description="What the app declares, as `impasto deploy` reads it from the class: "
        "`name`, `settings`, `endpoints` (path, name, kind, input_schema, output_schema) "
        "and `requirements`",
    )
    code: Annotated[str, AfterValidator(_checked)] = Field(
        description=f"The source as a zip archive, base64; at most {MAX_CODE_BYTES} bytes",
    )
    name: str | None = Field(
        default=None, max_length=127, description="App name [default: the manifest's]"
    )
    public: bool | None = Field(
        default=None,
        description="Who may call it: everyone, or its owner and the operator. Default: "
        "private for a new app; a redeploy keeps what it was",
    )

    def code_bytes(self) -> bytes:
        return _decoded(self.code)


class Revision(BaseModel):
    revision_id: str
    code_sha256: str
    entry: str
    requirements: list[str]
    deployed_by: str | None = Field(description="The id of the key that deployed it")
    created_at: str


class AppItem(BaseModel):
    app_id: str = Field(examples=["alice/text-tools"])
    owner: str
    name: str
    endpoints: list[str] = Field(description="Endpoint ids, callable through the queue")
    revision_id: str | None = Field(
        description="The live revision; null for an app imported from the server's own "
        "environment (built-in apps, `impasto apps add`)"
    )
    created_at: str
    updated_at: str


class AppDetail(AppItem):
    revisions: list[Revision] = Field(description="Newest first")


class AppList(BaseModel):
    apps: list[AppItem]


class Deployed(BaseModel):
    app: AppItem
    revision: Revision


def revision_out(revision: AppRevision) -> Revision:
    return Revision(
        revision_id=revision.revision_id,
        code_sha256=revision.code_sha256,
        entry=revision.entry,
        requirements=list(revision.requirements),
        deployed_by=revision.deployed_by,
        created_at=iso_z(revision.created_at),
    )


def app_item(app: DeployedApp) -> AppItem:
    return AppItem(**_app_fields(app))


def app_detail(app: DeployedApp, revisions: list[AppRevision]) -> AppDetail:
    return AppDetail(**_app_fields(app), revisions=[revision_out(r) for r in revisions])


def _app_fields(app: DeployedApp) -> dict[str, Any]:
    return {
        "app_id": app.app_id,
        "owner": app.owner,
        "name": app.name,
        "endpoints": endpoint_ids_of(app),
        "revision_id": app.revision_id,
        "created_at": iso_z(app.created_at),
        "updated_at": iso_z(app.updated_at),
    }
