"""Asset collections (manual and smart) and characters."""
