"""The worker agent: runs deployed apps in runner processes and serves the queue.

One agent per machine. ``impasto serve`` starts one in-process (``LocalLink``: straight to
the database); ``impasto worker --api URL --key KEY`` runs the same agent on another
machine (``HttpLink``: over HTTP, no database credentials). See
docs/architecture/queue.md.
"""
