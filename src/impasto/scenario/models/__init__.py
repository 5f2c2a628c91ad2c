"""Scenario's ``/scenario/v1/models`` over the model catalog."""
