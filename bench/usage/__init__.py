"""Metering benchmark: the completion's cost with and without the ledger write, and usage
reports over a large ledger. Run with ``python -m bench.usage``; see bench/README.md."""
