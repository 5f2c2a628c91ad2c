"""API keys: creation, listing, revocation and authentication of ``Key id:secret``."""
