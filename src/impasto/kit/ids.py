"""Identifiers: UUIDv7 strings (RFC 9562), time-ordered so they index and paginate well."""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Protocol


class IdGenerator(Protocol):
    def new(self) -> str: ...


class UUIDv7Generator:
    """UUIDv7 with a 12-bit counter in ``rand_a`` so ids from one process strictly increase."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._counter = 0

    def new(self) -> str:
        with self._lock:
            ms = time.time_ns() // 1_000_000
            if ms > self._last_ms:
                self._last_ms = ms
                self._counter = int.from_bytes(os.urandom(2)) & 0x7FF  # leave headroom
            else:
                self._counter += 1
                if self._counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                    self._last_ms += 1
                    self._counter = 0
            ms, counter = self._last_ms, self._counter
        rand_b = int.from_bytes(os.urandom(8)) & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
        return str(uuid.UUID(int=value))


class SequentialIds:
    """Predictable ids for tests: ``prefix-000001``, ``prefix-000002``, ..."""

    def __init__(self, prefix: str = "id") -> None:
        self._prefix = prefix
        self._n = 0
        self._lock = threading.Lock()

    def new(self) -> str:
        with self._lock:
            self._n += 1
            return f"{self._prefix}-{self._n:06d}"
