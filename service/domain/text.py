"""Text PostgreSQL cannot store: a NUL character, or half of a surrogate pair (which
UTF-8 cannot encode). Every edge refuses it as a field or row error (the JSON API's
schemas, the people CSV), so it is never met as a driver error."""

from __future__ import annotations

UNSTORABLE = "Contains a character that cannot be stored (NUL, or an unpaired surrogate)."


def storable(text: str) -> bool:
    """Whether PostgreSQL can store ``text`` as it is."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
