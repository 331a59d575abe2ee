"""Launching a cycle in bulk: six set-based statements, whatever the head count.

Inside the launch transaction (the cycle's row already locked and moved to
``active``), the ladder and the participants are copied into the cycle's
snapshot tables and every self, manager and upward review is created with
``INSERT ... SELECT``. Nothing loops over people in Python, so 5,000
participants cost the same six statements as five. The unique constraints on
the snapshot tables and on ``reviews`` make a second launch unable to
duplicate anything, whatever the code above does.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import (
    Executable,
    Result,
    Select,
    and_,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import UUID as PgUUID

from service.adapters import tables
from service.adapters.cycle_sql import COUNTED, rowcount
from service.adapters.repositories import TenantQueries
from service.application.cycle_ports import LaunchCounts
from service.domain.cycle import ReviewCycle, ReviewType
from service.domain.member import MemberStatus

REVIEW_COLUMNS = ["org_id", "id", "cycle_id", "reviewee_id", "reviewer_id", "type"]


class SqlCycleLaunch(TenantQueries):
    def competency_count(self) -> int:
        comp = tables.competencies.c
        statement = select(func.count()).where(comp.org_id == self.org_id, comp.retired.is_(False))
        return int(self.session.execute(statement).scalar_one())

    def launch(self, cycle: ReviewCycle) -> LaunchCounts:
        org = self.org_id
        cycle_id = literal(cycle.id, PgUUID(as_uuid=True))
        session = self.session

        def execute(statement: Executable) -> Result[Any]:
            return session.execute(statement, execution_options=COUNTED)

        comp, cc = tables.competencies.c, tables.cycle_competencies.c
        competencies = rowcount(
            execute(
                insert(tables.cycle_competencies).from_select(
                    [
                        "org_id",
                        "id",
                        "cycle_id",
                        "competency_id",
                        "key",
                        "name",
                        "description",
                        "position",
                    ],
                    select(
                        comp.org_id,
                        func.gen_random_uuid(),
                        cycle_id,
                        comp.id,
                        comp.key,
                        comp.name,
                        comp.description,
                        comp.position,
                    ).where(comp.org_id == org, comp.retired.is_(False)),
                )
            )
        )

        role = tables.product_roles.c
        roles = rowcount(
            execute(
                insert(tables.cycle_roles).from_select(
                    [
                        "org_id",
                        "id",
                        "cycle_id",
                        "role_id",
                        "name",
                        "track",
                        "level",
                        "pay_currency",
                        "pay_min",
                        "pay_max",
                        "next_role_id",
                    ],
                    select(
                        role.org_id,
                        func.gen_random_uuid(),
                        cycle_id,
                        role.id,
                        role.name,
                        role.track,
                        role.level,
                        role.pay_currency,
                        role.pay_min,
                        role.pay_max,
                        # The next role: the lowest higher level on the same track.
                        func.lead(role.id).over(partition_by=role.track, order_by=role.level),
                    ).where(role.org_id == org),
                )
            )
        )

        e = tables.expectations.c
        execute(
            insert(tables.cycle_expectations).from_select(
                [
                    "org_id",
                    "id",
                    "cycle_id",
                    "role_id",
                    "competency_id",
                    "expected_score",
                    "weight",
                    "description",
                ],
                select(
                    e.org_id,
                    func.gen_random_uuid(),
                    cycle_id,
                    e.role_id,
                    e.competency_id,
                    e.expected_score,
                    e.weight,
                    e.description,
                )
                # Only competencies the cycle keeps (retired ones are not rated).
                .join(
                    tables.cycle_competencies,
                    and_(
                        cc.org_id == e.org_id,
                        cc.cycle_id == cycle_id,
                        cc.competency_id == e.competency_id,
                    ),
                )
                .where(e.org_id == org),
            )
        )

        p, m = tables.cycle_participants.c, tables.members.c
        # People deactivated since the selection no longer take part.
        execute(
            delete(tables.cycle_participants).where(
                p.org_id == org,
                p.cycle_id == cycle.id,
                p.member_id.in_(
                    select(m.id).where(m.org_id == org, m.status != MemberStatus.ACTIVE)
                ),
            )
        )
        participants = rowcount(
            execute(
                update(tables.cycle_participants)
                .where(p.org_id == org, p.cycle_id == cycle.id)
                .where(m.org_id == p.org_id, m.id == p.member_id)
                .values(
                    product_role_id=m.product_role_id, manager_id=m.manager_id, team_id=m.team_id
                )
            )
        )

        kinds = (ReviewType.SELF, ReviewType.MANAGER, ReviewType.UPWARD)
        assignments = [self._assignments(org, cycle.id, t) for t in kinds if t in cycle.takes]
        reviews = 0
        if assignments:
            reviews = rowcount(
                execute(insert(tables.reviews).from_select(REVIEW_COLUMNS, union_all(*assignments)))
            )
        return LaunchCounts(int(participants), int(reviews), int(competencies), int(roles))

    @staticmethod
    def _assignments(org: UUID, cycle: UUID, review_type: ReviewType) -> Select[tuple[object, ...]]:
        """Who writes which review of that type, from the snapshotted participants.

        A manager review needs an active manager; so does an upward review, which
        is written whether or not the manager takes part in the cycle.
        """
        p, m = tables.cycle_participants.c, tables.members.c
        kind = literal(review_type.value)
        if review_type is ReviewType.SELF:
            return select(
                p.org_id, func.gen_random_uuid(), p.cycle_id, p.member_id, p.member_id, kind
            ).where(p.org_id == org, p.cycle_id == cycle)
        reviewee, reviewer = (
            (p.member_id, p.manager_id)
            if review_type is ReviewType.MANAGER
            else (p.manager_id, p.member_id)
        )
        return (
            select(p.org_id, func.gen_random_uuid(), p.cycle_id, reviewee, reviewer, kind)
            .join(
                tables.members,
                and_(m.org_id == p.org_id, m.id == p.manager_id, m.status == MemberStatus.ACTIVE),
            )
            .where(p.org_id == org, p.cycle_id == cycle)
        )
