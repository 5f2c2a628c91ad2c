"""Why a runner could not be started or used; rendered like fal's gateway errors."""

from __future__ import annotations

from impasto.kit.errors import ServiceUnavailable


class RunnerError(ServiceUnavailable):
    run_type = "runner_connection_error"


class RunnerStartFailed(RunnerError):
    """The app failed to import or its ``setup()`` raised, or the process died early."""

    run_type = "runner_scheduling_failure"


class RunnerStartKilled(RunnerError):
    """The process was killed by a signal before it was ready (the OOM killer while it
    loaded weights, ``kill -9``): not the app's fault, so its requests may try again."""

    run_type = "runner_scheduling_failure"


class RunnerStartTimeout(RunnerError):
    status_code = 504
    run_type = "startup_timeout"


class RunnerClosed(RunnerError):
    """The runner is stopping or gone; the request was not sent."""

    run_type = "runner_disconnected"
