"""Signed webhooks: fal's payloads and Ed25519 signatures, an outbox and its sender.

``impasto.webhooks.verify`` is the receivers' helper; this package's ``__init__`` imports
nothing, so receivers need neither FastAPI nor SQLAlchemy to use it.
"""
