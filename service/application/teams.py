"""Teams: read by everyone, edited by admins; a team with members, or chosen by a
draft cycle, is kept."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from service.application import audit
from service.application.concurrency import check_version
from service.application.context import Context, require_org_admin
from service.application.pagination import Page, PageRequest
from service.domain.access import Scope
from service.domain.career import Team
from service.domain.errors import Conflict, NotFound


def list_teams(ctx: Context, page: PageRequest) -> Page[Team]:
    ctx.caller.require_scope(Scope.READ)
    return ctx.uow.teams.list(page)


def _team(ctx: Context, team_id: UUID) -> Team:
    team = ctx.uow.teams.get(team_id)
    if team is None:
        raise NotFound("Team")
    return team


def get_team(ctx: Context, team_id: UUID) -> Team:
    ctx.caller.require_scope(Scope.READ)
    return _team(ctx, team_id)


def create_team(ctx: Context, name: str, description: str | None) -> Team:
    require_org_admin(ctx)
    team = Team(
        org_id=ctx.caller.org_id, id=uuid.uuid4(), name=name.strip(), description=description
    )
    ctx.uow.teams.add(team)
    ctx.uow.flush()  # a taken name answers 409 here
    audit.record(
        ctx, entity_type="team", entity_id=team.id, action="created", after=audit.snapshot(team)
    )
    ctx.uow.commit()
    return team


def update_team(
    ctx: Context, team_id: UUID, values: dict[str, Any], expected_version: int | None
) -> Team:
    require_org_admin(ctx)
    team = _team(ctx, team_id)
    check_version(team.version, expected_version)
    before = audit.snapshot(team)
    if "name" in values:
        team.name = values["name"].strip()
    if "description" in values:
        team.description = values["description"]
    audit.record_changes(
        ctx,
        entity_type="team",
        entity_id=team.id,
        before=before,
        after=audit.snapshot(team),
    )
    ctx.uow.commit()
    return team


def delete_team(ctx: Context, team_id: UUID, expected_version: int | None) -> None:
    require_org_admin(ctx)
    team = _team(ctx, team_id)
    check_version(team.version, expected_version)
    members = ctx.uow.teams.member_count(team.id)
    if members:
        raise Conflict(
            f"The team still has {members} member{'s' if members != 1 else ''}; "
            "move them to another team first."
        )
    # A draft chooses its participants from its teams at launch. A launched cycle has
    # chosen them, and keeps each one's team id as it was (migration 0014), as it keeps
    # its own ``team_ids``: it does not hold the team.
    drafts = ctx.uow.teams.draft_cycle_count(team.id)
    if drafts:
        raise Conflict(
            f"{drafts} draft cycle{'s choose' if drafts != 1 else ' chooses'} participants"
            " from this team; change the cycles' teams first."
        )
    before = audit.snapshot(team)
    ctx.uow.teams.delete(team)
    audit.record(ctx, entity_type="team", entity_id=team.id, action="deleted", before=before)
    ctx.uow.commit()
