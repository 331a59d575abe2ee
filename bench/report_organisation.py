"""The organisation of the report benchmark: 5,000 PMs, 8 released cycles.

A CPO, heads of product, group leads, leads and PMs in a reporting tree (sizes in
proportion to ``people``), the default product ladder with rising expectations and pay
bands in two currencies, and per cycle a self, a manager and ``peers`` peer reviews of
everyone over 4 competencies (5,000 people and 5 peers: 1.1 million ratings), with
abilities that drift from cycle to cycle, recommendations, potentials and a tenth of
the people calibrated on one competency. Written with ``bench.seed_reports.write``.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from bench.seed_reports import Competency, Cycle, Dataset, Participant, Person, Review, Role

LADDER = [
    # name, level, expected scores (strategy, leadership, execution, customer), band
    ("Associate PM", 1, (2, 2, 2, 2), ("EUR", 45000, 55000)),
    ("Product Manager", 2, (2, 2, 3, 3), ("EUR", 55000, 70000)),
    ("Senior PM", 3, (3, 3, 3, 3), ("EUR", 70000, 90000)),
    ("Product Lead", 4, (3, 3, 4, 3), ("USD", 95000, 120000)),
    ("Head of Product", 5, (4, 4, 4, 3), ("USD", 120000, 150000)),
    ("Director of Product", 6, (4, 4, 4, 4), ("USD", 150000, 190000)),
    ("VP Product", 7, (5, 4, 4, 4), ("USD", 190000, 240000)),
    ("Chief Product Officer", 8, (5, 5, 4, 4), None),
]
WEIGHTS = (Decimal("1.5"), Decimal("1.0"), Decimal("1.25"), Decimal("0.75"))


def benchmark_dataset(
    org_id: UUID,
    *,
    people: int = 5000,
    cycles: int = 8,
    peers: int = 5,
    teams: int = 50,
    seed: int = 7,
    admin_id: UUID | None = None,
) -> Dataset:
    """A product organisation of ``people`` PMs in a reporting tree, ``cycles`` released cycles."""
    rnd = random.Random(seed)
    data = Dataset(org_id)
    keys = ("strategy", "leadership", "execution", "customer_insight")
    data.competencies = [Competency(uuid.uuid4(), k, i) for i, k in enumerate(keys)]
    comp_ids = [c.id for c in data.competencies]
    for name, level, expected, band in LADDER:
        data.roles.append(
            Role(
                uuid.uuid4(),
                name,
                "product",
                level,
                {c: (e, w) for c, e, w in zip(comp_ids, expected, WEIGHTS, strict=True)},
                None if band is None else (band[0], Decimal(band[1]), Decimal(band[2])),
            )
        )
    data.teams = {uuid.uuid4(): f"Team {i:03d}" for i in range(teams)}
    team_ids = list(data.teams)
    _people_tree(data, rnd, people, team_ids, admin_id)
    ability = {p.id: rnd.gauss(0, 0.8) for p in data.people}
    drift = {p.id: rnd.gauss(0.1, 0.15) for p in data.people}
    start = date(2024, 1, 1)
    reports: dict[UUID, list[UUID]] = {}
    for p in data.people:
        if p.manager_id is not None:
            reports.setdefault(p.manager_id, []).append(p.id)
    expected = {r.id: r.expectations for r in data.roles}
    ids = [p.id for p in data.people]
    for n in range(cycles):
        begin = start + timedelta(days=91 * n)
        cycle = Cycle(uuid.uuid4(), f"Q{n % 4 + 1} {begin.year}", begin, begin + timedelta(days=90))
        cycle.participants = [Participant(p.id, p.role_id, p.manager_id) for p in data.people]
        for p in data.people:
            expect = expected[p.role_id] if p.role_id else {}
            base = ability[p.id] + drift[p.id] * n

            def score(comp: UUID, spread: float, bias: float = 0.0) -> int:
                target = expect[comp][0] + base + bias  # noqa: B023 (used at once)
                return max(1, min(5, round(target + rnd.gauss(0, spread))))

            if p.manager_id is not None:
                ratings: dict[UUID, int | None] = {c: score(c, 0.5) for c in comp_ids}
                cycle.reviews.append(
                    Review(
                        p.id,
                        p.manager_id,
                        "manager",
                        ratings=ratings,
                        recommendation=rnd.choice(("ready_now", "ready_soon", "not_ready", None)),
                        potential=rnd.choice(("low", "medium", "high")),
                    )
                )
                if rnd.random() < 0.1:
                    comp = rnd.choice(comp_ids)
                    cycle.calibrations[(p.id, comp)] = score(comp, 0.3)
            cycle.reviews.append(
                Review(p.id, p.id, "self", ratings={c: score(c, 0.6, 0.3) for c in comp_ids})
            )
            for reviewer in _peers(rnd, ids, p.id, peers):
                cycle.reviews.append(
                    Review(p.id, reviewer, "peer", ratings={c: score(c, 0.8) for c in comp_ids})
                )
        data.cycles.append(cycle)
    return data


def _peers(rnd: random.Random, ids: list[UUID], me: UUID, count: int) -> list[UUID]:
    chosen: set[UUID] = set()
    while len(chosen) < count:
        other = ids[rnd.randrange(len(ids))]
        if other != me:
            chosen.add(other)
    return list(chosen)


def _people_tree(
    data: Dataset, rnd: random.Random, total: int, team_ids: list[UUID], admin_id: UUID | None
) -> None:
    """A CPO, heads of product, group leads, leads and PMs, as in a large product org."""
    roles = {r.level: r.id for r in data.roles}
    top = Person(uuid.uuid4(), "Chief Product Officer", "head_of_product", roles[8], admin_id)
    data.people.append(top)
    # 5,000 people: 10 heads of product, 100 group leads, 625 leads, and PMs.
    layers = [
        (max(1, total // 500), 6, "head_of_product"),
        (max(1, total // 50), 5, "head_of_product"),
        (max(1, total // 8), 4, "pm"),
    ]
    above = [top]
    for size, level, access in layers:
        layer = [
            Person(
                uuid.uuid4(),
                f"L{level} {i}",
                access,
                roles[level],
                above[i % len(above)].id,
                rnd.choice(team_ids),
            )
            for i in range(size)
        ]
        data.people.extend(layer)
        above = layer
    remaining = total - len(data.people)
    for i in range(remaining):
        manager = above[i % len(above)]
        level = rnd.choice((1, 2, 2, 3, 3, 3))
        data.people.append(
            Person(uuid.uuid4(), f"PM {i}", "pm", roles[level], manager.id, manager.team_id)
        )
