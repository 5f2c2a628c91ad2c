"""Wire shapes: fal's storage REST/CDN protocol and the Platform storage and files APIs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from impasto.files.acl import MAX_EXPIRATION_SECONDS, MAX_RULES, Acl, Decision
from impasto.files.service import MAX_SIGNED_SECONDS
from impasto.kit.fields import NotBoolean, Text


def iso_z(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# -- /rest/storage and /files (fal's CDN protocol) -------------------------------------------


class StorageTokenResponse(BaseModel):
    token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a scheme name
    base_url: str = Field(description="Where multipart uploads go (this server)")
    expires_at: datetime
    created_at: datetime

    @field_serializer("expires_at", "created_at")
    def _offset(self, value: datetime) -> str:
        # fal-client parses this with datetime.fromisoformat and compares to an aware now.
        return value.isoformat()


class InitiateRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    content_type: str | None = Field(default=None, max_length=255)
    file_name: str | None = Field(default=None, max_length=1024)


class InitiateResponse(BaseModel):
    upload_url: str
    file_url: str


class UploadedFile(BaseModel):
    access_url: str
    uploaded: bool = True
    file_name: str
    content_type: str
    file_size: int


class MultipartStarted(BaseModel):
    access_url: str
    uploadId: str


class PartUploaded(BaseModel):
    partNumber: int
    etag: str


class PartRef(BaseModel):
    model_config = ConfigDict(extra="ignore")

    partNumber: int
    etag: str = Field(min_length=1, max_length=200)


class CompleteRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    parts: list[PartRef] = Field(max_length=10_000)


# -- /v1/storage -----------------------------------------------------------------------------


class AclRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: Text = Field(min_length=1, max_length=255, description="Owner name the rule applies to")
    decision: Decision


class AclBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: Decision = Field(description="Fallback decision when no user-specific rule matches")
    rules: list[AclRule] = Field(default_factory=list, max_length=MAX_RULES)

    def to_acl(self) -> Acl:
        return Acl(self.default, tuple((rule.user, rule.decision) for rule in self.rules))

    @classmethod
    def of(cls, acl: Acl) -> AclBody:
        return cls(
            default=acl.default,
            rules=[AclRule(user=user, decision=decision) for user, decision in acl.rules],
        )


class SignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expiration_seconds: Annotated[
        int,
        Field(ge=1, le=MAX_SIGNED_SECONDS, description="How long the signed URL stays valid"),
        NotBoolean,
    ]


class SignedUrl(BaseModel):
    signed_url: str


class StorageSettingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expiration_duration_seconds: (
        Annotated[int, Field(ge=1, le=MAX_EXPIRATION_SECONDS), NotBoolean] | None
    ) = None
    initial_acl: AclBody | None = None


class StorageSettingsResponse(BaseModel):
    expiration_duration_seconds: int | None
    initial_acl: AclBody | None


# -- /v1/serverless/files --------------------------------------------------------------------


class FileSpec(BaseModel):
    path: str
    name: str
    created_time: datetime
    updated_time: datetime
    is_file: bool
    size: int
    checksum_sha256: str | None = None

    @field_serializer("created_time", "updated_time")
    def _z(self, value: datetime) -> str:
        return iso_z(value)


class UrlUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1,
        max_length=8192,
        pattern=r"^https?://",
        description="http(s) URL to download the file from",
    )
