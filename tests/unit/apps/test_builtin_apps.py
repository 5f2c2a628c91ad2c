from pathlib import Path

import pytest

from impasto.apps import BUILTIN_APPS, BUILTIN_OWNER, BuiltinApp, builtin_apps
from impasto.apps.text_to_image import WEIGHTS_ENV
from impasto.sdk import describe, load_app


def test_text_to_image_is_served_only_with_weights(tmp_path: Path) -> None:
    off = builtin_apps()
    assert "impasto/text-to-image" not in off
    assert set(off) == set(BUILTIN_APPS)  # the MiniLM weights package is installed here
    assert all(app.env == {} for app in off.values())

    on = builtin_apps(text_to_image_weights=tmp_path)
    assert on["impasto/text-to-image"] == BuiltinApp(
        "impasto.apps.text_to_image:TextToImageApp", {WEIGHTS_ENV: str(tmp_path.resolve())}
    )


def test_text_embedding_is_left_out_without_its_weights() -> None:
    assert "impasto/text-embedding" not in builtin_apps(minilm_installed=False)
    assert "impasto/text-embedding" in builtin_apps(minilm_installed=True)


@pytest.mark.parametrize("prefix", [*BUILTIN_APPS, "impasto/text-to-image"])
def test_every_builtin_describes_without_setup(prefix: str, tmp_path: Path) -> None:
    # The server registers apps from their manifest; torch is only needed in the runner.
    app = builtin_apps(text_to_image_weights=tmp_path)[prefix]
    manifest = describe(load_app(app.import_path))
    assert f"{BUILTIN_OWNER}/{manifest.name}" == prefix
    assert manifest.endpoints
