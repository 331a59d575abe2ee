"""Optimistic concurrency: writes carry the version they last read."""

from __future__ import annotations

from service.domain.errors import PreconditionFailed, PreconditionRequired


def check_version(current: int, expected: int | None, *, required: bool = False) -> None:
    """Refuse a write based on a stale read; ``expected`` None means no If-Match was sent."""
    if expected is None:
        if required:
            raise PreconditionRequired(
                "This write needs an If-Match header with the ETag you last read"
                " (If-Match: * does not say which version that was)."
            )
        return
    if expected != current:
        raise PreconditionFailed("The resource changed since you read it; read it again.")
