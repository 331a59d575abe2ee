"""Roles and teams as a people CSV names them: by id, or by name (any case)."""

from __future__ import annotations

import uuid
from uuid import UUID

from service.application.career_ports import RolePosition
from service.domain.career import Team


def _parse_uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


class RoleAndTeamLookup:
    """Roles and teams by id or (case-insensitive) name; unknown team names become
    new teams, one per name however many rows use it."""

    def __init__(self, org_id: UUID, roles: list[RolePosition], teams: dict[UUID, str]) -> None:
        self.org_id = org_id
        self.role_ids = {r.id for r in roles}
        self.roles_by_name: dict[str, list[RolePosition]] = {}
        for role in roles:
            self.roles_by_name.setdefault(role.name.casefold(), []).append(role)
        self.team_ids = set(teams)
        # Unique in any case in the database (lower-case), but casefolding joins a few
        # more ("Straße", "STRASSE"): those are ambiguous, as roles sharing a name are.
        self.teams_by_name: dict[str, list[UUID]] = {}
        for team_id, name in teams.items():
            self.teams_by_name.setdefault(name.casefold(), []).append(team_id)
        self.new_teams: dict[str, Team] = {}

    def role(self, value: str) -> UUID | str:
        """The role's id, or why there is none."""
        as_id = _parse_uuid(value)
        if as_id is not None:
            return as_id if as_id in self.role_ids else "No product role has this id."
        found = self.roles_by_name.get(value.casefold(), [])
        if len(found) == 1:
            return found[0].id
        if not found:
            return "No product role has this name."
        tracks = ", ".join(f"{r.track} level {r.level}" for r in found)
        return f"Several roles have this name ({tracks}); give the role's id."

    def team(self, value: str) -> UUID | str:
        as_id = _parse_uuid(value)
        if as_id is not None:
            return as_id if as_id in self.team_ids else "No team has this id."
        key = value.casefold()
        found = self.teams_by_name.get(key, [])
        if len(found) == 1:
            return found[0]
        if found:
            return f"{len(found)} teams have this name, in different cases; give the team's id."
        if key not in self.new_teams:
            self.new_teams[key] = Team(org_id=self.org_id, id=uuid.uuid4(), name=value)
        return self.new_teams[key].id
