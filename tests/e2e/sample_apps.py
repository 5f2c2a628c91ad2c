"""An app the end-to-end tests deploy themselves: text in, a text file out.

Given a file, it reads it first (through the worker's input fetching) and puts its text
in front, so two calls chain an output file of this server into an input.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from impasto.sdk import App, File, endpoint


class ShoutInput(BaseModel):
    text: str = Field(max_length=1000, description="Text to shout.")
    file: File | None = Field(default=None, description="A text file to shout first.")


class ShoutOutput(BaseModel):
    text: str = Field(description="The text, upper-cased.")
    file: File = Field(description="The same text as a file.")


class ShoutApp(App, name="shout", keep_alive=60):
    @endpoint("/")
    async def run(self, inp: ShoutInput) -> ShoutOutput:
        text = inp.text
        if inp.file is not None:
            text = (await inp.file.aread()).decode() + " " + text
        shouted = text.upper()
        return ShoutOutput(
            text=shouted,
            file=File.from_bytes(shouted.encode(), "text/plain", "shout.txt"),
        )
