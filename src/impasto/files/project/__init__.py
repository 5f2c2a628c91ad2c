"""Project storage (fal's ``/v1/serverless/files``): an owner's tree of named files."""
