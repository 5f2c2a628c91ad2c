"""Request records on the Platform API: history, search, payload deletion, app queues."""
