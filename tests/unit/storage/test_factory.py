from pathlib import Path

import pytest
from pydantic import ValidationError

from impasto.config import Settings
from impasto.container import build_object_store
from impasto.storage.local import LocalObjectStore
from impasto.storage.memory import MemoryObjectStore
from impasto.storage.protocol import is_blob_key
from impasto.storage.s3 import S3ObjectStore


def test_local_is_the_default_under_the_data_dir(tmp_path: Path) -> None:
    store = build_object_store(Settings(data_dir=tmp_path))
    assert isinstance(store, LocalObjectStore)
    assert store.root == tmp_path / "objects"


def test_memory() -> None:
    assert isinstance(build_object_store(Settings(storage_backend="memory")), MemoryObjectStore)


def test_s3_with_explicit_credentials_and_prefix() -> None:
    settings = Settings(
        storage_backend="s3",
        s3_bucket="media",
        s3_prefix="/tenants/a/",
        s3_endpoint_url="http://127.0.0.1:9",
        s3_region="eu-west-1",
        s3_access_key_id="AKIA",
        s3_secret_access_key="hunter2-value",
    )
    store = build_object_store(settings)
    assert isinstance(store, S3ObjectStore)
    assert (store.bucket, store.prefix) == ("media", "tenants/a/")
    assert store.client.meta.region_name == "eu-west-1"
    assert "hunter2-value" not in repr(settings)


@pytest.mark.parametrize(
    "fields",
    [
        {"storage_backend": "s3"},
        {"storage_backend": "s3", "s3_bucket": "b", "s3_access_key_id": "only-half"},
        {"storage_backend": "disk"},
    ],
)
def test_incomplete_s3_settings_are_refused(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate(fields)


@pytest.mark.parametrize(
    ("key", "valid"),
    [("a" * 64, True), ("A" * 64, False), ("a" * 63, False), ("../" + "a" * 61, False)],
)
def test_blob_keys(key: str, valid: bool) -> None:
    assert is_blob_key(key) is valid
