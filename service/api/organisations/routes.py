"""Sign-up, and the caller's organisation with its settings."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api.base import Blueprint
from service.api.operations import operation
from service.api.organisations.schemas import (
    OrganisationPatchSchema,
    OrganisationSchema,
    SignedUpSchema,
    SignUpSchema,
)
from service.api.requests import context
from service.api.versions import if_match_version, with_etag
from service.application import organisations as use_cases
from service.domain.access import AccessRole, Scope

blp = Blueprint(
    "organisations",
    __name__,
    url_prefix="/api/v1",
    description="Organisations (tenants): sign-up and settings.",
)


@blp.route("/orgs")
class SignUp(MethodView):
    @operation("signUp", public=True, summary="Create an organisation and its first admin")
    @blp.arguments(SignUpSchema)
    @blp.response(201, SignedUpSchema)
    @blp.alt_response(409, description="The slug is taken.")
    @blp.alt_response(
        429,
        description="Too many sign-ups, log-ins and invitation redemptions from your address;"
        " see `Retry-After`.",
    )
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Sign up: a new organisation, its default ladder and its first admin.

        Can be switched off by the operator (`SIGNUP_ENABLED=false`, answers 403).
        Log in afterwards with `POST /auth/token`.

        Send an `Idempotency-Key` to retry safely when an answer is lost: the retry
        replays the first answer (201 with the organisation) instead of answering 409
        for a slug it took itself.
        """
        admin = body["admin"]
        result = use_cases.sign_up(
            context(),
            use_cases.SignUp(
                name=body["name"],
                slug=body["slug"],
                admin_email=admin["email"],
                admin_name=admin["name"],
                admin_password=admin["password"],
            ),
        )
        return {"organisation": result.organisation, "admin_id": result.admin.id}


@blp.route("/org")
class CurrentOrganisation(MethodView):
    @operation("getOrganisation", scope=Scope.READ, summary="The caller's organisation")
    @blp.response(200, OrganisationSchema)
    @blp.answers_with_etag
    def get(self) -> Any:
        """The caller's organisation and its settings; the ETag guards `PATCH`."""
        return with_etag(use_cases.get_organisation(context()))

    @operation(
        "updateOrganisation",
        scope=Scope.ADMIN,
        roles=[AccessRole.ADMIN],
        summary="Change the name or settings",
    )
    @blp.arguments(OrganisationPatchSchema)
    @blp.response(200, OrganisationSchema)
    @blp.takes_if_match()
    @blp.answers_with_etag
    def patch(self, body: dict[str, Any]) -> Any:
        """Change the name or any part of the settings; `If-Match` is honoured when sent.

        A new rating scale needs its labels; it is refused while an expectation
        of the ladder would fall outside it.
        """
        org = use_cases.update_organisation(
            context(),
            name=body.get("name"),
            settings=body.get("settings"),
            expected_version=if_match_version(),
        )
        return with_etag(org)
