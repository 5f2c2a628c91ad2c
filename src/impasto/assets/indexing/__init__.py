"""The background indexer: sizes, thumbnails, posters and embeddings, off the request path."""
