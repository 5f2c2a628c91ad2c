"""Health, platform metadata and metrics."""
