"""Logs as a product: the log lines requests wrote (``run_events`` of kind ``log``, the same
rows ``/status?logs=1`` shows), searched and followed across an owner's apps."""
