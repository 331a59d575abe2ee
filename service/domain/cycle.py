"""Review cycles: their settings, their state machine and their participants.

``draft -> active -> calibrating -> released``, and ``cancelled`` from ``draft``
or ``active``. Launching copies the organisation's scale and thresholds into the
cycle (the ladder and the people are copied in bulk by the launch adapter), so
later edits never change a past cycle. A transition that is not allowed raises
``Conflict`` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID

from service.domain.access import AccessRole, Principal, Scope
from service.domain.errors import Conflict, Invalid
from service.domain.tenancy import TenantOwned

MAX_PEERS_LIMIT = 50

T = TypeVar("T")


class CycleState(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CALIBRATING = "calibrating"
    RELEASED = "released"
    CANCELLED = "cancelled"

    @property
    def takes_review_writes(self) -> bool:
        """Reviews are written, submitted and reopened only while the cycle is active."""
        return self is CycleState.ACTIVE


class ReviewType(StrEnum):
    SELF = "self"
    MANAGER = "manager"
    PEER = "peer"
    UPWARD = "upward"


class CycleAction(StrEnum):
    UPDATE = "update"
    LAUNCH = "launch"
    CALIBRATE = "calibrate"
    RELEASE = "release"
    CANCEL = "cancel"


#: action -> (states it starts from, state it leads to)
TRANSITIONS: dict[CycleAction, tuple[frozenset[CycleState], CycleState]] = {
    CycleAction.LAUNCH: (frozenset({CycleState.DRAFT}), CycleState.ACTIVE),
    CycleAction.CALIBRATE: (frozenset({CycleState.ACTIVE}), CycleState.CALIBRATING),
    CycleAction.RELEASE: (frozenset({CycleState.CALIBRATING}), CycleState.RELEASED),
    CycleAction.CANCEL: (frozenset({CycleState.DRAFT, CycleState.ACTIVE}), CycleState.CANCELLED),
}

DUE_DATES = ("self_review_due", "manager_review_due", "peer_review_due")
#: Fields a draft may change freely; after launch only the name and due dates.
DRAFT_FIELDS = frozenset(
    {
        "name",
        "period_start",
        "period_end",
        "review_types",
        *DUE_DATES,
        "max_peers_per_reviewee",
        "allow_self_nomination",
        "team_ids",
        "member_ids",
    }
)
LAUNCHED_FIELDS = frozenset({"name", *DUE_DATES})
SELECTION_FIELDS = frozenset({"team_ids", "member_ids"})


class CalibrationBlocked(Conflict):
    """Manager reviews are still open; starting calibration needs ``force``."""

    def __init__(self, open_reviews: int, reviewee_ids: list[UUID]) -> None:
        shown = ", ".join(str(i) for i in reviewee_ids[:20])
        more = "" if len(reviewee_ids) <= 20 else f" and {len(reviewee_ids) - 20} more"
        super().__init__(
            f"{open_reviews} manager review(s) are not submitted yet (reviewees: {shown}{more}). "
            'Send {"force": true} to start calibration anyway.',
            {
                "force": ["Manager reviews are still open; send true to calibrate anyway."],
                "open_manager_reviews": [str(i) for i in reviewee_ids],
            },
        )
        self.open_reviews = open_reviews
        self.reviewee_ids = reviewee_ids


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The organisation's settings a cycle keeps from its launch on."""

    scale_min: int
    scale_max: int
    scale_labels: list[str]
    peer_anonymity_threshold: int
    ready_soon_max_gap: Decimal
    ready_soon_min_mean_gap: Decimal

    @classmethod
    def of_settings(cls, settings: Mapping[str, Any]) -> Snapshot:
        scale = settings["rating_scale"]
        return cls(
            scale_min=int(scale["min"]),
            scale_max=int(scale["max"]),
            scale_labels=list(scale["labels"]),
            peer_anonymity_threshold=int(settings["peer_anonymity_threshold"]),
            ready_soon_max_gap=Decimal(str(settings["ready_soon_max_gap"])),
            ready_soon_min_mean_gap=Decimal(str(settings["ready_soon_min_mean_gap"])),
        )


@dataclass(eq=False)
class ReviewCycle(TenantOwned):
    org_id: UUID
    id: UUID
    name: str
    period_start: date
    period_end: date
    review_types: list[str]
    self_review_due: date | None = None
    manager_review_due: date | None = None
    peer_review_due: date | None = None
    max_peers_per_reviewee: int = 5
    allow_self_nomination: bool = False
    team_ids: list[UUID] | None = None
    member_ids: list[UUID] | None = None
    state: CycleState = CycleState.DRAFT
    created_by: UUID | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    scale_labels: list[str] | None = None
    peer_anonymity_threshold: int | None = None
    ready_soon_max_gap: Decimal | None = None
    ready_soon_min_mean_gap: Decimal | None = None
    launched_at: datetime | None = None
    calibrating_at: datetime | None = None
    released_at: datetime | None = None
    cancelled_at: datetime | None = None
    version: int = 1
    created_at: datetime | None = None

    # --- settings --------------------------------------------------------------

    def validate(self) -> None:
        """The rules of a cycle's own fields, as a whole (after a create or a change)."""
        errors: dict[str, list[str]] = {}
        if not self.name.strip():
            errors["name"] = ["Give the cycle a name."]
        if self.period_start > self.period_end:
            errors["period_end"] = ["Must be on or after period_start."]
        types = list(self.review_types)
        if not types:
            errors["review_types"] = ["Choose at least one review type."]
        elif len(set(types)) != len(types):
            errors["review_types"] = ["Each review type may appear only once."]
        elif not set(types) <= {t.value for t in ReviewType}:
            errors["review_types"] = ["Use self, manager, peer or upward."]
        if not 0 <= self.max_peers_per_reviewee <= MAX_PEERS_LIMIT:
            errors["max_peers_per_reviewee"] = [f"Must be from 0 to {MAX_PEERS_LIMIT}."]
        elif ReviewType.PEER.value in types and self.max_peers_per_reviewee == 0:
            errors["max_peers_per_reviewee"] = ["With peer reviews, allow at least one peer."]
        errors |= self._due_date_problems()
        if self.team_ids is not None and self.member_ids is not None:
            errors["member_ids"] = ["Choose participants by teams or by members, not both."]
        for name in ("team_ids", "member_ids"):
            chosen = getattr(self, name)
            if chosen is not None and len(set(chosen)) != len(chosen):
                errors[name] = ["Each id may appear only once."]
        if errors:
            raise Invalid("The cycle is not valid.", errors)

    def _due_date_problems(self) -> dict[str, list[str]]:
        """A review is due once the period it looks back on has begun, at the earliest."""
        return {
            name: ["Must be on or after period_start."]
            for name in DUE_DATES
            if (due := getattr(self, name)) is not None and due < self.period_start
        }

    def change(self, values: Mapping[str, Any]) -> set[str]:
        """Apply a partial change; the names of the fields that changed.

        A draft is freely editable; an active or calibrating cycle only its name
        and due dates; a released or cancelled one not at all.
        """
        unknown = set(values) - DRAFT_FIELDS
        if unknown:
            raise Invalid("Unknown fields.", {name: ["Unknown field."] for name in unknown})
        if self.state in (CycleState.RELEASED, CycleState.CANCELLED):
            raise Conflict(f"A {self.state.value} cycle cannot be changed.")
        if self.state is not CycleState.DRAFT:
            frozen = sorted(
                n for n in values if n not in LAUNCHED_FIELDS and self._differs(n, values[n])
            )
            if frozen:
                raise Conflict(
                    "After launch only the name and due dates can change, not: "
                    + ", ".join(frozen)
                    + "."
                )
        changed = {name for name, value in values.items() if self._differs(name, value)}
        new: dict[str, Any] = {
            name: list(values[name]) if isinstance(values[name], list | tuple) else values[name]
            for name in changed
        }
        # Validate the result as a whole before touching this cycle: all or nothing.
        replace(self, **new).validate()
        for name, value in new.items():
            setattr(self, name, value)
        return changed

    def _differs(self, name: str, value: Any) -> bool:
        current = getattr(self, name)
        if isinstance(current, list | tuple) and isinstance(value, list | tuple):
            return list(current) != list(value)
        return bool(current != value)

    @property
    def takes(self) -> frozenset[ReviewType]:
        return frozenset(ReviewType(t) for t in self.review_types)

    # --- the state machine -------------------------------------------------------

    def _move(self, action: CycleAction) -> None:
        sources, target = TRANSITIONS[action]
        if self.state not in sources:
            allowed = " or ".join(sorted(s.value for s in sources))
            raise Conflict(
                f"Cannot {action.value} a cycle that is {self.state.value}; it must be {allowed}."
            )
        self.state = target

    def launch(self, now: datetime, snapshot: Snapshot) -> None:
        self._move(CycleAction.LAUNCH)
        self.scale_min = snapshot.scale_min
        self.scale_max = snapshot.scale_max
        self.scale_labels = list(snapshot.scale_labels)
        self.peer_anonymity_threshold = snapshot.peer_anonymity_threshold
        self.ready_soon_max_gap = snapshot.ready_soon_max_gap
        self.ready_soon_min_mean_gap = snapshot.ready_soon_min_mean_gap
        self.launched_at = now

    def start_calibration(
        self, now: datetime, open_manager_reviews: Iterable[UUID], *, force: bool
    ) -> None:
        """``open_manager_reviews``: reviewees whose manager review is not submitted."""
        if self.state is CycleState.ACTIVE and not force:
            waiting = list(open_manager_reviews)
            if waiting:
                raise CalibrationBlocked(len(waiting), waiting)
        self._move(CycleAction.CALIBRATE)
        self.calibrating_at = now

    def release(self, now: datetime) -> None:
        self._move(CycleAction.RELEASE)
        self.released_at = now

    def cancel(self, now: datetime) -> None:
        self._move(CycleAction.CANCEL)
        self.cancelled_at = now

    def require_state(self, state: CycleState, doing: str) -> None:
        if self.state is not state:
            raise Conflict(f"{doing} needs the cycle to be {state.value}, not {self.state.value}.")

    def allowed_actions(self, manages: bool, participants: int) -> list[str]:
        """What the caller may do next with this cycle, in a stable order: not a launch
        that is bound to fail for want of participants."""
        if not manages:
            return []
        actions: list[str] = []
        if self.state in (CycleState.DRAFT, CycleState.ACTIVE, CycleState.CALIBRATING):
            actions.append(CycleAction.UPDATE.value)
        for action, (sources, _target) in TRANSITIONS.items():
            if self.state in sources and (action is not CycleAction.LAUNCH or participants):
                actions.append(action.value)
        return actions


def in_competency_order(
    items: Iterable[T], order: Sequence[UUID], competency: Callable[[T], UUID]
) -> list[T]:
    """``items`` in the cycle's competency order; any outside it last, by id."""
    position = {competency_id: index for index, competency_id in enumerate(order)}
    last = len(position)
    return sorted(
        items, key=lambda item: (position.get(competency(item), last), str(competency(item)))
    )


def manages_cycle(caller: Principal, cycle: ReviewCycle) -> bool:
    """Admins run every cycle; a head of product the cycles they created (which
    cover only their subtree). A read-only token runs none."""
    if Scope.WRITE not in caller.scopes:
        return False
    if caller.is_admin:
        return True
    return caller.access_role is AccessRole.HEAD_OF_PRODUCT and cycle.created_by == caller.member_id


def runs_cycles(caller: Principal) -> bool:
    """Admins and heads of product (these over their subtree) create and run cycles,
    calibrate, and see participants' results."""
    return caller.access_role in (AccessRole.ADMIN, AccessRole.HEAD_OF_PRODUCT)
