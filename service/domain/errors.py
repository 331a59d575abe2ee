"""Domain errors: what went wrong, in the product's words.

The HTTP edge maps each class to one status code; nothing here knows HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """Base class; ``message`` is safe to show to the caller, and ``errors``, when
    given, says which fields (or facts) the refusal is about."""

    def __init__(self, message: str, errors: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: dict[str, Any] = dict(errors or {})


class NotFound(DomainError):
    """Missing, or belonging to another organisation: the caller cannot tell which."""

    def __init__(self, entity: str) -> None:
        super().__init__(f"{entity} not found.")
        self.entity = entity


class Unauthenticated(DomainError):
    """No valid credentials."""


class Forbidden(DomainError):
    """Authenticated, but the access role or token scope does not allow this."""


class Conflict(DomainError):
    """The request is about the wrong state (duplicates, transitions, resources in use)."""


class Invalid(DomainError):
    """A malformed or invalid value; ``errors`` maps field names to messages."""


class PreconditionRequired(DomainError):
    """A write that must carry If-Match did not."""


class PreconditionFailed(DomainError):
    """The If-Match value is stale: someone else changed the resource first."""


class TooManyRequests(DomainError):
    """A rate limit was hit; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
