"""Queue benchmark: ``impasto/debug`` through /run and /queue against the bare runner.

Run with ``python -m bench.queue``; see bench/README.md ("Queue").
"""
