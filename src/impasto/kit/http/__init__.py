"""The web kit: error rendering, request context, metrics. Knows HTTP, not business rules."""
