"""The runner process: ``python -m impasto.runners.process --app module:Class --spool DIR``.

Imports the app, runs ``setup()`` once, says ``ready`` with its manifest, then serves
``request`` frames concurrently (up to ``max_multiplexing``) until ``shutdown`` or the end
of stdin, and runs ``teardown()``. Frames travel on stdin/stdout
(``impasto.runners.protocol``); the app's own output is captured as log lines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import traceback
from pathlib import Path
from typing import Any, BinaryIO

from impasto.kit.clock import SystemClock
from impasto.runners import capture
from impasto.runners.protocol import Msg, encode, read_frame_blocking
from impasto.runners.runtime import AppRuntime
from impasto.sdk.introspect import describe, load_app


class FrameWriter:
    """Writes frames on a private fd, from any thread, one whole frame at a time."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self.broken = False

    def send(self, message: dict[str, Any]) -> None:
        data = memoryview(encode(message))
        with self._lock:
            if self.broken:
                return
            try:
                while data:
                    written = os.write(self._fd, data)
                    data = data[written:]
            except OSError:
                self.broken = True  # the parent is gone; stdin's end will stop us


def _protocol_streams() -> tuple[BinaryIO, int]:
    """Keep stdin/stdout for frames and point fd 1 at stderr for everything else."""
    frames_out = os.dup(1)
    os.dup2(2, 1)
    frames_in = os.fdopen(os.dup(0), "rb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # an app reading stdin must not eat frames
    os.close(devnull)
    return frames_in, frames_out


async def serve(args: argparse.Namespace, frames_in: BinaryIO, writer: FrameWriter) -> int:
    clock = SystemClock()
    loop = asyncio.get_running_loop()

    def log_line(request_id: str | None, level: str, message: str) -> None:
        writer.send(
            {
                "type": Msg.LOG,
                "id": request_id,
                "level": level,
                "message": message,
                "timestamp": clock.now().isoformat(),
            }
        )

    capture.install(log_line)
    try:
        app_class = load_app(args.app)
        manifest = describe(app_class)
        app = app_class()
        runtime = AppRuntime(
            app,
            emit=writer.send,
            spool_root=Path(args.spool),
            clock=clock,
            max_multiplexing=args.max_multiplexing,
        )
        await runtime.setup()
    except BaseException as exc:
        writer.send({"type": Msg.FATAL, "error": f"{type(exc).__name__}: {exc}"})
        log_line(None, "error", traceback.format_exc().rstrip())
        return 3
    writer.send({"type": Msg.READY, "manifest": manifest.to_json(), "pid": os.getpid()})

    inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    def read_frames() -> None:
        try:
            while (message := read_frame_blocking(frames_in)) is not None:
                loop.call_soon_threadsafe(inbox.put_nowait, message)
        except Exception as exc:
            log_line(None, "error", f"bad frame from the parent: {exc}")
        loop.call_soon_threadsafe(inbox.put_nowait, None)

    threading.Thread(target=read_frames, name="frames", daemon=True).start()

    async def heartbeat() -> None:
        while True:
            writer.send({"type": Msg.HEARTBEAT, "active": runtime.active})
            await asyncio.sleep(args.heartbeat_interval)

    beat = loop.create_task(heartbeat())
    graceful = False
    while (message := await inbox.get()) is not None:
        kind = message["type"]
        if kind == Msg.REQUEST:
            runtime.start(message)
        elif kind == Msg.CANCEL:
            runtime.cancel(str(message.get("id")))
        elif kind == Msg.FETCHED:
            runtime.fetched(message)
        elif kind == Msg.SHUTDOWN:
            graceful = True
            break
    if not graceful:  # the parent closed our stdin: nobody waits for answers any more
        runtime.cancel_all()
    await runtime.drain()
    beat.cancel()
    try:
        await runtime.teardown()
    except Exception:
        log_line(None, "error", traceback.format_exc().rstrip())
    writer.send({"type": Msg.STOPPED})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m impasto.runners.process")
    parser.add_argument("--app", required=True, help="package.module:ClassName")
    parser.add_argument("--spool", required=True, help="directory for output files")
    parser.add_argument("--heartbeat-interval", type=float, default=1.0)
    parser.add_argument("--max-multiplexing", type=int, default=None)
    args = parser.parse_args(argv)
    frames_in, frames_out = _protocol_streams()
    writer = FrameWriter(frames_out)
    code = asyncio.run(serve(args, frames_in, writer))
    sys.stdout.flush()
    sys.stderr.flush()
    return code


if __name__ == "__main__":
    # Exit without joining worker threads: a sync endpoint stuck in native code must not
    # keep a finished runner alive.
    os._exit(main())
