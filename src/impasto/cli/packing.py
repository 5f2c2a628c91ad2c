"""What ``impasto deploy`` and ``impasto run`` send: an app's source as a zip, and the
manifest read from its class on this machine (as ``fal deploy`` reads it).

``PATH[::Class]`` names either one module file (only that file is shipped) or a folder:
a package (a folder with ``__init__.py``, shipped under its own name) or a project
folder whose modules are shipped as they lie, with ``::module:Class`` saying which class
is the app. The archive is deterministic (sorted names, fixed timestamps), so the same
source always has the same hash and a redeploy of unchanged code stores nothing new.
"""

from __future__ import annotations

import importlib
import inspect
import io
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from impasto.sdk.app import App
from impasto.sdk.introspect import describe

SKIPPED_DIRS = {"__pycache__", "node_modules", "venv", "env", "build", "dist"}
SKIPPED_SUFFIXES = {".pyc", ".pyo"}
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class PackingError(Exception):
    """The path or class cannot be deployed; the message says why."""


@dataclass(frozen=True)
class AppSource:
    root: Path  # the folder the archive's names are relative to
    files: tuple[Path, ...]  # relative to root
    module: str
    class_name: str | None

    @property
    def paths(self) -> list[Path]:
        return [self.root / name for name in self.files]


@dataclass(frozen=True)
class Packed:
    entry: str
    manifest: dict[str, Any]
    code: bytes


def locate(target: str) -> AppSource:
    """``path/app.py``, ``path/app.py::Class``, ``path/package[::Class]`` or
    ``path/folder::module:Class``."""
    location, _, chosen = target.partition("::")
    path = Path(location).expanduser().resolve()
    if path.is_file():
        if path.suffix != ".py":
            raise PackingError(f"{location} is not a Python file")
        if ":" in chosen:
            raise PackingError("after a file, give only the class: app.py::ClassName")
        return AppSource(path.parent, (Path(path.name),), path.stem, chosen or None)
    if not path.is_dir():
        raise PackingError(f"{location} does not exist")
    if (path / "__init__.py").is_file() and ":" not in chosen:
        files = tuple(Path(path.name) / name for name in _tree(path))
        return AppSource(path.parent, files, path.name, chosen or None)
    module, _, class_name = chosen.partition(":")
    if not module:
        raise PackingError(f"{location} is a folder: name the app as {location}::module:Class")
    return AppSource(path, tuple(_tree(path)), module, class_name or None)


def pack(source: AppSource) -> Packed:
    """Import the app here, read its manifest, and zip its source."""
    name, app_class = load(source)
    manifest = describe(app_class).to_json()
    return Packed(
        entry=f"{source.module}:{name}",
        manifest=manifest,
        code=archive(source),
    )


def load(source: AppSource) -> tuple[str, type[App]]:
    """The app class and its name in the module, imported from ``source.root`` (first on
    the import path, its modules imported afresh so that a watcher sees edits)."""
    root = str(source.root)
    if root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)
    for name in list(sys.modules):
        module = sys.modules[name]
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve().is_relative_to(source.root):
            del sys.modules[name]
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(source.module)
    except Exception as exc:  # an app's import may fail in any way
        raise PackingError(f"cannot import {source.module}: {type(exc).__name__}: {exc}") from exc
    found = {
        name: value
        for name, value in vars(module).items()
        if inspect.isclass(value) and issubclass(value, App) and value is not App
    }
    if source.class_name is not None:
        if source.class_name not in found:
            raise PackingError(f"{source.module} has no App subclass {source.class_name!r}")
        return source.class_name, found[source.class_name]
    # Without a name: the one App class the module itself defines.
    found = {name: cls for name, cls in found.items() if cls.__module__ == module.__name__}
    if len(found) != 1:
        names = ", ".join(sorted(found)) or "none"
        raise PackingError(
            f"{source.module} defines {len(found)} App classes ({names}): "
            "name one as path::ClassName"
        )
    return next(iter(found.items()))


def archive(source: AppSource) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name in sorted(source.files):
            info = zipfile.ZipInfo(name.as_posix(), ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zipped.writestr(info, (source.root / name).read_bytes())
    return buffer.getvalue()


def _tree(folder: Path) -> Iterator[Path]:
    """Source files under ``folder``, relative to it: no caches, environments or
    hidden entries (``.git``, ``.env`` files with secrets...)."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") or part in SKIPPED_DIRS for part in relative.parts):
            continue
        if path.is_file() and not path.is_symlink() and path.suffix not in SKIPPED_SUFFIXES:
            yield relative
