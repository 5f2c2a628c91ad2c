"""Device, dtype and offload choices, with the machine described by a probe."""

from dataclasses import dataclass

import pytest

from impasto.apps.diffusion.devices import choose_device, dtype_for, place

GIB = 1024**3


@dataclass
class Machine:
    has_cuda: bool = False
    has_mps: bool = False
    has_bf16: bool = False
    free: int = 0

    def cuda(self) -> bool:
        return self.has_cuda

    def mps(self) -> bool:
        return self.has_mps

    def bf16(self) -> bool:
        return self.has_bf16

    def free_bytes(self, device: str) -> int:
        return self.free


def test_auto_takes_the_best_device_there_is() -> None:
    assert choose_device(None, cuda=True, mps=False) == "cuda"
    assert choose_device("auto", cuda=False, mps=True) == "mps"
    assert choose_device("", cuda=False, mps=False) == "cpu"


def test_an_override_must_exist() -> None:
    assert choose_device("cpu", cuda=True, mps=False) == "cpu"
    assert choose_device("cuda:1", cuda=True, mps=False) == "cuda:1"
    with pytest.raises(ValueError, match="no such device"):
        choose_device("cuda", cuda=False, mps=False)
    with pytest.raises(ValueError, match="use auto, cuda"):
        choose_device("tpu", cuda=True, mps=False)


def test_dtype_follows_the_device() -> None:
    assert dtype_for("cpu", "flux", bf16=True) == "float32"
    assert dtype_for("cuda", "flux", bf16=True) == "bfloat16"
    assert dtype_for("cuda", "flux", bf16=False) == "float16"
    assert dtype_for("cuda", "sdxl", bf16=True) == "float16"
    assert dtype_for("mps", "sd15", bf16=False) == "float16"


def test_offload_when_the_weights_do_not_fit() -> None:
    roomy = place("sdxl", 14 * GIB, probe=Machine(has_cuda=True, free=20 * GIB))
    assert (roomy.device, roomy.dtype, roomy.offload) == ("cuda", "float16", False)
    tight = place("flux", 48 * GIB, probe=Machine(has_cuda=True, has_bf16=True, free=20 * GIB))
    assert (tight.device, tight.dtype, tight.offload) == ("cuda", "bfloat16", True)
    cpu = place("flux", 48 * GIB, probe=Machine())
    assert (cpu.device, cpu.dtype, cpu.offload) == ("cpu", "float32", False)


def test_the_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPASTO_DIFFUSION_DEVICE", "cpu")
    assert place("sdxl", GIB, probe=Machine(has_cuda=True, free=80 * GIB)).device == "cpu"


def test_a_route_without_a_device_is_placed_per_machine() -> None:
    from impasto.apps.diffusion.routes import Route

    stored = {
        "task": "text-to-image",
        "model": "m",
        "path": "/w",
        "source": "hub",
        "family": "sdxl",
        "pipeline_class": "StableDiffusionXLPipeline",
    }
    assert Route.from_json(stored).device is None
    assert Route.from_json({**stored, "device": "cuda:1"}).device == "cuda:1"
    assert Route.from_json(Route.from_json(stored).to_json()) == Route.from_json(stored)
