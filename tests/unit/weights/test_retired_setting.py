"""The setting the weights manager replaced fails with what to run instead."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from impasto.config import Settings


def test_the_old_weights_setting_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPASTO_TEXT_TO_IMAGE_WEIGHTS", str(tmp_path / "sd15"))
    with pytest.raises(ValidationError) as failed:
        Settings(data_dir=tmp_path)
    message = str(failed.value)
    assert "replaced by the weights manager" in message
    assert f"impasto models import {tmp_path / 'sd15'} --as fal-ai/fast-sdxl" in message


def test_unset_it_is_fine(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).text_to_image_weights is None
