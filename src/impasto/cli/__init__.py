"""The ``impasto`` command line (Typer)."""
