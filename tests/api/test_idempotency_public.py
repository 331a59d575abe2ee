"""Idempotency-Key on the public POSTs: sign-up, log-in and accept-invitation.

Keys sent without a token are shared by every anonymous client; the answers are kept
where the request role cannot read them, and handed out only to the very same request.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service.application import auth
from service.domain.idempotency import public_key_digest
from tests.support.api import PASSWORD, ApiClient, Org, OrgFactory, expect
from tests.support.database import owner_connection

REQUEST_ROLE = "review_app"
NEW_PASSWORD = "a password of my own choosing"


@pytest.fixture
def owner(owner_url: str) -> Iterator[psycopg.Connection]:
    with owner_connection(owner_url) as connection:
        yield connection


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def _sign_up_body(slug: str | None = None) -> dict[str, Any]:
    return {
        "name": "Retried Inc.",
        "slug": slug or f"retry-{uuid.uuid4().hex[:12]}",
        "admin": {"email": "founder@example.com", "name": "Founder", "password": PASSWORD},
    }


def _sign_up(client: FlaskClient, body: dict[str, Any], key: dict[str, str]) -> TestResponse:
    return client.post("/api/v1/orgs", json=body, headers=key)


def _log_in(client: FlaskClient, org: Org, key: dict[str, str], password: str = PASSWORD) -> Any:
    body = {"org": org.slug, "email": org.admin.email, "password": password}
    return client.post("/api/v1/auth/token", json=body, headers=key)


def _organisations(owner: psycopg.Connection, slug: str) -> int:
    row = owner.execute("SELECT count(*) FROM organisations WHERE slug = %s", (slug,)).fetchone()
    assert row is not None
    return int(row[0])


def _record(owner: psycopg.Connection, key: dict[str, str]) -> tuple[Any, ...] | None:
    return owner.execute(
        "SELECT status_code, response_body, created_at FROM public_idempotency_keys"
        " WHERE key_hash = %s",
        (public_key_digest(key["Idempotency-Key"]),),
    ).fetchone()


def _age(owner: psycopg.Connection, key: dict[str, str], hours: int) -> None:
    aged = owner.execute(
        "UPDATE public_idempotency_keys SET created_at = created_at - make_interval(hours => %s)"
        " WHERE key_hash = %s",
        (hours, public_key_digest(key["Idempotency-Key"])),
    ).rowcount
    assert aged == 1


def _invitation(org: Org) -> str:
    email = f"invitee-{uuid.uuid4().hex[:8]}@example.com"
    member = expect(org.admin.api.post("/api/v1/members", json={"email": email, "name": "I"}), 201)
    token: str = expect(org.admin.api.post(f"/api/v1/members/{member['id']}/invitation"), 201)[
        "token"
    ]
    return token


# --- sign-up ---------------------------------------------------------------------------


def test_a_retried_sign_up_replays_the_201_and_creates_one_organisation(
    client: FlaskClient, owner: psycopg.Connection
) -> None:
    body, key = _sign_up_body(), _key()
    first = _sign_up(client, body, key)
    retry = _sign_up(client, body, key)
    assert expect(retry, 201) == expect(first, 201)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert retry.headers["Content-Type"] == first.headers["Content-Type"]
    assert _organisations(owner, body["slug"]) == 1


def test_the_same_key_with_another_sign_up_answers_422_and_creates_nothing(
    client: FlaskClient, owner: psycopg.Connection
) -> None:
    key = _key()
    expect(_sign_up(client, _sign_up_body(), key), 201)
    other = _sign_up_body()
    refused = expect(_sign_up(client, other, key), 422)
    assert "Idempotency-Key" in refused["errors"]
    assert _organisations(owner, other["slug"]) == 0


def test_another_client_with_the_same_key_cannot_read_the_first_answer(
    client: FlaskClient, orgs: OrgFactory
) -> None:
    """Anonymous clients share the space of keys: a guessed (or leaked) key with another
    body answers 422, and nothing of the first answer."""
    key = _key()
    first = _sign_up_body()
    created = expect(_sign_up(client, first, key), 201)
    stranger = orgs.client.application.test_client()
    guessed_password = {**first, "admin": {**first["admin"], "password": "a guess at it!"}}
    for body in (guessed_password, {**first, "name": "Someone Else"}):
        response = _sign_up(stranger, body, key)
        refused = expect(response, 422)
        assert "Idempotent-Replayed" not in response.headers
        text = response.get_data(as_text=True)
        assert created["organisation"]["id"] not in text
        assert created["admin_id"] not in text
        assert set(refused["errors"]) == {"Idempotency-Key"}
    # Nor through another operation: the key names one request, whatever the path.
    org = orgs.create()
    assert "Idempotency-Key" in expect(_log_in(stranger, org, key), 422)["errors"]


def test_an_error_answer_is_replayed_too(client: FlaskClient, orgs: OrgFactory) -> None:
    taken = orgs.create().slug
    key = _key()
    body = _sign_up_body(taken)
    first = expect(_sign_up(client, body, key), 409)
    retry = _sign_up(client, body, key)
    assert expect(retry, 409) == first
    assert retry.headers["Idempotent-Replayed"] == "true"


def test_a_key_still_being_processed_answers_409(
    client: FlaskClient, owner: psycopg.Connection
) -> None:
    body, key = _sign_up_body(), _key()
    expect(_sign_up(client, body, key), 201)
    # As if the first request were still running: claimed, with no answer yet.
    owner.execute(
        "UPDATE public_idempotency_keys SET status_code = NULL, response_body = NULL"
        " WHERE key_hash = %s",
        (public_key_digest(key["Idempotency-Key"]),),
    )
    assert "still being processed" in expect(_sign_up(client, body, key), 409)["message"]


def test_racing_retries_with_one_key_sign_up_once(app: Flask, owner: psycopg.Connection) -> None:
    """The claim is decided in PostgreSQL (one record per key), so concurrent retries
    either run the request, wait for it (409) or replay it: never a second sign-up."""
    body, key = _sign_up_body(), _key()
    barrier = threading.Barrier(4)

    def send(_: int) -> tuple[int, Any]:
        client = app.test_client()
        barrier.wait(timeout=30)
        response = _sign_up(client, body, key)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send, range(4)))
    assert {status for status, _ in answers} <= {201, 409}
    created = [answer for status, answer in answers if status == 201]
    assert created
    assert all(answer == created[0] for answer in created)
    assert _organisations(owner, body["slug"]) == 1
    assert expect(_sign_up(app.test_client(), body, key), 201) == created[0]


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_an_invalid_key_answers_422(client: FlaskClient, key: str) -> None:
    body = _sign_up_body()
    refused = expect(_sign_up(client, body, {"Idempotency-Key": key}), 422)
    assert refused["errors"]["Idempotency-Key"]


def test_keys_live_24_hours(client: FlaskClient, owner: psycopg.Connection) -> None:
    body, key = _sign_up_body(), _key()
    created = expect(_sign_up(client, body, key), 201)
    _age(owner, key, 23)
    assert expect(_sign_up(client, body, key), 201) == created
    _age(owner, key, 2)
    # An expired key acts as new: this request runs again (and finds its slug taken)...
    retry = _sign_up(client, body, key)
    expect(retry, 409)
    assert "Idempotent-Replayed" not in retry.headers
    # ...and the key is this request's now: another body with it is refused.
    expect(_sign_up(client, _sign_up_body(), key), 422)


def test_expired_records_are_pruned_as_keys_are_claimed(
    client: FlaskClient, owner: psycopg.Connection
) -> None:
    """Each claim removes up to ten of the oldest expired records, of any key."""
    stale = [hashlib.sha256(uuid.uuid4().bytes).hexdigest() for _ in range(12)]
    for digest in stale:
        owner.execute(
            "INSERT INTO public_idempotency_keys (key_hash, request_hash, status_code, created_at)"
            " VALUES (%s, %s, 201, now() - interval '400 days')",
            (digest, digest),
        )

    def left() -> int:
        row = owner.execute(
            "SELECT count(*) FROM public_idempotency_keys WHERE key_hash = ANY(%s)", (stale,)
        ).fetchone()
        assert row is not None
        return int(row[0])

    expect(_sign_up(client, _sign_up_body(), _key()), 201)
    assert left() == 2
    expect(_sign_up(client, _sign_up_body(), _key()), 201)
    assert left() == 0


def test_without_a_key_nothing_is_kept(client: FlaskClient, owner: psycopg.Connection) -> None:
    def count() -> int:
        row = owner.execute("SELECT count(*) FROM public_idempotency_keys").fetchone()
        assert row is not None
        return int(row[0])

    before = count()
    expect(client.post("/api/v1/orgs", json=_sign_up_body()), 201)
    assert count() == before


# --- log-in ----------------------------------------------------------------------------


def test_a_retried_log_in_replays_with_the_token_null(orgs: OrgFactory) -> None:
    org = orgs.create()
    key = _key()
    first = _log_in(org.client, org, key)
    retry = _log_in(org.client, org, key)
    issued, replayed = expect(first, 200), expect(retry, 200)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert issued["access_token"]
    assert replayed["access_token"] is None
    assert {**replayed, "access_token": issued["access_token"]} == issued
    expect(ApiClient(org.client, issued["access_token"]).get("/api/v1/me"), 200)


def test_the_stored_log_in_answer_holds_no_token(
    orgs: OrgFactory, owner: psycopg.Connection
) -> None:
    org = orgs.create()
    key = _key()
    token = expect(_log_in(org.client, org, key), 200)["access_token"]
    record = _record(owner, key)
    assert record is not None
    status, stored, _ = record
    assert status == 200
    assert token not in stored
    assert '"access_token": null' in stored
    rows = owner.execute("SELECT response_body FROM public_idempotency_keys").fetchall()
    assert not any(token in (body or "") for (body,) in rows)
    # Nor the key, nor the password: digests only.
    assert key["Idempotency-Key"] not in str(record)
    keys = owner.execute(
        "SELECT count(*) FROM public_idempotency_keys WHERE key_hash = %s OR request_hash = %s",
        (key["Idempotency-Key"], key["Idempotency-Key"]),
    ).fetchone()
    assert keys == (0,)


def test_a_wrong_password_with_the_key_is_another_request(orgs: OrgFactory) -> None:
    org = orgs.create()
    key = _key()
    expect(_log_in(org.client, org, key, "not the password"), 401)
    assert expect(_log_in(org.client, org, key, "not the password"), 401)
    # The right password is another body: a new key for a new request.
    expect(_log_in(org.client, org, key), 422)
    expect(_log_in(org.client, org, _key()), 200)


def test_a_server_error_releases_the_key(
    orgs: OrgFactory, monkeypatch: pytest.MonkeyPatch, owner: psycopg.Connection
) -> None:
    org = orgs.create()
    key = _key()

    def broken(*_args: object) -> None:
        raise RuntimeError("the log-in broke")

    with monkeypatch.context() as patched:
        patched.setattr(auth, "log_in", broken)
        expect(_log_in(org.client, org, key), 500)
    assert _record(owner, key) is None
    retry = _log_in(org.client, org, key)
    assert expect(retry, 200)["access_token"]
    assert "Idempotent-Replayed" not in retry.headers


def test_a_throttled_log_in_releases_the_key(orgs: OrgFactory, owner: psycopg.Connection) -> None:
    """429 says "not now", with a Retry-After a replay would not carry: the retry after
    the wait runs again instead of being told 429 for a day."""
    org = orgs.create()
    for _ in range(10):
        expect(_log_in(org.client, org, {}, "not the password"), 401)
    key = _key()
    throttled = _log_in(org.client, org, key)
    expect(throttled, 429)
    assert throttled.headers["Retry-After"]
    assert _record(owner, key) is None
    identity = hashlib.sha256(f"{org.slug}\n{org.admin.email}".encode()).hexdigest()
    owner.execute(
        "UPDATE login_failures SET failed_at = failed_at - interval '16 minutes'"
        " WHERE identity = %s",
        (identity,),
    )
    assert expect(_log_in(org.client, org, key), 200)["access_token"]


# --- accepting an invitation -------------------------------------------------------------


def test_a_retried_acceptance_replays_the_204(orgs: OrgFactory) -> None:
    org = orgs.create()
    body = {"token": _invitation(org), "password": NEW_PASSWORD}
    key = _key()
    first = org.client.post("/api/v1/auth/accept-invitation", json=body, headers=key)
    retry = org.client.post("/api/v1/auth/accept-invitation", json=body, headers=key)
    expect(first, 204)
    expect(retry, 204)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_data() == b""
    # Without the key, the used invitation is what it is.
    expect(org.client.post("/api/v1/auth/accept-invitation", json=body), 404)


# --- the table behind it ------------------------------------------------------------------


def test_the_request_role_cannot_read_or_write_the_table(owner: psycopg.Connection) -> None:
    for statement in (
        "SELECT count(*) FROM public_idempotency_keys",
        "SELECT response_body FROM public_idempotency_keys WHERE key_hash = 'x'",
        "UPDATE public_idempotency_keys SET status_code = 200",
        "DELETE FROM public_idempotency_keys",
        "INSERT INTO public_idempotency_keys (key_hash, request_hash) VALUES ('a', 'b')",
    ):
        with owner.transaction(force_rollback=True):
            owner.execute(f"SET LOCAL ROLE {REQUEST_ROLE}")
            with pytest.raises(psycopg.errors.InsufficientPrivilege), owner.transaction():
                owner.execute(statement)


def test_the_request_role_reads_an_answer_only_with_its_request(
    client: FlaskClient, owner: psycopg.Connection
) -> None:
    """Even calling the claim function directly, a key without its request's digest
    yields no answer."""
    key = _key()
    expect(_sign_up(client, _sign_up_body(), key), 201)
    with owner.transaction(force_rollback=True):
        owner.execute(f"SET LOCAL ROLE {REQUEST_ROLE}")
        row = owner.execute(
            "SELECT * FROM public_idempotency_claim(%s, %s, 86400)",
            (public_key_digest(key["Idempotency-Key"]), "0" * 64),
        ).fetchone()
    assert row == (False, False, None, None, None)
