"""The queue: submit, claim under a lease, finish, and fal's ``/queue`` surface on top."""
