"""Organisation settings: defaults, partial changes, validation as a whole."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from service.domain.errors import Invalid
from service.domain.organisation import (
    Organisation,
    default_settings,
    merge_settings,
    validate_settings,
    validate_slug,
)


def errors_of(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(Invalid) as raised:
        merge_settings(current, changes)
    return raised.value.errors


def test_the_defaults_follow_the_product_spec() -> None:
    settings = default_settings()
    assert settings["rating_scale"] == {
        "min": 1,
        "max": 5,
        "labels": ["far below", "below", "meets", "exceeds", "far exceeds"],
    }
    assert settings["peer_anonymity_threshold"] == 3
    assert settings["ready_soon_max_gap"] == 1.0
    assert settings["ready_soon_min_mean_gap"] == -0.5
    validate_settings(settings)


def test_defaults_are_fresh_copies() -> None:
    first = default_settings()
    first["rating_scale"]["labels"].append("extra")
    assert len(default_settings()["rating_scale"]["labels"]) == 5


def test_a_partial_change_keeps_everything_else() -> None:
    current = default_settings()
    snapshot = copy.deepcopy(current)
    merged = merge_settings(current, {"peer_anonymity_threshold": 5})
    assert merged == {**snapshot, "peer_anonymity_threshold": 5}
    assert current == snapshot  # the input is not changed


def test_new_labels_alone_keep_the_range() -> None:
    labels = ["1", "2", "3", "4", "5"]
    merged = merge_settings(default_settings(), {"rating_scale": {"labels": labels}})
    assert merged["rating_scale"] == {"min": 1, "max": 5, "labels": labels}


def test_a_new_range_needs_its_labels() -> None:
    errors = errors_of(default_settings(), {"rating_scale": {"max": 4}})
    assert "labels" in errors["settings"]["rating_scale"]


def test_a_new_range_with_its_labels_is_accepted() -> None:
    merged = merge_settings(
        default_settings(), {"rating_scale": {"min": 0, "max": 3, "labels": list("abcd")}}
    )
    assert merged["rating_scale"] == {"min": 0, "max": 3, "labels": ["a", "b", "c", "d"]}


@pytest.mark.parametrize(
    ("scale", "field"),
    [
        ({"min": 3, "max": 3, "labels": ["x"]}, "max"),
        ({"min": 5, "max": 1, "labels": list("abcde")}, "max"),
        ({"min": 0, "max": 21, "labels": ["x"] * 22}, "max"),
        ({"min": 1, "max": 5, "labels": list("abcd")}, "labels"),
        ({"min": 1, "max": 5, "labels": list("abcdef")}, "labels"),
    ],
)
def test_an_invalid_scale_is_refused(scale: dict[str, Any], field: str) -> None:
    errors = errors_of(default_settings(), {"rating_scale": scale})
    assert field in errors["settings"]["rating_scale"]


def test_the_widest_scale_has_21_points() -> None:
    merge_settings(
        default_settings(), {"rating_scale": {"min": 0, "max": 20, "labels": ["x"] * 21}}
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ready_soon_max_gap": -0.1}, "ready_soon_max_gap"),
        ({"ready_soon_min_mean_gap": 0.1}, "ready_soon_min_mean_gap"),
        ({"peer_anonymity_threshold": 0}, "peer_anonymity_threshold"),
    ],
)
def test_thresholds_out_of_range_are_refused(changes: dict[str, Any], field: str) -> None:
    assert field in errors_of(default_settings(), changes)["settings"]


def test_all_errors_are_reported_at_once() -> None:
    errors = errors_of(
        default_settings(), {"ready_soon_max_gap": -1, "peer_anonymity_threshold": 0}
    )
    assert set(errors["settings"]) == {"ready_soon_max_gap", "peer_anonymity_threshold"}


def test_boundaries_are_allowed() -> None:
    merge_settings(
        default_settings(),
        {"ready_soon_max_gap": 0, "ready_soon_min_mean_gap": 0, "peer_anonymity_threshold": 1},
    )


@pytest.mark.parametrize("slug", ["a", "acme", "acme-product", "a1-b2", "x" * 64])
def test_valid_slugs(slug: str) -> None:
    validate_slug(slug)


@pytest.mark.parametrize(
    "slug", ["", "-acme", "acme-", "Acme", "acme product", "acme_product", "é", "x" * 65]
)
def test_invalid_slugs(slug: str) -> None:
    with pytest.raises(Invalid) as raised:
        validate_slug(slug)
    assert "slug" in raised.value.errors


def test_the_scale_range_of_an_organisation() -> None:
    import uuid

    org = Organisation(id=uuid.uuid4(), name="Acme", slug="acme")
    assert org.scale_range == (1, 5)
