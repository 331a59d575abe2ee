"""Logging in and redeeming invitations."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api.auth.schemas import AcceptInvitationSchema, LogInSchema, TokenSchema
from service.api.base import Blueprint
from service.api.operations import operation
from service.api.requests import context
from service.application import auth as use_cases

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Logging in.")


@blp.route("/token")
class Token(MethodView):
    @operation(
        "logIn",
        public=True,
        summary="Exchange credentials for a bearer token",
        shown_once="access_token",
    )
    @blp.arguments(LogInSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(
        401, description="Wrong organisation, email or password (one answer for all)."
    )
    @blp.alt_response(
        429,
        description="Ten failed log-ins for this organisation and email within 15 minutes,"
        " or too many sign-ups, log-ins and invitation redemptions from your address; see"
        " `Retry-After`.",
    )
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Log in with the organisation's slug, an email and a password.

        Two limits answer 429 with `Retry-After`: ten failed log-ins for one organisation
        and email within 15 minutes (until that window passes, even with the right
        password), and a budget per client address (by default 30 a minute) shared by
        sign-up, log-in and redeeming an invitation, which all hash a password.
        """
        issued = use_cases.log_in(context(), body["org"], body["email"], body["password"])
        return {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
        }


@blp.route("/accept-invitation")
class AcceptInvitation(MethodView):
    @operation("acceptInvitation", public=True, summary="Redeem an invitation")
    @blp.arguments(AcceptInvitationSchema)
    @blp.response(204)
    @blp.alt_response(404, description="Unknown, used or expired invitation.")
    @blp.alt_response(
        429,
        description="Too many sign-ups, log-ins and invitation redemptions from your"
        " address; see `Retry-After`.",
    )
    def post(self, body: dict[str, Any]) -> None:
        """Set your first password with a one-time invitation token; then log in as usual.
        Any log-in token issued to you before ends at once.

        Retried with the same `Idempotency-Key` (an answer lost on the way), it answers
        204 again instead of 404 for an invitation already used. Counted against your
        address's budget of public writes, as log-in is.
        """
        use_cases.accept_invitation(context(), body["token"], body["password"])
