"""A LoRA for the tiny test pipeline: random, non-zero adapters on the UNet's attention,
saved as diffusers saves LoRAs, so applying it visibly changes the images."""

from __future__ import annotations

from pathlib import Path


def build_tiny_lora(pipeline: Path, target: Path) -> Path:
    import torch
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    torch.manual_seed(1)
    unet = UNet2DConditionModel.from_pretrained(pipeline / "unet")
    config = LoraConfig(
        r=2,
        lora_alpha=2,
        target_modules=["to_q", "to_k", "to_v", "to_out.0"],
        init_lora_weights=False,  # random B too: a LoRA that changes something
    )
    unet.add_adapter(config)
    layers = get_peft_model_state_dict(unet)
    target.mkdir(parents=True, exist_ok=True)
    StableDiffusionPipeline.save_lora_weights(
        target, unet_lora_layers=layers, weight_name="tiny_lora.safetensors"
    )
    return target / "tiny_lora.safetensors"
