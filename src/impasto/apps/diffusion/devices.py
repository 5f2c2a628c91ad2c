"""Where a pipeline runs: CUDA, Apple MPS or the CPU, picked automatically unless the
operator names one (``IMPASTO_DIFFUSION_DEVICE`` in the app's or the worker's runner
environment); the dtype follows the device, and a pipeline bigger than the free GPU memory
is offloaded to the CPU between uses of its parts rather than failing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

DEVICE_ENV = "IMPASTO_DIFFUSION_DEVICE"
DEVICES = ("cuda", "mps", "cpu")
# Weights are not all the memory a generation takes (activations, the VAE decode):
# offload unless the weights fit in this share of what is free.
FIT_SHARE = 0.7


@dataclass(frozen=True)
class Placement:
    device: str
    dtype: str  # float16 | bfloat16 | float32
    offload: bool


def choose_device(wanted: str | None, *, cuda: bool, mps: bool) -> str:
    """``wanted`` (``auto`` or unset: the best there is) -> a device that exists."""
    wanted = (wanted or "auto").strip().lower()
    if wanted == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    base = wanted.split(":", 1)[0]
    if base not in DEVICES:
        raise ValueError(f"{DEVICE_ENV}={wanted!r}: use auto, cuda, cuda:N, mps or cpu")
    if (base == "cuda" and not cuda) or (base == "mps" and not mps):
        raise ValueError(f"{DEVICE_ENV}={wanted!r}: no such device on this machine")
    return wanted


def dtype_for(device: str, family: str, *, bf16: bool) -> str:
    """Half precision on GPUs (bfloat16 for FLUX and SD3, which overflow in float16, where
    the GPU has it); float32 on the CPU, where half precision is slow or missing."""
    if device.startswith("cpu"):
        return "float32"
    if family in ("flux", "sd3") and bf16:
        return "bfloat16"
    return "float16"


def place(
    family: str,
    weights_bytes: int,
    *,
    wanted: str | None = None,
    probe: Any = None,
) -> Placement:
    """Decide where and how to load ``weights_bytes`` of a ``family`` pipeline.

    ``probe`` answers ``cuda()``, ``mps()``, ``bf16()`` and ``free_bytes(device)``; by
    default torch is asked."""
    probe = probe or TorchProbe()
    device = choose_device(
        wanted or os.environ.get(DEVICE_ENV),
        cuda=probe.cuda(),
        mps=probe.mps(),
    )
    dtype = dtype_for(device, family, bf16=device.startswith("cuda") and probe.bf16())
    offload = False
    if device.startswith("cuda"):
        on_device = weights_bytes // 2 if dtype != "float32" else weights_bytes
        offload = on_device > FIT_SHARE * probe.free_bytes(device)
    return Placement(device=device, dtype=dtype, offload=offload)


class TorchProbe:
    def cuda(self) -> bool:
        import torch

        return bool(torch.cuda.is_available())

    def mps(self) -> bool:
        import torch

        backend = getattr(torch.backends, "mps", None)
        return bool(backend is not None and backend.is_available())

    def bf16(self) -> bool:
        import torch

        return bool(torch.cuda.is_bf16_supported())

    def free_bytes(self, device: str) -> int:
        import torch

        free, _total = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
