"""``impasto models``: pull weights from the Hugging Face Hub, import them from disk, list,
remove, and serve them under fal endpoint ids.

Pulls honour ``HF_TOKEN`` (gated repositories) and ``HF_ENDPOINT`` (mirrors), as
``huggingface_hub`` does. Nothing is recorded until the files are complete and verified;
running the same pull again after a failure fetches only what is missing.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from impasto.cli.common import (
    DataDirOption,
    JsonOption,
    current_database,
    echo_json,
    fail,
    iso_z,
    load_settings,
    migrated_database,
)
from impasto.config import Settings
from impasto.container import weights_manager
from impasto.kit.clock import SystemClock
from impasto.kit.db import Database
from impasto.kit.errors import AppError
from impasto.kit.logging import configure_logging
from impasto.models import InstalledModel
from impasto.weights.manager import WeightsManager
from impasto.weights.progress import PullProgress
from impasto.weights.service import ModelView

app = typer.Typer(help="Install, list and serve model weights.", no_args_is_help=True)

AliasOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Also serve it under this endpoint id (text-to-image, or upscale for an "
        "upscaler), e.g. fal-ai/flux/dev",
    ),
]
NameOption = Annotated[
    str | None, typer.Option(help="Name to install it under [default: the repo id or folder]")
]


def _manager(settings: Settings, database: Database) -> WeightsManager:
    # Log lines to stderr, so that stdout holds only the answer (--json).
    configure_logging(settings.log_level, settings.log_format)
    return weights_manager(settings, database, SystemClock())


@app.command("pull")
def pull(
    repo: Annotated[str, typer.Argument(metavar="REPO_ID[@REVISION]")],
    variant: Annotated[
        str | None, typer.Option(help="Weights variant, e.g. fp16 [default: the full ones]")
    ] = None,
    name: NameOption = None,
    alias: AliasOption = None,
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Download a diffusers pipeline from the Hugging Face Hub (resumable, verified)."""
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database:
        manager = _manager(settings, database)
        progress = PullProgress(name or repo.partition("@")[0])
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["model"] = manager.pull(
                    repo, variant=variant, name=name, alias=alias, progress=progress
                )
            except Exception as exc:  # reported below, in this thread
                outcome["error"] = exc

        thread = threading.Thread(target=work, name="models-pull")
        thread.start()
        _show_progress(progress, thread, quiet=as_json)
        thread.join()
    error = outcome.get("error")
    if error is not None:
        if isinstance(error, AppError):
            fail(error.message)
        raise error
    model: InstalledModel = outcome["model"]
    if as_json:
        echo_json(_model_json(model, [alias] if alias else []))
        return
    served = f", served as {alias}" if alias else ""
    typer.echo(f"Installed {model.name} ({model.family}, {_size(model.size_bytes)}){served}")


def _show_progress(progress: PullProgress, thread: threading.Thread, *, quiet: bool) -> None:
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, disable=quiet, transient=False) as bars:
        task = bars.add_task(progress.name, total=None)
        while thread.is_alive():
            _update(bars, task, progress)
            thread.join(0.1)
        _update(bars, task, progress)


def _update(bars: Progress, task: Any, progress: PullProgress) -> None:
    seen = progress.snapshot()
    files = f"{seen['files_done']}/{seen['files_total']} files" if seen["files_total"] else ""
    bars.update(
        task,
        completed=seen["bytes_done"],
        total=seen["bytes_total"] or None,
        description=f"{seen['name']} {seen['state']} {files}".strip(),
    )


@app.command("import")
def import_(
    path: Annotated[
        Path,
        typer.Argument(help="A diffusers folder, a HF cache folder, or a .safetensors checkpoint"),
    ],
    name: NameOption = None,
    alias: AliasOption = None,
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
) -> None:
    """Register weights already on disk, where they are (nothing is copied)."""
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database:
        try:
            model = _manager(settings, database).import_path(path, name=name, alias=alias)
        except AppError as exc:
            fail(exc.message)
    if as_json:
        echo_json(_model_json(model, [alias] if alias else []))
        return
    served = f", served as {alias}" if alias else ""
    typer.echo(f"Imported {model.name} ({model.family}, {_size(model.size_bytes)}){served}")


@app.command("list")
def list_models(as_json: JsonOption = False, data_dir: DataDirOption = None) -> None:
    """Installed models: family, revision, size on disk and the endpoints serving them."""
    settings = load_settings(data_dir=data_dir)
    with current_database(settings) as database:
        views = _manager(settings, database).list()
    if as_json:
        echo_json(
            {
                "models": [_view_json(view) for view in views],
                "total_size_bytes": sum(view.model.size_bytes for view in views),
            }
        )
        return
    if not views:
        typer.echo("No models installed (impasto models pull REPO_ID).")
        return
    table = Table("name", "family", "source", "revision", "size", "served as", "path")
    for view in views:
        model = view.model
        table.add_row(
            model.name,
            model.family,
            model.source,
            (model.commit_sha or "")[:12],
            _size(model.size_bytes),
            ", ".join(alias.endpoint_id for alias in view.aliases),
            model.path,
        )
    # Piped output keeps whole rows (paths are long) rather than an 80-column guess.
    console = Console(width=None if sys.stdout.isatty() else 400)
    console.print(table)
    console.print(f"{len(views)} model(s), {_size(sum(v.model.size_bytes for v in views))}")


@app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="The installed model's name")],
    data_dir: DataDirOption = None,
) -> None:
    """Forget a model and delete the files it downloaded (refused while it is served)."""
    settings = load_settings(data_dir=data_dir)
    with migrated_database(settings) as database:
        try:
            model = _manager(settings, database).remove(name)
        except AppError as exc:
            fail(exc.message)
    kept = "" if model.owned else " (its files were imported and stay where they are)"
    typer.echo(f"Removed {name}{kept}")


@app.command("alias")
def alias(
    endpoint_id: Annotated[str, typer.Argument(help="e.g. fal-ai/flux/dev")],
    model: Annotated[str | None, typer.Argument(help="The installed model to serve")] = None,
    task: Annotated[
        str, typer.Option(help="text-to-image, image-to-image, inpainting or upscale")
    ] = "text-to-image",
    device: Annotated[
        str | None,
        typer.Option(help="cpu, mps, cuda or cuda:N [default: chosen per machine]"),
    ] = None,
    remove_it: Annotated[bool, typer.Option("--remove", help="Stop serving it")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Serve an installed model under a fal endpoint id, or stop (--remove)."""
    settings = load_settings(data_dir=data_dir)
    if not remove_it and model is None:
        fail("give the model to serve, or --remove", code=2)
    with migrated_database(settings) as database:
        manager = _manager(settings, database)
        try:
            if remove_it:
                manager.remove_alias(endpoint_id)
            else:
                assert model is not None
                manager.add_alias(endpoint_id, model, task, device)
        except AppError as exc:
            fail(exc.message)
    if remove_it:
        typer.echo(f"{endpoint_id} is no longer served")
    else:
        typer.echo(f"{endpoint_id} serves {model} ({task})")


def _model_json(model: InstalledModel, aliases: list[str]) -> dict[str, Any]:
    return {
        "name": model.name,
        "source": model.source,
        "repo_id": model.repo_id,
        "revision": model.revision,
        "commit_sha": model.commit_sha,
        "family": model.family,
        "pipeline_class": model.pipeline_class,
        "variant": model.variant,
        "path": model.path,
        "size_bytes": model.size_bytes,
        "aliases": aliases,
        "created_at": iso_z(model.created_at),
    }


def _view_json(view: ModelView) -> dict[str, Any]:
    return _model_json(view.model, [alias.endpoint_id for alias in view.aliases])


def _size(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


__all__ = ["app"]
