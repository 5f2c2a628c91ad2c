"""Apps the queue tests deploy next to the built-ins."""

import os
import time
from pathlib import Path

from pydantic import BaseModel

from impasto.sdk import App, current_request, endpoint

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


class SharedInput(BaseModel):
    gate: str | None = None  # a path: the request waits until that file exists
    nan: bool = False  # answer with a number JSON cannot carry


class SharedOutput(BaseModel):
    pid: int  # the runner's: the same one served every request that shows it
    attempt: int
    value: float = 0.0


class SharedApp(App, name="shared", max_multiplexing=4, max_concurrency=1, keep_alive=300):
    """One runner serving several requests at once (other owners' among them), each held
    by its gate file."""

    @endpoint("/")
    def run(self, inp: SharedInput) -> SharedOutput:
        while inp.gate is not None and not Path(inp.gate).exists():
            time.sleep(0.02)
        value = float("nan") if inp.nan else 0.0
        return SharedOutput(pid=os.getpid(), attempt=current_request().attempt, value=value)


class Attempt(BaseModel):
    attempt: int


class GatedSetup(App, name="gated-setup", keep_alive=300):
    """``setup()`` writes the runner's pid to ``$SETUP_GATE_DIR/pid-<pid>``, then waits for
    ``$SETUP_GATE_DIR/open``: a test can kill a runner while it starts."""

    def setup(self) -> None:
        folder = Path(os.environ["SETUP_GATE_DIR"])
        (folder / f"pid-{os.getpid()}").write_text(str(os.getpid()))
        while not (folder / "open").exists():
            time.sleep(0.02)

    @endpoint("/")
    def run(self) -> Attempt:
        return Attempt(attempt=current_request().attempt)


class BrokenSetup(App, name="broken-setup", keep_alive=300):
    def setup(self) -> None:
        raise RuntimeError("weights missing")

    @endpoint("/")
    def run(self) -> Attempt:
        return Attempt(attempt=current_request().attempt)
