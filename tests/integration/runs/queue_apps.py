"""Apps the queue tests deploy next to the built-ins."""

import time
from pathlib import Path

from pydantic import BaseModel

from impasto.sdk import App, endpoint

SERVED = 0


class GateInput(BaseModel):
    gate: str | None = None  # a path: the request waits until that file exists


class GateOutput(BaseModel):
    served: int  # how many requests this runner served, this one included


class SerialApp(App, name="serial", max_multiplexing=1, max_concurrency=1, keep_alive=300):
    """One request at a time, each held until its gate file appears: queue order is visible."""

    @endpoint("/")
    def run(self, inp: GateInput) -> GateOutput:
        global SERVED  # noqa: PLW0603 - one module per runner process
        SERVED += 1
        served = SERVED
        while inp.gate is not None and not Path(inp.gate).exists():
            time.sleep(0.02)
        return GateOutput(served=served)
