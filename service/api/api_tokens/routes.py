"""Integration tokens."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

from service.api.api_tokens.schemas import ApiTokenSchema, CreatedApiTokenSchema
from service.api.base import Blueprint, page_request, paginated
from service.api.operations import operation
from service.api.requests import context
from service.application import api_tokens as use_cases
from service.application.api_tokens import MAX_ACTIVE_API_TOKENS
from service.domain.access import AccessRole, Scope
from service.domain.credentials import ApiToken

blp = Blueprint(
    "api_tokens",
    __name__,
    url_prefix="/api/v1/api-tokens",
    description="Tokens for integrations: shown once, stored hashed, scoped, revocable.",
)


@blp.route("")
class ApiTokens(MethodView):
    @operation("listApiTokens", scope=Scope.ADMIN, roles=[AccessRole.ADMIN], summary="List tokens")
    @blp.response(200, ApiTokenSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[ApiToken]:
        """Tokens that are not revoked; never their secrets."""
        page = use_cases.list_api_tokens(context(), page_request(pagination_parameters))
        return paginated(pagination_parameters, page)

    @operation(
        "createApiToken",
        scope=Scope.ADMIN,
        roles=[AccessRole.ADMIN],
        summary="Make a token",
        shown_once="token",
        description=(
            "The answer alone carries the secret (`token`); it acts as you, within its"
            " scopes.\n\nEach token has a request budget of its own, so an organisation"
            f" holds at most {MAX_ACTIVE_API_TOKENS} active tokens (neither revoked nor"
            " expired): one more answers 409 until one is revoked or expires.\n\nTokens are"
            " made by a signed-in admin: an API token asking for one is refused (403), as a"
            " token it made would outlive its own expiry and revocation."
        ),
    )
    @blp.arguments(ApiTokenSchema)
    @blp.response(201, CreatedApiTokenSchema)
    @blp.alt_response(
        409,
        description=f"The organisation already has {MAX_ACTIVE_API_TOKENS} active tokens;"
        " revoke one first.",
    )
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        # Described in ``operation(description=...)``, which can name the cap's constant.
        created = use_cases.create_api_token(
            context(),
            use_cases.NewApiToken(
                name=body["name"],
                scopes=[Scope(s) for s in body["scopes"]],
                expires_at=body.get("expires_at"),
            ),
        )
        token = created.token
        return {
            "id": token.id,
            "name": token.name,
            "prefix": token.prefix,
            "scopes": token.scopes,
            "created_at": token.created_at,
            "last_used_at": token.last_used_at,
            "expires_at": token.expires_at,
            "token": created.secret,
        }


@blp.route("/<uuid:token_id>")
class ApiTokenById(MethodView):
    @operation(
        "revokeApiToken", scope=Scope.ADMIN, roles=[AccessRole.ADMIN], summary="Revoke a token"
    )
    @blp.response(204)
    @blp.alt_response(404, description="No such token in your organisation.")
    def delete(self, token_id: UUID) -> None:
        """Revoked at once: the very next request with it answers 401."""
        use_cases.revoke_api_token(context(), token_id)
