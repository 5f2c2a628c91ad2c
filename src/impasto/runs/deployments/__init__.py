"""Deployed apps: which app class serves ``owner/name``, and where a called path lands."""
