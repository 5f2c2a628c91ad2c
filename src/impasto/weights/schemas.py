"""Wire shapes of the weights administration endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from impasto.models import InstalledModel
from impasto.weights.progress import PullProgress
from impasto.weights.service import ModelView

REPO_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
Task = Literal["text-to-image", "image-to-image", "inpainting", "upscale"]


class PullBody(BaseModel, extra="forbid"):
    repo_id: str = Field(max_length=200, pattern=REPO_PATTERN, examples=["org/model"])
    revision: str | None = Field(
        default=None, min_length=1, max_length=200, description="Branch, tag or commit."
    )
    variant: str | None = Field(default=None, pattern=r"^[a-z0-9_]{1,16}$", examples=["fp16"])
    name: str | None = Field(default=None, max_length=200, pattern=NAME_PATTERN)
    alias: str | None = Field(
        default=None, max_length=255, description="Serve it as this endpoint id (text-to-image)."
    )


class ImportBody(BaseModel, extra="forbid"):
    path: str = Field(
        min_length=1,
        max_length=4096,
        description="A folder or .safetensors file on the server's disk.",
    )
    name: str | None = Field(default=None, max_length=200, pattern=NAME_PATTERN)
    alias: str | None = Field(default=None, max_length=255)


class AliasBody(BaseModel, extra="forbid"):
    model: str = Field(min_length=1, max_length=200, description="An installed model's name.")
    task: Task = "text-to-image"
    device: str | None = Field(
        default=None,
        pattern=r"^(auto|cpu|mps|cuda(:[0-9]{1,2})?)$",
        description="Where it runs [default: chosen per machine: CUDA, MPS, then CPU].",
    )


class WeightsModel(BaseModel):
    name: str
    source: str
    repo_id: str | None
    revision: str | None
    commit_sha: str | None
    family: str
    pipeline_class: str
    variant: str | None
    path: str
    size_bytes: int
    aliases: list[str]
    created_at: datetime


class PullStatus(BaseModel):
    name: str
    state: Literal["resolving", "downloading", "verifying", "done", "failed"]
    bytes_total: int
    bytes_done: int
    files_total: int
    files_done: int
    error: str | None


class WeightsListing(BaseModel):
    models: list[WeightsModel]
    total_size_bytes: int = Field(description="Disk used by the installed models.")
    pulls: list[PullStatus] = Field(description="Pulls this server ran since it started.")


def weights_model(model: InstalledModel, aliases: list[str]) -> WeightsModel:
    return WeightsModel(
        name=model.name,
        source=model.source,
        repo_id=model.repo_id,
        revision=model.revision,
        commit_sha=model.commit_sha,
        family=model.family,
        pipeline_class=model.pipeline_class,
        variant=model.variant,
        path=model.path,
        size_bytes=model.size_bytes,
        aliases=aliases,
        created_at=model.created_at,
    )


def listing(views: list[ModelView], pulls: list[PullProgress]) -> WeightsListing:
    return WeightsListing(
        models=[weights_model(v.model, [a.endpoint_id for a in v.aliases]) for v in views],
        total_size_bytes=sum(view.model.size_bytes for view in views),
        pulls=[pull_status(pull) for pull in pulls],
    )


def pull_status(progress: PullProgress) -> PullStatus:
    return PullStatus.model_validate(progress.snapshot())
