"""Constant statements: a list, a launch or a feedback page costs the same number of
SQL statements whatever its size (``before_cursor_execute`` on the app's engine)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.support.api import Org, OrgFactory, expect
from tests.support.cycles import CYCLES, ladder, new_cycle
from tests.support.statements import counting


def statements_of(app: Flask, call: Callable[[], Any]) -> int:
    with counting(app) as statements:
        call()
    return len(statements)


def _people(org: Org, count: int, manager_id: str | None = None) -> list[str]:
    """Members with a product role, made by the admin (no log-in each: faster)."""
    role = ladder(org).roles[2]["id"]
    ids = []
    for n in range(count):
        body = {
            "email": f"p{n}-{org.slug}@example.com",
            "name": f"Person {n:03}",
            "product_role_id": role,
            "manager_id": manager_id,
        }
        ids.append(expect(org.admin.api.post("/api/v1/members", json=body), 201)["id"])
    return ids


@pytest.fixture(scope="module")
def big(app: Flask) -> tuple[Org, str]:
    """A launched cycle of 40 people under one manager: 119 reviews."""
    org = OrgFactory(app.test_client()).create()
    boss = org.add_member(product_role_id=ladder(org).roles[5]["id"])
    _people(org, 40, boss.id)
    cycle = new_cycle(org.admin.api, review_types=["self", "manager", "upward"])
    expect(org.admin.api.post(f"{CYCLES}/{cycle['id']}/launch"), 200)
    return org, cycle["id"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reviews?cycle_id={cycle}",
        "/api/v1/cycles/{cycle}/participants",
        "/api/v1/cycles",
    ],
)
def test_a_page_costs_the_same_statements_whatever_its_size(
    app: Flask, big: tuple[Org, str], path: str
) -> None:
    org, cycle = big
    api = org.admin.api
    url = path.format(cycle=cycle)
    sep = "&" if "?" in url else "?"
    small = statements_of(app, lambda: expect(api.get(f"{url}{sep}page_size=2"), 200))
    full = statements_of(app, lambda: expect(api.get(f"{url}{sep}page_size=100"), 200))
    assert len(expect(api.get(f"{url}{sep}page_size=100"), 200)) >= 1
    assert small == full


def test_a_page_of_100_reviews_is_two_statements(app: Flask, big: tuple[Org, str]) -> None:
    org, cycle = big
    api = org.admin.api
    with counting(app) as statements:
        page = expect(api.get(f"/api/v1/reviews?cycle_id={cycle}&page_size=100"), 200)
    assert len(page) == 100
    assert all(len(r["ratings"]) == 0 for r in page)
    # The token's look-up (with the tenant) and the page with its ratings; someone with
    # reports too (their subtree is walked inside the page's statement, below).
    # BEGIN/ROLLBACK are not statements.
    assert len(statements) == 2, statements


def test_a_managers_page_walks_their_subtree_in_the_statement_of_the_page(
    app: Flask, big: tuple[Org, str]
) -> None:
    org, cycle = big
    boss = next(p for p in org.people.values() if p.id != org.admin.id)
    with counting(app) as statements:
        page = expect(boss.api.get(f"/api/v1/reviews?cycle_id={cycle}&page_size=100"), 200)
    assert len(page) == 40 + 1  # what they write: 40 manager reviews, their self review
    # And, before the page, the plan setting its statement is written for (a round trip
    # that saves PostgreSQL re-planning it: ``review_list.GENERIC_PLAN``).
    assert len(statements) == 3, statements
    assert "plan_cache_mode" in statements[1]


def test_launch_costs_the_same_statements_for_5_or_40_people(
    app: Flask, orgs: OrgFactory, big: tuple[Org, str]
) -> None:
    def launch_statements(org: Org) -> int:
        cycle = new_cycle(org.admin.api, review_types=["self", "manager", "upward"])
        return statements_of(
            app, lambda: expect(org.admin.api.post(f"{CYCLES}/{cycle['id']}/launch"), 200)
        )

    small_org = orgs.create()
    boss = small_org.add_member(product_role_id=ladder(small_org).roles[5]["id"])
    _people(small_org, 4, boss.id)
    large_org, _ = big
    assert launch_statements(small_org) == launch_statements(large_org)


def test_feedback_costs_the_same_statements_for_one_or_three_cycles(
    app: Flask, orgs: OrgFactory
) -> None:
    org = orgs.create()
    pm = org.add_member(product_role_id=ladder(org).roles[2]["id"])
    admin = org.admin.api
    counts = []
    for _ in range(3):
        cycle = new_cycle(admin, review_types=["self"])
        for action, body in (("launch", None), ("calibrate", {"force": True}), ("release", None)):
            expect(admin.post(f"{CYCLES}/{cycle['id']}/{action}", json=body), 200)
        counts.append(statements_of(app, lambda: expect(pm.api.get("/api/v1/me/feedback"), 200)))
    assert counts[0] == counts[2]
    assert len(expect(pm.api.get("/api/v1/me/feedback"), 200)) == 3
