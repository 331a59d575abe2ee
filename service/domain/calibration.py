"""The people a cycle is about, and the final ratings calibration sets for them.

A participant's role and manager are the ones the cycle snapshotted at launch.
Calibration, while the cycle is calibrating, replaces a participant's final ratings
as a whole: competencies left out fall back to the manager's rating.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from service.domain.errors import Invalid
from service.domain.tenancy import TenantOwned


@dataclass(eq=False)
class Calibration(TenantOwned):
    org_id: UUID
    id: UUID
    cycle_id: UUID
    member_id: UUID
    competency_id: UUID
    score: int


@dataclass(eq=False)
class CycleParticipant(TenantOwned):
    """One person a cycle is about; role and manager as they were at launch."""

    org_id: UUID
    id: UUID
    cycle_id: UUID
    member_id: UUID
    product_role_id: UUID | None = None
    manager_id: UUID | None = None
    calibration_note: str | None = None
    calibrated_at: datetime | None = None
    calibrated_by: UUID | None = None
    version: int = 1
    calibrations: list[Calibration] = field(default_factory=list)

    def calibrated_scores(self) -> dict[UUID, int]:
        return {c.competency_id: c.score for c in self.calibrations}

    def audit_calibration(self) -> dict[str, Any]:
        return {
            "cycle_id": str(self.cycle_id),
            "member_id": str(self.member_id),
            "ratings": [
                {"competency_id": str(k), "score": v}
                for k, v in sorted(self.calibrated_scores().items(), key=lambda kv: str(kv[0]))
            ],
            "note": self.calibration_note,
        }

    def calibrate(
        self,
        ratings: Sequence[tuple[UUID, int]],
        note: str | None,
        *,
        scale: tuple[int, int],
        competency_ids: Iterable[UUID],
        by: UUID,
        now: datetime,
    ) -> None:
        """Set the final ratings, ``(competency_id, score)`` pairs, each competency at
        most once (all of them: competencies left out lose theirs)."""
        scores = dict(ratings)
        if len(scores) != len(ratings):
            raise Invalid(
                "Each competency may appear only once.",
                {"ratings": ["Each competency may appear only once."]},
            )
        low, high = scale
        known = set(competency_ids)
        errors: dict[str, list[str]] = {}
        for competency_id, score in scores.items():
            if competency_id not in known:
                errors[str(competency_id)] = ["Not a competency of this cycle."]
            elif not low <= score <= high:
                errors[str(competency_id)] = [f"Must be on the cycle's scale, {low} to {high}."]
        if errors:
            raise Invalid("The ratings are not valid.", {"ratings": errors})
        # Update in place: a delete and an insert of the same competency in one
        # flush would trip the unique constraint (inserts go first).
        by_competency = {c.competency_id: c for c in self.calibrations}
        for competency_id, calibration in by_competency.items():
            if competency_id not in scores:
                self.calibrations.remove(calibration)
        for competency_id, score in scores.items():
            existing = by_competency.get(competency_id)
            if existing is not None:
                existing.score = score
            else:
                self.calibrations.append(
                    Calibration(
                        org_id=self.org_id,
                        id=uuid.uuid4(),
                        cycle_id=self.cycle_id,
                        member_id=self.member_id,
                        competency_id=competency_id,
                        score=score,
                    )
                )
        self.calibration_note = note
        self.calibrated_at = now
        self.calibrated_by = by
