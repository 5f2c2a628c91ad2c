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
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from impasto.kit.clock import SystemClock
from impasto.kit.text import escaped
from impasto.runners import capture
from impasto.runners.protocol import (
    FrameUndecodable,
    FrameUnencodable,
    Msg,
    encode,
    read_frame_blocking,
)
from impasto.runners.runtime import AppRuntime
from impasto.sdk.introspect import describe, load_app

Inbox = asyncio.Queue[dict[str, Any] | FrameUndecodable | None]
LogLine = Callable[[str | None, str, str], None]


class FrameWriter:
    """Writes frames on a private fd, from any thread, one whole frame at a time."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self.broken = False

    def send(self, message: dict[str, Any]) -> None:
        """Raises ``FrameUnencodable`` (nothing written) for a message that is not JSON."""
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
                "message": escaped(message),  # a lone surrogate could not be framed
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
        return _fatal(writer, log_line, f"{type(exc).__name__}: {exc}")
    try:
        writer.send({"type": Msg.READY, "manifest": manifest.to_json(), "pid": os.getpid()})
    except FrameUnencodable as exc:  # e.g. a schema default that is NaN
        return _fatal(writer, log_line, f"the app's manifest is not JSON: {exc}")

    inbox: Inbox = asyncio.Queue()
    threading.Thread(
        target=_read_frames, args=(frames_in, loop, inbox, log_line), name="frames", daemon=True
    ).start()

    async def heartbeat() -> None:
        while True:
            writer.send({"type": Msg.HEARTBEAT, "active": runtime.active})
            await asyncio.sleep(args.heartbeat_interval)

    beat = loop.create_task(heartbeat())
    graceful = await _serve_frames(inbox, runtime, log_line)
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


def _read_frames(
    frames_in: BinaryIO, loop: asyncio.AbstractEventLoop, inbox: Inbox, log_line: LogLine
) -> None:
    """The reading thread: frames into ``inbox`` until the end of the stream (``None``)."""
    while True:
        try:
            message = read_frame_blocking(frames_in)
        except FrameUndecodable as exc:  # one bad frame: the stream is still in step
            loop.call_soon_threadsafe(inbox.put_nowait, exc)
            continue
        except Exception as exc:
            log_line(None, "error", f"bad frame from the parent: {exc}")
            break
        if message is None:
            break
        loop.call_soon_threadsafe(inbox.put_nowait, message)
    loop.call_soon_threadsafe(inbox.put_nowait, None)


async def _serve_frames(inbox: Inbox, runtime: AppRuntime, log_line: LogLine) -> bool:
    """Act on the parent's frames until ``shutdown`` (True) or the end of stdin (False)."""
    while (message := await inbox.get()) is not None:
        if isinstance(message, FrameUndecodable):
            runtime.refuse_undecodable(message)
            continue
        kind = message["type"]
        if kind == Msg.SHUTDOWN:
            return True
        try:
            if kind == Msg.REQUEST:
                runtime.start(message)
            elif kind == Msg.CANCEL:
                runtime.cancel(str(message.get("id")))
            elif kind == Msg.FETCHED:
                runtime.fetched(message)
        except Exception:  # one odd frame must not end the runner and all it serves
            log_line(None, "error", traceback.format_exc().rstrip())
    return False


def _fatal(writer: FrameWriter, log_line: LogLine, error: str) -> int:
    writer.send({"type": Msg.FATAL, "error": escaped(error)})
    log_line(None, "error", traceback.format_exc().rstrip())
    return 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m impasto.runners.process")
    parser.add_argument("--app", required=True, help="package.module:ClassName")
    parser.add_argument("--spool", required=True, help="directory for output files")
    parser.add_argument("--heartbeat-interval", type=float, default=1.0)
    parser.add_argument("--max-multiplexing", type=int, default=None)
    parser.add_argument(
        "--import-last", action="append", default=[], help="a folder to import from last"
    )
    args = parser.parse_args(argv)
    sys.path.extend(args.import_last)  # an app's requirements never shadow the platform's
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
