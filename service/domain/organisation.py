"""The organisation (tenant) and its settings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from service.domain.errors import Invalid

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")

DEFAULT_LABELS = ("far below", "below", "meets", "exceeds", "far exceeds")


def default_settings() -> dict[str, Any]:
    return {
        "rating_scale": {"min": 1, "max": 5, "labels": list(DEFAULT_LABELS)},
        "peer_anonymity_threshold": 3,
        "ready_soon_max_gap": 1.0,
        "ready_soon_min_mean_gap": -0.5,
    }


def merge_settings(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Apply a partial settings change and validate the result as a whole."""
    merged = {**current, **changes}
    if "rating_scale" in changes:
        scale = {**current["rating_scale"], **changes["rating_scale"]}
        if "labels" not in changes["rating_scale"] and (
            scale["min"] != current["rating_scale"]["min"]
            or scale["max"] != current["rating_scale"]["max"]
        ):
            raise Invalid(
                "A new scale needs its labels.",
                {"settings": {"rating_scale": {"labels": ["Give one label per point."]}}},
            )
        merged["rating_scale"] = scale
    validate_settings(merged)
    return merged


def validate_settings(settings: dict[str, Any]) -> None:
    scale = settings["rating_scale"]
    errors: dict[str, Any] = {}
    low, high, labels = scale["min"], scale["max"], scale["labels"]
    if high <= low:
        errors["rating_scale"] = {"max": ["Must be greater than min."]}
    elif high - low > 20:
        errors["rating_scale"] = {"max": ["A scale has at most 21 points."]}
    elif len(labels) != high - low + 1:
        errors["rating_scale"] = {
            "labels": [f"Give exactly {high - low + 1} labels, one per point from min to max."]
        }
    if settings["ready_soon_max_gap"] < 0:
        errors["ready_soon_max_gap"] = ["Must be zero or more."]
    if settings["ready_soon_min_mean_gap"] > 0:
        errors["ready_soon_min_mean_gap"] = ["Must be zero or less."]
    if settings["peer_anonymity_threshold"] < 1:
        errors["peer_anonymity_threshold"] = ["Must be at least 1."]
    if errors:
        raise Invalid("The settings are not valid.", {"settings": errors})


def validate_slug(slug: str) -> None:
    if not SLUG_PATTERN.match(slug):
        raise Invalid(
            "The slug is not valid.",
            {"slug": ["Use 1 to 64 lowercase letters, digits and inner hyphens."]},
        )


@dataclass(eq=False)
class Organisation:
    id: UUID
    name: str
    slug: str
    settings: dict[str, Any] = field(default_factory=default_settings)
    version: int = 1
    created_at: datetime | None = None

    @property
    def scale_range(self) -> tuple[int, int]:
        scale = self.settings["rating_scale"]
        return int(scale["min"]), int(scale["max"])
