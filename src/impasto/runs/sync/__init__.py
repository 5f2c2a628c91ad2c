"""Synchronous calls: ``/run`` (and its SSE stream), HTTP-over-WebSocket and realtime."""
