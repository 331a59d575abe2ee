"""The ladder's rules (the next role) and the framework every new organisation starts with.

The default expectations are written for the default 1-to-5 scale; each rises
(or holds) with level, and the weights say what matters most at each rung: an
associate PM is judged mostly on execution, a CPO mostly on strategy.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from service.domain.career import Competency, ExpectationSpec, ProductRole

DEFAULT_TRACK = "product"


class Rung(Protocol):
    @property
    def id(self) -> UUID: ...

    @property
    def track(self) -> str: ...

    @property
    def level(self) -> int: ...


def next_role_ids(ladder: Sequence[Rung]) -> dict[UUID, UUID | None]:
    """Every role's next role: the role with the lowest higher level on the same
    track, or None at the top of its track."""
    by_track: dict[str, list[Rung]] = {}
    for rung in ladder:
        by_track.setdefault(rung.track, []).append(rung)
    result: dict[UUID, UUID | None] = {}
    for rungs in by_track.values():
        ordered = sorted(rungs, key=lambda r: r.level)
        for lower, upper in zip(ordered, [*ordered[1:], None], strict=True):
            result[lower.id] = upper.id if upper is not None else None
    return result


@dataclass(frozen=True, slots=True)
class DefaultCompetency:
    key: str
    name: str
    description: str


DEFAULT_COMPETENCIES = (
    DefaultCompetency(
        "strategy",
        "Strategy",
        "Chooses the problems worth solving and the order to solve them in. Reads customers, "
        "the market and the business; sets a vision and turns it into a roadmap of explicit "
        "bets with their trade-offs. Rate the quality of the choices and how well they were "
        "argued and revisited, not the number of documents written.",
    ),
    DefaultCompetency(
        "leadership",
        "Leadership",
        "Makes the people around them more effective without formal authority. Aligns "
        "engineering, design and stakeholders on the why, drives decisions to a close, gives "
        "and seeks candid feedback, and grows other PMs. Rate what changed in the team "
        "because of this person.",
    ),
    DefaultCompetency(
        "execution",
        "Execution",
        "Ships the right thing, well and predictably. Writes clear problem statements and "
        "requirements, cuts scope early, manages risks and dependencies, measures outcomes "
        "after launch and acts on what the data says. Rate delivered outcomes and how "
        "reliable the delivery was.",
    ),
)


@dataclass(frozen=True, slots=True)
class DefaultExpectation:
    score: int
    weight: str
    description: str


@dataclass(frozen=True, slots=True)
class DefaultRole:
    level: int
    name: str
    description: str
    strategy: DefaultExpectation
    leadership: DefaultExpectation
    execution: DefaultExpectation


E = DefaultExpectation

DEFAULT_LADDER = (
    DefaultRole(
        1,
        "Associate PM",
        "Owns well-scoped features inside a team's roadmap, with close guidance.",
        E(1, "0.2", "Explains why their feature matters to the customer and the team's goal."),
        E(
            1,
            "0.2",
            "Is a reliable teammate: keeps engineers and designers informed, asks for "
            "help early, takes feedback well.",
        ),
        E(
            2,
            "0.6",
            "Writes clear tickets and acceptance criteria; ships small features on time "
            "and checks they work after release.",
        ),
    ),
    DefaultRole(
        2,
        "Product Manager",
        "Owns a product area end to end for one team: discovery, delivery and outcomes.",
        E(
            2,
            "0.3",
            "Bases the area's priorities on customer evidence and data, and can defend "
            "what was left out.",
        ),
        E(
            2,
            "0.2",
            "Runs the team's rituals well; engineers and designers know what to build "
            "and why; stakeholders are not surprised.",
        ),
        E(
            3,
            "0.5",
            "Ships the area's roadmap predictably, sets success metrics before launch "
            "and reports the results honestly.",
        ),
    ),
    DefaultRole(
        3,
        "Senior PM",
        "Owns a complex area or product line with ambiguity, several stakeholders and "
        "measurable business impact.",
        E(
            3,
            "0.35",
            "Frames ambiguous problems, sizes opportunities, and sets a roadmap that "
            "moves a business metric, not only ships features.",
        ),
        E(
            2,
            "0.25",
            "Resolves disagreements between teams, mentors junior PMs informally and "
            "earns trust beyond their own team.",
        ),
        E(
            4,
            "0.4",
            "Delivers cross-team launches, manages risks and dependencies early, and "
            "kills or pivots work when the evidence says so.",
        ),
    ),
    DefaultRole(
        4,
        "Product Lead",
        "Leads a group of PMs or a multi-team product, and is accountable for its strategy.",
        E(
            3,
            "0.35",
            "Sets the strategy of a multi-team product, aligned with company goals, "
            "and makes the trade-offs between teams explicit.",
        ),
        E(
            3,
            "0.35",
            "Coaches PMs on craft, gives direct feedback, hires well and makes the "
            "group's priorities clear to everyone.",
        ),
        E(
            4,
            "0.3",
            "Keeps several teams shipping toward shared outcomes; spots and fixes "
            "delivery problems before they escalate.",
        ),
    ),
    DefaultRole(
        5,
        "Head of Product",
        "Runs product for a business unit or the whole company at an early stage: people, "
        "process and portfolio.",
        E(
            4,
            "0.4",
            "Owns the product portfolio of a business unit, with a multi-quarter "
            "vision that leadership and teams can repeat.",
        ),
        E(
            4,
            "0.4",
            "Builds and grows a team of PMs, runs calibrated reviews, and is a trusted "
            "peer to the heads of engineering, design and sales.",
        ),
        E(
            4,
            "0.2",
            "Puts in place the planning and review practices that make delivery "
            "predictable without slowing teams down.",
        ),
    ),
    DefaultRole(
        6,
        "Director of Product",
        "Leads several product groups and their leads; shapes how the organisation builds product.",
        E(
            5,
            "0.4",
            "Shapes the company's product strategy with the executive team, including "
            "where not to compete, backed by market insight.",
        ),
        E(
            4,
            "0.4",
            "Develops product leads into leaders, designs the organisation around the "
            "strategy, and handles hard people decisions fairly.",
        ),
        E(
            4,
            "0.2",
            "Holds several groups to outcomes through clear goals and reviews, and "
            "unblocks cross-group delivery.",
        ),
    ),
    DefaultRole(
        7,
        "VP Product",
        "Accountable for the product organisation's results and its strategy for a major "
        "line of business.",
        E(
            5,
            "0.45",
            "Sets the multi-year product strategy for a major line of business and "
            "ties it to revenue, retention and cost.",
        ),
        E(
            5,
            "0.4",
            "Leads through directors, sets culture and standards, and represents "
            "product credibly to the board and to customers.",
        ),
        E(
            4,
            "0.15",
            "Steers investment across the portfolio and makes sure the organisation "
            "learns from launches, good and bad.",
        ),
    ),
    DefaultRole(
        8,
        "Chief Product Officer",
        "Owns product across the company as a member of the executive team.",
        E(
            5,
            "0.5",
            "Defines what the company builds and why, and positions it to win in its "
            "markets over years.",
        ),
        E(
            5,
            "0.35",
            "Builds a product organisation that attracts and grows great PMs; is an "
            "executive peer who shapes company decisions beyond product.",
        ),
        E(
            5,
            "0.15",
            "Makes the company reliably turn strategy into shipped, measured outcomes, "
            "and is accountable for them to the board.",
        ),
    ),
)


def default_competencies(org_id: UUID) -> list[Competency]:
    return [
        Competency(
            org_id=org_id,
            id=uuid.uuid4(),
            key=c.key,
            name=c.name,
            description=c.description,
            position=index,
        )
        for index, c in enumerate(DEFAULT_COMPETENCIES)
    ]


def default_ladder(org_id: UUID, competencies: Sequence[Competency]) -> list[ProductRole]:
    """The product-management ladder, levels 1 to 8, expecting ``competencies`` by key."""
    by_key = {c.key: c.id for c in competencies}
    roles = []
    for rung in DEFAULT_LADDER:
        role = ProductRole(
            org_id=org_id,
            id=uuid.uuid4(),
            name=rung.name,
            track=DEFAULT_TRACK,
            level=rung.level,
            description=rung.description,
        )
        role.set_expectations(
            [
                ExpectationSpec(by_key[key], e.score, Decimal(e.weight), e.description)
                for key, e in (
                    ("strategy", rung.strategy),
                    ("leadership", rung.leadership),
                    ("execution", rung.execution),
                )
            ]
        )
        roles.append(role)
    return roles
