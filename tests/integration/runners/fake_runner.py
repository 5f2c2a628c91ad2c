"""A stand-in runner process that answers one request with a frame too deep to decode.

Started by ``RunnerHandle`` through a wrapper script (``RunnerSpec.python``), so the
parent's side of the protocol meets a frame the real runner never writes.
"""

import os
import sys

from impasto.apps.debug import DebugApp
from impasto.runners.protocol import HEADER, encode, read_frame_blocking
from impasto.sdk.introspect import describe

DEPTH = 5000  # far past where Python's json gives up


def _send(body: bytes) -> None:
    sys.stdout.buffer.write(HEADER.pack(len(body)) + body)
    sys.stdout.buffer.flush()


def main() -> None:
    sys.stdout.buffer.write(
        encode({"type": "ready", "manifest": describe(DebugApp).to_json(), "pid": os.getpid()})
    )
    sys.stdout.buffer.flush()
    while (message := read_frame_blocking(sys.stdin.buffer)) is not None:
        if message["type"] == "shutdown":
            sys.stdout.buffer.write(encode({"type": "stopped"}))
            sys.stdout.buffer.flush()
            return
        if message["type"] != "request":
            continue
        head = b'{"type":"%s","id":"%s"' % (b"%s", message["id"].encode())
        deep = b"[" * DEPTH + b"]" * DEPTH
        if message["payload"].get("deep_log"):
            _send(head % b"log" + b',"level":"info","message":' + deep + b"}")
        if message["payload"].get("deep"):
            _send(head % b"result" + b',"status":200,"body":' + deep + b',"files":[]}')
        else:
            _send(head % b"result" + b',"status":200,"body":{"ok":true},"files":[]}')


if __name__ == "__main__":
    main()
