"""People and their reporting lines."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

from service.api.base import Blueprint, page_request, paginated
from service.api.members.schemas import (
    InvitationSchema,
    MemberPatchSchema,
    MemberQuerySchema,
    MemberSchema,
    ReportSchema,
    ReportsQuerySchema,
)
from service.api.operations import operation
from service.api.requests import context
from service.api.versions import if_match_version, set_etag, with_etag
from service.application import members as use_cases
from service.application import structure
from service.application.career_ports import DirectoryEntry, MemberFilters
from service.domain.access import AccessRole, Scope
from service.domain.member import Member

blp = Blueprint(
    "members",
    __name__,
    url_prefix="/api/v1",
    description="People, their access roles and reporting lines.",
)

MEMBER_FIELDS = (
    "id",
    "email",
    "name",
    "title",
    "access_role",
    "product_role_id",
    "manager_id",
    "team_id",
    "status",
)


def present(view: DirectoryEntry) -> dict[str, Any]:
    """The member, with the names of their manager, team and role, and in a subtree
    their depth."""
    shown = {name: getattr(view.member, name) for name in MEMBER_FIELDS}
    shown.update(
        manager_name=view.manager_name,
        team_name=view.team_name,
        product_role_name=view.product_role_name,
    )
    if view.depth is not None:
        shown["depth"] = view.depth
    return shown


@blp.route("/me")
class Me(MethodView):
    @operation("getMe", scope=Scope.READ, summary="The caller")
    @blp.response(200, MemberSchema)
    @blp.answers_with_etag
    def get(self) -> dict[str, Any]:
        """The member behind the token (for an API token, the admin who made it), with
        the names of their manager, team and role."""
        view = use_cases.get_me(context())
        set_etag(view.member.version)
        return present(view)


@blp.route("/members")
class Members(MethodView):
    @operation("listMembers", scope=Scope.READ, summary="List members")
    @blp.arguments(MemberQuerySchema, location="query")
    @blp.response(200, MemberSchema(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[Any]:
        """The directory, the same for every member of the organisation: each person
        with the names of their manager, team and product role. `q` searches names and
        emails."""
        page = use_cases.list_members(
            context(), MemberFilters(**query), page_request(pagination_parameters)
        )
        return [present(v) for v in paginated(pagination_parameters, page)]

    @operation("createMember", scope=Scope.ADMIN, roles=[AccessRole.ADMIN], summary="Add a member")
    @blp.arguments(MemberSchema)
    @blp.response(201, MemberSchema)
    @blp.alt_response(409, description="The email is taken.")
    @blp.answers_with_etag
    def post(self, body: dict[str, Any]) -> Member:
        """Add a person; they log in with the given password or through an invitation."""
        member = use_cases.create_member(
            context(),
            use_cases.NewMember(
                email=body["email"],
                name=body["name"],
                title=body.get("title"),
                access_role=AccessRole(body["access_role"]),
                product_role_id=body.get("product_role_id"),
                manager_id=body.get("manager_id"),
                team_id=body.get("team_id"),
                password=body.get("password"),
            ),
        )
        return with_etag(member)


@blp.route("/members/<uuid:member_id>")
class MemberById(MethodView):
    @operation("getMember", scope=Scope.READ, summary="One member")
    @blp.response(200, MemberSchema)
    @blp.alt_response(404, description="No such member in your organisation.")
    @blp.answers_with_etag
    def get(self, member_id: UUID) -> Any:
        view = use_cases.get_member(context(), member_id)
        set_etag(view.member.version)
        return present(view)

    @operation(
        "updateMember", scope=Scope.ADMIN, roles=[AccessRole.ADMIN], summary="Change a member"
    )
    @blp.arguments(MemberPatchSchema)
    @blp.response(200, MemberSchema)
    @blp.alt_response(404, description="No such member in your organisation.")
    @blp.alt_response(
        409,
        description="The email is taken, or the last admin who can log in (with a password"
        " or an open invitation) would be lost.",
    )
    @blp.takes_if_match()
    @blp.answers_with_etag
    def patch(self, body: dict[str, Any], member_id: UUID) -> Member:
        """Change any of the fields; `If-Match` is honoured when sent."""
        member = use_cases.update_member(
            context(), member_id, use_cases.MemberChanges(body), if_match_version()
        )
        return with_etag(member)


@blp.route("/members/<uuid:member_id>/deactivate")
class Deactivate(MethodView):
    @operation(
        "deactivateMember",
        scope=Scope.ADMIN,
        roles=[AccessRole.ADMIN],
        summary="Deactivate a member",
    )
    @blp.response(200, MemberSchema)
    @blp.alt_response(404, description="No such member in your organisation.")
    @blp.alt_response(409, description="Already deactivated, or the last admin who can log in.")
    @blp.takes_if_match()
    @blp.answers_with_etag
    def post(self, member_id: UUID) -> Member:
        """Their log-in and API tokens stop working on the very next request; the
        member and their submitted reviews are kept. Their active direct reports move to
        their nearest active manager up the line (to no manager when there is none), each
        move in the audit log with `reason: manager_deactivated`; cycles already
        launched keep the reporting lines they snapshotted.

        In active cycles, the manager reviews they had still to write go, drafts
        included, to each reviewee's manager now (`reassigned` in the audit log); the
        other reviews they had still to write, and those still to be written about
        them, are withdrawn (`withdrawn`), so completion and calibration do not wait
        for them."""
        return with_etag(use_cases.deactivate_member(context(), member_id, if_match_version()))


@blp.route("/members/<uuid:member_id>/invitation")
class Invite(MethodView):
    @operation(
        "inviteMember",
        scope=Scope.ADMIN,
        roles=[AccessRole.ADMIN],
        summary="Issue a one-time invitation",
        shown_once="token",
    )
    @blp.response(201, InvitationSchema)
    @blp.alt_response(404, description="No such member in your organisation.")
    @blp.alt_response(409, description="The member is deactivated, or already has a password.")
    def post(self, member_id: UUID) -> Any:
        """A one-time token, shown once, that lets a member without a password set their
        first one at `POST /auth/accept-invitation`. A new invitation voids earlier ones.

        A member who already has a password cannot be invited (409): an invitation never
        replaces a password the member chose, so nobody else can take over the account.
        """
        issued = use_cases.invite_member(context(), member_id)
        return {"token": issued.token, "expires_at": issued.expires_at}


@blp.route("/members/<uuid:member_id>/reports")
class Reports(MethodView):
    @operation("listReports", scope=Scope.READ, summary="Everyone under a member")
    @blp.arguments(ReportsQuerySchema, location="query")
    @blp.response(200, ReportSchema(many=True))
    @blp.paginate()
    @blp.alt_response(404, description="No such member in your organisation.")
    def get(
        self, query: dict[str, Any], member_id: UUID, pagination_parameters: Any
    ) -> list[dict[str, Any]]:
        """The member's whole subtree, direct and indirect reports, nearest first (by
        `depth`: 1 for a direct report, then by name), from one recursive query.
        Each person is shown as `GET /members` would show them to the caller."""
        page = structure.member_reports(
            context(), member_id, query.get("max_depth"), page_request(pagination_parameters)
        )
        return [present(v) for v in paginated(pagination_parameters, page)]
