"""The bulk path of the CSV import: whole columns sent as arrays.

Each write is one ``INSERT ... SELECT FROM unnest(...)`` or ``UPDATE ... FROM
unnest(...)``, so ten thousand people cost a handful of statements, not ten thousand,
and no ORM object is made per row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from service.adapters import tables
from service.adapters.constraints import conflict_from
from service.adapters.cycle_sql import rowcount
from service.adapters.repositories import TenantQueries
from service.application.career_ports import PersonRecord
from service.domain.audit import AuditEvent
from service.domain.career import Team


def _ids(values: Sequence[UUID | None]) -> list[str | None]:
    return [None if v is None else str(v) for v in values]


class MemberImportRepository(TenantQueries):
    def _write(self, sql: str, params: dict[str, Any]) -> int:
        """Run one bulk write, answering the rows it wrote. These statements bypass
        the unit of work's flush, so a constraint they break (an email or a team name
        taken meanwhile, a role deleted meanwhile) is translated here: 409 with its
        reason, not 500."""
        try:
            result = self.session.execute(text(sql), params)
        except IntegrityError as error:
            self.session.rollback()
            raise conflict_from(error) from error
        return rowcount(result)

    def people(self) -> list[PersonRecord]:
        m = tables.members.c
        rows = self.session.execute(
            select(
                m.id, m.email, m.name, m.title, m.access_role, m.product_role_id,
                m.manager_id, m.team_id, m.status, m.version,
            ).where(m.org_id == self.org_id)
        )  # fmt: skip
        return [
            PersonRecord(
                r.id, r.email, r.name, r.title, str(r.access_role), r.product_role_id,
                r.manager_id, r.team_id, str(r.status), r.version,
            )
            for r in rows
        ]  # fmt: skip

    def insert_teams(self, teams: list[Team]) -> None:
        if not teams:
            return
        self._write(
            (
                "INSERT INTO teams (org_id, id, name, description)"
                " SELECT CAST(:org AS uuid), u.id, u.name, NULL"
                " FROM unnest(CAST(:ids AS uuid[]), CAST(:names AS text[])) AS u(id, name)"
            ),
            {
                "org": str(self.org_id),
                "ids": _ids([t.id for t in teams]),
                "names": [t.name for t in teams],
            },
        )

    @staticmethod
    def _columns(people: list[PersonRecord]) -> dict[str, Any]:
        return {
            "ids": _ids([p.id for p in people]),
            "emails": [p.email for p in people],
            "names": [p.name for p in people],
            "titles": [p.title for p in people],
            "access_roles": [p.access_role for p in people],
            "roles": _ids([p.product_role_id for p in people]),
            "managers": _ids([p.manager_id for p in people]),
            "teams": _ids([p.team_id for p in people]),
            "versions": [p.version for p in people],
        }

    _UNNEST = (
        "unnest(CAST(:ids AS uuid[]), CAST(:emails AS text[]), CAST(:names AS text[]),"
        " CAST(:titles AS text[]), CAST(:access_roles AS text[]), CAST(:roles AS uuid[]),"
        " CAST(:managers AS uuid[]), CAST(:teams AS uuid[]), CAST(:versions AS integer[]))"
        " AS u(id, email, name, title, access_role, product_role_id, manager_id, team_id,"
        " version)"
    )

    def insert_people(self, people: list[PersonRecord]) -> None:
        # One statement: a manager who is new too may come after their reports, as
        # foreign keys are checked at the end of the statement.
        if not people:
            return
        self._write(
            (
                "INSERT INTO members (org_id, id, email, name, title, access_role,"
                " product_role_id, manager_id, team_id)"
                " SELECT CAST(:org AS uuid), u.id, u.email, u.name, u.title, u.access_role,"
                " u.product_role_id, u.manager_id, u.team_id FROM " + self._UNNEST
            ),
            {"org": str(self.org_id), **self._columns(people)},
        )

    def update_people(self, people: list[PersonRecord]) -> int:
        if not people:
            return 0
        return self._write(
            (
                "UPDATE members AS m SET name = u.name, title = u.title,"
                " access_role = u.access_role, product_role_id = u.product_role_id,"
                " manager_id = u.manager_id, team_id = u.team_id, version = m.version + 1"
                " FROM " + self._UNNEST + " WHERE m.org_id = CAST(:org AS uuid)"
                " AND m.id = u.id AND m.version = u.version"
            ),
            {"org": str(self.org_id), **self._columns(people)},
        )

    def refresh_statistics(self) -> None:
        self.session.execute(text("SELECT refresh_people_statistics()"))

    def add_audit_events(self, events: list[AuditEvent]) -> None:
        if not events:
            return
        self._write(
            (
                "INSERT INTO audit_events (org_id, id, actor_id, entity_type, entity_id,"
                " action, before, after, created_at)"
                " SELECT CAST(:org AS uuid), u.id, u.actor_id, u.entity_type, u.entity_id,"
                " u.action, u.before, u.after, u.created_at"
                " FROM unnest(CAST(:ids AS uuid[]), CAST(:actors AS uuid[]),"
                " CAST(:types AS text[]), CAST(:entities AS uuid[]), CAST(:actions AS text[]),"
                " CAST(:befores AS jsonb[]), CAST(:afters AS jsonb[]),"
                " CAST(:times AS timestamptz[]))"
                " AS u(id, actor_id, entity_type, entity_id, action, before, after, created_at)"
            ),
            {
                "org": str(self.org_id),
                "ids": _ids([e.id for e in events]),
                "actors": _ids([e.actor_id for e in events]),
                "types": [e.entity_type for e in events],
                "entities": _ids([e.entity_id for e in events]),
                "actions": [e.action for e in events],
                "befores": [_json(e.before) for e in events],
                "afters": [_json(e.after) for e in events],
                "times": [_time(e.created_at) for e in events],
            },
        )


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
