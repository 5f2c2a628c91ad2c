"""Built-in apps: real tools that run on a CPU with nothing to download.

``BUILTIN_APPS`` maps each built-in's endpoint id prefix (owner ``impasto``) to its import
path, for the catalog to register.
"""

BUILTIN_OWNER = "impasto"

BUILTIN_APPS: dict[str, str] = {
    "impasto/debug": "impasto.apps.debug:DebugApp",
    "impasto/image-tools": "impasto.apps.image_tools:ImageToolsApp",
}

__all__ = ["BUILTIN_APPS", "BUILTIN_OWNER"]
