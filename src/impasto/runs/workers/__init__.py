"""The platform's side of remote workers: the ``/worker/v1`` API."""
