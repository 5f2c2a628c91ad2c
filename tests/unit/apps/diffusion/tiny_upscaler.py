"""A 4x Stable Diffusion upscaler small enough for a test: the tiny pipeline's text
encoder and tokenizer, a UNet that takes the low-resolution image beside the latents
(7 channels, noise level as a class embedding) and a VAE with a 4x decoder."""

from __future__ import annotations

from pathlib import Path


def build_tiny_upscaler(base: Path, target: Path) -> Path:
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        DDPMScheduler,
        StableDiffusionPipeline,
        StableDiffusionUpscalePipeline,
        UNet2DConditionModel,
    )

    parts = StableDiffusionPipeline.from_pretrained(base)
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=8,
        in_channels=7,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16,
        norm_num_groups=4,
        attention_head_dim=2,
        num_class_embeds=1000,
    )
    vae = AutoencoderKL(
        block_out_channels=(8, 16, 16),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 3,
        up_block_types=("UpDecoderBlock2D",) * 3,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=16,
        scaling_factor=0.08333,
    )
    pipeline = StableDiffusionUpscalePipeline(
        vae=vae,
        text_encoder=parts.text_encoder,
        tokenizer=parts.tokenizer,
        unet=unet,
        low_res_scheduler=DDPMScheduler(),
        scheduler=DDIMScheduler(),
        max_noise_level=350,
    )
    pipeline.save_pretrained(target)
    return target
