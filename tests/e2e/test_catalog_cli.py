"""`impasto catalog import | price | delete` in a subprocess, on the embedded database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from impasto.catalog.service import CatalogService, ModelQuery
from impasto.cli.common import process_cursors
from impasto.kit.clock import SystemClock
from impasto.kit.db import Database

ENTRIES_YAML = """\
- endpoint_id: impasto/image-tools/resize
  display_name: Resize image
  category: image-to-image
  description: Resize an image to a width and height.
  tags: [tools, fast]
  thumbnail_url: https://example.com/resize.png
  highlighted: true
  collections: [essentials]
  type: custom
- endpoint_id: acme/secret
  display_name: Secret model
  privacy: private
  date: 2025-01-01T00:00:00Z
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IMPASTO_")}
    return {**clean, "IMPASTO_DATA_DIR": str(tmp_path / "data")}


def impasto(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "impasto", "catalog", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def _models(data_dir: Path, viewer: str | None = None) -> dict[str, object]:
    database = Database(f"sqlite:///{data_dir / 'impasto.db'}", pool_size=1)
    try:
        with database.session(write=False) as session:
            service = CatalogService(session, SystemClock(), operator="admin")
            page = service.find_models(ModelQuery(viewer=viewer), process_cursors())
            entries = service.entries([card.endpoint_id for card in page.models])
            return {entry.endpoint_id: entry.price_unit_price for entry in entries}
    finally:
        database.dispose()


def test_import_is_an_idempotent_upsert(tmp_path: Path, env: dict[str, str]) -> None:
    source = tmp_path / "catalog.yaml"
    source.write_text(ENTRIES_YAML)
    first = impasto("import", str(source), env=env)
    assert first.returncode == 0, first.stderr
    assert "2 created, 0 updated, 0 unchanged" in first.stdout
    second = impasto("import", str(source), env=env)
    assert "0 created, 0 updated, 2 unchanged" in second.stdout
    data_dir = tmp_path / "data"
    assert list(_models(data_dir)) == ["impasto/image-tools/resize"]
    assert sorted(_models(data_dir, viewer="acme")) == ["acme/secret", "impasto/image-tools/resize"]

    as_json = tmp_path / "update.json"
    as_json.write_text(json.dumps([{"endpoint_id": "acme/secret", "privacy": "public"}]))
    updated = impasto("import", str(as_json), env=env)
    assert "0 created, 1 updated, 0 unchanged" in updated.stdout
    assert "acme/secret" in _models(data_dir)

    priced = impasto("price", "set", "acme/secret", "--unit-price", "0.5", env=env)
    assert priced.returncode == 0, priced.stderr
    assert _models(data_dir)["acme/secret"] == 0.5
    assert impasto("price", "clear", "acme/secret", env=env).returncode == 0
    assert _models(data_dir)["acme/secret"] is None
    assert impasto("delete", "acme/secret", env=env).returncode == 0
    assert "acme/secret" not in _models(data_dir)
    gone = impasto("delete", "acme/secret", env=env)
    assert gone.returncode == 1
    assert "not found" in gone.stderr


def test_invalid_files_name_the_bad_entries_and_import_nothing(
    tmp_path: Path, env: dict[str, str]
) -> None:
    source = tmp_path / "bad.yaml"
    source.write_text(
        "- endpoint_id: acme/good\n"
        "- endpoint_id: not-an-id\n"
        "- endpoint_id: acme/other\n  status: retired\n"
        "- endpoint_id: acme/good\n"
    )
    result = impasto("import", str(source), env=env)
    assert result.returncode == 2
    assert "entry #2 (not-an-id): endpoint_id" in result.stderr
    assert "entry #3 (acme/other): status" in result.stderr
    assert "entry #4 (acme/good): duplicates entry #1" in result.stderr
    assert not (tmp_path / "data" / "impasto.db").exists() or _models(tmp_path / "data") == {}
    for text in ("{not: [valid", "just a string", "- 42\n"):
        source.write_text(text)
        broken = impasto("import", str(source), env=env)
        assert broken.returncode == 2
        assert "error:" in broken.stderr
    price = impasto("price", "set", "acme/good", "--unit-price", "-1", env=env)
    assert price.returncode == 2
