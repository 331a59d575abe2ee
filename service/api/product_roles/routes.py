"""The career ladder: product roles, their pay bands and expectations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from flask.views import MethodView

from service.api.base import Blueprint, page_request, paginated
from service.api.operations import operation
from service.api.product_roles.schemas import (
    ProductRolePatchSchema,
    ProductRoleQuerySchema,
    ProductRoleSchema,
)
from service.api.requests import context
from service.api.versions import if_match_version, set_etag
from service.application import product_roles as use_cases
from service.application.product_roles import RoleView
from service.domain.access import AccessRole, Scope
from service.domain.career import ExpectationSpec, PayBand

blp = Blueprint(
    "product_roles",
    __name__,
    url_prefix="/api/v1",
    description="The career ladder. Every organisation starts with the product-management "
    "ladder on the track `product`, levels 1 (Associate PM) to 8 (Chief Product Officer), "
    "expecting strategy, leadership and execution; admins edit it freely.",
)


def _decimal(value: float) -> Decimal:
    return Decimal(str(value))


def _pay_band(value: dict[str, Any] | None) -> PayBand | None:
    if value is None:
        return None
    return PayBand(value["currency"], _decimal(value["min"]), _decimal(value["max"]))


def _expectations(values: list[dict[str, Any]]) -> list[ExpectationSpec]:
    return [
        ExpectationSpec(
            competency_id=e["competency_id"],
            expected_score=e["expected_score"],
            weight=_decimal(e["weight"]),
            description=e.get("description"),
        )
        for e in values
    ]


def present(view: RoleView) -> dict[str, Any]:
    role = view.role
    band = role.pay_band
    return {
        "id": role.id,
        "name": role.name,
        "track": role.track,
        "level": role.level,
        "description": role.description,
        "pay_band": None
        if band is None
        else {"currency": band.currency, "min": band.min, "max": band.max},
        "expectations": view.expectations,
        "next_role_id": view.next_role_id,
    }


def _with_etag(view: RoleView) -> dict[str, Any]:
    set_etag(view.role.version)
    return present(view)


@blp.route("/product-roles")
class ProductRoles(MethodView):
    @operation("listProductRoles", scope=Scope.READ, summary="The career ladder")
    @blp.arguments(ProductRoleQuerySchema, location="query")
    @blp.response(200, ProductRoleSchema(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """Every role with its expectations and next role, by track then level. Everyone
        in the organisation may read the whole ladder."""
        page = use_cases.list_product_roles(
            context(), page_request(pagination_parameters), query.get("track")
        )
        return [present(v) for v in paginated(pagination_parameters, page)]

    @operation(
        "createProductRole",
        scope=Scope.WRITE,
        roles=[AccessRole.ADMIN, AccessRole.HEAD_OF_PRODUCT],
        summary="Add a role to the ladder",
    )
    @blp.arguments(ProductRoleSchema)
    @blp.response(201, ProductRoleSchema)
    @blp.alt_response(409, description="The level is taken on the track.")
    @blp.answers_with_etag
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Expectations refer to current (not retired) competencies, once each, with an
        `expected_score` on the organisation's scale and a `weight` above 0."""
        view = use_cases.create_product_role(
            context(),
            use_cases.NewProductRole(
                name=body["name"],
                track=body["track"],
                level=body["level"],
                description=body.get("description"),
                pay_band=_pay_band(body.get("pay_band")),
                expectations=_expectations(body["expectations"]),
            ),
        )
        return _with_etag(view)


@blp.route("/product-roles/<uuid:role_id>")
class ProductRoleById(MethodView):
    @operation("getProductRole", scope=Scope.READ, summary="One role of the ladder")
    @blp.response(200, ProductRoleSchema)
    @blp.alt_response(404, description="No such role in your organisation.")
    @blp.answers_with_etag
    def get(self, role_id: UUID) -> dict[str, Any]:
        return _with_etag(use_cases.get_product_role(context(), role_id))

    @operation(
        "updateProductRole",
        scope=Scope.WRITE,
        roles=[AccessRole.ADMIN, AccessRole.HEAD_OF_PRODUCT],
        summary="Change a role",
    )
    @blp.arguments(ProductRolePatchSchema)
    @blp.response(200, ProductRoleSchema)
    @blp.alt_response(404, description="No such role in your organisation.")
    @blp.alt_response(409, description="The level is taken on the track.")
    @blp.takes_if_match()
    @blp.answers_with_etag
    def patch(self, body: dict[str, Any], role_id: UUID) -> dict[str, Any]:
        """Change any field; `expectations`, when sent, replaces the whole list. The ETag
        covers the expectations too; `If-Match` is honoured when sent. Cycles already
        launched keep the ladder as it was."""
        values = dict(body)
        if "pay_band" in values:
            values["pay_band"] = _pay_band(values["pay_band"])
        if "expectations" in values:
            values["expectations"] = _expectations(values["expectations"])
        view = use_cases.update_product_role(context(), role_id, values, if_match_version())
        return _with_etag(view)

    @operation(
        "deleteProductRole",
        scope=Scope.WRITE,
        roles=[AccessRole.ADMIN, AccessRole.HEAD_OF_PRODUCT],
        summary="Remove a role from the ladder",
    )
    @blp.response(204)
    @blp.alt_response(404, description="No such role in your organisation.")
    @blp.alt_response(409, description="Members hold the role.")
    @blp.takes_if_match()
    def delete(self, role_id: UUID) -> None:
        """Refused while any member (active or not) holds the role. Cycles already
        launched keep their copy of it."""
        use_cases.delete_product_role(context(), role_id, if_match_version())
