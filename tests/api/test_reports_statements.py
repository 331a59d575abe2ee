"""A report costs the same number of SQL statements whatever the organisation's size.

Two organisations are seeded in bulk (``COPY``): one of a few dozen people and one of
several hundred, with more cycles; each report, as JSON and as CSV, runs exactly as
many statements in both (``before_cursor_execute`` on the app's engine).
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
from flask import Flask

from bench.report_organisation import benchmark_dataset
from bench.seed_reports import write
from tests.support.api import ApiClient, OrgFactory, expect
from tests.support.database import conninfo
from tests.support.report_world import METRICS, READINESS
from tests.support.statements import counting


def _freeze(app: Flask, org_id: uuid.UUID, cycle_id: uuid.UUID) -> None:
    """What releasing does to cycles seeded as released: keep their outcomes."""
    uow = app.extensions["review_service"].unit_of_work()
    try:
        uow.bind_tenant(org_id)
        uow.reports.freeze_released_outcomes(cycle_id)
        uow.commit()
    finally:
        uow.close()


def _organisation(app: Flask, owner_url: str, people: int, cycles: int) -> tuple[ApiClient, str]:
    org = OrgFactory(app.test_client()).create()
    data = benchmark_dataset(uuid.UUID(org.id), people=people, cycles=cycles, peers=2, teams=3)
    with psycopg.connect(conninfo(owner_url)) as conn:
        write(conn, data)
    _freeze(app, data.org_id, data.cycles[-1].id)  # every seeded cycle is released
    return org.admin.api, str(data.cycles[-1].id)


@pytest.fixture(scope="module")
def small(app: Flask, owner_url: str) -> tuple[ApiClient, str]:
    return _organisation(app, owner_url, people=30, cycles=2)


@pytest.fixture(scope="module")
def large(app: Flask, owner_url: str) -> tuple[ApiClient, str]:
    return _organisation(app, owner_url, people=400, cycles=4)


def _statements(app: Flask, api: ApiClient, cycle: str, path: str, accept: str) -> list[str]:
    with counting(app) as statements:
        answer = api.get(f"{path}?cycle_id={cycle}", headers={"Accept": accept})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        answer.get_data()  # the streamed body, to its end
    return statements


@pytest.mark.parametrize("path", [READINESS, METRICS])
@pytest.mark.parametrize("accept", ["application/json", "text/csv"])
def test_statements_do_not_grow_with_the_organisation(
    app: Flask,
    small: tuple[ApiClient, str],
    large: tuple[ApiClient, str],
    path: str,
    accept: str,
) -> None:
    few = _statements(app, *small, path, accept)
    many = _statements(app, *large, path, accept)
    assert len(few) == len(many)
    # Authentication and tenant, the cycle, the report (readiness: and the setup of the
    # stream's connection). Lowered from 7: reports no longer freeze released outcomes
    # (releasing does), so they run no INSERT and no second settings statement.
    assert len(many) <= 4, many


def test_the_large_report_is_complete(app: Flask, large: tuple[ApiClient, str]) -> None:
    api, cycle = large
    body = expect(api.get(f"{READINESS}?cycle_id={cycle}"), 200)
    assert len(body["rows"]) == 400
    assert expect(api.get(f"{METRICS}?cycle_id={cycle}"), 200)["participants"] == 400
