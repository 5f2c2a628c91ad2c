"""Impasto: a self-hostable generative-media platform with fal-compatible APIs."""

__version__ = "0.1.0"
