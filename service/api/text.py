"""Text PostgreSQL cannot store, anywhere in a JSON body (``domain.text`` says which),
refused at the edge as a field error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.domain.text import UNSTORABLE, storable


def _unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return not storable(value)
    if isinstance(value, Mapping):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_unstorable(item) for item in value)
    return False


def unstorable_fields(data: Any) -> dict[str, list[str]]:
    """Field errors for the top-level fields of ``data`` whose text cannot be stored."""
    if not isinstance(data, Mapping):
        return {"_schema": [UNSTORABLE]} if _unstorable(data) else {}
    return {
        str(name).encode("utf-8", "replace").decode(): [UNSTORABLE]
        for name, value in data.items()
        if _unstorable(name) or _unstorable(value)
    }
