"""Runs: the durable queue, fal's inference surfaces, request records and the worker API."""
