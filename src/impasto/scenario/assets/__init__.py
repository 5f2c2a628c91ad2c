"""Scenario's ``/scenario/v1/assets`` and asset search over the asset library."""
