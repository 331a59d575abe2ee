"""What integrators read about webhooks in the OpenAPI document: each event type's data
(made from the code that builds it), the lack of an ordering guarantee, and what
happens to the deliveries queued when an endpoint changes or answers."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from service.domain.webhook_events import DATA_FIELDS
from service.domain.webhooks import EVENT_TYPES


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").get_json()
    return document


def _tag(spec: dict[str, Any]) -> str:
    (described,) = [t["description"] for t in spec["tags"] if t["name"] == "webhooks"]
    return str(described)


def test_each_event_types_data_is_listed_with_every_field(spec: dict[str, Any]) -> None:
    text = _tag(spec)
    assert list(DATA_FIELDS) == list(EVENT_TYPES)
    for event_type, fields in DATA_FIELDS.items():
        (line,) = [line for line in text.splitlines() if line.startswith(f"- `{event_type}`")]
        for name, meaning in fields.items():
            assert f"`{name}` ({meaning})" in line, (event_type, name)


def test_no_ordering_is_promised_and_receivers_are_told_how_to_order(spec: dict[str, Any]) -> None:
    text = " ".join(_tag(spec).split())
    assert "no ordering guarantee" in text
    assert "order them by the payload's `timestamp`" in text


def test_the_answers_that_change_the_schedule_are_documented(spec: dict[str, Any]) -> None:
    text = " ".join(_tag(spec).split())
    assert "`Retry-After`" in text
    assert "410 Gone" in text


def test_the_delivery_schema_describes_the_schedule_as_it_is(spec: dict[str, Any]) -> None:
    properties = spec["components"]["schemas"]["Delivery"]["properties"]
    next_attempt = " ".join(properties["next_attempt_at"]["description"].split())
    # Before migration 0012 an attempt on its way was leased through this field.
    assert "should that attempt never report back" not in next_attempt
    assert "stays as it is while an attempt is on its way" in next_attempt
    assert "inactive" in next_attempt
    assert "410 Gone" in properties["failure"]["description"]


def test_changing_an_endpoint_says_what_becomes_of_its_queued_deliveries(
    spec: dict[str, Any],
) -> None:
    patch = " ".join(spec["paths"]["/api/v1/webhooks/{webhook_id}"]["patch"]["description"].split())
    assert "go to the new URL" in patch
    assert "no longer subscribes to are marked failed" in patch
    assert "fall due at once" in patch
