"""The asset library: uploads and run files, organised and searchable (fal's /v1/assets)."""
