"""Model weights: pulled from the Hugging Face Hub or imported from disk, recorded in the
database, and served under fal endpoint ids (docs/architecture/weights.md)."""
