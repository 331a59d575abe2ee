"""Who a cycle is about: participants with progress and results, peer nominations and
calibration."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

from service.api.base import Blueprint, page_request, paginated
from service.api.cycles.schemas import (
    ParticipantCalibrationSchema,
    ParticipantSchema,
    PeerNominationSchema,
)
from service.api.operations import operation
from service.api.requests import context
from service.api.versions import if_match_version, set_etag
from service.application import calibration, peer_nominations
from service.application.calibration import ParticipantView
from service.domain.access import AccessRole, Scope

blp = Blueprint(
    "cycle_participants",
    __name__,
    url_prefix="/api/v1",
    description="The people a cycle is about: their progress, peer nominations while the "
    "cycle is active, and final ratings set in calibration.",
)


def present(view: ParticipantView) -> dict[str, Any]:
    record = view.record
    shown: dict[str, Any] = {
        "member_id": record.member_id,
        "product_role_id": record.product_role_id,
        "manager_id": record.manager_id,
        "progress": {"assigned": record.assigned, "submitted": record.submitted},
    }
    if view.final_ratings is not None:
        shown["final_ratings"] = [
            {"competency_id": competency_id, "score": score}
            for competency_id, score in view.final_ratings
        ]
        shown["calibrated"] = view.calibrated
        shown["calibration_note"] = record.calibration_note
    return shown


@blp.route("/cycles/<uuid:cycle_id>/participants")
class Participants(MethodView):
    @operation("listParticipants", scope=Scope.READ, summary="Participants and their progress")
    @blp.response(200, ParticipantSchema(many=True))
    @blp.alt_response(404, description="No such cycle for you.")
    @blp.paginate()
    def get(self, pagination_parameters: Any, cycle_id: UUID) -> list[dict[str, Any]]:
        """Admins see every participant; anyone else those in their reporting subtree.
        `final_ratings`, `calibrated` and `calibration_note` are shown to admins and to
        the head of product over the participant, from launch on."""
        page = calibration.list_participants(
            context(), cycle_id, page_request(pagination_parameters)
        )
        return [present(v) for v in paginated(pagination_parameters, page)]


@blp.route("/cycles/<uuid:cycle_id>/participants/<uuid:member_id>/calibration")
class Calibration(MethodView):
    @operation(
        "calibrateParticipant",
        scope=Scope.WRITE,
        roles=[AccessRole.ADMIN, AccessRole.HEAD_OF_PRODUCT],
        summary="Set final ratings",
    )
    @blp.arguments(ParticipantCalibrationSchema)
    @blp.response(200, ParticipantSchema)
    @blp.alt_response(404, description="No such cycle or participant for you.")
    @blp.alt_response(409, description="The cycle is not calibrating.")
    @blp.takes_if_match()
    @blp.answers_with_etag
    def put(self, body: dict[str, Any], cycle_id: UUID, member_id: UUID) -> dict[str, Any]:
        """While the cycle is calibrating, an admin or the head of product over the
        participant sets their final ratings (replacing any set before; competencies left
        out fall back to the manager's rating) with a note. Every change is in the audit
        log with its before and after. `If-Match` (the ETag of an earlier answer) is
        honoured when sent."""
        view = calibration.calibrate_participant(
            context(),
            cycle_id,
            member_id,
            [(r["competency_id"], r["score"]) for r in body["ratings"]],
            body.get("note"),
            if_match_version(),
        )
        if view.version is not None:
            set_etag(view.version)
        return present(view)


@blp.route("/cycles/<uuid:cycle_id>/peer-nominations")
class PeerNominations(MethodView):
    @operation("nominatePeers", scope=Scope.WRITE, summary="Nominate peers")
    @blp.arguments(PeerNominationSchema)
    @blp.response(201, PeerNominationSchema)
    @blp.alt_response(404, description="No such cycle for you.")
    @blp.alt_response(409, description="Not active, already nominated, or over the maximum.")
    @blp.alt_response(422, description="Self-nomination, duplicates, unknown people.")
    def post(self, body: dict[str, Any], cycle_id: UUID) -> dict[str, Any]:
        """While the cycle is active, the reviewee's manager (or anyone above them, or an
        admin; or the reviewee when the cycle allows self-nomination) nominates peers; each
        nomination creates a peer review, up to `max_peers_per_reviewee`."""
        nomination = peer_nominations.nominate_peers(
            context(), cycle_id, body["reviewee_id"], body["reviewer_ids"]
        )
        return {
            "reviewee_id": nomination.reviewee_id,
            "reviewer_ids": nomination.reviewer_ids,
            "peer_count": nomination.peer_count,
        }
