"""Built-in apps: real tools that run on a CPU with nothing to download.

``BUILTIN_APPS`` maps each always-on built-in's endpoint id prefix (owner ``impasto``) to
its import path, for the catalog to register. ``builtin_apps()`` gives the full set for a
deployment, with the runner environment each app needs: it leaves
``impasto/text-embedding`` out when its weights package is not installed. Generation apps
are not built-ins: the weights manager deploys ``apps/diffusion`` under the endpoint ids an
operator aliases (``impasto models pull ... --as fal-ai/flux/dev``).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

BUILTIN_OWNER = "impasto"

BUILTIN_APPS: dict[str, str] = {
    "impasto/debug": "impasto.apps.debug:DebugApp",
    "impasto/image-tools": "impasto.apps.image_tools:ImageToolsApp",
    "impasto/text-embedding": "impasto.apps.text_embedding:TextEmbeddingApp",
}


@dataclass(frozen=True)
class BuiltinApp:
    import_path: str
    env: Mapping[str, str] = field(default_factory=dict)
    """Extra runner environment (``RunnerSpec.env``); never the server's own settings."""


def builtin_apps(*, minilm_installed: bool | None = None) -> dict[str, BuiltinApp]:
    """The built-ins this deployment can serve, by endpoint id prefix.

    ``minilm_installed`` defaults to whether the MiniLM weights package is importable.
    """
    from impasto.embedders.minilm import packaged_model_dir

    if minilm_installed is None:
        minilm_installed = packaged_model_dir() is not None
    apps = {prefix: BuiltinApp(path) for prefix, path in BUILTIN_APPS.items()}
    if not minilm_installed:
        del apps["impasto/text-embedding"]
    return apps


__all__ = ["BUILTIN_APPS", "BUILTIN_OWNER", "BuiltinApp", "builtin_apps"]
