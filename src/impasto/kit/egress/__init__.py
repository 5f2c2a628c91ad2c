"""Outbound HTTP on a user's behalf: which addresses may be reached, and the fetcher."""
