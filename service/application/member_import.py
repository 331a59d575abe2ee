"""Importing people from a CSV: all or nothing, every bad row reported, idempotent.

Every row is checked (syntax in ``people_csv``; here what it names: roles, teams,
managers, and the chart as a whole for loops and a last admin) before anything is
written. People are matched by email: a known email updates that member, a new one
adds a member (without a password: people join through an invitation, so no
password hashing slows an import). Unknown team names create the team. The writes
are a handful of bulk statements, and every created or changed member gets an audit
event with before and after, written in bulk too, plus one summary event.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from service.application import audit
from service.application.career_ports import PersonRecord
from service.application.context import Context, require_every_scope, require_org_admin
from service.application.import_lookup import RoleAndTeamLookup
from service.application.people_csv import ImportRejected, PeopleFile, Row, RowError, read
from service.domain.access import AccessRole
from service.domain.audit import AuditEvent
from service.domain.career import Team, describe_chain, find_reporting_loops, told_from
from service.domain.errors import Conflict
from service.domain.member import LAST_ADMIN, MemberStatus

#: ``progress(stage, done, total)``: how the command line draws its progress bar.
Progress = Callable[[str, int, int], None]
PROGRESS_STEP = 500


@dataclass(frozen=True, slots=True)
class ImportResult:
    import_id: UUID
    rows: int
    created: int
    updated: int
    unchanged: int
    teams_created: list[str] = field(default_factory=list)
    dry_run: bool = False


#: An import writing this many people refreshes the planner's statistics itself.
STATISTICS_REFRESH_ROWS = 200


def import_members(
    ctx: Context, content: bytes, *, dry_run: bool = False, progress: Progress | None = None
) -> ImportResult:
    caller = require_org_admin(ctx)
    report = progress or (lambda _stage, _done, _total: None)
    people_file = read(content)
    total = len(people_file.rows)
    imports = ctx.uow.member_imports
    # Held until commit, taken before anything is read: no change of who is an admin
    # (so no demotion elsewhere can leave the organisation without one) and no change
    # of reporting lines interleaves with ours. Admins first, as a single change does.
    ctx.uow.members.lock_admins()
    ctx.uow.reporting_lines.lock()
    existing = {p.email: p for p in imports.people()}
    lookup = RoleAndTeamLookup(
        caller.org_id, ctx.uow.product_roles.positions(), ctx.uow.teams.names()
    )
    planned, problems = _plan(people_file, existing, lookup, report)
    problems += people_file.problems + _check_chart(
        people_file,
        planned,
        existing,
        lambda demoted: ctx.uow.members.active_admin_count(ctx.now(), excluding=demoted),
    )
    if problems:
        raise ImportRejected(problems)
    created = [p for p in planned.values() if p.email not in existing]
    changed = [p for p in planned.values() if p.email in existing and p != existing[p.email]]
    admin = AccessRole.ADMIN.value
    if any(p.access_role == admin and existing[p.email].access_role != admin for p in changed):
        require_every_scope(ctx, "Making someone an admin")
    teams = list(lookup.new_teams.values())
    import_id = uuid.uuid4()
    result = ImportResult(
        import_id=import_id,
        rows=total,
        created=len(created),
        updated=len(changed),
        unchanged=total - len(created) - len(changed),
        teams_created=[t.name for t in teams],
        dry_run=dry_run,
    )
    if dry_run:
        ctx.uow.rollback()
        return result
    report("writing", 0, 4)
    # The audit rows go first: their only reference to members is the actor, whose
    # foreign-key check then runs while the table is as small as it will be (a plan
    # cached when the table was small scans it: 10,000 checks over 10,000 new rows
    # would take seconds). It all commits together, or not at all.
    imports.add_audit_events(_audit_events(ctx, result, teams, created, changed, existing))
    report("writing", 1, 4)
    imports.insert_teams(teams)
    imports.insert_people(created)
    report("writing", 2, 4)
    if imports.update_people(changed) != len(changed):
        raise Conflict("Some of these members changed during the import; nothing was imported.")
    if len(created) + len(changed) >= STATISTICS_REFRESH_ROWS:
        imports.refresh_statistics()
    report("writing", 3, 4)
    ctx.uow.commit()
    report("writing", 4, 4)
    return result


def _plan(
    people_file: PeopleFile,
    existing: dict[str, PersonRecord],
    lookup: RoleAndTeamLookup,
    report: Progress,
) -> tuple[dict[str, PersonRecord], list[RowError]]:
    """Each row's member as it will be, by email; managers resolved once all are known."""
    problems: list[RowError] = []
    planned: dict[str, PersonRecord] = {}
    lines: dict[str, int] = {}
    total = len(people_file.rows)
    for done, row in enumerate(people_file.rows, start=1):
        email = row.get("email") or ""
        if email in lines:
            problems.append(RowError(row.line, "email", f"Also on line {lines[email]}."))
        else:
            lines[email] = row.line
            person = _person(people_file, row, existing.get(email), lookup, problems)
            if person is not None:
                planned[email] = person
        if done % PROGRESS_STEP == 0 or done == total:
            report("validating", done, total)
    if people_file.has("manager_email"):
        for row in people_file.rows:
            person = planned.get(row.get("email") or "")
            if person is None or lines.get(person.email) != row.line:
                continue
            manager_email = row.get("manager_email")
            manager_id = None
            if manager_email is not None:
                manager = planned.get(manager_email) or existing.get(manager_email)
                if manager is None:
                    if not (
                        manager_email in lines or manager_email in people_file.unreadable_emails
                    ):
                        # (else the manager's own line is reported)
                        problems.append(
                            RowError(row.line, "manager_email", "Nobody has this email, in "
                                     "the file or in the organisation.")
                        )  # fmt: skip
                    continue
                if manager.status != MemberStatus.ACTIVE.value:
                    problems.append(
                        RowError(row.line, "manager_email", "This manager is deactivated.")
                    )
                    continue
                manager_id = manager.id
            planned[person.email] = replace(person, manager_id=manager_id)
    return planned, problems


def _person(
    people_file: PeopleFile,
    row: Row,
    current: PersonRecord | None,
    lookup: RoleAndTeamLookup,
    problems: list[RowError],
) -> PersonRecord | None:
    before = len(problems)
    resolved: dict[str, UUID | None] = {}
    for column, resolve in (("product_role", lookup.role), ("team", lookup.team)):
        value = row.get(column)
        if value is None:
            resolved[column] = None
            continue
        found = resolve(value)
        if isinstance(found, str):
            problems.append(RowError(row.line, column, found))
        else:
            resolved[column] = found
    if len(problems) > before:
        return None

    def kept(column: str, new: Any, old: Any) -> Any:
        # A column absent from the file leaves that field of a known member as it is.
        return new if people_file.has(column) or current is None else old

    return PersonRecord(
        id=current.id if current else uuid.uuid4(),
        email=row.get("email") or "",
        name=row.get("name") or "",
        title=kept("title", row.get("title"), current and current.title),
        access_role=row.get("access_role")
        or (current.access_role if current else AccessRole.PM.value),
        product_role_id=kept(
            "product_role", resolved["product_role"], current and current.product_role_id
        ),
        manager_id=current.manager_id if current else None,
        team_id=kept("team", resolved["team"], current and current.team_id),
        status=current.status if current else MemberStatus.ACTIVE.value,
        version=current.version if current else 1,
    )


def _check_chart(
    people_file: PeopleFile,
    planned: dict[str, PersonRecord],
    existing: dict[str, PersonRecord],
    admins_left: Callable[[list[UUID]], int],
) -> list[RowError]:
    """The chart after the import, as a whole: no reporting loop, an admin left who can
    log in. ``admins_left(ids)`` counts those other than ``ids``: the people an import
    adds have no password, so only an admin it keeps can be that one."""
    after = {p.email: p for p in existing.values()} | planned
    managers = {p.id: p.manager_id for p in after.values()}
    emails = {p.id: p.email for p in after.values()}
    line_of = {row.get("email"): row.line for row in reversed(people_file.rows)}
    problems = []
    for loop in find_reporting_loops(managers):
        for person in loop[:-1]:
            line = line_of.get(emails[person])
            if line is not None:
                # Told from this line's person: "me → my manager → ... → me".
                described = describe_chain(told_from(loop, person), emails)
                problems.append(
                    RowError(line, "manager_email", f"This makes a reporting loop: {described}.")
                )
    demoted = [p for p in planned.values() if _demotes_an_admin(existing.get(p.email), p)]
    if demoted and admins_left([p.id for p in demoted]) < 1:
        problems += [RowError(line_of[p.email], "access_role", LAST_ADMIN) for p in demoted]
    return problems


def _demotes_an_admin(was: PersonRecord | None, person: PersonRecord) -> bool:
    admin, active = AccessRole.ADMIN.value, MemberStatus.ACTIVE.value
    return (
        was is not None
        and (was.access_role, was.status) == (admin, active)
        and person.access_role != admin
    )


def _audit_events(
    ctx: Context,
    result: ImportResult,
    teams: list[Team],
    created: list[PersonRecord],
    changed: list[PersonRecord],
    existing: dict[str, PersonRecord],
) -> list[AuditEvent]:
    """The events ``audit.record`` would add one by one, for one bulk write. A
    ``PersonRecord`` snapshots to the same fields as a ``Member``, so an imported
    member's entries read like any other's."""

    def event(
        entity_type: str,
        entity_id: UUID,
        action: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> AuditEvent:
        return audit.event(
            ctx,
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            before=before,
            after=after,
        )

    snapshot = audit.snapshot
    events = [event("team", t.id, "created", None, snapshot(t)) for t in teams]
    events += [event("member", p.id, "created", None, snapshot(p)) for p in created]
    events += [
        event("member", p.id, "updated", snapshot(existing[p.email]), snapshot(p)) for p in changed
    ]
    summary = {
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "teams_created": result.teams_created,
    }
    events.append(event("member_import", result.import_id, "completed", None, summary))
    return events
