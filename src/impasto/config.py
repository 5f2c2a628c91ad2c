"""Settings: the one place that reads the environment (``IMPASTO_*``)."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from impasto.kit.comma_lists import split_commas
from impasto.kit.logging import LogFormat
from impasto.kit.names import validate_owner_name


class StorageBackend(StrEnum):
    LOCAL = "local"  # <data_dir>/objects
    S3 = "s3"  # any S3-compatible service (AWS S3, MinIO, R2, ...)
    MEMORY = "memory"  # tests and throwaway demos: lost on exit


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

    # HTTP limits (kit/http/bodies.py, kit/http/connections.py; docs/architecture/serving.md).
    max_json_body_bytes: int = Field(
        default=16 << 20,
        ge=1,
        description="Largest JSON (buffered) request body, 413 past it; room for a "
        "data_uri_max_bytes input in base64. Upload routes stream and use max_upload_bytes.",
    )
    max_header_bytes: int = Field(
        default=64 << 10, ge=1024, description="Largest request head (request line and headers)."
    )
    max_headers: int = Field(default=100, ge=1, description="Most header fields per request.")
    header_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Time a client has to send a whole request head, however slowly it trickles.",
    )
    body_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Longest silence from a client while the server waits for its request body.",
    )
    keep_alive_timeout_seconds: int = Field(
        default=5, ge=1, description="An idle keep-alive connection is closed after this long."
    )
    max_connections: int = Field(
        default=1000,
        ge=1,
        description="Open connections served at once; past it new ones get a quick 503. Kept "
        "under the open-file limit, which `serve` raises to its hard limit.",
    )

    log_level: str = Field(default="info", description="debug, info, warning or error.")
    log_format: LogFormat = Field(default=LogFormat.AUTO)

    rate_limit_per_second: float = Field(
        default=50.0, ge=0, description="Sustained requests per second per key; 0 disables."
    )
    rate_limit_burst: int = Field(default=100, ge=1, description="Requests a key may burst.")
    # Workers have a bucket of their own: a busy worker makes several calls per request
    # (claim, events, heartbeat, finish) and must never wait behind the tenant limit.
    worker_rate_limit_per_second: float = Field(
        default=2000.0,
        ge=0,
        description="Sustained /worker/v1 requests per second per WORKER key; 0 disables.",
    )
    worker_rate_limit_burst: int = Field(
        default=4000, ge=1, description="/worker/v1 requests a WORKER key may burst."
    )

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

    storage_backend: StorageBackend = Field(
        default=StorageBackend.LOCAL, description="Where file bytes live: local, s3 or memory."
    )
    s3_bucket: str | None = Field(default=None, description="Bucket for storage_backend=s3.")
    s3_endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint (MinIO, R2...); unset means AWS."
    )
    s3_region: str | None = Field(default=None, description="S3 region; unset: the AWS chain.")
    s3_prefix: str = Field(default="", description="Key prefix inside the bucket.")
    s3_access_key_id: str | None = Field(
        default=None, description="Explicit S3 credentials; unset: the standard AWS chain."
    )
    s3_secret_access_key: SecretStr | None = Field(default=None)

    fetch_allowed_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="CIDRs URL fetches may reach although private/loopback (comma separated).",
    )
    fetch_max_bytes: int = Field(
        default=1 << 30, ge=1, description="Largest body fetched from a URL on a user's behalf."
    )
    fetch_connect_timeout_seconds: float = Field(default=10.0, gt=0)
    fetch_read_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Longest wait for any byte of a fetched response."
    )
    fetch_total_timeout_seconds: float = Field(
        default=600.0, gt=0, description="Longest a whole fetch (all redirects and body) may take."
    )
    data_uri_max_bytes: int = Field(
        default=10 << 20, ge=0, description="Largest decoded data: URI accepted as an input."
    )

    public_url: str | None = Field(
        default=None,
        description="Base URL put in file URLs this server returns (e.g. https://media.example); "
        "unset: the base URL of each request.",
    )
    proxy_key: SecretStr | None = Field(
        default=None,
        description="Credential (`key_id:key_secret`) the fal server proxy at /api/fal/proxy "
        "sends when a request carries no Authorization: the proxy then acts as that key for "
        "anyone who can reach it. Unset: callers bring their own key.",
    )
    signing_secret: SecretStr | None = Field(
        default=None,
        description="Secret for signed file URLs and storage tokens; unset: generated once into "
        "<data_dir>/signing.key. Servers sharing a database must share it.",
    )
    max_upload_bytes: int = Field(
        default=5 << 30, ge=1, description="Largest file one upload may store (413 past it)."
    )
    storage_quota_bytes: int | None = Field(
        default=None, ge=1, description="Bytes of files each owner may keep; unset: no quota."
    )
    min_free_disk_bytes: int = Field(
        default=1 << 30,
        ge=0,
        description="Free space kept on the data directory's disk: uploads that would eat into "
        "it answer 507, and `impasto serve` will not start below it; 0 disables the reserve.",
    )
    unzip_max_bytes: int = Field(
        default=1 << 30, ge=1, description="Most bytes one ?unzip=true archive may expand to."
    )
    unzip_max_ratio: int = Field(
        default=100,
        ge=1,
        description="Largest expansion ratio (uncompressed/compressed) of an archive entry or "
        "archive over 1 MiB that ?unzip=true accepts; higher looks like a zip bomb.",
    )
    storage_token_seconds: int = Field(
        default=3600, ge=60, description="Lifetime of tokens from /rest/storage/auth/token."
    )
    upload_url_seconds: int = Field(
        default=3600, ge=60, description="Lifetime of signed upload URLs from upload/initiate."
    )
    stale_upload_seconds: int = Field(
        default=86400, ge=60, description="An upload not completed by then is removed."
    )
    files_sweep_interval_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How often expired files and stale uploads are removed; "
        "0 disables the sweeper.",
    )
    logs_retention_days: int = Field(
        default=30,
        ge=0,
        le=36500,
        description="Request log lines older than this many days are deleted (hourly); "
        "0 keeps them forever.",
    )

    webhook_signing_key: SecretStr | None = Field(
        default=None,
        description="Ed25519 private key that signs webhooks (PEM, or base64 of the 32-byte "
        "seed); unset: generated once into <data_dir>/webhook-signing.pem.",
    )
    webhook_previous_public_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Public keys (base64url, as in a JWK's x) still published in the JWKS "
        "during a key rotation (comma separated).",
    )
    webhook_max_attempts: int = Field(
        default=10, ge=1, le=100, description="Delivery attempts per webhook before giving up."
    )
    webhook_retry_window_seconds: float = Field(
        default=7200.0, ge=0, description="Time over which the retries of a webhook are spread."
    )
    webhook_timeout_seconds: float = Field(
        default=15.0, gt=0, le=300, description="Longest one delivery attempt may take."
    )
    webhook_poll_interval_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How often the sender looks for due webhooks; 0 disables sending "
        "from this process.",
    )

    queue_max_attempts: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Attempts a request gets when its runner dies under it (X-Fal-No-Retry: 1).",
    )
    queue_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A worker that has not renewed a request's lease for this long has lost "
        "it; the request is re-queued.",
    )
    queue_reap_interval_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How often expired leases and start deadlines are checked; 0 disables.",
    )
    assets_index_interval_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How often the asset indexer looks for new assets when idle; 0 disables.",
    )
    embedded_worker: bool = Field(
        default=True,
        description="`impasto serve` runs a worker in-process; false: only remote workers "
        "(`impasto worker`) run requests.",
    )
    allow_tenant_deploys: bool = Field(
        default=False,
        description="Let every owner's ADMIN key deploy app code (POST /v1/apps, impasto "
        "deploy). App code runs unsandboxed on the workers, with their user's access: keep "
        "false unless each tenant's apps run on workers of their own (worker keys bound "
        "with --app). The operator's owner may always deploy.",
    )
    app_cache_dir: Path | None = Field(
        default=None,
        description="Where the embedded worker unpacks apps deployed as code and installs "
        "their requirements [default: <data_dir>/apps].",
    )
    app_index_url: str | None = Field(
        default=None, description="Package index for apps' requirements [default: PyPI]."
    )
    app_find_links: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Folders or URLs of wheels for apps' requirements (comma separated).",
    )
    app_no_index: bool = Field(
        default=False, description="Install apps' requirements from app_find_links only."
    )
    builtin_apps: bool = Field(
        default=True, description="Deploy the built-in apps (impasto/debug, ...) on start."
    )
    apps: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Apps deployed on start, as module:Class or owner/name=module:Class "
        "(comma separated); the owner defaults to bootstrap_owner.",
    )

    embedders: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["minilm-text", "label-minilm", "effnet-pool", "clip"],
        description="Embedders that index assets (comma separated): minilm-text, "
        "label-minilm, effnet-pool (these two need torch), clip (needs models_dir), hash "
        "(tests). One missing its runtime or model is skipped with a warning.",
    )
    models_dir: Path | None = Field(
        default=None,
        description="Operator-supplied models: an ONNX CLIP or SigLIP export in "
        "<models_dir>/clip/ (docs/architecture/asset-search.md); unset: none.",
    )
    vector_exact_limit: int = Field(
        default=50_000,
        ge=1,
        description="Vector searches over at most this many vectors (one owner's, or a "
        "filtered scope) are exact; larger ones use the HNSW index.",
    )
    vector_ef_search: int = Field(
        default=64, ge=1, le=1000, description="HNSW candidates per vector search (recall/speed)."
    )
    weights_dir: Path | None = Field(
        default=None,
        description="Where `impasto models pull` puts weights (a Hugging Face cache in "
        "<weights_dir>/hub) [default: <data_dir>/weights].",
    )
    text_to_image_weights: Path | None = Field(
        default=None,
        description="Retired: weights are installed with `impasto models pull` or "
        "`impasto models import` and served under an endpoint id; set, this fails with "
        "what to run instead.",
    )

    @field_validator("text_to_image_weights")
    @classmethod
    def _retired_text_to_image_weights(cls, value: Path | None) -> Path | None:
        if value is not None:
            raise ValueError(
                "IMPASTO_TEXT_TO_IMAGE_WEIGHTS is replaced by the weights manager: run "
                f"`impasto models import {value} --as fal-ai/fast-sdxl` (or any endpoint id) "
                "and unset it"
            )
        return value

    @field_validator("embedders")
    @classmethod
    def _check_embedders(cls, value: list[str]) -> list[str]:
        known = {"minilm-text", "label-minilm", "effnet-pool", "clip", "hash"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown embedders {unknown}; known: {sorted(known)}")
        return list(dict.fromkeys(value))

    @field_validator(
        "apps",
        "embedders",
        "webhook_ip_ranges",
        "fetch_allowed_networks",
        "webhook_previous_public_keys",
        "app_find_links",
        mode="before",
    )
    @classmethod
    def _split_lists(cls, value: object) -> object:
        return split_commas(value) if isinstance(value, str) else value

    @field_validator("webhook_ip_ranges", "fetch_allowed_networks")
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

    @field_validator("s3_prefix")
    @classmethod
    def _normalise_prefix(cls, value: str) -> str:
        value = value.strip("/")
        return f"{value}/" if value else ""

    @model_validator(mode="after")
    def _check_storage(self) -> Settings:
        if self.storage_backend is StorageBackend.S3 and not self.s3_bucket:
            raise ValueError("storage_backend=s3 needs s3_bucket")
        if (self.s3_access_key_id is None) != (self.s3_secret_access_key is None):
            raise ValueError("set both s3_access_key_id and s3_secret_access_key, or neither")
        return self

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")) or "?" in value or "#" in value:
            raise ValueError("public_url must be an http:// or https:// URL without query")
        return value.rstrip("/")

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
