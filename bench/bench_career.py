"""The organisation's structure at size: importing 10,000 people and reading a subtree.

The issue's targets: importing 10,000 people through ``POST /members/import`` takes at
most 5 s end to end (the client's wall clock, upload and answer included, against
gunicorn); the subtree of a head of product over 10,000 members takes at most 50 ms
server time (``GET /members/{id}/reports`` as that head of product, the first page of
100, nearest first, with the X-Pagination total; the service's own logged duration,
median of 200 reads started right after the import; the p95 is reported beside it, and
shows what autovacuum, busy on the freshly imported tables, and other load add).

The chart: a head of product, 10 directors, 100 product leads (one team each) and
9,889 PMs on the ladder's first three rungs, with every manager after their reports
in the file. Run alone with ``python -m bench career``.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.request
from typing import Any

from bench.harness import BenchContext, Check, Result, SeededOrg, call, sign_up

PEOPLE = 10_000
IMPORT_TARGET_S = 5.0
SUBTREE_TARGET_MS = 50.0
SUBTREE_READS = 200
ROLES = ("Associate PM", "Product Manager", "Senior PM")
HEADER = "email,name,title,access_role,product_role,manager_email,team"


def people_csv(size: int = PEOPLE) -> bytes:
    """A whole product organisation, reports before managers (the file's order is free)."""
    directors, leads = 10, 100
    pms = size - 1 - directors - leads
    lines = [HEADER]
    for i in range(pms):
        lead = i % leads
        lines.append(
            f"pm{i}@bench.example,PM {i},Product Manager,pm,{ROLES[i % 3]},"
            f"lead{lead}@bench.example,Team {lead}"
        )
    for i in range(leads):
        lines.append(
            f"lead{i}@bench.example,Lead {i},Product Lead,pm,Product Lead,"
            f"director{i % directors}@bench.example,Team {i}"
        )
    for i in range(directors):
        lines.append(
            f"director{i}@bench.example,Director {i},Director of Product,pm,"
            "Director of Product,hop@bench.example,Leadership"
        )
    lines.append(
        "hop@bench.example,Hana Okafor,Head of Product,head_of_product,Head of Product,,Leadership"
    )
    return ("\n".join(lines) + "\n").encode()


def post_csv(org: SeededOrg, content: bytes) -> tuple[float, dict[str, Any]]:
    request = urllib.request.Request(
        org.base_url + "/api/v1/members/import", data=content, method="POST"
    )
    request.add_header("Content-Type", "text/csv")
    request.add_header("Authorization", f"Bearer {org.token}")
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as answer:
        body = answer.read()
    elapsed = time.perf_counter() - started
    return elapsed, json.loads(body)


def log_in_as(org: SeededOrg, member_id: str, email: str) -> str:
    invitation = org.call("POST", f"/api/v1/members/{member_id}/invitation", expect=201)
    password = "bench password 1234"
    body = {"token": invitation["token"], "password": password}
    call(org.base_url, "POST", "/api/v1/auth/accept-invitation", body, expect=204)
    return org.log_in(email, password)


def run(ctx: BenchContext) -> list[Result]:
    service = ctx.service()
    org = sign_up(service.url())
    content = people_csv()

    first_s, first = post_csv(org, content)
    again_s, again = post_csv(org, content)
    assert first["created"] == PEOPLE, first
    assert again["unchanged"] == PEOPLE, again

    hop = org.call("GET", "/api/v1/members?q=hop%40bench.example")[0]
    token = log_in_as(org, hop["id"], "hop@bench.example")
    path = f"/api/v1/members/{hop['id']}/reports"
    url = f"{path}?page_size=100"
    first_page = call(org.base_url, "GET", url, token=token)
    assert first_page[0]["depth"] == 1
    assert len(first_page) == 100
    before = len(service.durations_ms(path))
    for _ in range(SUBTREE_READS):
        call(org.base_url, "GET", url, token=token)
    logged = service.durations_ms(path)[before:]
    p50 = statistics.median(logged)
    p95 = statistics.quantiles(logged, n=20)[-1]

    imported = Result(
        f"POST /members/import ({PEOPLE:,})",
        extra={
            "first_s": round(first_s, 2),
            "reimport_s": round(again_s, 2),
            "csv_kib": round(len(content) / 1024),
            "created": first["created"],
            "teams_created": len(first["teams_created"]),
        },
        checks=[
            Check(
                f"importing {PEOPLE:,} people <= {IMPORT_TARGET_S:.0f} s end to end",
                first_s <= IMPORT_TARGET_S,
                f"{first_s:.2f} s (re-import, all unchanged: {again_s:.2f} s)",
            )
        ],
    )
    subtree = Result(
        f"GET /members/{{hop}}/reports ({PEOPLE - 1:,})",
        extra={
            "server_p50_ms": round(p50, 2),
            "server_p95_ms": round(p95, 2),
            "reads": len(logged),
        },
        checks=[
            Check(
                f"head of product's subtree of {PEOPLE - 1:,} <= {SUBTREE_TARGET_MS:.0f} ms "
                "server time",
                p50 <= SUBTREE_TARGET_MS,
                f"median {p50:.1f} ms (p95 {p95:.1f} ms) over {len(logged)} reads of a page of 100",
            )
        ],
    )
    return [imported, subtree]
