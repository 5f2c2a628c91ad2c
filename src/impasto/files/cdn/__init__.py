"""fal's CDN surface: uploads to ``/files/upload`` and serving ``/files/b/...``."""
