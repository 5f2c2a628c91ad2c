"""Impasto Studio: the web app at ``/``, a client of the public API.

Its own routes are only sign-in, sign-out and the pages and files it serves; everything it
shows comes from ``/v1``, ``/queue`` and ``/files`` called by the browser with the session
cookie (docs/architecture/studio.md).
"""
