"""The audit log, for admins."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api.audit_events.schemas import AuditEventSchema, AuditQuerySchema
from service.api.base import Blueprint, page_request, paginated
from service.api.operations import operation
from service.api.requests import context
from service.application.audit import list_audit_events
from service.application.ports import AuditFilters
from service.domain.access import AccessRole, Scope
from service.domain.audit import AuditEvent

blp = Blueprint(
    "audit_events",
    __name__,
    url_prefix="/api/v1/audit-events",
    description="Every change, who made it, with before and after. Newest first.",
)


@blp.route("")
class AuditEvents(MethodView):
    @operation("listAuditEvents", scope=Scope.ADMIN, roles=[AccessRole.ADMIN], summary="Audit log")
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[AuditEvent]:
        page = list_audit_events(
            context(), AuditFilters(**query), page_request(pagination_parameters)
        )
        return paginated(pagination_parameters, page)
