"""SQLAlchemy tables. Importing this package registers every table on ``Base.metadata``."""

from impasto.models.account import Account
from impasto.models.api_key import ApiKey, KeyScope
from impasto.models.app_revision import AppCode, AppEvent, AppRevision, RunnerSample
from impasto.models.asset import (
    Asset,
    AssetCollection,
    AssetCollectionItem,
    AssetEmbedding,
    AssetIndexJob,
    AssetRunLink,
    AssetTag,
    AssetTagLink,
    IdempotencyRecord,
)
from impasto.models.base import Base
from impasto.models.catalog import (
    CatalogBlacklist,
    CatalogCollection,
    CatalogEntry,
    CatalogFavorite,
    CatalogTag,
)
from impasto.models.file import (
    BlobRecord,
    OwnerStorageSettings,
    PendingUpload,
    StoredFile,
    UploadPart,
)
from impasto.models.run import DeployedApp, RequestRecord, RunEvent, WebhookDelivery
from impasto.models.studio_session import StudioSession
from impasto.models.team import ModelAccessRule, OrganizationTeam
from impasto.models.usage import UsageEvent
from impasto.models.weights import InstalledModel, ModelAlias
from impasto.models.workflow import Workflow, WorkflowRun

__all__ = [
    "Account",
    "ApiKey",
    "AppCode",
    "AppEvent",
    "AppRevision",
    "Asset",
    "AssetCollection",
    "AssetCollectionItem",
    "AssetEmbedding",
    "AssetIndexJob",
    "AssetRunLink",
    "AssetTag",
    "AssetTagLink",
    "Base",
    "BlobRecord",
    "CatalogBlacklist",
    "CatalogCollection",
    "CatalogEntry",
    "CatalogFavorite",
    "CatalogTag",
    "DeployedApp",
    "IdempotencyRecord",
    "InstalledModel",
    "KeyScope",
    "ModelAccessRule",
    "ModelAlias",
    "OrganizationTeam",
    "OwnerStorageSettings",
    "PendingUpload",
    "RequestRecord",
    "RunEvent",
    "RunnerSample",
    "StoredFile",
    "StudioSession",
    "UploadPart",
    "UsageEvent",
    "WebhookDelivery",
    "Workflow",
    "WorkflowRun",
]
