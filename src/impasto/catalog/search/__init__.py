"""The catalog's ranked search and browse listings."""
