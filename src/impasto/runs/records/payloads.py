"""Deleting a request's payloads: its input, its output and the output files it made.

As on fal, only files the *output* references are deleted: an input file may be used by
other requests, so a file named by both the input and the output is kept. A file is
deleted only when it is a CDN-style file of the request's own owner; anything else is
reported per link, never touched. Assets made from a deleted file are deleted with it, so
the asset library never lists a file that is gone. The request record itself stays
(timings, status, who called), with ``payloads_deleted`` set, and the queue's result
endpoint answers 410.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from impasto.files.repository import FileRepository
from impasto.files.urls import parse_file_url
from impasto.kit.clock import Clock
from impasto.kit.errors import InvalidRequest
from impasto.models import Asset
from impasto.runs.queue.repository import COMPLETED, RunRepository
from impasto.runs.queue.service import PARTIAL_KIND, RequestNotFound

FILE_NOT_FOUND = "File not found"
# Nesting deeper than this in an output is not walked for file URLs.
MAX_DEPTH = 64


class RequestNotFinished(InvalidRequest):
    def __init__(self) -> None:
        super().__init__("Payloads can be deleted once the request has completed")


@dataclass(frozen=True)
class FileDeletion:
    link: str
    exception: str | None


def delete_payloads(
    session: Session, clock: Clock, owner: str, request_id: str
) -> list[FileDeletion]:
    """Idempotent: a second call finds nothing left and answers an empty list."""
    runs = RunRepository(session)
    record = runs.get_for_update(request_id)
    if record is None or record.owner != owner:
        raise RequestNotFound()
    if record.status != COMPLETED:
        raise RequestNotFinished()
    if record.payloads_deleted:
        return []
    kept = set(file_urls(record.input))
    links = [link for link in dict.fromkeys(file_urls(record.output)) if link not in kept]
    results, deleted = _delete_files(FileRepository(session), clock, owner, links)
    _drop_assets_of(session, owner, deleted)
    record.input = None
    record.output = None
    record.payloads_deleted = True
    # Partial outputs streamed while the request ran are payloads too; logs are not.
    runs.delete_events(record.request_id, [PARTIAL_KIND])
    runs.flush()
    return results


def _drop_assets_of(session: Session, owner: str, file_ids: list[str]) -> None:
    """The owner's assets of deleted files go with them (their tags, collection places and
    vectors cascade); a deleted thumbnail is only unset."""
    if not file_ids:
        return
    session.execute(delete(Asset).where(Asset.owner == owner, Asset.file_id.in_(file_ids)))
    session.execute(
        update(Asset)
        .where(Asset.owner == owner, Asset.thumbnail_file_id.in_(file_ids))
        .values(thumbnail_file_id=None)
    )


def _delete_files(
    files: FileRepository, clock: Clock, owner: str, links: list[str]
) -> tuple[list[FileDeletion], list[str]]:
    """Each link's outcome, and the ids of the files deleted."""
    results = []
    deleted: list[str] = []
    released: set[str] = set()
    for link in links:
        parsed = parse_file_url(link)
        row = files.get_file(parsed.file_id) if parsed is not None else None
        if (
            parsed is None
            or row is None
            or row.owner != owner
            or row.path is not None  # project storage, never an output file
            or row.file_name != parsed.name
        ):
            results.append(FileDeletion(link=link, exception=FILE_NOT_FOUND))
            continue
        released.add(row.blob_key)
        deleted.append(row.file_id)
        files.delete_file(row)
        results.append(FileDeletion(link=link, exception=None))
    # The sweeper removes the bytes once no other file shares the blob.
    files.release_if_unreferenced(released, clock.now())
    return results, deleted


def file_urls(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string in a JSON value shaped like a URL of a file this server stores."""
    if depth > MAX_DEPTH:
        return
    if isinstance(value, str):
        if "/files/b/" in value and parse_file_url(value) is not None:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from file_urls(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from file_urls(item, depth + 1)
