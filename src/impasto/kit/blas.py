"""One BLAS thread for the server process unless the operator chose otherwise.

The server's numpy work is small matrix products on request threads (a query's few tokens
through the text encoder) and memory-bound scans; BLAS's own worker threads add nothing
there and, spinning for a core another request holds, made one query encoding ~10x slower
on a busy 2-core box (~25 ms against ~290 ms; bench/README.md, Assets). Applied in-process
(threadpoolctl), so runner subprocesses keep their defaults.
"""

from __future__ import annotations

import os

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_blas_threads() -> None:
    if any(os.environ.get(name) for name in THREAD_VARIABLES):
        return
    import numpy  # noqa: F401  (BLAS must be loaded for threadpoolctl to find it)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
