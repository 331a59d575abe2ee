"""The demo organisation that ``make run`` creates on an empty database.

Its people come from ``demo_people.csv`` through the same import as
``POST /members/import`` (a head of product, two product leads and their PMs, on
the default ladder, in three teams); each then accepts an invitation with the demo
password, so that anyone can log in as them.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from uuid import UUID

from service.application import auth, member_import, members, organisations, product_roles
from service.application.career_ports import MemberFilters
from service.application.context import Context, Wiring
from service.application.pagination import PageRequest
from service.bootstrap import ConfigurationError, query_as_owner
from service.domain.access import AccessRole, Principal
from service.domain.career import PayBand
from service.domain.errors import Conflict

DEMO_SLUG = "demo"
DEMO_ADMIN_EMAIL = "admin@demo.example"
DEMO_ADMIN_PASSWORD = "demo-password-2026"  # noqa: S105 - printed to the console on purpose
DEMO_PEOPLE = Path(__file__).with_name("demo_people.csv")

#: Yearly pay bands of the default ladder, by level, so promotion costs show.
PAY_BANDS = {
    1: (70_000, 85_000),
    2: (85_000, 105_000),
    3: (105_000, 130_000),
    4: (125_000, 150_000),
    5: (145_000, 175_000),
    6: (170_000, 205_000),
    7: (200_000, 250_000),
    8: (240_000, 320_000),
}


def _demo_state() -> tuple[str, str | None]:
    """Asked as the owner (the request role cannot see across organisations): "empty",
    "other" (organisations, none of them the demo), "unfinished" (a seed interrupted:
    people without a password), or "done"; with the demo admin's id when there is one."""
    try:
        row = query_as_owner(
            "SELECT (SELECT count(*) FROM organisations),"
            " (SELECT m.id::text FROM members m JOIN organisations o ON o.id = m.org_id"
            "  WHERE o.slug = :slug AND m.email = :email),"
            " (SELECT count(*) FROM members m JOIN organisations o ON o.id = m.org_id"
            "  WHERE o.slug = :slug AND m.password_hash IS NULL),"
            " (SELECT count(*) FROM members m JOIN organisations o ON o.id = m.org_id"
            "  WHERE o.slug = :slug)",
            {"slug": DEMO_SLUG, "email": DEMO_ADMIN_EMAIL},
        )
    except ConfigurationError:
        return "other", None
    assert row is not None
    organisations_count, admin_id, without_password, people = row
    if int(organisations_count) == 0:
        return "empty", None
    if admin_id is None:
        return "other", None
    expected = len(DEMO_PEOPLE.read_text(encoding="utf-8").strip().splitlines())  # + admin
    finished = int(without_password) == 0 and int(people) >= expected
    return ("done" if finished else "unfinished"), str(admin_id)


def seed_demo(wiring: Wiring) -> tuple[str, str] | None:
    """The demo organisation on an empty database, or the rest of one whose seed was
    interrupted (every step may run again); None when there is nothing to do."""
    state, admin_id = _demo_state()
    if state in ("other", "done"):
        return None
    ctx = wiring.context()
    try:
        if admin_id is None:
            signed_up = organisations.sign_up(
                ctx,
                organisations.SignUp(
                    name="Demo Product Org",
                    slug=DEMO_SLUG,
                    admin_email=DEMO_ADMIN_EMAIL,
                    admin_name="Ada Admin",
                    admin_password=DEMO_ADMIN_PASSWORD,
                ),
            )
            org_id, admin = signed_up.organisation.id, signed_up.admin.id
        else:
            admin = UUID(admin_id)
            org_id = _org_of_demo()
        ctx.principal = Principal(org_id=org_id, member_id=admin, access_role=AccessRole.ADMIN)
        ctx.uow.bind_tenant(org_id)
        _fill(ctx, admin)
    finally:
        ctx.uow.close()
    return DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD


def _org_of_demo() -> UUID:
    row = query_as_owner("SELECT id FROM organisations WHERE slug = :slug", {"slug": DEMO_SLUG})
    assert row is not None
    return UUID(str(row[0]))


def _fill(ctx: Context, admin: UUID) -> None:
    """Pay bands, people and their passwords: each step safe to run again."""
    ladder = product_roles.list_product_roles(ctx, PageRequest(1, 100), "product")
    for rung in ladder.items:
        low, high = PAY_BANDS[rung.role.level]
        band = PayBand("EUR", Decimal(low), Decimal(high))
        product_roles.update_product_role(ctx, rung.role.id, {"pay_band": band}, None)
    member_import.import_members(ctx, DEMO_PEOPLE.read_bytes())
    people = members.list_members(ctx, MemberFilters(), PageRequest(1, 100))
    for person in people.items:
        if person.member.id == admin:
            continue
        try:
            invitation = members.invite_member(ctx, person.member.id)
        except Conflict:
            continue  # has a password already: seeded before the interruption
        auth.accept_invitation(ctx, invitation.token, DEMO_ADMIN_PASSWORD)
