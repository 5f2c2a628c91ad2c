import pytest

from impasto.apps import BUILTIN_APPS, BUILTIN_OWNER, builtin_apps
from impasto.sdk import describe, load_app


def test_the_builtins_need_no_environment() -> None:
    found = builtin_apps()
    assert set(found) == set(BUILTIN_APPS)  # the MiniLM weights package is installed here
    assert all(app.env == {} for app in found.values())


def test_text_embedding_is_left_out_without_its_weights() -> None:
    assert "impasto/text-embedding" not in builtin_apps(minilm_installed=False)
    assert "impasto/text-embedding" in builtin_apps(minilm_installed=True)


@pytest.mark.parametrize("prefix", list(BUILTIN_APPS))
def test_every_builtin_describes_without_setup(prefix: str) -> None:
    # The server registers apps from their manifest; torch is only needed in the runner.
    app = builtin_apps()[prefix]
    manifest = describe(load_app(app.import_path))
    assert f"{BUILTIN_OWNER}/{manifest.name}" == prefix
    assert manifest.endpoints
