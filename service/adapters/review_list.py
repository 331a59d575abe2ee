"""The list of reviews a viewer may see: ``review_visibility`` in SQL, written as JSON.

The hot path of the API: one statement a page, text built once per shape (who asks,
which filters) and run as a prepared statement, planned once per connection: its
plan does not depend on which organisation or person it is for, as every branch
starts from an index on the values given (for anyone but an admin, the generic plan
is asked for: ``GENERIC_PLAN``). Each review arrives as the JSON the API
answers, kept with the review by PostgreSQL (``reviews.listed_json`` and
``listed_author_json``, migration 0006): nothing is built per review here.

- Blindness: the viewer's own reviews of the same people, hashed once (a handful,
  by the reviewer index), not probed per row.
- A non-admin sees only reviews they write or about themselves or people of their
  subtree: each branch names an indexed column, so the candidates come from the
  reviewer and reviewee indexes (a bitmap OR). The subtree is walked first, into an
  array, then probed in the index, whatever the planner guesses of its size (it badly
  misjudges a recursive CTE).
- A non-admin's candidates are few: counted as they are sorted (a window). An admin's
  page is read nearly in the list's order (the unique key's index, sorted by id within
  a person's reviews of one type), and counted apart, so that a page is not a sort of
  every review of the cycle.
- The order is never by reviewer: among anonymous reviews it would name them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.orm import Session

from service.adapters.database import DriverStatement, driver_statement, run_prepared
from service.adapters.reporting_lines import subtree
from service.application.cycle_ports import ListedReviews, ListedRow, ReviewFilters
from service.application.pagination import PageRequest
from service.domain.cycle import CycleState, ReviewType
from service.domain.review import ReviewStatus
from service.domain.review_visibility import ANONYMOUS_TYPES, Viewer

ID = PgUUID(as_uuid=True)
FILTERS = ("cycle_id", "reviewee_id", "reviewer_id", "type", "status")
ORDER = ("cycle_id", "reviewee_id", "type", "id")
SUBMITTED = f"'{ReviewStatus.SUBMITTED.value}'"


#: For the rest of the transaction: prepared statements use their generic plan.
GENERIC_PLAN = "SET LOCAL plan_cache_mode = force_generic_plan"


@dataclass(frozen=True, slots=True)
class Shape:
    admin: bool
    filters: frozenset[str]
    #: Someone else's reviewer id is filtered on: anonymous types are left out.
    hide_anonymous: bool
    #: A non-admin who may see their subtree's reviews (not when only their own are
    #: asked for: a PM's ``/me/reviews``).
    oversight: bool
    #: Leave out the reviews of cancelled cycles: nobody has to write them any more.
    open_cycles_only: bool = False


@cache
def _subtree() -> DriverStatement:
    """The viewer's subtree (``reporting_lines.subtree``) as SQL on the parameters
    ``org`` and ``me``, with the constants of the builder's own parameters."""
    tree = subtree(bindparam("org", type_=ID), bindparam("me", type_=ID), "viewer_subtree")
    return driver_statement(select(tree.c.id))


def _own(shape: Shape, condition: str = "") -> str:
    """Not about someone the viewer reviews too (``condition``: in a review of theirs
    that is ...): a handful of (cycle, reviewee), hashed once."""
    cycle = " AND cycle_id = %(cycle_id)s" if "cycle_id" in shape.filters else ""
    return f"""(r.cycle_id, r.reviewee_id) NOT IN (
                SELECT cycle_id, reviewee_id FROM reviews
                WHERE org_id = %(org)s AND reviewer_id = %(me)s{cycle}{condition})"""


def _visible(shape: Shape) -> str:
    """``FROM ... WHERE ...`` of the reviews (``r``) the viewer may see.

    Blindness: someone else's review of a person the viewer reviews too is seen only
    when every review of theirs about that person is submitted, and it is too.
    """
    conditions = ["r.org_id = %(org)s"]
    conditions += [f"r.{name} = %({name})s" for name in FILTERS if name in shape.filters]
    if shape.hide_anonymous:
        anonymous = ", ".join(f"'{t.value}'" for t in sorted(ANONYMOUS_TYPES))
        conditions.append(f"r.type NOT IN ({anonymous})")
    if shape.open_cycles_only:
        conditions.append(
            f"""r.cycle_id <> ALL(ARRAY(SELECT c.id FROM review_cycles c
                WHERE c.org_id = %(org)s AND c.state = '{CycleState.CANCELLED.value}'))"""
        )
    blind = _own(shape, f" AND status <> {SUBMITTED}")
    if shape.admin:  # Admins see the rest, under the same blindness.
        others = f"{blind}\n            AND (r.status = {SUBMITTED} OR {_own(shape)})"
    elif shape.oversight:  # Managers up the chain: the submitted reviews of their subtree.
        others = f"""r.status = {SUBMITTED} AND {blind}
            AND r.reviewee_id = ANY(ARRAY({_subtree().sql}))"""
    else:
        others = "false"
    # Their own manager review, once released: looked for in released cycles only (none,
    # most of the time), not among the many upward reviews about a manager.
    released = f"""r.cycle_id = ANY(ARRAY(SELECT c.id FROM review_cycles c
                WHERE c.org_id = %(org)s AND c.state = '{CycleState.RELEASED.value}'))"""
    conditions.append(
        f"""(r.reviewer_id = %(me)s
        OR (r.reviewee_id = %(me)s AND r.type = '{ReviewType.MANAGER.value}'
            AND r.status = {SUBMITTED} AND {released})
        OR (r.reviewee_id <> %(me)s AND {others}))"""
    )
    return f"""FROM reviews r
    WHERE {" AND ".join(conditions)}"""


@cache
def listing_sql(shape: Shape) -> str:
    """The page as ``ListedRow``'s columns, with the total on every row.

    The candidates are counted and sorted narrow; the page's rows then fetch their JSON
    by the address the scan found them at (``ctid``: the same row versions, in one
    statement). The order leaves out a column filtered on (one value): the planner then
    sees the page as sorted already.
    """
    order = [column for column in ORDER if column not in shape.filters]
    total = f"(SELECT count(*) {_visible(shape)})" if shape.admin else "count(*) OVER ()"
    return f"""SELECT p.reviewer_id = %(me)s, p.type, p.status, c.state, listed.listed_json,
    listed.listed_author_json, p.total
FROM (
    SELECT r.ctid AS address, r.id, r.cycle_id, r.reviewee_id, r.reviewer_id, r.type,
        r.status, {total} AS total
    {_visible(shape)}
    ORDER BY {", ".join(f"r.{column}" for column in order)}
    LIMIT %(limit)s OFFSET %(offset)s
) p
JOIN reviews listed ON listed.ctid = p.address
JOIN review_cycles c ON c.org_id = %(org)s AND c.id = p.cycle_id
ORDER BY {", ".join(f"p.{column}" for column in order)}"""


@cache
def count_sql(shape: Shape) -> str:
    return f"SELECT count(*) {_visible(shape)}"


def list_reviews(
    session: Session, org: UUID, filters: ReviewFilters, viewer: Viewer, page: PageRequest
) -> ListedReviews:
    me = viewer.member_id
    given = {name: getattr(filters, name) for name in FILTERS if getattr(filters, name) is not None}
    only_mine = filters.reviewer_id == me
    shape = Shape(
        admin=viewer.is_admin,
        filters=frozenset(given),
        hide_anonymous=not viewer.is_admin and "reviewer_id" in given and not only_mine,
        oversight=not viewer.is_admin and not only_mine,
        open_cycles_only=filters.open_cycles_only,
    )
    params: dict[str, Any] = {
        "org": org,
        "me": me,
        "limit": page.page_size,
        "offset": page.offset,
        **{name: getattr(value, "value", value) for name, value in given.items()},
    }
    if shape.oversight:
        params.update(_subtree().constants)
    if not shape.admin:
        # Planned once per connection, as written to be (see above). Left to choose,
        # PostgreSQL re-plans it on every run once its statistics make the generic plan
        # look dearer: 1.2 ms a page instead of 0.7 after another organisation imported
        # 10,000 people. An admin's page is the other way round (8 ms custom, 16 generic).
        session.connection().exec_driver_sql(GENERIC_PLAN)
    rows: Sequence[Any] = run_prepared(session, listing_sql(shape), params).all()
    if rows:
        total = rows[0][6]
    elif page.page > 1:
        # Past the last page: the total still has to be right for X-Pagination.
        total = session.connection().exec_driver_sql(count_sql(shape), params).scalar_one()
    else:
        total = 0
    listed: list[ListedRow] = [row[:6] for row in rows]
    return ListedReviews(listed, int(total))
