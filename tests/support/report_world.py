"""A small organisation reviewed through the cycle workflow, for hand-computed report tests.

The organisation (competencies s, l, e; scale 1-5; thresholds 1 and -0.5):

    ladder (track `report`)   expected  weights   pay band
    R1                        2 2 2     1 1 1     EUR 40,000-50,000  (midpoint 45,000)
    R2                        3 3 3     2 1 1     EUR 50,000-70,000  (60,000)
    R3                        4 4 4     2 1 1     USD 90,000-110,000 (100,000)
    R4                        5 5 5     1 1 1     none (top of the track)

    H (head of product) manages A, B, C, D, E, T; H2 (head of product) manages F.

Three cycles, Q1 and Q2 released, Q3 calibrating. Manager ratings (s, l, e):

    Q1: B 4 4 4, C 2 2 2        Q2: B 4 4 3, C 3 2 2        (the others left open)
    Q3: A 3 3 4 (R1, recommends ready_now)    B 4 3 4 (R2, ready_now)
        C 3 3 3 (R2, not_ready)               D 2 3 3 (R1, ready_soon), calibrated s = 3
        E 4 4 4 (R2, none)                    T 5 5 5 (R4, ready_now)
        F 3 3 3 (R1, by H2, ready_now)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from tests.support.api import ApiClient, Org, OrgFactory, Person, expect
from tests.support.cycles import CYCLES, cycle_body, review_of, write_review

READINESS = "/api/v1/reports/promotion-readiness"
METRICS = "/api/v1/reports/team-metrics"


@dataclass
class Reviewed:
    org: Org
    comps: dict[str, str]
    roles: dict[str, str]
    people: dict[str, Person]
    cycles: dict[str, str] = field(default_factory=dict)
    team: str = ""

    def ratings(self, s: int, l: int, e: int) -> dict[str, int]:  # noqa: E741
        return {self.comps["s"]: s, self.comps["l"]: l, self.comps["e"]: e}


def _role(
    api: ApiClient, comps: dict[str, str], level: int, expected: int, weights: tuple, band: Any
):
    body = {
        "name": f"R{level}",
        "track": "report",
        "level": level,
        "pay_band": band,
        "expectations": [
            {"competency_id": comps[k], "expected_score": expected, "weight": w}
            for k, w in zip("sle", weights, strict=True)
        ],
    }
    return expect(api.post("/api/v1/product-roles", json=body), 201)["id"]


def _cycle(world: Reviewed, name: str, start: str, end: str) -> str:
    api = world.org.admin.api
    body = cycle_body(
        name=name, period_start=start, period_end=end, review_types=["self", "manager"]
    )
    body.update(self_review_due=end, manager_review_due=end, peer_review_due=end)
    cycle = expect(api.post(CYCLES, json=body), 201)
    expect(api.post(f"{CYCLES}/{cycle['id']}/launch"), 200)
    world.cycles[name] = cycle["id"]
    return str(cycle["id"])


def _manager_review(
    world: Reviewed, cycle: str, who: str, scores: tuple[int, int, int], **extra: Any
) -> None:
    manager = world.people["H2" if who == "F" else "H"]
    review = review_of(manager.api, cycle, "manager", world.people[who].id)
    write_review(manager.api, review["id"], world.ratings(*scores), **extra)


def _close(world: Reviewed, cycle: str, *, release: bool = True) -> None:
    api = world.org.admin.api
    expect(api.post(f"{CYCLES}/{cycle}/calibrate", json={"force": True}), 200)
    if release:
        expect(api.post(f"{CYCLES}/{cycle}/release"), 200)


def build_world(app: Flask) -> Reviewed:
    """The organisation of the module docstring, with its three cycles."""
    client = app.test_client()
    org = OrgFactory(client).create()
    api = org.admin.api
    catalogue = expect(api.get("/api/v1/competencies?page_size=100"), 200)
    keys = {c["key"]: c["id"] for c in catalogue}
    comps = {"s": keys["strategy"], "l": keys["leadership"], "e": keys["execution"]}
    eur, usd = "EUR", "USD"
    roles = {
        "R1": _role(api, comps, 1, 2, (1, 1, 1), {"currency": eur, "min": 40000, "max": 50000}),
        "R2": _role(api, comps, 2, 3, (2, 1, 1), {"currency": eur, "min": 50000, "max": 70000}),
        "R3": _role(api, comps, 3, 4, (2, 1, 1), {"currency": usd, "min": 90000, "max": 110000}),
        "R4": _role(api, comps, 4, 5, (1, 1, 1), None),
    }
    team = expect(api.post("/api/v1/teams", json={"name": "Growth"}), 201)["id"]
    people: dict[str, Person] = {}
    people["H"] = org.add_member(access_role="head_of_product", name="H")
    people["H2"] = org.add_member(access_role="head_of_product", name="H2")
    for name, role in (
        ("A", "R1"),
        ("B", "R2"),
        ("C", "R2"),
        ("D", "R1"),
        ("E", "R2"),
        ("T", "R4"),
    ):
        people[name] = org.add_member(
            name=name, product_role_id=roles[role], manager_id=people["H"].id,
            team_id=team if name in "AB" else None,
        )  # fmt: skip
    people["F"] = org.add_member(name="F", product_role_id=roles["R1"], manager_id=people["H2"].id)
    world = Reviewed(org, comps, roles, people, team=team)

    q1 = _cycle(world, "Q1", "2025-01-01", "2025-03-31")
    _manager_review(world, q1, "B", (4, 4, 4))
    _manager_review(world, q1, "C", (2, 2, 2))
    _close(world, q1)
    q2 = _cycle(world, "Q2", "2025-04-01", "2025-06-30")
    _manager_review(world, q2, "B", (4, 4, 3))
    _manager_review(world, q2, "C", (3, 2, 2))
    _close(world, q2)

    q3 = _cycle(world, "Q3", "2025-07-01", "2025-09-30")
    q3_reviews = {
        "A": ((3, 3, 4), "ready_now", "high"),
        "B": ((4, 3, 4), "ready_now", "medium"),
        "C": ((3, 3, 3), "not_ready", "medium"),
        "D": ((2, 3, 3), "ready_soon", "low"),
        "E": ((4, 4, 4), None, "high"),
        "T": ((5, 5, 5), "ready_now", "high"),
        "F": ((3, 3, 3), "ready_now", "low"),
    }
    for who, (scores, recommendation, potential) in q3_reviews.items():
        _manager_review(
            world, q3, who, scores, promotion_recommendation=recommendation, potential=potential
        )
    for who, scores in (("A", (4, 4, 4)), ("B", (3, 3, 4)), ("C", (4, 3, 3))):
        person = people[who]
        write_review(
            person.api, review_of(person.api, q3, "self", person.id)["id"], world.ratings(*scores)
        )
    _close(world, q3, release=False)
    calibration = {
        "ratings": [
            {"competency_id": comps[k], "score": v} for k, v in zip("sle", (3, 3, 3), strict=True)
        ]
    }
    path = f"{CYCLES}/{q3}/participants/{people['D'].id}/calibration"
    expect(api.put(path, json=calibration), 200)
    return world
