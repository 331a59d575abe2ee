"""The demo organisation that ``make run`` creates on an empty database.

Its people come from ``demo_people.csv`` through the same import as
``POST /members/import`` (a head of product, two product leads and their PMs, on
the default ladder, in three teams); each then accepts an invitation with the demo
password, so that anyone can log in as them.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from service.application import auth, member_import, members, organisations, product_roles
from service.application.career_ports import MemberFilters
from service.application.context import Wiring
from service.application.pagination import PageRequest
from service.bootstrap import ConfigurationError, query_as_owner
from service.domain.access import AccessRole, Principal
from service.domain.career import PayBand

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


def database_is_empty() -> bool:
    """Asked as the owner: the request role cannot see across organisations."""
    try:
        row = query_as_owner("SELECT count(*) FROM organisations")
    except ConfigurationError:
        return False
    return row is not None and int(row[0]) == 0


def seed_demo(wiring: Wiring) -> tuple[str, str] | None:
    if not database_is_empty():
        return None
    ctx = wiring.context()
    try:
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
        ctx.principal = Principal(
            org_id=signed_up.organisation.id,
            member_id=signed_up.admin.id,
            access_role=AccessRole.ADMIN,
        )
        ladder = product_roles.list_product_roles(ctx, PageRequest(1, 100), "product")
        for rung in ladder.items:
            low, high = PAY_BANDS[rung.role.level]
            band = PayBand("EUR", Decimal(low), Decimal(high))
            product_roles.update_product_role(ctx, rung.role.id, {"pay_band": band}, None)
        member_import.import_members(ctx, DEMO_PEOPLE.read_bytes())
        people = members.list_members(ctx, MemberFilters(), PageRequest(1, 100))
        for person in people.items:
            if person.member.id != signed_up.admin.id:
                invitation = members.invite_member(ctx, person.member.id)
                auth.accept_invitation(ctx, invitation.token, DEMO_ADMIN_PASSWORD)
    finally:
        ctx.uow.close()
    return DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD
