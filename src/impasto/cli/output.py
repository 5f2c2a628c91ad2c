"""How commands print for people: Rich tables and progress bars on stderr.

Tables never cut a value: in a terminal Rich folds long cells to fit its width; through a
pipe they are plain aligned columns (scripts should still use ``--json``). Progress
goes to stderr, so stdout keeps only the result, and is shown only in a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

T = TypeVar("T")


def print_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    rows = [list(row) for row in rows]
    console = Console()
    if not console.is_terminal:  # plain aligned columns: nothing cut, nothing drawn
        widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
        for line in [list(headers), *rows]:
            cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
            typer.echo("  ".join(cells).rstrip())
        return
    table = Table(*headers, box=box.SIMPLE_HEAD, pad_edge=False, header_style="bold")
    for row in rows:
        table.add_row(*row)
    for column in table.columns:
        column.overflow = "fold"
    console.print(table)


def progress(items: Sequence[T], label: str) -> Iterator[T]:
    """Yield ``items`` while a bar on stderr counts them."""
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, disable=not console.is_terminal) as bars:
        task = bars.add_task(label, total=len(items))
        for item in items:
            yield item
            bars.advance(task)
