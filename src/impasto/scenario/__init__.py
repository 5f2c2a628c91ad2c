"""A Scenario-style façade (``/scenario/v1/models``) over the same model catalog."""
