"""The server keeps BLAS to one thread, unless the operator set a thread count."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = (
    "import numpy\n"
    "from impasto.kit.blas import limit_blas_threads\n"
    "from threadpoolctl import threadpool_info\n"
    "limit_blas_threads()\n"
    "print(max(i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'))\n"
)


def threads_after_limit(**env: str) -> int:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


def test_one_blas_thread_by_default() -> None:
    assert threads_after_limit() == 1


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: BLAS has one thread anyway")
def test_an_operator_setting_is_kept() -> None:
    assert threads_after_limit(OPENBLAS_NUM_THREADS="2") == 2
