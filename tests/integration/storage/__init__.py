"""The storage contract, run against every ObjectStore adapter."""
