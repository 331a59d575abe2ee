"""Versions as ETags: the ``ETag`` of an answer, and the version an ``If-Match`` names.

An entity's ETag is its version column (``"v3"``), so ``If-Match`` compares versions
(``application.concurrency.check_version`` decides whether a write needs one).
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from flask import g, request


def etag_for(version: int) -> str:
    return f'"v{version}"'


def set_etag(version: int) -> None:
    """The response's ETag, written by ``api.requests`` on a successful answer."""
    g.response_etag = etag_for(version)


class Versioned(Protocol):
    version: int


V = TypeVar("V", bound=Versioned)


def with_etag(entity: V) -> V:
    """Answer ``entity`` with the ETag of its version."""
    set_etag(entity.version)
    return entity


#: What an If-Match that names no version of ours stands for: it matches none.
NO_VERSION = -1


def if_match_version() -> int | None:
    """The version the client last read, from ``If-Match``; None when absent or ``*``
    (whether a write needs it is the use case's rule:
    ``application.concurrency.check_version``). A weak or foreign tag matches no version
    (If-Match compares strongly), so the write answers 412. So do several versions at once:
    a write is based on one version, and which of them is current is not for the client
    to leave open (the answer would depend on the order they were read in)."""
    header = request.if_match
    if header.star_tag or not request.headers.get("If-Match", "").strip():
        return None
    named = {int(tag[1:]) for tag in header if tag.startswith("v") and tag[1:].isdigit()}
    return named.pop() if len(named) == 1 else NO_VERSION


ETAG_HEADER = "ETag"
ETAG_HEADER_DOC = {
    "description": "The version of what the answer shows. Send it back as `If-Match` to "
    "write it: a write based on an older version is then refused (412).",
    "schema": {"type": "string"},
}
IF_MATCH = "IfMatch"
IF_MATCH_REQUIRED = "IfMatchRequired"


def if_match_doc(required: bool) -> dict[str, Any]:
    rule = (
        "Required: without it (or with `*`, which names no version) the write answers 428."
        if required
        else "Optional: without it (or with `*`) the write goes ahead whatever changed since."
    )
    return {
        "name": "If-Match",
        "in": "header",
        "required": required,
        "schema": {"type": "string"},
        "description": "The `ETag` of the resource as you last read it. When the resource "
        "changed since (or the value is no ETag of its current version, or names several "
        f"versions), the write answers 412 and changes nothing: read it again. {rule}",
    }
