"""A setting that names a backend of a missing extra fails with what to install."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from impasto.config import Settings, StorageBackend
from impasto.container import build_object_store
from impasto.kit.db import Database
from impasto.kit.extras import MissingExtra, require


def without(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == module else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_require_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    require("json", feature="JSON", extra="none")  # installed: nothing happens
    without(monkeypatch, "boto3")
    with pytest.raises(MissingExtra, match=r"pip install 'impasto\[s3\]'"):
        require("boto3", feature="S3 storage", extra="s3")


def test_s3_storage_without_boto3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, storage_backend=StorageBackend.S3, s3_bucket="b")
    without(monkeypatch, "boto3")
    with pytest.raises(MissingExtra, match="S3 storage needs the 's3' extra"):
        build_object_store(settings)


def test_postgresql_without_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    without(monkeypatch, "psycopg")
    with pytest.raises(MissingExtra, match="PostgreSQL needs the 'postgres' extra"):
        Database("postgresql://nobody@127.0.0.1:1/none")


def test_the_command_line_says_it_in_one_line(tmp_path: Path) -> None:
    # A real `impasto` process, with psycopg hidden from its imports.
    code = (
        "import importlib.util, sys\n"
        "real = importlib.util.find_spec\n"
        "hide = lambda n, *a, **k: None if n == 'psycopg' else real(n, *a, **k)\n"
        "importlib.util.find_spec = hide\n"
        "from impasto.cli.main import main\n"
        "sys.argv = ['impasto', 'migrate', '--check']\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"IMPASTO_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "PATH": ""},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: PostgreSQL needs the 'postgres' extra (psycopg is not installed): "
        "pip install 'impasto[postgres]'"
    ]
