"""``impasto/text-embedding``: sentence embeddings from all-MiniLM-L6-v2 on the CPU.

The input is shaped like OpenAI's embeddings API (``input``: one string or a list); the
output has one vector per input, in order, each of norm 1 so that a dot product is the
cosine similarity. Texts longer than 256 tokens are truncated, as sentence-transformers
does for this model.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from impasto.embedders.minilm import MAX_TOKENS, MODEL_NAME, MiniLMTextEncoder
from impasto.sdk import App, endpoint

MAX_TEXTS = 256
MAX_CHARS = 20_000  # far past 256 tokens; bounds the tokenizer's work per text

Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CHARS)]


class EmbeddingInput(BaseModel):
    input: Text | Annotated[list[Text], Field(min_length=1, max_length=MAX_TEXTS)] = Field(
        description=(
            f"The text to embed, or a list of up to {MAX_TEXTS} texts. Each must be 1 to "
            f"{MAX_CHARS} characters; only the first {MAX_TOKENS} tokens count."
        ),
        examples=["A watercolor fox in the snow", ["a red car", "a crimson automobile"]],
    )


class EmbeddingUsage(BaseModel):
    prompt_tokens: int = Field(description="Tokens read across all inputs, after truncation.")
    total_tokens: int = Field(description="Same as prompt_tokens; kept for OpenAI's shape.")


class EmbeddingOutput(BaseModel):
    embeddings: list[list[float]] = Field(
        description=(
            "One vector per input text, in input order (a list even for a single string). "
            "Each has `dimensions` floats and unit length: dot products are cosine similarities."
        )
    )
    model: str = Field(description="The model that made the vectors.", examples=[MODEL_NAME])
    dimensions: int = Field(description="Length of each vector.", examples=[384])
    usage: EmbeddingUsage = Field(description="Token counts, for metering.")


class TextEmbeddingApp(App, name="text-embedding", keep_alive=600, max_multiplexing=2):
    def setup(self) -> None:
        self.encoder = MiniLMTextEncoder()
        self.encoder.load()

    @endpoint("/")
    def embed(self, inp: EmbeddingInput) -> EmbeddingOutput:
        texts = [inp.input] if isinstance(inp.input, str) else inp.input
        vectors = self.encoder.encode(texts)
        tokens = sum(self.encoder.token_counts(texts))
        return EmbeddingOutput(
            embeddings=vectors.tolist(),
            model=MODEL_NAME,
            dimensions=self.encoder.dimensions,
            usage=EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens),
        )
