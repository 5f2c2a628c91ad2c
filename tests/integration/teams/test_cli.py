"""``impasto teams``: organizations and access rules from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from impasto.cli.main import app


@pytest.fixture
def impasto(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("IMPASTO_DATABASE_URL", database_url)
    monkeypatch.setenv("IMPASTO_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def _run(runner: CliRunner, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_organizations_and_rules(impasto: CliRunner) -> None:
    _run(impasto, "teams", "add", "corp", "corp")
    _run(impasto, "teams", "add", "corp", "ml", "--name", "Machine learning")
    listed = json.loads(_run(impasto, "teams", "list", "corp", "--json"))
    assert [(t["username"], t["is_org_root"]) for t in listed["teams"]] == [
        ("corp", True),
        ("ml", False),
    ]
    assert "already a team" in _run(impasto, "teams", "add", "other", "ml", code=2)
    assert "not a root" in _run(impasto, "teams", "add", "ml", "x", code=2)
    assert "invalid owner name" in _run(impasto, "teams", "add", "corp", "Bad Name", code=2)
    assert "root of teams" in _run(impasto, "teams", "remove", "corp", code=2)

    _run(impasto, "teams", "access", "block", "corp", "*")
    _run(impasto, "teams", "access", "allow", "corp", "impasto/debug")
    rules = json.loads(_run(impasto, "teams", "access", "list", "corp", "--json"))["rules"]
    assert [(r["endpoint_id"], r["access"]) for r in rules] == [
        ("*", "BLOCKED"),
        ("impasto/debug", "ALLOWED"),
    ]
    table = _run(impasto, "teams", "access", "list", "corp").splitlines()
    assert table[0].split() == ["ACCOUNT", "ENDPOINT_ID", "ACCESS"]
    assert table[2].split() == ["corp", "impasto/debug", "ALLOWED"]
    _run(impasto, "teams", "access", "unset", "corp", "*")
    assert "no rule" in _run(impasto, "teams", "access", "unset", "corp", "*", code=2)
    _run(impasto, "teams", "remove", "ml")
    listed = json.loads(_run(impasto, "teams", "list", "corp", "--json"))
    assert [t["username"] for t in listed["teams"]] == ["corp"]
