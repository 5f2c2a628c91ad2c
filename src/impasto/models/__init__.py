"""SQLAlchemy tables. Importing this package registers every table on ``Base.metadata``."""

from impasto.models.account import Account
from impasto.models.api_key import ApiKey, KeyScope
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

__all__ = [
    "Account",
    "ApiKey",
    "Base",
    "BlobRecord",
    "CatalogBlacklist",
    "CatalogCollection",
    "CatalogEntry",
    "CatalogFavorite",
    "CatalogTag",
    "KeyScope",
    "OwnerStorageSettings",
    "PendingUpload",
    "StoredFile",
    "UploadPart",
]
