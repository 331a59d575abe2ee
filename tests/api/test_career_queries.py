"""Constant statement counts: reading the directory, a subtree or the ladder costs the
same number of SQL statements for a handful of people as for many."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from tests.support.api import ApiClient, Org, OrgFactory, expect
from tests.support.career import csv_of, import_csv, members_by_email
from tests.support.statements import counting as statements

ROLES = ["Associate PM", "Product Manager", "Senior PM"]


@dataclass
class Chart:
    callers: dict[str, ApiClient]
    hop_id: str
    lead_id: str


def _chart_of(orgs: OrgFactory, size: int) -> Chart:
    """A head of product over leads over PMs, on ladder roles, in teams: ``size`` people."""
    leads = max(1, size // 8)
    rows = ["hop@q.com,Hana,Head of Product,head_of_product,Head of Product,,Leadership"]
    rows += [
        f"lead{i}@q.com,Lead {i},Lead,pm,Product Lead,hop@q.com,Team {i}" for i in range(leads)
    ]
    rows += [
        f"pm{i}@q.com,PM {i},PM,pm,{ROLES[i % 3]},lead{i % leads}@q.com,Team {i % leads}"
        for i in range(size - leads - 1)
    ]
    org = orgs.create()
    import_csv(org.admin.api, csv_of(*rows))
    people = members_by_email(org)
    callers = {
        "admin": org.admin.api,
        "hop": _log_in_as(org, people["hop@q.com"]["id"]),
        "pm": _log_in_as(org, people["pm0@q.com"]["id"]),
    }
    return Chart(callers, people["hop@q.com"]["id"], people["lead0@q.com"]["id"])


def _log_in_as(org: Org, member_id: str) -> ApiClient:
    invitation = expect(org.admin.api.post(f"/api/v1/members/{member_id}/invitation"), 201)
    expect(
        org.client.post(
            "/api/v1/auth/accept-invitation",
            json={"token": invitation["token"], "password": "a long password 123"},
        ),
        204,
    )
    email = expect(org.admin.api.get(f"/api/v1/members/{member_id}"), 200)["email"]
    return org.log_in(email, "a long password 123")


def _cost(app: Flask, api: ApiClient, path: str, expected_rows: int | None = None) -> int:
    with statements(app) as seen:
        found = expect(api.get(path), 200)
    if expected_rows is not None:
        assert len(found) == expected_rows
    return len(seen)


@pytest.mark.parametrize("caller", ["admin", "hop", "pm"])
def test_listing_members_and_reading_a_subtree_cost_the_same_whatever_their_size(
    app: Flask, orgs: OrgFactory, caller: str
) -> None:
    costs = []
    for size in (6, 90):
        chart = _chart_of(orgs, size)
        api, hop_id, lead_id = chart.callers[caller], chart.hop_id, chart.lead_id
        costs.append(
            {
                "list": _cost(app, api, "/api/v1/members?page_size=100", size + 1),
                "filtered": _cost(app, api, f"/api/v1/members?manager_id={lead_id}&q=pm"),
                "subtree": _cost(app, api, f"/api/v1/members/{hop_id}/reports?page_size=100"),
                "lead subtree": _cost(app, api, f"/api/v1/members/{lead_id}/reports"),
                "one": _cost(app, api, f"/api/v1/members/{lead_id}"),
                "ladder": _cost(app, api, "/api/v1/product-roles?page_size=100"),
                "teams": _cost(app, api, "/api/v1/teams?page_size=100"),
            }
        )
    small, large = costs
    print(caller, large)  # shown with -s
    assert small == large
    # Authentication (with the tenant) is one statement; each read adds one or two more,
    # the ladder three (roles, their expectations, the catalogue and positions).
    assert large["list"] <= 2
    assert large["subtree"] <= 4
    assert large["ladder"] <= 5


def _refreshes_statistics(app: Flask, orgs: OrgFactory, people: int) -> bool:
    rows = [f"p{i}@s.com,Person {i},PM,pm,Product Manager,,Team {i % 4}" for i in range(people)]
    org = orgs.create()
    with statements(app) as seen:
        result = import_csv(org.admin.api, csv_of(*rows))
    assert result["created"] == people
    return any("refresh_people_statistics" in statement for statement in seen)


def test_a_large_import_refreshes_the_planner_statistics_and_a_small_one_does_not(
    app: Flask, orgs: OrgFactory
) -> None:
    # Without it, the planner takes a freshly imported organisation for a handful of
    # rows until autovacuum comes by, and scans where it should probe.
    assert _refreshes_statistics(app, orgs, 200)
    assert not _refreshes_statistics(app, orgs, 20)
