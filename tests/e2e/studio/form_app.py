"""An app whose input uses every kind of field the playground generates; it echoes it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from impasto.sdk import App, endpoint


class Size(BaseModel):
    width: int = Field(default=512, ge=64, le=2048, description="Pixels across.")
    height: int = Field(default=512, ge=64, le=2048, description="Pixels down.")


class FormInput(BaseModel):
    prompt: str = Field(max_length=2000, description="What to draw.")
    style: Literal["photo", "anime", "sketch"] = Field(default="photo")
    steps: int = Field(default=20, ge=1, le=50)
    guidance: float = Field(default=7.5, ge=0, le=20)
    seed: int | None = Field(default=None, description="Same seed, same picture.")
    tiled: bool = False
    size: Size = Field(default_factory=Size)
    tags: list[str] = Field(default_factory=list)
    mask: str | int | None = Field(default=None, description="A mask URL or a preset number.")


class FormOutput(BaseModel):
    received: JsonValue


class FormApp(App, name="form", keep_alive=60):
    @endpoint("/")
    async def run(self, inp: FormInput) -> FormOutput:
        return FormOutput(received=inp.model_dump())
