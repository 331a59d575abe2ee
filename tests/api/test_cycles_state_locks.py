"""Writes that depend on the cycle's state queue behind a transition in flight.

A transition holds the cycle's row ``FOR UPDATE`` until it commits. Here a second
connection plays that transition: it locks the row and moves the state, then waits
until the write under test is seen blocked on it (``pg_blocking_pids``), and only
then commits. The write must then meet the new state (409), never commit against the
old one. Without the share lock the write would not wait at all, and the test fails.

The helpers serve the ``test_races_*`` modules too: there the transaction in flight is
a real request, held at a chosen point (``Held``), and ``interleave`` runs another
request against it. No sleep orders anything: a request is released only once the
other is seen waiting on its locks (or has finished without waiting).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests.support.api import ApiClient, OrgFactory, expect
from tests.support.cycles import CYCLES, build_team, etag, launched_cycle, review_of
from tests.support.database import owner_connection

#: How long a step may take before the test gives up on it (only a failing test waits
#: that long: every wait ends as soon as what it waits for happens).
WAIT_SECONDS = 30


@contextmanager
def transition_in_flight(owner_url: str, org_id: str, cycle_id: str, state: str) -> Iterator[int]:
    """Lock the cycle and move it to ``state``, committing on exit; yields the backend pid."""
    with owner_connection(owner_url, autocommit=False) as conn:
        conn.execute("SELECT set_config('app.current_org', %s, true)", (org_id,))
        conn.execute(
            "SELECT state FROM review_cycles WHERE org_id = %s AND id = %s FOR UPDATE",
            (org_id, cycle_id),
        )
        conn.execute(
            "UPDATE review_cycles SET state = %s, version = version + 1"
            " WHERE org_id = %s AND id = %s",
            (state, org_id, cycle_id),
        )
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert pid is not None
        yield int(pid[0])
        conn.commit()


def blocked_behind(owner_url: str, pid: int, done: threading.Event) -> bool:
    """Whether some backend comes to wait on ``pid``'s locks before ``done`` is set."""
    with owner_connection(owner_url) as watcher:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline and not done.is_set():
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                (pid,),
            ).fetchone()
            if row is not None and row[0] > 0:
                return True
            time.sleep(0.02)
    return False


class Answering(threading.Thread):
    """A request on a thread of its own; ``done`` is set once it has answered (or failed)."""

    def __init__(self, request: Callable[[], TestResponse]) -> None:
        super().__init__(daemon=True)
        self.request = request
        self.answer: TestResponse | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.answer = self.request()
        finally:
            self.done.set()

    def result(self) -> TestResponse:
        self.join(WAIT_SECONDS)
        assert self.answer is not None, "the request did not finish"
        return self.answer


def run_during_transition(
    owner_url: str,
    org_id: str,
    cycle_id: str,
    state: str,
    write: Callable[[], TestResponse],
) -> TestResponse:
    """Run ``write`` while a transition to ``state`` is in flight; its response."""
    thread = Answering(write)
    with transition_in_flight(owner_url, org_id, cycle_id, state) as pid:
        thread.start()
        waited = blocked_behind(owner_url, pid, thread.done)
    answer = thread.result()
    assert waited, "the write did not wait for the transition in flight"
    return answer


class Held:
    """Holds the first request that calls ``owner.name``, just after that call returns
    (its transaction open, whatever it has locked still held), until ``release``.
    ``session_of`` finds the request's session from the call's first argument (a
    repository's ``session``, a use case's ``ctx.uow.session``)."""

    def __init__(
        self,
        monkeypatch: pytest.MonkeyPatch,
        owner: object,
        name: str,
        session_of: Callable[[Any], Session],
    ) -> None:
        self.reached = threading.Event()
        self.pid = 0
        self._go = threading.Event()
        original = getattr(owner, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            if not self.reached.is_set():
                # On the connection itself: no autoflush, nothing else of the request runs.
                connection = session_of(args[0]).connection()
                self.pid = int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
                self.reached.set()
                self._go.wait(2 * WAIT_SECONDS)
            return result

        monkeypatch.setattr(owner, name, held)

    def release(self) -> None:
        self._go.set()


@dataclass(frozen=True)
class Interleaved:
    held: TestResponse
    then: TestResponse
    #: Whether ``then`` came to wait on a lock ``held`` had taken.
    waited: bool


def interleave(
    owner_url: str, held: Held, first: Callable[[], TestResponse], then: Callable[[], TestResponse]
) -> Interleaved:
    """Run ``first`` until ``held`` holds it, then ``then`` while it is held; let ``first``
    go on (and commit) once ``then`` waits on its locks, or has answered without waiting."""
    one = Answering(first)
    one.start()
    reached = held.reached.wait(WAIT_SECONDS)
    two = Answering(then)
    try:
        assert reached, f"the first request was never held: {one.answer and one.answer.json}"
        two.start()
        waited = blocked_behind(owner_url, held.pid, two.done)
    finally:
        held.release()
    return Interleaved(one.result(), two.result(), waited)


def test_a_review_submission_waits_for_the_start_of_calibration(
    app: Flask, orgs: OrgFactory, owner_url: str
) -> None:
    org = orgs.create()
    team = build_team(org, pms=1)
    cycle = launched_cycle(org.admin.api)
    pm = team.pms[0]
    review = review_of(pm.api, cycle["id"], "self", pm.id)
    path = f"/api/v1/reviews/{review['id']}"
    ids = team.ladder.competency_ids
    body = {"ratings": [{"competency_id": c, "score": 3} for c in ids]}
    saved = pm.api.patch(path, json=body, headers={"If-Match": etag(pm.api, review["id"])})
    expect(saved, 200)
    api = ApiClient(app.test_client(), pm.api.token)  # a client of its own for the thread

    answer = run_during_transition(
        owner_url,
        org.id,
        cycle["id"],
        "calibrating",
        lambda: api.post(f"{path}/submit", headers={"If-Match": saved.headers["ETag"]}),
    )
    expect(answer, 409)
    after = expect(pm.api.get(path), 200)
    assert after["status"] == "in_progress"


def test_a_calibration_waits_for_the_release(app: Flask, orgs: OrgFactory, owner_url: str) -> None:
    org = orgs.create()
    team = build_team(org, pms=1)
    admin = org.admin.api
    cycle = launched_cycle(admin)
    calibrating = admin.post(f"{CYCLES}/{cycle['id']}/calibrate", json={"force": True})
    expect(calibrating, 200)
    pm = team.pms[0]
    path = f"{CYCLES}/{cycle['id']}/participants/{pm.id}/calibration"
    body = {"ratings": [{"competency_id": team.ladder.competency_ids[0], "score": 5}]}
    api = ApiClient(app.test_client(), admin.token)

    answer = run_during_transition(
        owner_url, org.id, cycle["id"], "released", lambda: api.put(path, json=body)
    )
    expect(answer, 409)
    listed = expect(admin.get(f"{CYCLES}/{cycle['id']}/participants?page_size=100"), 200)
    assert all(not p["calibrated"] for p in listed)


def test_a_nomination_waits_for_the_start_of_calibration(
    app: Flask, orgs: OrgFactory, owner_url: str
) -> None:
    org = orgs.create()
    team = build_team(org, pms=2)
    cycle = launched_cycle(org.admin.api)
    api = ApiClient(app.test_client(), team.manager.api.token)
    body = {"reviewee_id": team.pms[0].id, "reviewer_ids": [team.pms[1].id]}

    answer = run_during_transition(
        owner_url,
        org.id,
        cycle["id"],
        "calibrating",
        lambda: api.post(f"{CYCLES}/{cycle['id']}/peer-nominations", json=body),
    )
    expect(answer, 409)
    peers = expect(
        org.admin.api.get(f"/api/v1/reviews?cycle_id={cycle['id']}&type=peer&page_size=100"), 200
    )
    assert peers == []
