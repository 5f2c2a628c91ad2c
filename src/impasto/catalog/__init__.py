"""The model catalog: entries, search, favorites, prices and fal's ``GET /v1/models``."""
