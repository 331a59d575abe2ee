"""The cap on an organisation's webhooks holds under concurrent registrations: a
registration counts only once the one before it has committed."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import psycopg

from service.adapters.webhook_repositories import WEBHOOKS_LOCK
from service.domain.webhooks import MAX_WEBHOOKS_PER_ORGANISATION, new_signing_secret
from tests.support.api import OrgFactory, expect
from tests.support.database import conninfo, owner_connection, wait_for_a_lock_wait
from tests.support.webhooks import PUBLIC_URL, WEBHOOKS


def test_a_registration_counts_after_the_one_in_progress_commits(
    orgs: OrgFactory, owner_url: str
) -> None:
    org = orgs.create()
    body = {"url": PUBLIC_URL, "events": ["cycle.launched"]}
    for _ in range(MAX_WEBHOOKS_PER_ORGANISATION - 1):
        expect(org.admin.api.post(WEBHOOKS, json=body), 201)
    answers: list[Any] = []
    with owner_connection(owner_url) as watcher, psycopg.connect(conninfo(owner_url)) as other:
        # Another registration of the organisation is in progress: it holds the lock,
        # and has written the last endpoint the cap allows, not committed yet.
        other.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (WEBHOOKS_LOCK, str(org.id))
        )
        other.execute(
            "INSERT INTO webhooks (org_id, id, url, events, secret)"
            " VALUES (%s, %s, %s, ARRAY['cycle.launched'], %s)",
            (org.id, uuid.uuid4(), PUBLIC_URL, new_signing_secret()),
        )
        request = threading.Thread(
            target=lambda: answers.append(org.admin.api.post(WEBHOOKS, json=body))
        )
        request.start()
        wait_for_a_lock_wait(watcher, "the registration")
        other.commit()
        request.join(30)
        count = watcher.execute(
            "SELECT count(*) FROM webhooks WHERE org_id = %s", (org.id,)
        ).fetchone()
    assert expect(answers[0], 409)["code"] == 409
    assert count == (MAX_WEBHOOKS_PER_ORGANISATION,)
