"""Every slot a ``deps.py`` declares is filled by ``create_app``: a forgotten ``provide``
would otherwise surface only when a request first reaches the endpoint that needs it."""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import FastAPI

import impasto
from impasto.deps import Provided


def declared_slots() -> dict[str, Provided[object]]:
    slots: dict[str, Provided[object]] = {}
    for module in pkgutil.walk_packages(impasto.__path__, "impasto."):
        if module.name.rsplit(".", 1)[-1] != "deps":
            continue
        for name, value in vars(importlib.import_module(module.name)).items():
            if isinstance(value, Provided):
                slots[f"{module.name}.{name}"] = value
    return slots


def test_create_app_provides_every_slot_a_deps_module_declares(app: FastAPI) -> None:
    slots = declared_slots()
    assert {"impasto.deps.DATABASE", "impasto.files.deps.FILES"} <= slots.keys()
    missing = [where for where, slot in slots.items() if slot not in app.state.provided]
    assert missing == []
