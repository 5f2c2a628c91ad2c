"""Asset search: the browse scope, the keyword and vector legs, and their fusion."""
