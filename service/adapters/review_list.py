"""The list of reviews a viewer may see: ``review_visibility`` in SQL.

The hot path of the API: one statement a page (two for someone with reports), with
each review's ratings as one JSON array. Statements are built once per shape (who
asks, which filters) with bound parameters and then only executed: building a Core
statement with its aliases costs more Python time than PostgreSQL spends running it.

- Blindness joins the viewer's own reviews grouped by reviewee (a few rows, by the
  reviewer index) instead of probing them per row.
- A non-admin sees only reviews they write or about people of their subtree (or
  themselves), so the page starts from those candidates, found through the reviewer
  and reviewee indexes; the subtree's ids come first, in their own statement, so the
  planner knows how many there are (it badly misjudges a recursive CTE).
- The order is never by reviewer: among anonymous reviews it would name them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    any_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.orm import Session

from service.adapters import tables
from service.adapters.reporting_lines import subtree
from service.application.cycle_ports import RatingRecord, ReviewFilters, ReviewRecord
from service.application.pagination import Page, PageRequest
from service.domain.cycle import CycleState, ReviewType
from service.domain.review import ReviewStatus
from service.domain.review_visibility import ANONYMOUS_TYPES, Viewer

_r = tables.reviews.c
_c = tables.review_cycles.c
_rr = tables.review_ratings.c
ID = PgUUID(as_uuid=True)
IDS = ARRAY(PgUUID(as_uuid=True))
FILTERS = ("cycle_id", "reviewee_id", "reviewer_id", "type", "status")


@dataclass(frozen=True, slots=True)
class Shape:
    admin: bool
    filters: frozenset[str]
    #: Someone else's reviewer id is filtered on: anonymous types are left out.
    hide_anonymous: bool
    #: Only the viewer's own reviews are asked for (``/me/reviews``).
    only_mine: bool


@cache
def page_statement(shape: Shape) -> Select[Any]:
    me, org = bindparam("me", type_=ID), bindparam("org", type_=ID)
    by_cycle = "cycle_id" in shape.filters
    o = tables.reviews.alias("own_review")
    own_query = (
        select(
            o.c.cycle_id,
            o.c.reviewee_id,
            func.bool_and(o.c.status == ReviewStatus.SUBMITTED).label("all_submitted"),
        )
        .where(o.c.org_id == org, o.c.reviewer_id == me)
        .group_by(o.c.cycle_id, o.c.reviewee_id)
    )
    if by_cycle:
        own_query = own_query.where(o.c.cycle_id == bindparam("cycle_id", type_=ID))
    own = own_query.subquery("own")
    submitted = _r.status == ReviewStatus.SUBMITTED
    not_blind = or_(own.c.reviewee_id.is_(None), and_(own.c.all_submitted, submitted))
    oversight: ColumnElement[bool] = true()
    statement = select(
        _r.id,
        _r.cycle_id,
        _r.reviewee_id,
        _r.reviewer_id,
        _r.type,
        _r.status,
        _r.summary,
        _r.promotion_recommendation,
        _r.potential,
        _r.submitted_at,
        _r.updated_at,
        _r.version,
        _c.state,
        func.count().over().label("_total"),
    )
    if not shape.admin:
        people = bindparam("people", type_=IDS)
        oversight = and_(submitted, _r.reviewee_id == any_(bindparam("subtree", type_=IDS)))
        c = tables.reviews.alias("candidate")
        parts = [select(c.c.id).where(c.c.org_id == org, c.c.reviewer_id == me)]
        if not shape.only_mine:
            parts.append(select(c.c.id).where(c.c.org_id == org, c.c.reviewee_id == any_(people)))
        if by_cycle:
            parts = [p.where(c.c.cycle_id == bindparam("cycle_id", type_=ID)) for p in parts]
        candidates = (parts[0] if len(parts) == 1 else union(*parts)).subquery("candidates")
        statement = statement.select_from(candidates).join(
            tables.reviews, and_(_r.org_id == org, _r.id == candidates.c.id)
        )
    statement = (
        statement.join(tables.review_cycles, and_(_c.org_id == _r.org_id, _c.id == _r.cycle_id))
        .outerjoin(own, and_(own.c.cycle_id == _r.cycle_id, own.c.reviewee_id == _r.reviewee_id))
        .where(
            _r.org_id == org,
            or_(
                _r.reviewer_id == me,
                and_(
                    _r.reviewee_id == me,
                    _c.state == CycleState.RELEASED,
                    _r.type == ReviewType.MANAGER,
                    submitted,
                ),
                and_(_r.reviewee_id != me, not_blind, oversight),
            ),
        )
        .order_by(_r.cycle_id, _r.reviewee_id, _r.type, _r.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    for name in FILTERS:
        if name in shape.filters:
            column = _r[name]
            statement = statement.where(column == bindparam(name, type_=column.type))
    if shape.hide_anonymous:
        statement = statement.where(_r.type.not_in(list(ANONYMOUS_TYPES)))
    return statement


@cache
def listing_statement(shape: Shape) -> Select[Any]:
    """The page with each review's ratings as one JSON array, in the cycle's competency
    order: one statement, the ratings looked up only for the page's rows."""
    page = page_statement(shape).subquery("page")
    cc = tables.cycle_competencies.c
    rating = func.json_build_object(
        "competency_id",
        _rr.competency_id,
        "score",
        _rr.score,
        "comment",
        _rr.comment,
        "evidence",
        _rr.evidence,
    )
    ratings = (
        select(
            func.coalesce(
                func.json_agg(aggregate_order_by(rating, cc.position, _rr.competency_id)),
                literal_column("'[]'::json"),
            )
        )
        .select_from(tables.review_ratings)
        .outerjoin(
            tables.cycle_competencies,
            and_(
                cc.org_id == _rr.org_id,
                cc.cycle_id == page.c.cycle_id,
                cc.competency_id == _rr.competency_id,
            ),
        )
        .where(_rr.org_id == bindparam("org", type_=ID), _rr.review_id == page.c.id)
        .scalar_subquery()
    )
    return select(page, ratings.label("ratings")).order_by(
        page.c.cycle_id, page.c.reviewee_id, page.c.type, page.c.id
    )


@cache
def subtree_statement() -> Select[Any]:
    tree = subtree(bindparam("org", type_=ID), bindparam("root", type_=ID), "viewer_subtree")
    return select(tree.c.id)


def subtree_ids(session: Session, org: UUID, root: UUID) -> list[UUID]:
    return list(session.execute(subtree_statement(), {"org": org, "root": root}).scalars())


def list_reviews(
    session: Session, org: UUID, filters: ReviewFilters, viewer: Viewer, page: PageRequest
) -> Page[ReviewRecord]:
    me = viewer.member_id
    given = {name: getattr(filters, name) for name in FILTERS if getattr(filters, name) is not None}
    only_mine = filters.reviewer_id == me
    shape = Shape(
        admin=viewer.is_admin,
        filters=frozenset(given),
        hide_anonymous=not viewer.is_admin and "reviewer_id" in given and not only_mine,
        only_mine=only_mine,
    )
    params: dict[str, Any] = {
        "org": org,
        "me": me,
        "limit": page.page_size,
        "offset": page.offset,
        **given,
    }
    if not viewer.is_admin:
        # A PM without reports has an empty subtree: no statement needed to know it.
        tree = [] if only_mine else subtree_ids(session, org, me)
        params["subtree"] = tree
        params["people"] = [*tree, me]
    rows = session.execute(listing_statement(shape), params).all()
    total = int(rows[0]._total) if rows else 0
    if not rows and page.page > 1:
        total = _count(session, shape, params)
    competencies: dict[str, UUID] = {}  # a handful per cycle: parse each once
    return Page([_record(row, competencies) for row in rows], total)


def _count(session: Session, shape: Shape, params: dict[str, Any]) -> int:
    """Past the last page: the total still has to be right for X-Pagination."""
    counted = page_statement(shape).limit(None).offset(None).order_by(None).subquery()
    values = {k: v for k, v in params.items() if k not in ("limit", "offset")}
    return int(session.execute(select(func.count()).select_from(counted), values).scalar_one())


def _record(row: Any, competencies: dict[str, UUID]) -> ReviewRecord:
    return ReviewRecord(
        id=row.id,
        cycle_id=row.cycle_id,
        reviewee_id=row.reviewee_id,
        reviewer_id=row.reviewer_id,
        type=row.type,
        status=row.status,
        summary=row.summary,
        promotion_recommendation=row.promotion_recommendation,
        potential=row.potential,
        submitted_at=row.submitted_at,
        updated_at=row.updated_at,
        version=row.version,
        cycle_state=row.state,
        ratings=tuple(
            RatingRecord(
                competencies.get(r["competency_id"])
                or competencies.setdefault(r["competency_id"], UUID(r["competency_id"])),
                r["score"],
                r["comment"],
                r["evidence"],
            )
            for r in row.ratings
        ),
    )
