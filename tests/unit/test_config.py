from pathlib import Path

import pytest
from pydantic import ValidationError

from impasto.config import Settings


def test_defaults_are_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IMPASTO_DATA_DIR", "IMPASTO_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.is_embedded
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.effective_database_url == f"sqlite:///{Path('.impasto/impasto.db').absolute()}"


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IMPASTO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("IMPASTO_DATABASE_URL", "postgresql://u:p@db/impasto")
    monkeypatch.setenv("IMPASTO_WEBHOOK_IP_RANGES", "10.0.0.1/32, 192.168.0.0/16")
    monkeypatch.setenv("IMPASTO_RATE_LIMIT_PER_SECOND", "5")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert not settings.is_embedded
    assert settings.webhook_ip_ranges == ["10.0.0.1/32", "192.168.0.0/16"]
    assert settings.rate_limit_per_second == 5


def test_flags_override_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPASTO_PORT", "9000")
    assert Settings(port=9100).port == 9100


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IMPASTO_DATABASE_URL", "mysql://x"),
        ("IMPASTO_WEBHOOK_IP_RANGES", "not-a-cidr"),
        ("IMPASTO_LOG_LEVEL", "loud"),
        ("IMPASTO_BOOTSTRAP_OWNER", "Not Valid"),
        ("IMPASTO_PORT", "70000"),
    ],
)
def test_invalid_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_unknown_variables_are_reported() -> None:
    environ = {"IMPASTO_PORT": "1", "IMPASTO_PROT": "1", "PATH": "/bin"}
    assert Settings.unknown_environment(environ) == ["IMPASTO_PROT"]
