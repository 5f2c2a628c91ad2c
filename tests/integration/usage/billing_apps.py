"""An app that reports what its requests bill, as fal's apps do."""

from __future__ import annotations

from pydantic import BaseModel

from impasto.sdk import App, endpoint, set_billable_units


class Ask(BaseModel):
    units: float | None = None
    chunks: int = 0


class Done(BaseModel):
    ok: bool = True


class Metered(App, name="metered"):
    @endpoint("/")
    def run(self, inp: Ask) -> Done:
        if inp.units is not None:
            set_billable_units(inp.units)
        return Done()
