"""The cycle's state machine and its reviews, as plain objects: fast, and property-based.

A hypothesis state machine drives random actions by random people through a cycle
and its reviews, and checks after every step that nothing PRODUCT.md forbids has
happened: a state reached off the graph, a write outside an active cycle, a review
submitted without every score, anyone seeing a review they may not see, or
``allowed_actions`` promising what then fails.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from service.domain.calibration import CycleParticipant
from service.domain.cycle import (
    TRANSITIONS,
    CalibrationBlocked,
    CycleAction,
    CycleState,
    ReviewCycle,
    ReviewType,
    Snapshot,
    in_competency_order,
)
from service.domain.errors import Conflict, Invalid
from service.domain.review import RatingChange, Review, ReviewRules, ReviewStatus
from service.domain.review_visibility import (
    ReviewFacts,
    Viewer,
    review_actions,
    review_visibility,
)

NOW = datetime(2026, 7, 1, tzinfo=UTC)
ORG = uuid.uuid4()
SNAPSHOT = Snapshot(1, 5, ["a", "b", "c", "d", "e"], 3, Decimal(1), Decimal("-0.5"))
EDGES = {(source, target) for sources, target in TRANSITIONS.values() for source in sources}


def new_cycle(**fields: object) -> ReviewCycle:
    values: dict[str, object] = {
        "org_id": ORG,
        "id": uuid.uuid4(),
        "name": "H1",
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 6, 30),
        "review_types": ["self", "manager", "peer", "upward"],
        **fields,
    }
    return ReviewCycle(**values)  # type: ignore[arg-type]


def act(
    cycle: ReviewCycle, action: CycleAction, *, open_reviews: int = 0, force: bool = False
) -> None:
    waiting = [uuid.uuid4() for _ in range(open_reviews)]
    {
        CycleAction.LAUNCH: lambda: cycle.launch(NOW, SNAPSHOT),
        CycleAction.CALIBRATE: lambda: cycle.start_calibration(NOW, waiting, force=force),
        CycleAction.RELEASE: lambda: cycle.release(NOW),
        CycleAction.CANCEL: lambda: cycle.cancel(NOW),
    }[action]()


@pytest.mark.parametrize("state", list(CycleState))
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_each_transition_is_allowed_exactly_from_its_states(
    state: CycleState, action: CycleAction
) -> None:
    cycle = new_cycle(state=state)
    sources, target = TRANSITIONS[action]
    assert (action.value in cycle.allowed_actions(manages=True, participants=5)) == (
        state in sources
    )
    if state in sources:
        act(cycle, action)
        assert cycle.state is target
    else:
        with pytest.raises(Conflict):
            act(cycle, action)
        assert cycle.state is state
        assert (cycle.launched_at, cycle.released_at, cycle.cancelled_at) == (None, None, None)


def test_nobody_but_its_runners_gets_actions() -> None:
    assert new_cycle().allowed_actions(manages=False, participants=5) == []
    assert new_cycle().allowed_actions(manages=True, participants=5) == [
        "update",
        "launch",
        "cancel",
    ]


def test_a_draft_without_participants_offers_no_launch() -> None:
    assert new_cycle().allowed_actions(manages=True, participants=0) == ["update", "cancel"]


def test_calibration_with_open_manager_reviews_needs_force() -> None:
    cycle = new_cycle(state=CycleState.ACTIVE)
    with pytest.raises(CalibrationBlocked) as blocked:
        act(cycle, CycleAction.CALIBRATE, open_reviews=2)
    assert blocked.value.open_reviews == 2
    assert cycle.state is CycleState.ACTIVE
    act(cycle, CycleAction.CALIBRATE, open_reviews=2, force=True)
    assert cycle.state is CycleState.CALIBRATING


def test_launch_snapshots_the_settings() -> None:
    cycle = new_cycle()
    cycle.launch(NOW, SNAPSHOT)
    assert (cycle.scale_min, cycle.scale_max, cycle.peer_anonymity_threshold) == (1, 5, 3)
    assert cycle.launched_at == NOW


def test_a_draft_changes_freely_a_launched_cycle_only_name_and_dates() -> None:
    cycle = new_cycle()
    assert cycle.change({"review_types": ["self"], "name": "Pilot"}) == {"review_types", "name"}
    with pytest.raises(Invalid):
        cycle.change({"period_end": date(2025, 1, 1)})
    cycle.launch(NOW, SNAPSHOT)
    with pytest.raises(Conflict):
        cycle.change({"max_peers_per_reviewee": 2})
    # Sending an unchanged value of a frozen field is fine (clients resend whole objects).
    assert cycle.change({"review_types": ["self"], "self_review_due": date(2026, 7, 9)}) == {
        "self_review_due"
    }
    cycle.cancel(NOW)
    with pytest.raises(Conflict):
        cycle.change({"name": "Too late"})


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"review_types": []}, "review_types"),
        ({"review_types": ["self", "self"]}, "review_types"),
        ({"review_types": ["360"]}, "review_types"),
        ({"max_peers_per_reviewee": 51}, "max_peers_per_reviewee"),
        ({"team_ids": [uuid.uuid4()], "member_ids": [uuid.uuid4()]}, "member_ids"),
    ],
)
def test_invalid_cycles_name_the_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(Invalid) as invalid:
        new_cycle(**fields).validate()
    assert field in invalid.value.errors


def test_calibration_replaces_ratings_in_place_on_the_scale() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    participant = CycleParticipant(ORG, uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    rules = {"scale": (1, 5), "competency_ids": [a, b], "by": uuid.uuid4(), "now": NOW}
    participant.calibrate([(a, 4), (b, 2)], "first", **rules)  # type: ignore[arg-type]
    first = {x.competency_id: x for x in participant.calibrations}
    participant.calibrate([(a, 5)], "second", **rules)  # type: ignore[arg-type]
    assert participant.calibrated_scores() == {a: 5}
    assert participant.calibrations[0] is first[a]  # updated, not replaced
    for wrong in ([(a, 6)], [(c, 3)]):
        with pytest.raises(Invalid):
            participant.calibrate(wrong, None, **rules)  # type: ignore[arg-type]
    assert participant.calibration_note == "second"


def test_calibration_takes_each_competency_once() -> None:
    a = uuid.uuid4()
    participant = CycleParticipant(ORG, uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    with pytest.raises(Invalid) as invalid:
        participant.calibrate(
            [(a, 4), (a, 2)], None, scale=(1, 5), competency_ids=[a], by=uuid.uuid4(), now=NOW
        )
    assert invalid.value.errors == {"ratings": ["Each competency may appear only once."]}
    assert participant.calibrations == []


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_a_cycle_needs_a_name_that_is_not_blank(name: str) -> None:
    with pytest.raises(Invalid) as invalid:
        new_cycle(name=name).validate()
    assert "name" in invalid.value.errors
    cycle = new_cycle()
    with pytest.raises(Invalid):
        cycle.change({"name": name})
    assert cycle.name == "H1"


def test_competencies_come_in_the_cycle_order_and_the_rest_last_by_id() -> None:
    a, b, c, d = sorted((uuid.uuid4() for _ in range(4)), key=str)
    pairs = [(d, 1), (c, 2), (b, 3), (a, 4)]
    assert in_competency_order(pairs, [b, d], lambda kv: kv[0]) == [(b, 3), (d, 1), (a, 4), (c, 2)]


def test_only_an_active_cycle_takes_review_writes() -> None:
    assert {s for s in CycleState if s.takes_review_writes} == {CycleState.ACTIVE}


# --- random walks ---------------------------------------------------------------------

PEOPLE = ["admin", "head", "manager", "pm", "peer", "outsider"]
COMPETENCIES = [uuid.uuid4() for _ in range(3)]
RULES = ReviewRules(1, 5, tuple(COMPETENCIES))


class CycleWalk(RuleBasedStateMachine):
    """One cycle about ``pm`` (managed by ``manager``, under ``head``), with a self, a
    manager, a peer and an upward review, driven by random people."""

    def __init__(self) -> None:
        super().__init__()
        self.ids = {name: uuid.uuid4() for name in PEOPLE}
        self.cycle = new_cycle()
        self.states = [self.cycle.state]
        i = self.ids
        self.reviews = [
            self._review(i["pm"], i["pm"], ReviewType.SELF),
            self._review(i["pm"], i["manager"], ReviewType.MANAGER),
            self._review(i["pm"], i["peer"], ReviewType.PEER),
            self._review(i["manager"], i["pm"], ReviewType.UPWARD),
        ]
        self.frozen: list[tuple[ReviewStatus, int]] | None = None

    def _review(self, reviewee: uuid.UUID, reviewer: uuid.UUID, kind: ReviewType) -> Review:
        return Review(ORG, uuid.uuid4(), self.cycle.id, reviewee, reviewer, kind)

    def _viewer(self, name: str) -> Viewer:
        return Viewer(self.ids[name], is_admin=name == "admin")

    def _oversees(self, name: str, member: uuid.UUID) -> bool:
        chain = {self.ids["pm"]: ["manager", "head"], self.ids["manager"]: ["head"]}
        return name in chain.get(member, [])

    def _facts(self, name: str, review: Review) -> ReviewFacts:
        me = self.ids[name]
        own = [
            r
            for r in self.reviews
            if r is not review and r.reviewer_id == me and r.reviewee_id == review.reviewee_id
        ]
        return ReviewFacts(
            type=review.type,
            status=review.status,
            reviewer_id=review.reviewer_id,
            reviewee_id=review.reviewee_id,
            cycle_state=self.cycle.state,
            oversees_reviewee=self._oversees(name, review.reviewee_id),
            own_reviews_submitted=None if not own else all(r.is_submitted for r in own),
        )

    @rule(
        action=st.sampled_from(list(TRANSITIONS)),
        open_reviews=st.integers(0, 2),
        force=st.booleans(),
    )
    def transition(self, action: CycleAction, open_reviews: int, force: bool) -> None:
        before = self.cycle.state
        promised = action.value in self.cycle.allowed_actions(manages=True, participants=5)
        try:
            act(self.cycle, action, open_reviews=open_reviews, force=force)
        except CalibrationBlocked:
            assert promised
            assert open_reviews
            assert not force
            assert self.cycle.state is before
            return
        except Conflict:
            assert not promised
            assert self.cycle.state is before
            return
        assert promised
        self.states.append(self.cycle.state)
        if before is CycleState.ACTIVE:
            self.frozen = [(r.status, len(r.ratings)) for r in self.reviews]

    @rule(
        index=st.integers(0, 3),
        name=st.sampled_from(PEOPLE),
        score=st.one_of(st.none(), st.integers(0, 6)),
        which=st.sampled_from(COMPETENCIES),
    )
    def save(self, index: int, name: str, score: int | None, which: uuid.UUID) -> None:
        review = self.reviews[index]
        viewer = self._viewer(name)
        if viewer.member_id != review.reviewer_id:
            return  # the use case refuses others before the domain is reached
        promised = "update" in review_actions(
            viewer, review.reviewer_id, review.status, self.cycle.state
        )
        before = (review.status, [(r.competency_id, r.score) for r in review.ratings])
        try:
            review.save_draft(
                [RatingChange(which, {"score": score})], {}, RULES, self.cycle.state, NOW
            )
        except Conflict:
            assert not promised
            assert before == (review.status, [(r.competency_id, r.score) for r in review.ratings])
        except Invalid:
            assert score is not None
            assert not 1 <= score <= 5
        else:
            assert promised

    @rule(index=st.integers(0, 3), name=st.sampled_from(PEOPLE))
    def submit(self, index: int, name: str) -> None:
        review = self.reviews[index]
        viewer = self._viewer(name)
        if viewer.member_id != review.reviewer_id:
            return
        promised = "submit" in review_actions(
            viewer, review.reviewer_id, review.status, self.cycle.state
        )
        try:
            review.submit(RULES, self.cycle.state, NOW)
        except Conflict:
            assert not promised
        except Invalid:
            assert promised
        else:
            assert promised

    @precondition(lambda self: any(r.is_submitted for r in self.reviews))
    @rule(index=st.integers(0, 3))
    def reopen(self, index: int) -> None:
        review = self.reviews[index]
        promised = "reopen" in review_actions(
            self._viewer("admin"), review.reviewer_id, review.status, self.cycle.state
        )
        try:
            review.reopen(self.cycle.state, NOW)
        except Conflict:
            assert not promised
        else:
            assert promised
            assert review.status is ReviewStatus.IN_PROGRESS

    @invariant()
    def states_follow_the_graph(self) -> None:
        assert self.states[0] is CycleState.DRAFT
        for source, target in zip(self.states, self.states[1:], strict=False):
            assert (source, target) in EDGES

    @invariant()
    def submitted_reviews_have_every_score_on_the_scale(self) -> None:
        for review in self.reviews:
            if review.is_submitted:
                given = {r.competency_id: r.score for r in review.ratings}
                assert all(given.get(c) is not None and 1 <= given[c] <= 5 for c in COMPETENCIES)  # type: ignore[operator]

    @invariant()
    def nothing_changes_outside_an_active_cycle(self) -> None:
        if self.cycle.state is CycleState.DRAFT:
            assert all(r.status is ReviewStatus.NOT_STARTED for r in self.reviews)
        elif self.cycle.state is not CycleState.ACTIVE and self.frozen is not None:
            assert [(r.status, len(r.ratings)) for r in self.reviews] == self.frozen

    @invariant()
    def nobody_sees_what_they_may_not(self) -> None:
        for name in PEOPLE:
            viewer = self._viewer(name)
            for review in self.reviews:
                facts = self._facts(name, review)
                seen = review_visibility(viewer, facts)
                if seen is None or viewer.member_id == review.reviewer_id:
                    continue
                # The reviewee: only their submitted manager review, after release.
                if viewer.member_id == review.reviewee_id:
                    assert self.cycle.state is CycleState.RELEASED
                    assert review.type is ReviewType.MANAGER
                    assert review.is_submitted
                    continue
                # Blindness: a reviewer of the same person sees it only when both are in.
                if facts.own_reviews_submitted is not None:
                    assert facts.own_reviews_submitted
                    assert review.is_submitted
                # Otherwise only admins, and managers above once it is submitted.
                assert name == "admin" or (facts.oversees_reviewee and review.is_submitted)
                # Anonymous authors stay anonymous to all but admins.
                if review.type in (ReviewType.PEER, ReviewType.UPWARD):
                    assert seen.reviewer_shown == (name == "admin")


TestCycleWalk = CycleWalk.TestCase
TestCycleWalk.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
