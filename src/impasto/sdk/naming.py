"""App names, endpoint paths and endpoint ids (``owner/app[/path]``), named as fal names them."""

from __future__ import annotations

import re

from impasto.kit.names import validate_owner_name

APP_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}$"
_APP_NAME = re.compile(APP_NAME_PATTERN)
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def kebab_case(class_name: str) -> str:
    """``MyGoodApp`` -> ``my-good-app``; ``HTTPTools`` -> ``http-tools`` (fal's default)."""
    return _WORD_BOUNDARY.sub("-", class_name).replace("_", "-").lower()


def validate_app_name(name: str) -> str:
    if not _APP_NAME.fullmatch(name):
        raise ValueError(
            f"invalid app name {name!r}: use 1-63 lowercase letters, digits, '.', '-' or '_', "
            "starting with a letter or digit"
        )
    return name


def normalize_path(path: str) -> str:
    """``""``, ``"/"`` -> ``"/"``; ``"sub/"`` -> ``"/sub"``; refuses odd segments."""
    segments = [part for part in path.strip().split("/") if part]
    for part in segments:
        if not _PATH_SEGMENT.fullmatch(part) or part in {".", ".."}:
            raise ValueError(f"invalid endpoint path {path!r}: bad segment {part!r}")
    return "/" + "/".join(segments)


def endpoint_id(owner: str, app_name: str, path: str = "/") -> str:
    """The id clients call: ``owner/app`` for ``/``, ``owner/app/sub`` for ``/sub``."""
    validate_owner_name(owner)
    validate_app_name(app_name)
    path = normalize_path(path)
    return f"{owner}/{app_name}" if path == "/" else f"{owner}/{app_name}{path}"
