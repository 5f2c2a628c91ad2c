"""LoRAs given by URL for one request: fetched through the platform, loaded as adapters,
and unloaded afterwards so the next request starts from the plain model."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from impasto.apps.diffusion.schemas import LoraWeight
from impasto.sdk import FieldException, RequestContext


@contextmanager
def applied(pipe: Any, loras: Sequence[LoraWeight], ctx: RequestContext) -> Iterator[None]:
    if not loras:
        yield
        return
    names = []
    with tempfile.TemporaryDirectory(prefix="impasto-lora-") as folder:
        try:
            for index, lora in enumerate(loras):
                data = ctx.fetch(lora.path)
                file = Path(folder) / f"lora{index}.safetensors"
                file.write_bytes(data)
                name = f"request_lora_{index}"
                try:
                    pipe.load_lora_weights(folder, weight_name=file.name, adapter_name=name)
                except Exception as exc:  # a file that is no LoRA of this model fails anyhow
                    raise FieldException(
                        f"loras.{index}.path", f"not a LoRA this model can load: {exc}"
                    ) from None
                names.append(name)
            pipe.set_adapters(names, adapter_weights=[lora.scale for lora in loras])
            yield
        finally:
            if names:
                pipe.unload_lora_weights()
