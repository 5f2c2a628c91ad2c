"""Settings: the one place that reads the environment (``IMPASTO_*``)."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from impasto.kit.names import validate_owner_name


class LogFormat(StrEnum):
    AUTO = "auto"  # JSON when stderr is not a terminal, coloured text when it is
    JSON = "json"
    CONSOLE = "console"


class Settings(BaseSettings):
    """Every knob of the server. Flags of ``impasto`` commands override these."""

    model_config = SettingsConfigDict(env_prefix="IMPASTO_", extra="forbid", frozen=True)

    data_dir: Path = Field(
        default=Path(".impasto"),
        description="Directory for the embedded database, files and the instance lock.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is SQLite at <data_dir>/impasto.db. "
        "postgresql://user:pass@host/db switches to PostgreSQL.",
    )
    host: str = Field(default="127.0.0.1", description="Address `impasto serve` binds.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port `impasto serve` binds.")

    log_level: str = Field(default="info", description="debug, info, warning or error.")
    log_format: LogFormat = Field(default=LogFormat.AUTO)

    rate_limit_per_second: float = Field(
        default=50.0, ge=0, description="Sustained requests per second per key; 0 disables."
    )
    rate_limit_burst: int = Field(default=100, ge=1, description="Requests a key may burst.")

    bootstrap_owner: str = Field(
        default="admin", description="Owner of the ADMIN key created on first start."
    )
    webhook_ip_ranges: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="CIDRs webhooks are sent from, published at GET /v1/meta (comma separated).",
    )
    metrics_public: bool = Field(
        default=True, description="Serve /metrics without a key; false requires an ADMIN key."
    )
    db_pool_size: int = Field(
        default=10, ge=1, description="Connections kept per pool; bursts may open as many again."
    )

    @field_validator("webhook_ip_ranges", mode="before")
    @classmethod
    def _split_ranges(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("webhook_ip_ranges")
    @classmethod
    def _check_ranges(cls, value: list[str]) -> list[str]:
        return [str(ipaddress.ip_network(cidr, strict=False)) for cidr in value]

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.lower()
        if level not in {"debug", "info", "warning", "error"}:
            raise ValueError("log_level must be debug, info, warning or error")
        return level

    @field_validator("bootstrap_owner")
    @classmethod
    def _check_owner(cls, value: str) -> str:
        return validate_owner_name(value)

    @model_validator(mode="after")
    def _check_database_url(self) -> Settings:
        url = self.database_url
        if url is not None and not url.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return self

    @classmethod
    def unknown_environment(cls, environ: dict[str, str]) -> list[str]:
        """``IMPASTO_*`` variables that name no setting: most likely typos."""
        known = {f"IMPASTO_{name.upper()}" for name in cls.model_fields}
        return sorted(n for n in environ if n.startswith("IMPASTO_") and n.upper() not in known)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.sqlite_path}"

    @property
    def sqlite_path(self) -> Path:
        return (self.data_dir / "impasto.db").absolute()

    @property
    def is_embedded(self) -> bool:
        return self.effective_database_url.startswith("sqlite")
