"""SQLAlchemy tables. Importing this package registers every table on ``Base.metadata``."""

from impasto.models.account import Account
from impasto.models.api_key import ApiKey, KeyScope
from impasto.models.base import Base

__all__ = ["Account", "ApiKey", "Base", "KeyScope"]
