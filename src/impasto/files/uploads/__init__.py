"""Uploads: storage tokens, two-step and multipart uploads, streamed bodies."""
