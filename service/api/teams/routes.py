"""Teams: each member belongs to at most one."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

from service.api.base import Blueprint, page_request, paginated
from service.api.operations import operation
from service.api.requests import context
from service.api.teams.schemas import TeamPatchSchema, TeamSchema
from service.api.versions import if_match_version, with_etag
from service.application import teams as use_cases
from service.domain.access import AccessRole, Scope
from service.domain.career import Team

blp = Blueprint(
    "teams",
    __name__,
    url_prefix="/api/v1",
    description="Teams; a member belongs to at most one (`team_id`). List a team's "
    "members with `GET /members?team_id=...`.",
)


@blp.route("/teams")
class Teams(MethodView):
    @operation("listTeams", scope=Scope.READ, summary="List teams")
    @blp.response(200, TeamSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[Team]:
        """By name."""
        page = use_cases.list_teams(context(), page_request(pagination_parameters))
        return paginated(pagination_parameters, page)

    @operation("createTeam", scope=Scope.ADMIN, roles=[AccessRole.ADMIN], summary="Add a team")
    @blp.arguments(TeamSchema)
    @blp.response(201, TeamSchema)
    @blp.alt_response(409, description="The name is taken.")
    @blp.answers_with_etag
    def post(self, body: dict[str, Any]) -> Team:
        team = use_cases.create_team(context(), body["name"], body.get("description"))
        return with_etag(team)


@blp.route("/teams/<uuid:team_id>")
class TeamById(MethodView):
    @operation("getTeam", scope=Scope.READ, summary="One team")
    @blp.response(200, TeamSchema)
    @blp.alt_response(404, description="No such team in your organisation.")
    @blp.answers_with_etag
    def get(self, team_id: UUID) -> Team:
        return with_etag(use_cases.get_team(context(), team_id))

    @operation("updateTeam", scope=Scope.ADMIN, roles=[AccessRole.ADMIN], summary="Change a team")
    @blp.arguments(TeamPatchSchema)
    @blp.response(200, TeamSchema)
    @blp.alt_response(404, description="No such team in your organisation.")
    @blp.alt_response(409, description="The name is taken.")
    @blp.takes_if_match()
    @blp.answers_with_etag
    def patch(self, body: dict[str, Any], team_id: UUID) -> Team:
        """Change the name or description; `If-Match` is honoured when sent."""
        return with_etag(use_cases.update_team(context(), team_id, body, if_match_version()))

    @operation("deleteTeam", scope=Scope.ADMIN, roles=[AccessRole.ADMIN], summary="Remove a team")
    @blp.response(204)
    @blp.alt_response(404, description="No such team in your organisation.")
    @blp.alt_response(
        409, description="The team still has members, or a draft cycle chooses from it."
    )
    @blp.takes_if_match()
    def delete(self, team_id: UUID) -> None:
        """Refused while any member (active or not) is in the team, and while a draft
        cycle's `team_ids` name it (it chooses its participants from them at launch).
        A launched cycle does not hold it: it keeps its participants, each one's team id
        as it was, and its `team_ids`."""
        use_cases.delete_team(context(), team_id, if_match_version())
