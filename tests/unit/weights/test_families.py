"""Which files a pipeline needs from a repository, and what a checkpoint is."""

import pytest

from impasto.weights.errors import NotAPipeline
from impasto.weights.families import family_of, select_files, single_file_family, variant_of

SDXL_REPO = [
    "model_index.json",
    "README.md",
    "sd_xl_base_1.0.safetensors",
    "sd_xl_base_1.0_0.9vae.safetensors",
    "scheduler/scheduler_config.json",
    "text_encoder/config.json",
    "text_encoder/model.safetensors",
    "text_encoder/model.fp16.safetensors",
    "text_encoder/pytorch_model.bin",
    "text_encoder/openvino_model.bin",
    "tokenizer/vocab.json",
    "tokenizer/merges.txt",
    "unet/config.json",
    "unet/diffusion_pytorch_model.safetensors",
    "unet/diffusion_pytorch_model.fp16.safetensors",
    "unet/diffusion_flax_model.msgpack",
    "unet/model.onnx",
    "vae/config.json",
    "vae/diffusion_pytorch_model.bin",
]
COMPONENTS = ["scheduler", "text_encoder", "tokenizer", "unet", "vae"]


def test_one_format_and_precision_per_component() -> None:
    assert select_files(SDXL_REPO, COMPONENTS, None) == [
        "model_index.json",
        "scheduler/scheduler_config.json",
        "text_encoder/config.json",
        "text_encoder/model.safetensors",
        "tokenizer/merges.txt",
        "tokenizer/vocab.json",
        "unet/config.json",
        "unet/diffusion_pytorch_model.safetensors",
        "vae/config.json",
        "vae/diffusion_pytorch_model.bin",  # no safetensors there: the .bin
    ]


def test_a_variant_and_its_absence() -> None:
    chosen = select_files(SDXL_REPO[:-1], [c for c in COMPONENTS if c != "vae"], "fp16")
    assert "unet/diffusion_pytorch_model.fp16.safetensors" in chosen
    assert "text_encoder/model.fp16.safetensors" in chosen
    assert "unet/diffusion_pytorch_model.safetensors" not in chosen
    with pytest.raises(NotAPipeline, match=r"vae/ has no safetensors or \.bin weights of variant"):
        select_files(SDXL_REPO, COMPONENTS, "fp16")


def test_sharded_weights_come_whole() -> None:
    listing = [
        "model_index.json",
        "transformer/config.json",
        "transformer/diffusion_pytorch_model.safetensors.index.json",
        "transformer/diffusion_pytorch_model-00001-of-00002.safetensors",
        "transformer/diffusion_pytorch_model-00002-of-00002.safetensors",
    ]
    assert select_files(listing, ["transformer"], None) == listing


def test_names() -> None:
    assert variant_of("unet/diffusion_pytorch_model.fp16.safetensors") == "fp16"
    assert variant_of("unet/diffusion_pytorch_model-00001-of-00002.safetensors") is None
    assert family_of("FluxPipeline") == "flux"
    assert family_of("StableDiffusionXLPipeline") == "sdxl"
    assert family_of("WanPipeline") == "other"


@pytest.mark.parametrize(
    ("keys", "family"),
    [
        (["double_blocks.0.img_attn.norm.key_norm.scale"], "flux"),
        (["model.diffusion_model.joint_blocks.0.x_block.attn.qkv.weight"], "sd3"),
        (["conditioner.embedders.1.model.ln_final.weight"], "sdxl"),
        (
            [
                "model.diffusion_model.input_blocks.0.0.weight",
                "cond_stage_model.transformer.text_model.final_layer_norm.weight",
            ],
            "sd15",
        ),
    ],
)
def test_single_file_families(keys: list[str], family: str) -> None:
    assert single_file_family(keys) == family


def test_an_unknown_checkpoint_is_refused() -> None:
    with pytest.raises(NotAPipeline, match="not a checkpoint of a known family"):
        single_file_family(["encoder.layer.0.weight"])
