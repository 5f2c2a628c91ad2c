"""Weights already on disk: a diffusers folder (``save_pretrained()`` output, or a snapshot
in an existing Hugging Face cache) or a single-file ``.safetensors`` checkpoint.

They are registered where they are, never copied: a cache the operator already has is
used in place, and removing the model later leaves the files alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from impasto.weights.errors import NotAPipeline
from impasto.weights.families import (
    MODEL_INDEX,
    PIPELINE_OF_FAMILY,
    family_of,
    read_model_index,
    single_file_family,
)


@dataclass(frozen=True)
class Found:
    path: Path
    source: str  # folder | file
    pipeline_class: str
    family: str
    size_bytes: int
    commit_sha: str | None = None


def inspect_path(path: Path) -> Found:
    """What ``path`` holds, or ``NotAPipeline`` saying why it cannot be served."""
    path = path.expanduser().resolve()
    if not path.exists():
        raise NotAPipeline(f"{path} does not exist")
    if path.is_file():
        return _single_file(path)
    snapshot, commit = _cache_snapshot(path)
    index_file = snapshot / MODEL_INDEX
    if not index_file.is_file():
        raise NotAPipeline(
            f"{snapshot} has no {MODEL_INDEX}: give a diffusers pipeline folder, a Hugging "
            "Face cache folder of one (models--org--name), or a .safetensors checkpoint"
        )
    pipeline_class = str(read_model_index(index_file)["_class_name"])
    return Found(
        path=snapshot,
        source="folder",
        pipeline_class=pipeline_class,
        family=family_of(pipeline_class),
        size_bytes=disk_usage(snapshot),
        commit_sha=commit,
    )


def _cache_snapshot(path: Path) -> tuple[Path, str | None]:
    """A Hub cache repository folder (``models--org--name``) -> its ``main`` snapshot."""
    snapshots = path / "snapshots"
    if not (path.name.startswith("models--") and snapshots.is_dir()):
        return path, None
    ref = path / "refs" / "main"
    if ref.is_file():
        commit = ref.read_text(encoding="utf-8").strip()
    else:
        found = sorted(child.name for child in snapshots.iterdir() if child.is_dir())
        if len(found) != 1:
            raise NotAPipeline(f"{path} holds {len(found)} snapshots; give one of them")
        commit = found[0]
    return snapshots / commit, commit


def _single_file(path: Path) -> Found:
    if path.suffix != ".safetensors":
        # Pickled checkpoints (.ckpt, .pt) run code when loaded: never imported.
        raise NotAPipeline(f"{path.name}: only .safetensors single-file checkpoints are imported")
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as opened:
            keys = list(opened.keys())
    except Exception as exc:  # a corrupt header fails in the Rust reader in any way
        raise NotAPipeline(f"{path.name} is not a readable safetensors file: {exc}") from None
    family = single_file_family(keys)
    return Found(
        path=path,
        source="file",
        pipeline_class=PIPELINE_OF_FAMILY[family],
        family=family,
        size_bytes=path.stat().st_size,
    )


def disk_usage(path: Path) -> int:
    """Bytes of the files under ``path``, symlinks followed (a cache snapshot is links)."""
    if path.is_file():
        return path.stat().st_size
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())
