"""Marker for objects that belong to one organisation (tenant)."""

from __future__ import annotations


class TenantOwned:
    """Every instance carries ``org_id``; the data layer scopes all queries by it."""

    __slots__ = ()
