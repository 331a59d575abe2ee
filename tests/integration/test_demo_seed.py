"""The demo organisation of make run: made once on an empty database, and finished by
the next run when the first was interrupted, never added beside other organisations."""

from __future__ import annotations

import pytest
from flask import Flask

from service.demo import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, DEMO_PEOPLE, DEMO_SLUG, seed_demo
from tests.support.api import PASSWORD, expect
from tests.support.apps import running_app
from tests.support.database import owner_connection, scratch_database

PEOPLE = len(DEMO_PEOPLE.read_text(encoding="utf-8").strip().splitlines())  # with the admin


def _log_in(app: Flask, email: str, password: str = DEMO_ADMIN_PASSWORD) -> int:
    body = {"org": DEMO_SLUG, "email": email, "password": password}
    return app.test_client().post("/api/v1/auth/token", json=body).status_code


def _without_password(url: str) -> int:
    with owner_connection(url) as owner:
        row = owner.execute("SELECT count(*) FROM members WHERE password_hash IS NULL").fetchone()
    assert row is not None
    return int(row[0])


def test_a_seed_interrupted_after_sign_up_is_finished_by_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with scratch_database() as url, running_app(url) as app:
        monkeypatch.setenv("DATABASE_URL", url)  # the seed asks as the owner
        admin = {"email": DEMO_ADMIN_EMAIL, "name": "Ada Admin", "password": DEMO_ADMIN_PASSWORD}
        signed_up = {"name": "Demo Product Org", "slug": DEMO_SLUG, "admin": admin}
        expect(app.test_client().post("/api/v1/orgs", json=signed_up), 201)
        assert seed_demo(app.extensions["review_service"]) == (
            DEMO_ADMIN_EMAIL,
            DEMO_ADMIN_PASSWORD,
        )
        with owner_connection(url) as owner:
            row = owner.execute("SELECT count(*) FROM members").fetchone()
        assert row is not None
        assert row[0] == PEOPLE
        assert _without_password(url) == 0
        assert _log_in(app, "hop@demo.example") == 200
        assert seed_demo(app.extensions["review_service"]) is None  # done: nothing more


def test_people_left_without_a_password_get_one_and_others_keep_theirs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with scratch_database() as url, running_app(url) as app:
        monkeypatch.setenv("DATABASE_URL", url)
        assert seed_demo(app.extensions["review_service"]) is not None
        with owner_connection(url) as owner:
            owner.execute(
                "UPDATE members SET password_hash = NULL"
                " WHERE email IN ('apm@demo.example', 'hop@demo.example')"
            )
        assert seed_demo(app.extensions["review_service"]) is not None
        assert _without_password(url) == 0
        assert _log_in(app, "apm@demo.example") == 200
        assert _log_in(app, DEMO_ADMIN_EMAIL) == 200


def test_no_demo_beside_other_organisations(monkeypatch: pytest.MonkeyPatch) -> None:
    with scratch_database() as url, running_app(url) as app:
        monkeypatch.setenv("DATABASE_URL", url)
        admin = {"email": "a@acme.example", "name": "A", "password": PASSWORD}
        body = {"name": "Acme", "slug": "acme", "admin": admin}
        expect(app.test_client().post("/api/v1/orgs", json=body), 201)
        assert seed_demo(app.extensions["review_service"]) is None
        assert _log_in(app, DEMO_ADMIN_EMAIL) == 401
