"""Theory side of the reciprocal-space view (placeholder, filled below)."""

__all__ = []
