"""How far a running pull is, readable from another thread (the CLI's bars, the admin
endpoint) while ``huggingface_hub`` downloads.

``huggingface_hub`` reports through tqdm bars it creates from a class we pass: the bytes
written (resumed bytes included, as ``initial``) and the files finished. ``reporting_bars``
makes such a class that writes into a ``PullProgress`` and draws nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

BYTES_BAR = "huggingface_hub.snapshot_download"


@dataclass
class PullProgress:
    name: str
    state: str = "resolving"  # resolving | downloading | verifying | done | failed
    bytes_total: int = 0
    bytes_done: int = 0
    files_total: int = 0
    files_done: int = 0
    error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_bytes(self, done: int, total: int | None) -> None:
        with self._lock:
            self.bytes_done += done
            if total is not None:
                self.bytes_total = max(self.bytes_total, int(total))

    def add_files(self, done: int, total: int | None) -> None:
        with self._lock:
            self.files_done += done
            if total is not None:
                self.files_total = int(total)

    def set_state(self, state: str, error: str | None = None) -> None:
        with self._lock:
            self.state = state
            self.error = error

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "name": self.name,
                "state": self.state,
                "bytes_total": self.bytes_total,
                "bytes_done": self.bytes_done,
                "files_total": self.files_total,
                "files_done": self.files_done,
                "error": self.error,
            }


class PullBoard:
    """The pulls running in this process, by model name, and the last outcome of each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pulls: dict[str, PullProgress] = {}

    def start(self, name: str) -> PullProgress:
        with self._lock:
            running = self._pulls.get(name)
            if running is not None and running.state not in ("done", "failed"):
                raise RuntimeError(f"{name} is already being pulled")
            progress = PullProgress(name)
            self._pulls[name] = progress
            return progress

    def get(self, name: str) -> PullProgress | None:
        with self._lock:
            return self._pulls.get(name)

    def all(self) -> list[PullProgress]:
        with self._lock:
            return list(self._pulls.values())


def reporting_bars(progress: PullProgress) -> type[Any]:
    """A tqdm class for ``snapshot_download(tqdm_class=...)`` that feeds ``progress``."""
    from huggingface_hub.utils.tqdm import tqdm as hf_tqdm

    class Bar(hf_tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._kind = "bytes" if kwargs.get("name") == BYTES_BAR else "other"
            if kwargs.get("desc", "").startswith("Fetching"):
                self._kind = "files"
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
            if self._kind == "files":
                progress.add_files(0, kwargs.get("total"))

        def update(self, n: float | None = 1) -> bool | None:
            step = int(n or 0)
            if self._kind == "bytes":
                progress.add_bytes(step, self.total)
            elif self._kind == "files":
                progress.add_files(step, None)
            result: bool | None = super().update(n)
            return result

    return Bar
