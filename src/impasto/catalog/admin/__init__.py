"""Catalog administration: entries and prices managed over HTTP."""
