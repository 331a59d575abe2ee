"""The demo organisation that ``make run`` creates on an empty database."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, text

from service.application import members, organisations
from service.application.context import Wiring
from service.bootstrap import normalise_url
from service.domain.access import AccessRole, Principal

DEMO_SLUG = "demo"
DEMO_ADMIN_EMAIL = "admin@demo.example"
DEMO_ADMIN_PASSWORD = "demo-password-2026"  # noqa: S105 - printed to the console on purpose

PEOPLE = [
    # email, name, title, access role, manager's email
    ("hop@demo.example", "Hana Okafor", "Head of Product", AccessRole.HEAD_OF_PRODUCT, None),
    ("lead@demo.example", "Luis Ortega", "Product Lead", AccessRole.PM, "hop@demo.example"),
    ("senior@demo.example", "Sara Lind", "Senior PM", AccessRole.PM, "lead@demo.example"),
    ("pm@demo.example", "Priya Mehta", "Product Manager", AccessRole.PM, "lead@demo.example"),
    ("apm@demo.example", "Alex Park", "Associate PM", AccessRole.PM, "senior@demo.example"),
]


def database_is_empty() -> bool:
    """Asked as the owner: the request role cannot see across organisations."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return False
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM organisations")).scalar_one()
    finally:
        engine.dispose()
    return int(count) == 0


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
        ids = {}
        for email, name, title, role, manager in PEOPLE:
            member = members.create_member(
                ctx,
                members.NewMember(
                    email=email,
                    name=name,
                    title=title,
                    access_role=role,
                    password=DEMO_ADMIN_PASSWORD,
                ),
            )
            ids[email] = member.id
            if manager is not None:
                members.update_member(
                    ctx, member.id, members.MemberChanges({"manager_id": ids[manager]}), None
                )
    finally:
        ctx.uow.close()
    return DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD
