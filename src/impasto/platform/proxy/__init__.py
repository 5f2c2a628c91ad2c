"""fal's server proxy (``@fal-ai/server-proxy``) at ``/api/fal/proxy``: a fal URL in
``x-fal-target-url`` is answered by the route of this server that serves the same surface."""
