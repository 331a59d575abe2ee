"""Bulk import of people from a CSV file, all or nothing."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request
from flask.views import MethodView

from service.api.base import Blueprint, Schema
from service.api.fields import StrictBoolean, StrictInteger
from service.api.operations import operation
from service.api.requests import context
from service.api.schema_forms import sometimes_absent
from service.application import member_import as use_cases
from service.domain.access import AccessRole, Scope
from service.domain.errors import Invalid

IMPORT_LIMIT = 10 * 1024 * 1024
CSV = "text/csv"
MULTIPART = "multipart/form-data"

blp = Blueprint(
    "member_import",
    __name__,
    url_prefix="/api/v1",
    description="Bulk import of people (an HRIS export, a spreadsheet) from CSV.",
)

DESCRIPTION = """\
Create and update people from a CSV file in UTF-8 (at most 10 MiB), sent as the body
with `Content-Type: text/csv`, or as the field `file` of a `multipart/form-data` form.

The first line names the columns: `email` and `name` are required; `title`,
`access_role` (`admin`, `head_of_product` or `pm`), `product_role` (a role's name or id),
`manager_email` and `team` (a team's name or id) are optional, in any order. For example:

```
email,name,title,access_role,product_role,manager_email,team
hana@example.com,Hana Okafor,Head of Product,head_of_product,Head of Product,,
luis@example.com,Luis Ortega,Product Lead,pm,Product Lead,hana@example.com,Payments
```

- **All or nothing.** Every row is checked before anything is written. If any row is
  wrong, nothing is written and the answer is 422 with `errors.rows`: every problem
  found, each with its `line` (the header is line 1), `column` and `message`.
- **Matched by email**: a known email updates that member, a new one adds a member. A
  re-import of the same file changes nothing (`unchanged` counts those rows). An empty
  cell clears the field (for `access_role`: keeps it, or `pm` for a new member); a
  column left out of the file leaves that field of known members as it is. Deactivated
  members stay deactivated.
- **Managers** are given by email, of someone in the file (before or after, in any order)
  or already in the organisation, and active. The chart after the import must have no
  reporting loop (each row of a loop is reported) and keep an active admin who can log
  in: one with a password or an open invitation (people an import adds have neither).
- **Unknown teams are created**, one per distinct name (names match case-insensitively);
  the answer lists them in `teams_created`, so a misspelt name shows at once (run with
  `dry_run=true` first to check). An unknown team *id* is an error. Roles are never
  created: an unknown or ambiguous role or team name is an error (give the id instead).
- New members get no password: send them an invitation
  (`POST /members/{id}/invitation`).
- Every created or changed member gets an audit event with `before` and `after`, and
  the import one summary event (`entity_type` `member_import`) with the counts.

The same import runs from the command line:
`flask --app service.app members import FILE --org SLUG`.
"""


class ImportQuerySchema(Schema):
    dry_run = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Check the file and answer the counts, writing nothing."},
    )


class ImportResultSchema(Schema):
    import_id = ma.fields.UUID(metadata={"description": "The audit summary event's entity_id."})
    rows = StrictInteger(metadata={"description": "People in the file."})
    created = StrictInteger()
    updated = StrictInteger()
    unchanged = StrictInteger()
    teams_created = ma.fields.List(ma.fields.String())
    dry_run = StrictBoolean()


class RowErrorSchema(Schema):
    line = StrictInteger(metadata={"description": "Line in the file; the header is 1."})
    column = ma.fields.String(allow_none=True)
    message = ma.fields.String()


class RowErrorsSchema(Schema):
    rows = ma.fields.List(
        ma.fields.Nested(RowErrorSchema),
        metadata=sometimes_absent(
            "The rows' errors; other refusals (no file, an unreadable one) name their field."
        ),
    )


class ImportRejectedSchema(Schema):
    code = StrictInteger()
    status = ma.fields.String()
    message = ma.fields.String()
    errors = ma.fields.Nested(RowErrorsSchema, metadata=sometimes_absent("When any."))


REQUEST_BODY = {
    "required": True,
    "content": {
        CSV: {"schema": {"type": "string", "format": "binary"}},
        MULTIPART: {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
    },
}


def _content() -> bytes:
    if request.mimetype == MULTIPART:
        upload = request.files.get("file")
        if upload is None:
            raise Invalid("Send the CSV as the form's `file` field.", {"file": ["Missing."]})
        content: bytes = upload.read()
        return content
    return request.get_data(cache=True)


@blp.route("/members/import")
class MemberImport(MethodView):
    @operation(
        "importMembers",
        scope=Scope.ADMIN,
        roles=[AccessRole.ADMIN],
        summary="Import people from CSV",
        description=DESCRIPTION,
        body_types=(CSV, MULTIPART),
        max_body=IMPORT_LIMIT,
    )
    @blp.arguments(ImportQuerySchema, location="query")
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(413, description="The file is over 10 MiB.")
    @blp.alt_response(415, description="The body is neither text/csv nor multipart/form-data.")
    @blp.alt_response(
        422, schema=ImportRejectedSchema, description="Some rows are not valid; nothing written."
    )
    @blp.doc(requestBody=REQUEST_BODY)
    def post(self, query: dict[str, Any]) -> use_cases.ImportResult:
        return use_cases.import_members(context(), _content(), dry_run=query["dry_run"])
