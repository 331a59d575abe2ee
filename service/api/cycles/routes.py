"""Review cycles and their state transitions."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

from service.api.base import Blueprint, page_request, paginated
from service.api.cycles.schemas import (
    CyclePatchSchema,
    CycleQuerySchema,
    CycleSchema,
    StartCalibrationSchema,
)
from service.api.operations import operation
from service.api.requests import context
from service.api.versions import if_match_version, set_etag
from service.application import cycle_transitions as transitions
from service.application import cycles as use_cases
from service.application.cycle_access import CycleView
from service.application.cycle_ports import CycleFilters
from service.domain.access import AccessRole, Scope
from service.domain.cycle import CycleState

blp = Blueprint(
    "cycles",
    __name__,
    url_prefix="/api/v1",
    description="Review cycles: `draft -> active -> calibrating -> released`, or `cancelled` "
    "from draft or active. Launching snapshots the scale, the ladder and each participant's "
    "role and manager, and creates every review assignment at once. Each cycle lists the "
    "`allowed_actions` of the caller.",
)

RUNNERS = [AccessRole.ADMIN, AccessRole.HEAD_OF_PRODUCT]

FIELDS = (
    "id",
    "name",
    "period_start",
    "period_end",
    "review_types",
    "self_review_due",
    "manager_review_due",
    "peer_review_due",
    "max_peers_per_reviewee",
    "allow_self_nomination",
    "team_ids",
    "member_ids",
    "state",
    "created_by",
    "peer_anonymity_threshold",
    "launched_at",
    "calibrating_at",
    "released_at",
    "cancelled_at",
    "created_at",
)


def present(view: CycleView) -> dict[str, Any]:
    cycle = view.cycle
    shown = {name: getattr(cycle, name) for name in FIELDS}
    shown["state"] = cycle.state.value
    shown["allowed_actions"] = view.allowed_actions
    shown["participant_count"] = view.participant_count
    shown["rating_scale"] = (
        None
        if cycle.scale_min is None
        else {"min": cycle.scale_min, "max": cycle.scale_max, "labels": cycle.scale_labels}
    )
    if view.competencies is not None:
        shown["competencies"] = view.competencies
    if not view.shows_chosen_members:
        del shown["member_ids"]
    return shown


def _with_etag(view: CycleView) -> dict[str, Any]:
    set_etag(view.cycle.version)
    return present(view)


@blp.route("/cycles")
class Cycles(MethodView):
    @operation("listCycles", scope=Scope.READ, summary="List review cycles")
    @blp.arguments(CycleQuerySchema, location="query")
    @blp.response(200, CycleSchema(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """Admins see every cycle. Others see the cycles they created, and launched cycles
        they take part in, review in, or oversee a participant of. Latest period first."""
        state = query.get("state")
        page = use_cases.list_cycles(
            context(),
            CycleFilters(None if state is None else CycleState(state)),
            page_request(pagination_parameters),
        )
        return [present(v) for v in paginated(pagination_parameters, page)]

    @operation("createCycle", scope=Scope.WRITE, roles=RUNNERS, summary="Create a draft cycle")
    @blp.arguments(CycleSchema)
    @blp.response(201, CycleSchema)
    @blp.alt_response(422, description="Invalid dates, types or chosen participants.")
    @blp.answers_with_etag
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Participants: `team_ids` (active members with a product role in those teams),
        `member_ids` (exactly those active members, each with a product role), or neither
        (every active member with a product role). A head of product chooses only within
        their reporting subtree. The draft's participants are resolved now and whenever
        its `team_ids` or `member_ids` is sent again (`participant_count` previews them);
        teams and "everyone" are read again at launch, so people hired, moved or given a
        role since take part. Launching snapshots each participant's role and manager."""
        view = use_cases.create_cycle(context(), use_cases.NewCycle(**body))
        return _with_etag(view)


@blp.route("/cycles/<uuid:cycle_id>")
class CycleById(MethodView):
    @operation("getCycle", scope=Scope.READ, summary="One review cycle")
    @blp.response(200, CycleSchema)
    @blp.alt_response(404, description="No such cycle for you.")
    @blp.answers_with_etag
    def get(self, cycle_id: UUID) -> dict[str, Any]:
        """With the competencies snapshotted at launch; the ETag guards `PATCH`."""
        return _with_etag(use_cases.get_cycle(context(), cycle_id))

    @operation("updateCycle", scope=Scope.WRITE, roles=RUNNERS, summary="Change a cycle")
    @blp.arguments(CyclePatchSchema)
    @blp.response(200, CycleSchema)
    @blp.alt_response(404, description="No such cycle for you.")
    @blp.alt_response(409, description="After launch only the name and due dates change.")
    @blp.takes_if_match()
    @blp.answers_with_etag
    def patch(self, body: dict[str, Any], cycle_id: UUID) -> dict[str, Any]:
        """A draft is freely editable; an active or calibrating cycle only its name and due
        dates; a released or cancelled one not at all. `If-Match` is honoured when sent."""
        view = use_cases.update_cycle(
            context(), cycle_id, use_cases.CycleChanges(body), if_match_version()
        )
        return _with_etag(view)


def _transition_doc(what: str) -> str:
    return (
        f"{what} A transition that is not allowed from the current state answers 409 and "
        "changes nothing; `If-Match` is honoured when sent."
    )


@blp.route("/cycles/<uuid:cycle_id>/launch")
class Launch(MethodView):
    @operation(
        "launchCycle",
        scope=Scope.WRITE,
        roles=RUNNERS,
        summary="Launch a draft",
        description=_transition_doc(
            "`draft -> active`: snapshots the scale, thresholds, competencies, roles with "
            "their expectations, and each participant's role and manager, and creates every "
            "self, manager and upward review, in one transaction."
        ),
    )
    @blp.response(200, CycleSchema)
    @blp.alt_response(404, description="No such cycle for you.")
    @blp.alt_response(409, description="Not a draft, or nobody or nothing to review.")
    @blp.takes_if_match()
    @blp.answers_with_etag
    def post(self, cycle_id: UUID) -> dict[str, Any]:
        return _with_etag(transitions.launch_cycle(context(), cycle_id, if_match_version()))


@blp.route("/cycles/<uuid:cycle_id>/calibrate")
class Calibrate(MethodView):
    @operation(
        "startCalibration",
        scope=Scope.WRITE,
        roles=RUNNERS,
        summary="Start calibration",
        description=_transition_doc(
            "`active -> calibrating`. With manager reviews still open it answers 409 listing "
            'their reviewees (`errors.open_manager_reviews`) unless the body says `{"force": '
            "true}`. Reviews are read-only from now on."
        ),
    )
    @blp.arguments(StartCalibrationSchema)
    @blp.response(200, CycleSchema)
    @blp.alt_response(404, description="No such cycle for you.")
    @blp.alt_response(409, description="Not active, or manager reviews open without force.")
    @blp.takes_if_match()
    @blp.answers_with_etag
    def post(self, body: dict[str, Any], cycle_id: UUID) -> dict[str, Any]:
        view = transitions.start_calibration(
            context(), cycle_id, force=body["force"], expected_version=if_match_version()
        )
        return _with_etag(view)


@blp.route("/cycles/<uuid:cycle_id>/release")
class Release(MethodView):
    @operation(
        "releaseCycle",
        scope=Scope.WRITE,
        roles=RUNNERS,
        summary="Release the results",
        description=_transition_doc(
            "`calibrating -> released`: every participant sees their feedback at "
            "`/me/feedback` at once."
        ),
    )
    @blp.response(200, CycleSchema)
    @blp.alt_response(404, description="No such cycle for you.")
    @blp.alt_response(409, description="Not calibrating.")
    @blp.takes_if_match()
    @blp.answers_with_etag
    def post(self, cycle_id: UUID) -> dict[str, Any]:
        return _with_etag(transitions.release_cycle(context(), cycle_id, if_match_version()))


@blp.route("/cycles/<uuid:cycle_id>/cancel")
class Cancel(MethodView):
    @operation(
        "cancelCycle",
        scope=Scope.WRITE,
        roles=RUNNERS,
        summary="Cancel a draft or active cycle",
        description=_transition_doc("`draft` or `active` `-> cancelled`."),
    )
    @blp.response(200, CycleSchema)
    @blp.alt_response(404, description="No such cycle for you.")
    @blp.alt_response(409, description="Already calibrating, released or cancelled.")
    @blp.takes_if_match()
    @blp.answers_with_etag
    def post(self, cycle_id: UUID) -> dict[str, Any]:
        return _with_etag(transitions.cancel_cycle(context(), cycle_id, if_match_version()))
