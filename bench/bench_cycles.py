"""Review cycles at size: launching for 5,000 people, and reading pages of 100 reviews.

The issue's targets on this 2-core machine:

- launching a cycle for 5,000 participants, with self, manager and upward reviews
  (about 15,000 assignments), takes at most 2 s server time (the service's own logged
  duration of ``POST /cycles/{id}/launch``) in a constant number of SQL statements (the
  same count as launching for 5 people);
- listing a page of 100 reviews (every review submitted, with three rated competencies,
  comments and evidence) serves at least 700 requests/s in a constant number of
  statements (the same for a page of 10 as of 100). The target is checked on what a
  product lead reads (``GET /reviews?cycle_id=...&page_size=100``: their 99 reports'
  reviews and their own, about 200); an admin paging through all 15,000 reviews of the
  cycle is measured beside it, for the record: its exact total (``X-Pagination``) costs
  a pass over every review of the cycle on each page.

The organisation is imported through ``POST /members/import`` (a head of product, 50
product leads, 4,949 PMs); everything else goes through the API too, except filling the
15,000 reviews with ratings, written in one SQL statement as the owner. Run alone with
``python -m bench cycles``.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from bench.harness import PASSWORD, BenchContext, Check, Result, SeededOrg, call, sign_up

PEOPLE = 5_000
LEADS = 50
LAUNCH_TARGET_S = 2.0
LIST_TARGET_RPS = 700.0
#: A product lead: 99 PMs report to them (about 400 reviews they may see in the cycle).
LEAD = "lead7@bench.example"
NAMES = {
    "lead": "GET /reviews 100, lead's team",
    "admin": "GET /reviews 100 of 15k, admin",
}
HEADER = "email,name,title,access_role,product_role,manager_email,team"
ROLES = ("Associate PM", "Product Manager", "Senior PM")
CYCLE = {
    "name": "H1 2026",
    "period_start": "2026-01-01",
    "period_end": "2026-06-30",
    "review_types": ["self", "manager", "upward"],
    "self_review_due": "2026-07-10",
    "manager_review_due": "2026-07-20",
    "peer_review_due": "2026-07-15",
}
FILL_REVIEWS = """
INSERT INTO review_ratings (org_id, id, review_id, competency_id, score, comment, evidence)
SELECT r.org_id, gen_random_uuid(), r.id, cc.competency_id,
       1 + abs(hashtext(r.id::text || cc.key)) %% 5,
       'Clear progress on ' || cc.name || ': shipped the roadmap items it promised.',
       '[{"title": "Launch PRD", "url": "https://docs.example/prd/42"}]'::jsonb
FROM reviews r
JOIN cycle_competencies cc ON cc.org_id = r.org_id AND cc.cycle_id = r.cycle_id
WHERE r.cycle_id = %(cycle)s;
UPDATE reviews SET status = 'submitted', submitted_at = now(),
       summary = 'A steady half: strong execution, growing strategic range.'
WHERE cycle_id = %(cycle)s;
"""


def people_csv(size: int = PEOPLE) -> bytes:
    pms = size - 1 - LEADS
    lines = [HEADER]
    for i in range(pms):
        lines.append(
            f"pm{i}@bench.example,PM {i},Product Manager,pm,{ROLES[i % 3]},"
            f"lead{i % LEADS}@bench.example,"
        )
    for i in range(LEADS):
        lines.append(
            f"lead{i}@bench.example,Lead {i},Product Lead,pm,Product Lead,hop@bench.example,"
        )
    lines.append("hop@bench.example,Hana Okafor,Head of Product,head_of_product,Head of Product,,")
    return ("\n".join(lines) + "\n").encode()


def _import(org: SeededOrg, content: bytes) -> None:
    request = urllib.request.Request(
        org.base_url + "/api/v1/members/import", data=content, method="POST"
    )
    request.add_header("Content-Type", "text/csv")
    request.add_header("Authorization", f"Bearer {org.token}")
    with urllib.request.urlopen(request, timeout=300) as answer:
        if answer.status != 200:
            raise RuntimeError(f"import: {answer.status} {answer.read()[:300]!r}")


def _service_app(ctx: BenchContext) -> Any:
    from service.app import create_app

    return create_app(ctx.app_env(LOG_LEVEL="WARNING"))


def _statements(app: Any, request: Callable[[Any], Any]) -> int:
    """SQL statements one in-process request runs (``before_cursor_execute``)."""
    engine = app.extensions["review_engine"]
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        answer = request(app.test_client())
        if answer.status_code != 200:
            raise RuntimeError(f"{answer.status_code} {answer.get_data()[:300]!r}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def _launch_statements(app: Any, org: SeededOrg) -> int:
    cycle = org.call("POST", "/api/v1/cycles", CYCLE, expect=201)
    auth = {"Authorization": f"Bearer {org.token}"}
    return _statements(
        app, lambda client: client.post(f"/api/v1/cycles/{cycle['id']}/launch", headers=auth)
    )


def _log_in_as(org: SeededOrg, email: str) -> str:
    """A member imported without a password: invite them, accept, log in."""
    found = org.call("GET", f"/api/v1/members?q={email}")
    member_id = found[0]["id"]
    invitation = org.call("POST", f"/api/v1/members/{member_id}/invitation", expect=201)
    body = {"token": invitation["token"], "password": PASSWORD}
    call(org.base_url, "POST", "/api/v1/auth/accept-invitation", body, expect=204)
    return org.log_in(email, PASSWORD)


def run(ctx: BenchContext) -> list[Result]:
    service = ctx.service()
    org = sign_up(service.url(), "Cycles at size")
    started = time.perf_counter()
    _import(org, people_csv())
    imported_s = time.perf_counter() - started

    created = time.perf_counter()
    cycle = org.call("POST", "/api/v1/cycles", CYCLE, expect=201)
    create_s = time.perf_counter() - created
    path = f"/api/v1/cycles/{cycle['id']}/launch"
    started = time.perf_counter()
    launched = org.call("POST", path, expect=200)
    launch_wall_s = time.perf_counter() - started
    launch_ms = service.durations_ms(path)[-1]

    with ctx.database.connect() as owner:
        for statement in FILL_REVIEWS.split(";"):
            if statement.strip():
                owner.execute(statement, {"cycle": cycle["id"]})
        total = owner.execute(
            "SELECT count(*) FROM reviews WHERE cycle_id = %s", (cycle["id"],)
        ).fetchone()
        owner.commit()
        owner.autocommit = True
        owner.execute("ANALYZE")  # as autovacuum would, soon after a bulk write
    assignments = int(total[0]) if total else 0
    lead = {"Authorization": f"Bearer {_log_in_as(org, LEAD)}"}
    admin = {"Authorization": f"Bearer {org.token}"}
    page = f"/api/v1/reviews?cycle_id={cycle['id']}"

    # Statement counts, in this process, on the same database.
    small = sign_up(service.url(), "Cycles small")
    _import(small, people_csv(5 + LEADS + 1))
    app = _service_app(ctx)
    try:
        launch_small = _launch_statements(app, small)
        launch_large = _launch_statements(app, org)
        counts = {
            (who, size): _statements(
                app, lambda c, h=headers, n=size: c.get(f"{page}&page_size={n}", headers=h)
            )
            for who, headers in (("lead", lead), ("admin", admin))
            for size in (10, 100)
        }
        visible = {
            who: len(_client_json(app, f"{page}&page_size=100", headers))
            for who, headers in (("lead", lead), ("admin", admin))
        }
    finally:
        app.extensions["review_engine"].dispose()

    measured = {
        "lead": ctx.measure(NAMES["lead"], service, f"{page}&page_size=100", lead),
        "admin": ctx.measure(NAMES["admin"], service, f"{page}&page_size=100&page=2", admin),
    }
    launch = Result(
        f"launch {launched['participant_count']:,} participants",
        extra={
            "server_ms": round(launch_ms, 1),
            "wall_ms": round(launch_wall_s * 1000, 1),
            "assignments": assignments,
            "statements": launch_large,
            "statements_5_people": launch_small,
            "draft_create_ms": round(create_s * 1000, 1),
            "import_s": round(imported_s, 2),
        },
        checks=[
            Check(
                f"launch of {PEOPLE:,} participants <= {LAUNCH_TARGET_S} s server time",
                launch_ms <= LAUNCH_TARGET_S * 1000 and launched["participant_count"] == PEOPLE,
                f"{launch_ms:,.0f} ms for {launched['participant_count']:,} participants, "
                f"{assignments:,} reviews",
            ),
            Check(
                "launch: constant statements (5,000 people vs 5)",
                launch_large == launch_small,
                f"{launch_large} vs {launch_small}",
            ),
        ],
    )
    results = [launch]
    for who, result in measured.items():
        load = result.load
        assert load is not None
        result.extra.update(
            statements=counts[(who, 100)],
            statements_page_10=counts[(who, 10)],
            page_items=visible[who],
        )
        result.checks += [
            Check(
                f"{NAMES[who]}: constant statements (page of 100 vs 10)",
                counts[(who, 100)] == counts[(who, 10)],
                f"{counts[(who, 100)]} vs {counts[(who, 10)]}",
            ),
            Check(f"{NAMES[who]}: no errors", load.errors == 0, f"{load.errors} errors"),
        ]
        results.append(result)
    lead_load = measured["lead"].load
    assert lead_load is not None
    results[1].checks.insert(
        0,
        Check(
            f"GET /reviews page of 100 >= {LIST_TARGET_RPS:,.0f} req/s (a lead's team)",
            lead_load.rps >= LIST_TARGET_RPS and visible["lead"] == 100,
            f"{lead_load.rps:,.0f}",
        ),
    )
    return results


def _client_json(app: Any, path: str, headers: dict[str, str]) -> Any:
    answer = app.test_client().get(path, headers=headers)
    if answer.status_code != 200:
        raise RuntimeError(f"GET {path}: {answer.status_code}")
    return answer.get_json()
