"""A synthetic but realistic model catalog, the same for a given seed and size.

Vendors and hobbyist owners, model families and variants ("flux-dev-lora"), fal's
categories in realistic proportions, tags, descriptions of some dozens of words drawn with
a Zipf-like skew from a domain vocabulary (so "image" and "model" are everywhere and "lipsync"
is rare, as in a real catalog), a few percent private or unlisted entries spread over several
owners, and heavy-tailed request counts.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


def _words(text: str) -> list[str]:
    return text.split()


VENDORS = _words(
    "fal-ai black-forest-labs stability-ai openai meta google alibaba tencent bytedance "
    "runway pika luma minimax kuaishou ideogram recraft playground lykon nvidia microsoft "
    "mistral qwen deepseek hunyuan lightricks genmo rhymes suno elevenlabs resemble"
)
# Owners who also keep private work; the benchmark's key belongs to the first one.
STUDIOS = [f"studio-{name}" for name in _words("alpha beta gamma delta epsilon zeta eta theta")]
HOBBYISTS = [f"user-{n:03d}" for n in range(120)]

FAMILIES = _words(
    "flux stable-diffusion sdxl sd3 whisper kling wan hunyuan-video ltx-video musicgen llava "
    "sam depth-anything real-esrgan controlnet ip-adapter instantid photomaker animatediff "
    "stable-video-diffusion cogvideox mochi bark xtts f5-tts kokoro qwen-image hidream "
    "recraft ideogram imagen veo seedream seedance hailuo pixart kandinsky playground lcm "
    "aura-flow omnigen sana lumina trellis hunyuan3d triposr birefnet florence moondream "
    "clarity-upscaler supir codeformer gfpgan latentsync sync-lipsync mmaudio stable-audio "
    "riffusion chatterbox dia orpheus parler-tts nemotron"
)
VARIANTS = _words(
    "dev schnell pro ultra lite turbo lightning v1 v2 v3 v1-5 v2-1 xl large medium small "
    "tiny fast hd max plus 1-1 2-0 2-1 3-5 realism anime base instruct edit fill redux"
)
# Most endpoints are the app's root; the rest a sub-path, as fal's "flux/dev/image-to-image".
PATHS = [""] * 5 + _words(
    "image-to-image inpainting lora redux text-to-video image-to-video edit upscale "
    "depth canny outpaint stream realtime"
)
CATEGORIES = (
    ("text-to-image", 34),
    ("image-to-image", 16),
    ("image-to-video", 10),
    ("text-to-video", 8),
    ("video-to-video", 4),
    ("text-to-speech", 5),
    ("speech-to-text", 3),
    ("text-to-audio", 3),
    ("audio-to-audio", 2),
    ("image-to-3d", 2),
    ("vision", 4),
    ("llm", 4),
    ("upscaling", 3),
    ("training", 2),
)
TAGS = _words(
    "lora fast realism anime portrait stylized commercial open-source editing inpainting "
    "controlnet upscale motion lipsync voice music 3d depth segmentation photorealistic "
    "turbo beta new trending typography logo product fashion architecture character "
    "cinematic illustration pixel-art watercolor sketch consistent-character"
)
COLLECTIONS = [f"col-{n:02d}" for n in range(30)]
# Frequent words first: the draw is skewed towards the head of this list.
VOCABULARY = _words(
    "image model high quality generate images with the and for from a of to in fast "
    "video text prompt style detailed realistic resolution output input your any using "
    "support control guidance steps seed photo portrait scene lighting faces hands "
    "motion camera frames smooth consistent character subject background foreground "
    "edit mask inpaint outpaint upscale enhance restore sharpen denoise colour color "
    "audio speech voice music sound clone language languages transcription translate "
    "reference pose depth edges canny segmentation object detection caption describe "
    "anime cartoon illustration painting watercolor oil sketch pixel art cinematic film "
    "product fashion architecture interior landscape nature animal food logo typography "
    "poster banner marketing commercial license research open weights fine tuned lora "
    "adapter checkpoint distilled quantized efficient latency throughput batch gpu "
    "memory cheap affordable premium state art leading best new improved version "
    "release update stable experimental preview beta production ready api endpoint "
    "streaming realtime websocket queue webhook json schema parameters aspect ratio "
    "square landscape portrait vertical horizontal widescreen 4k 1080p 720p hdr "
    "diffusion transformer flow matching autoregressive latent vae encoder decoder "
    "attention layers training dataset curated filtered safety nsfw checker watermark "
    "lipsync avatar talking head dubbing subtitles podcast narration audiobook singing "
    "instrument drums piano guitar ambient soundtrack effects foley 3d mesh texture "
    "gaussian splat point cloud normal map rig animation keyframes interpolation "
    "slow motion timelapse loop gif transparent alpha matting remove replace swap "
    "face identity likeness preserve keep multiple people group crowd scale zoom pan"
)


@dataclass(frozen=True, slots=True)
class Synthetic:
    """One entry: the import spec plus what only traffic sets (popularity)."""

    spec: dict[str, Any]
    request_count: int
    created_at: datetime


def owners() -> list[str]:
    return [*VENDORS, *STUDIOS, *HOBBYISTS]


def generate(count: int, seed: int = 20261121) -> Iterator[Synthetic]:
    rng = random.Random(seed)  # noqa: S311  - reproducible data, not secrets
    vocabulary_weights = [1.0 / (rank + 8) for rank in range(len(VOCABULARY))]
    categories = [name for name, _ in CATEGORIES]
    category_weights = [weight for _, weight in CATEGORIES]
    all_owners = owners()
    owner_weights = [40.0] * len(VENDORS) + [10.0] * len(STUDIOS) + [1.0] * len(HOBBYISTS)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    seen: set[str] = set()
    while len(seen) < count:
        owner = rng.choices(all_owners, owner_weights)[0]
        family = rng.choice(FAMILIES)
        variant = rng.choice(VARIANTS)
        path = rng.choice(PATHS)
        app = f"{family}-{variant}-{rng.randrange(36**3):03x}"
        endpoint_id = f"{owner}/{app}" + (f"/{path}" if path else "")
        if endpoint_id in seen:
            continue
        seen.add(endpoint_id)
        words = rng.choices(VOCABULARY, vocabulary_weights, k=rng.randint(20, 70))
        title = family.replace("-", " ").title()
        display = f"{title} {variant.replace('-', '.').upper()}" + (
            f" {path.replace('-', ' ')}" if path else ""
        )
        roll = rng.random()
        may_hide = owner in STUDIOS or owner in HOBBYISTS
        privacy = "private" if may_hide and roll < 0.3 else "public"
        if may_hide and 0.3 <= roll < 0.4:
            privacy = "unlisted"
        spec: dict[str, Any] = {
            "endpoint_id": endpoint_id,
            "display_name": display,
            "category": rng.choices(categories, category_weights)[0],
            "description": f"{display}: " + " ".join(words).capitalize() + ".",
            "status": "deprecated" if rng.random() < 0.1 else "active",
            "tags": rng.sample(TAGS, rng.choice((0, 1, 1, 2, 2, 3, 4, 5))),
            "thumbnail_url": f"https://cdn.example.com/thumbs/{app}.webp",
            "license_type": rng.choice(("commercial", "research", "private")),
            "highlighted": rng.random() < 0.01,
            "pinned": rng.random() < 0.0005,
            "privacy": privacy,
            "type": rng.choice(("custom", "base", "lora", None)),
            "collections": rng.sample(COLLECTIONS, rng.choice((0, 0, 0, 1, 2))),
        }
        created = start + timedelta(seconds=rng.randrange(2 * 365 * 86400))
        popularity = int(rng.paretovariate(1.1) * 10) - 10
        yield Synthetic(spec=spec, request_count=max(popularity, 0), created_at=created)
