"""``impasto status``: where this installation stands, read only (nothing is migrated).

The database (its URL without the password, and its revision against this code's), the
queue of every app, the workers holding requests, the embedders that can run here and the
data directory's free space; a table, or one JSON document with ``--json``.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from typing import Any

import typer
from sqlalchemy import func, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from impasto import __version__
from impasto.cli.common import (
    DataDirOption,
    JsonOption,
    describe_revision,
    echo_json,
    iso_z,
    load_settings,
    open_existing,
)
from impasto.cli.output import print_table
from impasto.config import Settings
from impasto.embedders.registry import check_embedders
from impasto.kit.db.migrate import SchemaState, schema_state
from impasto.models import RequestRecord

QUEUED = ("IN_QUEUE", "IN_PROGRESS")


def status(as_json: JsonOption = False, data_dir: DataDirOption = None) -> None:
    """Database and revision, queues, workers, embedders and free disk; changes nothing."""
    settings = load_settings(data_dir=data_dir)
    report = gather(settings)
    if as_json:
        echo_json(report)
    else:
        _print(report)


def gather(settings: Settings) -> dict[str, Any]:
    database = open_existing(settings)
    try:
        state = schema_state(database)
        url = (database.url if database is not None else _url(settings)).render_as_string(
            hide_password=True
        )
        queues = workers = None
        if database is not None and state.is_current:
            with database.session(write=False) as session:
                queues, workers = queue_depths(session), lease_holders(session)
    finally:
        if database is not None:
            database.dispose()
    usage = shutil.disk_usage(settings.data_dir)
    checks = check_embedders(
        settings.embedders,
        models_dir=settings.models_dir,
        cache_dir=settings.data_dir / "cache" / "embedders",
    )
    return {
        "version": __version__,
        "database": {
            "url": url,
            "revision": state.current,
            "head": state.head,
            "state": _state(state, exists=database is not None),
        },
        # None where the database is not at this code's schema: its tables may differ.
        "queues": queues,
        "workers": workers,
        "embedders": [
            {"name": c.name, "space": c.space, "available": c.reason is None, "reason": c.reason}
            for c in checks
        ],
        "data_dir": {
            "path": str(settings.data_dir),
            "free_bytes": usage.free,
            "total_bytes": usage.total,
        },
    }


def _url(settings: Settings) -> URL:
    return make_url(settings.effective_database_url)


def _state(state: SchemaState, *, exists: bool) -> str:
    if not exists:
        return "missing"
    if state.is_current:
        return "current"
    return "behind" if state.known else "unknown"


def queue_depths(session: Session) -> list[dict[str, Any]]:
    """IN_QUEUE and IN_PROGRESS counts of every app that has either."""
    runs = RequestRecord.__table__.c
    rows = session.execute(
        select(runs.app_id, runs.status, func.count())
        .where(runs.status.in_(QUEUED))
        .group_by(runs.app_id, runs.status)
    )
    depths: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(QUEUED, 0))
    for app_id, run_status, count in rows:
        depths[app_id][run_status] = int(count)
    return [{"app_id": app_id, **depths[app_id]} for app_id in sorted(depths)]


def lease_holders(session: Session) -> list[dict[str, Any]]:
    """The workers holding requests now: no table records workers, so one that holds no
    lease is not seen. A remote worker's leases read ``<key_id>/<worker_id>``."""
    runs = RequestRecord.__table__.c
    rows = session.execute(
        select(runs.lease_owner, func.count(), func.max(runs.lease_expires_at))
        .where(runs.status == "IN_PROGRESS", runs.lease_owner.is_not(None))
        .group_by(runs.lease_owner)
        .order_by(runs.lease_owner)
    )
    holders = []
    for owner, count, until in rows:
        key_id, _, worker_id = owner.rpartition("/")
        holders.append(
            {
                "worker_id": worker_id,
                "key_id": key_id or None,
                "remote": bool(key_id),
                "in_progress": int(count),
                "lease_expires_at": iso_z(until) if until is not None else None,
            }
        )
    return holders


def _print(report: dict[str, Any]) -> None:
    database = report["database"]
    state = database["state"]
    revision = describe_revision(database["revision"])
    line = f"{revision} ({state}"
    line += f"; this impasto needs {database['head']})" if state != "current" else ")"
    disk = report["data_dir"]
    typer.echo(f"impasto    {report['version']}")
    typer.echo(f"database   {database['url']}")
    typer.echo(f"revision   {line}")
    free, total = _size(disk["free_bytes"]), _size(disk["total_bytes"])
    typer.echo(f"data dir   {disk['path']} ({free} free of {total})")
    embedders = report["embedders"]
    if not embedders:
        typer.echo("embedders  none configured")
    for n, item in enumerate(embedders):
        label = "embedders" if n == 0 else ""
        detail = item["space"] if item["available"] else f"unavailable: {item['reason']}"
        typer.echo(f"{label:<9}  {item['name']} ({detail})")
    if report["queues"] is None:
        typer.echo("\nQueues and workers are not shown: run `impasto migrate` first.")
        return
    typer.echo("")
    if report["queues"]:
        print_table(
            ["APP", "IN_QUEUE", "IN_PROGRESS"],
            [[q["app_id"], str(q["IN_QUEUE"]), str(q["IN_PROGRESS"])] for q in report["queues"]],
        )
    else:
        typer.echo("(no queued or running requests)")
    typer.echo("")
    if report["workers"]:
        print_table(
            ["WORKER", "REMOTE", "IN_PROGRESS", "LEASE_UNTIL"],
            [
                [
                    w["worker_id"],
                    "yes" if w["remote"] else "no",
                    str(w["in_progress"]),
                    w["lease_expires_at"] or "-",
                ]
                for w in report["workers"]
            ],
        )
    else:
        typer.echo("(no worker holds a request)")


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{count} B"
        value /= 1024
    return f"{count} B"
