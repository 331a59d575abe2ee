"""Review cycles in tests: a small product organisation, cycles and reviews over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.support.api import ApiClient, Org, Person, expect

CYCLES = "/api/v1/cycles"


@dataclass
class Ladder:
    competencies: list[dict[str, Any]]
    roles: dict[int, dict[str, Any]]  # by level on the default `product` track

    @property
    def competency_ids(self) -> list[str]:
        return [c["id"] for c in self.competencies]


def ladder(org: Org) -> Ladder:
    """The default framework every organisation starts with (3 competencies, 8 roles)."""
    competencies = expect(org.admin.api.get("/api/v1/competencies?page_size=100"), 200)
    roles = expect(org.admin.api.get("/api/v1/product-roles?page_size=100"), 200)
    return Ladder(competencies, {r["level"]: r for r in roles if r["track"] == "product"})


@dataclass
class Team:
    """head (head of product) <- manager (a PM with reports) <- pms."""

    org: Org
    ladder: Ladder
    head: Person
    manager: Person
    pms: list[Person] = field(default_factory=list)

    @property
    def everyone(self) -> list[Person]:
        return [self.head, self.manager, *self.pms]


def build_team(org: Org, pms: int = 3, *, head: Person | None = None) -> Team:
    framework = ladder(org)
    if head is None:
        head = org.add_member(
            access_role="head_of_product", product_role_id=framework.roles[5]["id"]
        )
    manager = org.add_member(product_role_id=framework.roles[4]["id"], manager_id=head.id)
    people = [
        org.add_member(product_role_id=framework.roles[2]["id"], manager_id=manager.id)
        for _ in range(pms)
    ]
    return Team(org, framework, head, manager, people)


def cycle_body(**fields: Any) -> dict[str, Any]:
    return {
        "name": "H1 review",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "review_types": ["self", "manager", "peer", "upward"],
        "self_review_due": "2026-07-10",
        "manager_review_due": "2026-07-20",
        "peer_review_due": "2026-07-15",
        **fields,
    }


def new_cycle(api: ApiClient, **fields: Any) -> dict[str, Any]:
    created: dict[str, Any] = expect(api.post(CYCLES, json=cycle_body(**fields)), 201)
    return created


def launched_cycle(api: ApiClient, **fields: Any) -> dict[str, Any]:
    cycle = new_cycle(api, **fields)
    launched: dict[str, Any] = expect(api.post(f"{CYCLES}/{cycle['id']}/launch"), 200)
    return launched


def my_reviews(api: ApiClient, cycle_id: str, **filters: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in {"cycle_id": cycle_id, **filters}.items())
    found: list[dict[str, Any]] = expect(api.get(f"/api/v1/me/reviews?{query}&page_size=100"), 200)
    return found


def review_of(api: ApiClient, cycle_id: str, review_type: str, reviewee_id: str) -> dict[str, Any]:
    matches = [
        r
        for r in my_reviews(api, cycle_id)
        if r["type"] == review_type and r["reviewee_id"] == reviewee_id
    ]
    assert len(matches) == 1, matches
    return matches[0]


def etag(api: ApiClient, review_id: str) -> str:
    response = api.get(f"/api/v1/reviews/{review_id}")
    expect(response, 200)
    return str(response.headers["ETag"])


def write_review(
    api: ApiClient,
    review_id: str,
    scores: dict[str, int],
    *,
    comment: str | None = None,
    summary: str | None = None,
    submit: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """Save every score (with the comment), then submit unless told not to."""
    body: dict[str, Any] = {
        "ratings": [
            {"competency_id": cid, "score": score, "comment": comment}
            for cid, score in scores.items()
        ],
        "summary": summary,
        **extra,
    }
    saved = api.patch(
        f"/api/v1/reviews/{review_id}", json=body, headers={"If-Match": etag(api, review_id)}
    )
    result: dict[str, Any] = expect(saved, 200)
    if submit:
        submitted = api.post(
            f"/api/v1/reviews/{review_id}/submit", headers={"If-Match": saved.headers["ETag"]}
        )
        result = expect(submitted, 200)
    return result


def scores(framework: Ladder, *values: int) -> dict[str, int]:
    """``values`` per competency in the catalogue's order (the last one repeats)."""
    ids = framework.competency_ids
    return {cid: values[min(i, len(values) - 1)] for i, cid in enumerate(ids)}
