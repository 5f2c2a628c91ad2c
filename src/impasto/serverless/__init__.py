"""fal's Serverless operations on deployed apps: listing, revisions, events, runner history,
metrics."""
