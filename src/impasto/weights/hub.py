"""Pulling a diffusers pipeline from the Hugging Face Hub with ``huggingface_hub``.

``snapshot_download`` does the transfer: the shared cache layout (blobs named by their
hash, snapshots of symlinks, so two pulls of one file store it once), ``Range`` resumes of
``.incomplete`` blobs after an interruption, ``HF_TOKEN`` and ``HF_ENDPOINT``. Around it,
this module picks the files the pipeline needs (``families.select_files``) and, once they
are on disk, checks each against the checksum the Hub lists for it
(``HfApi.verify_repo_checksums``: sha256 for LFS files, the git blob id for small ones).
A file that does not match is deleted, so the next pull fetches it again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from impasto.weights.errors import DownloadFailed, NotAPipeline, RepoGated, RepoNotFound
from impasto.weights.families import (
    MODEL_INDEX,
    components_of,
    family_of,
    read_model_index,
    select_files,
)
from impasto.weights.progress import PullProgress, reporting_bars

# Files fetched side by side; more gains little on one link and multiplies open sockets.
MAX_WORKERS = 4


@dataclass(frozen=True)
class HubSource:
    """Where the Hub is: ``endpoint`` None means ``huggingface_hub``'s own (``HF_ENDPOINT``
    or huggingface.co); ``token`` None means ``HF_TOKEN`` or the saved login."""

    cache_dir: Path
    endpoint: str | None = None
    token: str | None = None


@dataclass(frozen=True)
class Pulled:
    path: Path  # the snapshot folder
    commit_sha: str
    pipeline_class: str
    family: str
    files: tuple[str, ...]
    size_bytes: int


def pull_pipeline(
    source: HubSource,
    repo_id: str,
    revision: str | None,
    variant: str | None,
    progress: PullProgress,
) -> Pulled:
    """Download, verify and return a pipeline's snapshot; raises a ``weights.errors`` error."""
    from huggingface_hub import HfApi, hf_hub_download, snapshot_download
    from huggingface_hub.hf_api import RepoFile

    api = HfApi(endpoint=source.endpoint, token=source.token)
    where: dict[str, Any] = {
        "cache_dir": source.cache_dir,
        "endpoint": source.endpoint,
        "token": source.token,
    }
    with _hub_errors(repo_id, revision):
        info = api.model_info(repo_id, revision=revision)
        if info.sha is None:
            raise DownloadFailed(f"the Hub gave no commit for {repo_id}@{revision or 'main'}")
        commit = info.sha
        listing = [
            entry.path
            for entry in api.list_repo_tree(repo_id, revision=commit, recursive=True)
            if isinstance(entry, RepoFile)
        ]
        if MODEL_INDEX not in listing:
            raise NotAPipeline(
                f"{repo_id} has no {MODEL_INDEX}: not a diffusers pipeline (a single-file "
                "checkpoint is installed with `impasto models import`)"
            )
        index_path = hf_hub_download(repo_id, MODEL_INDEX, revision=commit, **where)
        index = read_model_index(Path(index_path))
        wanted = select_files(listing, components_of(index), variant)
        progress.set_state("downloading")
        folder = snapshot_download(
            repo_id,
            revision=commit,
            allow_patterns=wanted,
            tqdm_class=reporting_bars(progress),
            max_workers=MAX_WORKERS,
            **where,
        )
        progress.set_state("verifying")
        checked = api.verify_repo_checksums(
            repo_id, revision=commit, cache_dir=source.cache_dir, token=source.token
        )
    snapshot = Path(folder)
    if checked.mismatches:
        for mismatch in checked.mismatches:
            _forget(snapshot / mismatch["path"])
        names = ", ".join(sorted(m["path"] for m in checked.mismatches))
        raise DownloadFailed(
            f"{repo_id}: {names} did not match the checksum the Hub lists; the bad "
            "file was removed, pull again"
        )
    missing = [name for name in wanted if not (snapshot / name).is_file()]
    if missing:
        raise DownloadFailed(f"{repo_id}: {', '.join(missing)} did not arrive; pull again")
    size = sum((snapshot / name).stat().st_size for name in wanted)
    pipeline_class = str(index["_class_name"])
    return Pulled(
        path=snapshot,
        commit_sha=commit,
        pipeline_class=pipeline_class,
        family=family_of(pipeline_class),
        files=tuple(wanted),
        size_bytes=size,
    )


def _forget(link: Path) -> None:
    """Remove a cached file: the blob the snapshot's symlink points at, then the link."""
    if link.is_symlink():
        Path(os.path.realpath(link)).unlink(missing_ok=True)
    link.unlink(missing_ok=True)


@contextmanager
def _hub_errors(repo_id: str, revision: str | None) -> Iterator[None]:
    """``huggingface_hub``'s exceptions as the platform's, with what to do about each."""
    import httpx2  # huggingface_hub's HTTP client; its transport errors are not OSErrors
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    repo = f"{repo_id}@{revision}" if revision else repo_id
    try:
        yield
    except GatedRepoError as exc:
        raise RepoGated(
            f"{repo} is gated: accept its licence on the Hub and set HF_TOKEN to a token of "
            "that account"
        ) from exc
    except RevisionNotFoundError as exc:
        raise RepoNotFound(f"{repo}: no such revision on the Hub") from exc
    except RepositoryNotFoundError as exc:
        raise RepoNotFound(
            f"{repo}: no such repository on the Hub (or it is private and HF_TOKEN does not "
            "give access to it)"
        ) from exc
    except HfHubHTTPError as exc:
        if exc.response.status_code in (401, 403):
            raise RepoGated(f"{repo}: the Hub refused the token (HF_TOKEN)") from exc
        raise DownloadFailed(f"{repo}: the Hub answered {exc}") from exc
    except (OSError, httpx2.HTTPError) as exc:
        raise DownloadFailed(
            f"{repo}: the download stopped ({type(exc).__name__}: {exc}); run the same pull "
            "again to resume it"
        ) from exc
