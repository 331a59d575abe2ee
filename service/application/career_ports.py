"""What the career framework, the people directory and the reporting lines need from
the outside world: the ladder, teams, competencies, the structure and bulk imports."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from service.application.pagination import Page, PageRequest
from service.domain.audit import AuditEvent
from service.domain.career import Competency, ProductRole, Team
from service.domain.member import Member


@dataclass(frozen=True, slots=True)
class MemberFilters:
    team_id: UUID | None = None
    manager_id: UUID | None = None
    product_role_id: UUID | None = None
    status: str | None = None
    q: str | None = None


@dataclass(frozen=True, slots=True)
class RolePosition:
    """Where a role sits on the ladder: enough to derive every role's next role."""

    id: UUID
    name: str
    track: str
    level: int


@dataclass(frozen=True, slots=True)
class StrandedExpectation:
    """An expectation that a proposed rating scale would leave outside it."""

    role_name: str
    track: str
    level: int
    competency_key: str
    expected_score: int


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """A member as the directory shows them to every member of the organisation."""

    member: Member
    manager_name: str | None = None
    team_name: str | None = None
    product_role_name: str | None = None
    #: In a subtree: 1 for a direct report, 2 for their reports, and so on.
    depth: int | None = None


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One person on the way up a reporting line."""

    id: UUID
    name: str
    manager_id: UUID | None
    active: bool


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A member as the bulk import reads and writes them (no ORM object per row)."""

    id: UUID
    email: str
    name: str
    title: str | None
    access_role: str
    product_role_id: UUID | None
    manager_id: UUID | None
    team_id: UUID | None
    status: str
    version: int


class Teams(Protocol):
    def add(self, team: Team) -> None: ...

    def get(self, team_id: UUID) -> Team | None: ...

    def delete(self, team: Team) -> None: ...

    def list(self, page: PageRequest) -> Page[Team]: ...

    def names(self) -> dict[UUID, str]:
        """Every team's name by id (what a people CSV may name)."""
        ...

    def member_count(self, team_id: UUID) -> int: ...

    def draft_cycle_count(self, team_id: UUID) -> int:
        """The draft cycles whose ``team_ids`` name the team."""
        ...


class Competencies(Protocol):
    def add(self, competency: Competency) -> None: ...

    def get(self, competency_id: UUID) -> Competency | None: ...

    def list(self, page: PageRequest, retired: bool | None) -> Page[Competency]: ...

    def all(self) -> builtins.list[Competency]: ...


class ProductRoles(Protocol):
    def lock_ladder(self) -> None:
        """Serialise, in the organisation until the transaction ends, the changes that
        must keep every expectation within the rating scale and on a competency still
        in use: writing a role's expectations, changing the scale, retiring a
        competency. Each checks what the others change, so without it two of them
        could each pass their check and commit together what neither allows. Taken
        before the use case changes anything, and no other advisory lock after it."""
        ...

    def add(self, role: ProductRole) -> None: ...

    def get(self, role_id: UUID) -> ProductRole | None: ...

    def delete(self, role: ProductRole) -> None: ...

    def list(self, page: PageRequest, track: str | None) -> Page[ProductRole]: ...

    def positions(self) -> builtins.list[RolePosition]:
        """Every role of the ladder, without expectations (a few dozen rows)."""
        ...

    def expecting(self, competency_id: UUID) -> builtins.list[ProductRole]: ...

    def holder_count(self, role_id: UUID) -> int: ...

    def stranded(self, low: int, high: int) -> builtins.list[StrandedExpectation]: ...

    def mark_changed(self, role: ProductRole) -> None:
        """A change to the expectations alone still moves the role's version (ETag)."""
        ...


class ReportingLines(Protocol):
    def lock(self) -> None:
        """Serialise reporting-line changes of the organisation until the transaction ends,
        so that two concurrent changes cannot close a loop between them; and, with
        them, deactivations against the launches and peer nominations that create
        reviews for people (a deactivation withdraws what its member had to write).

        Lock order: the admins' lock (``Members.lock_admins``), a cycle's row and a
        participant's are taken before this one, never while it is held."""
        ...

    def manager_chain(self, start_id: UUID, stop_at: UUID | None = None) -> list[ChainLink]:
        """``start_id`` and their managers up the line (one recursive query), stopping
        after ``stop_at`` when it is met."""
        ...

    def oversees(self, viewer_id: UUID, member_id: UUID) -> bool:
        """``member_id`` reports to ``viewer_id``, directly or not."""
        ...

    def directory(self, filters: MemberFilters, page: PageRequest) -> Page[DirectoryEntry]: ...

    def entry(self, member_id: UUID) -> DirectoryEntry | None: ...

    def reports(
        self, root_id: UUID, max_depth: int | None, page: PageRequest
    ) -> Page[DirectoryEntry]:
        """Everyone under ``root_id``, with their depth (one recursive query)."""
        ...


class MemberImports(Protocol):
    def people(self) -> list[PersonRecord]: ...

    def insert_teams(self, teams: list[Team]) -> None: ...

    def insert_people(self, people: list[PersonRecord]) -> None: ...

    def update_people(self, people: list[PersonRecord]) -> int:
        """Write the new values where the version still matches; the count written."""
        ...

    def add_audit_events(self, events: list[AuditEvent]) -> None: ...

    def refresh_statistics(self) -> None:
        """Bring the planner's statistics of people up to date, uncommitted rows
        included, so the next queries do not plan for the organisation it was."""
        ...
