"""The competency catalogue that the ladder's expectations and the reviews rate."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

from service.api.base import Blueprint, page_request, paginated
from service.api.competencies.schemas import (
    CompetencyPatchSchema,
    CompetencyQuerySchema,
    CompetencySchema,
)
from service.api.operations import operation
from service.api.requests import context
from service.api.versions import if_match_version, with_etag
from service.application import competencies as use_cases
from service.domain.access import AccessRole, Scope
from service.domain.career import Competency

blp = Blueprint(
    "competencies",
    __name__,
    url_prefix="/api/v1",
    description="The competencies that roles expect and reviews rate. Every organisation "
    "starts with strategy, leadership and execution. Competencies are never deleted: "
    "retire one instead.",
)


@blp.route("/competencies")
class Competencies(MethodView):
    @operation("listCompetencies", scope=Scope.READ, summary="List competencies")
    @blp.arguments(CompetencyQuerySchema, location="query")
    @blp.response(200, CompetencySchema(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[Competency]:
        """In display order (`position`, then `key`)."""
        page = use_cases.list_competencies(
            context(), page_request(pagination_parameters), query.get("retired")
        )
        return paginated(pagination_parameters, page)

    @operation(
        "createCompetency",
        scope=Scope.WRITE,
        roles=[AccessRole.ADMIN, AccessRole.HEAD_OF_PRODUCT],
        summary="Add a competency",
    )
    @blp.arguments(CompetencySchema)
    @blp.response(201, CompetencySchema)
    @blp.alt_response(409, description="The key is taken.")
    @blp.answers_with_etag
    def post(self, body: dict[str, Any]) -> Competency:
        competency = use_cases.create_competency(
            context(),
            use_cases.NewCompetency(
                key=body["key"],
                name=body["name"],
                description=body.get("description"),
                position=body.get("position"),
            ),
        )
        return with_etag(competency)


@blp.route("/competencies/<uuid:competency_id>")
class CompetencyById(MethodView):
    @operation("getCompetency", scope=Scope.READ, summary="One competency")
    @blp.response(200, CompetencySchema)
    @blp.alt_response(404, description="No such competency in your organisation.")
    @blp.answers_with_etag
    def get(self, competency_id: UUID) -> Competency:
        return with_etag(use_cases.get_competency(context(), competency_id))

    @operation(
        "updateCompetency",
        scope=Scope.WRITE,
        roles=[AccessRole.ADMIN, AccessRole.HEAD_OF_PRODUCT],
        summary="Change or retire a competency",
    )
    @blp.arguments(CompetencyPatchSchema)
    @blp.response(200, CompetencySchema)
    @blp.alt_response(404, description="No such competency in your organisation.")
    @blp.alt_response(409, description="The key is taken.")
    @blp.takes_if_match()
    @blp.answers_with_etag
    def patch(self, body: dict[str, Any], competency_id: UUID) -> Competency:
        """Change any field; `If-Match` is honoured when sent. Set `retired` to retire it."""
        competency = use_cases.update_competency(context(), competency_id, body, if_match_version())
        return with_etag(competency)
