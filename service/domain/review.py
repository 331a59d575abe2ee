"""Reviews: drafts, submission, reopening, and who may see what of them.

A review is written by one reviewer about one reviewee: ``not_started ->
in_progress -> submitted``, and back to ``in_progress`` when an admin reopens
it. Drafts save partially; submitting needs a score for every competency of the
cycle, on the cycle's scale. Reviews are blind (see ``review_visibility``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from service.domain.cycle import CycleState, ReviewType
from service.domain.errors import Conflict, Invalid
from service.domain.tenancy import TenantOwned

MAX_EVIDENCE = 10
MAX_URL_LENGTH = 2048
MAX_TITLE_LENGTH = 200


class ReviewStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class Recommendation(StrEnum):
    READY_NOW = "ready_now"
    READY_SOON = "ready_soon"
    NOT_READY = "not_ready"


class Potential(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ReviewAction(StrEnum):
    UPDATE = "update"
    SUBMIT = "submit"
    REOPEN = "reopen"


#: Fields only a manager review carries.
MANAGER_ONLY = ("promotion_recommendation", "potential")


@dataclass(eq=False)
class Rating(TenantOwned):
    org_id: UUID
    id: UUID
    review_id: UUID
    competency_id: UUID
    score: int | None = None
    comment: str | None = None
    evidence: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RatingChange:
    """One rating of a draft save: only the keys present in ``values`` change."""

    competency_id: UUID
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ReviewRules:
    """What the cycle's snapshot says a rating must be."""

    scale_min: int
    scale_max: int
    competency_ids: tuple[UUID, ...]


def _url_problem(url: str) -> str | None:
    """Why ``url`` is not an absolute http(s) link a reader can safely follow, if it is not."""
    if len(url) > MAX_URL_LENGTH:
        return f"At most {MAX_URL_LENGTH} characters."
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts = None
    # Whitespace and control characters are never part of a link (and hide what it says).
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or any(ch.isspace() or not ch.isprintable() for ch in url)
    ):
        return "Use an absolute http or https URL."
    if "@" in parts.netloc:
        # user:password@host: a credential the reviewee would be shown with the link.
        return "Leave out any user name or password (user:password@host)."
    return None


def evidence_problems(evidence: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Field errors of a list of evidence links (the API schema checks only their shape)."""
    problems: dict[str, Any] = {}
    if len(evidence) > MAX_EVIDENCE:
        return {"_schema": [f"At most {MAX_EVIDENCE} links per rating."]}
    for index, link in enumerate(evidence):
        url = str(link.get("url") or "")
        title = str(link.get("title") or "")
        errors: dict[str, list[str]] = {}
        url_problem = _url_problem(url)
        if url_problem is not None:
            errors["url"] = [url_problem]
        if not title.strip() or len(title) > MAX_TITLE_LENGTH:
            errors["title"] = [f"Give a title of 1 to {MAX_TITLE_LENGTH} characters."]
        if errors:
            problems[str(index)] = errors
    return problems


@dataclass(eq=False)
class Review(TenantOwned):
    org_id: UUID
    id: UUID
    cycle_id: UUID
    reviewee_id: UUID
    reviewer_id: UUID
    type: ReviewType
    status: ReviewStatus = ReviewStatus.NOT_STARTED
    summary: str | None = None
    promotion_recommendation: Recommendation | None = None
    potential: Potential | None = None
    nominated_by: UUID | None = None
    submitted_at: datetime | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    ratings: list[Rating] = field(default_factory=list)

    @property
    def is_submitted(self) -> bool:
        return self.status is ReviewStatus.SUBMITTED

    def rating_for(self, competency_id: UUID) -> Rating | None:
        return next((r for r in self.ratings if r.competency_id == competency_id), None)

    @staticmethod
    def _require_writes(cycle_state: CycleState, done: str) -> None:
        if not cycle_state.takes_review_writes:
            raise Conflict(
                f"Reviews can be {done} only while the cycle is active, not {cycle_state.value}."
            )

    def _require_open(self, cycle_state: CycleState) -> None:
        self._require_writes(cycle_state, "written")
        if self.is_submitted:
            raise Conflict("The review is submitted and read-only; an admin can reopen it.")

    def save_draft(
        self,
        ratings: Sequence[RatingChange],
        values: Mapping[str, Any],
        rules: ReviewRules,
        cycle_state: CycleState,
        now: datetime,
    ) -> None:
        """Save what was sent, leaving the rest as it was. Scores, when given,
        must already be on the scale; missing ones are fine until submission."""
        self._require_open(cycle_state)
        errors: dict[str, Any] = {}
        if self.type is not ReviewType.MANAGER:
            for name in MANAGER_ONLY:
                if values.get(name) is not None:
                    errors[name] = ["Only a manager review carries this."]
        rating_errors = self._rating_problems(ratings, rules)
        if rating_errors:
            errors["ratings"] = rating_errors
        if errors:
            raise Invalid("The review is not valid.", errors)
        for change in ratings:
            rating = self.rating_for(change.competency_id)
            if rating is None:
                rating = Rating(
                    org_id=self.org_id,
                    id=uuid.uuid4(),
                    review_id=self.id,
                    competency_id=change.competency_id,
                )
                self.ratings.append(rating)
            for name in ("score", "comment"):
                if name in change.values:
                    setattr(rating, name, change.values[name])
            if "evidence" in change.values:
                rating.evidence = [
                    {"title": str(e["title"]), "url": str(e["url"])}
                    for e in change.values["evidence"] or []
                ]
        if "summary" in values:
            self.summary = values["summary"]
        if "promotion_recommendation" in values:
            value = values["promotion_recommendation"]
            self.promotion_recommendation = None if value is None else Recommendation(value)
        if "potential" in values:
            value = values["potential"]
            self.potential = None if value is None else Potential(value)
        self.status = ReviewStatus.IN_PROGRESS
        # Always touch the row: its version moves with every save, ratings included.
        self.updated_at = now

    def _rating_problems(
        self, ratings: Sequence[RatingChange], rules: ReviewRules
    ) -> dict[str, Any]:
        known = set(rules.competency_ids)
        problems: dict[str, Any] = {}
        seen: set[UUID] = set()
        for index, change in enumerate(ratings):
            errors: dict[str, Any] = {}
            if change.competency_id not in known:
                errors["competency_id"] = ["Not a competency of this cycle."]
            elif change.competency_id in seen:
                errors["competency_id"] = ["Each competency may appear only once."]
            seen.add(change.competency_id)
            score = change.values.get("score")
            if score is not None and not rules.scale_min <= score <= rules.scale_max:
                errors["score"] = [
                    f"Must be on the cycle's scale, {rules.scale_min} to {rules.scale_max}."
                ]
            evidence = evidence_problems(change.values.get("evidence") or [])
            if evidence:
                errors["evidence"] = evidence
            if errors:
                problems[str(index)] = errors
        return problems

    def submit(self, rules: ReviewRules, cycle_state: CycleState, now: datetime) -> None:
        """Every competency of the cycle needs a score on its scale."""
        self._require_open(cycle_state)
        problems: dict[str, list[str]] = {}
        for competency_id in rules.competency_ids:
            rating = self.rating_for(competency_id)
            if rating is None or rating.score is None:
                problems[str(competency_id)] = ["A score is required to submit."]
            elif not rules.scale_min <= rating.score <= rules.scale_max:
                problems[str(competency_id)] = [
                    f"Must be on the cycle's scale, {rules.scale_min} to {rules.scale_max}."
                ]
        if problems:
            raise Invalid(
                "Every competency needs a score before submitting.", {"ratings": problems}
            )
        self.status = ReviewStatus.SUBMITTED
        self.submitted_at = now
        self.updated_at = now

    def reopen(self, cycle_state: CycleState, now: datetime) -> None:
        self._require_writes(cycle_state, "reopened")
        if not self.is_submitted:
            raise Conflict("Only a submitted review can be reopened.")
        self.status = ReviewStatus.IN_PROGRESS
        self.submitted_at = None
        self.updated_at = now

    def audit_facts(self) -> dict[str, Any]:
        """What the audit log keeps of a review's start, submission or reopening: that it
        happened and whom it is about (the log hides it from them: admins read the log,
        and may be its reviewee), never what the review says."""
        return {
            "status": self.status.value,
            "type": self.type.value,
            "cycle_id": str(self.cycle_id),
            "reviewee_id": str(self.reviewee_id),
        }


def check_nomination(
    reviewee_id: UUID,
    reviewer_ids: Sequence[UUID],
    already: Iterable[UUID],
    maximum: int,
) -> None:
    """The rules of one nomination request, against the peers already nominated."""
    errors: dict[str, list[str]] = {}
    if not reviewer_ids:
        errors["reviewer_ids"] = ["Nominate at least one peer."]
    elif len(set(reviewer_ids)) != len(reviewer_ids):
        errors["reviewer_ids"] = ["Each peer may appear only once."]
    elif reviewee_id in reviewer_ids:
        errors["reviewer_ids"] = ["Nobody reviews themselves as a peer."]
    elif len(reviewer_ids) > maximum:
        errors["reviewer_ids"] = [f"This cycle allows at most {maximum} peers per reviewee."]
    if errors:
        raise Invalid("The nomination is not valid.", errors)
    existing = set(already)
    repeated = sorted(str(r) for r in reviewer_ids if r in existing)
    if repeated:
        raise Conflict("Already nominated for this reviewee: " + ", ".join(repeated) + ".")
    if len(existing) + len(reviewer_ids) > maximum:
        raise Conflict(
            f"This would make {len(existing) + len(reviewer_ids)} peers; the cycle allows "
            f"at most {maximum} per reviewee ({len(existing)} already nominated)."
        )
