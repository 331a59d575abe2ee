"""Bulk import of people: POST /members/import and its command-line twin."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask

from service.application.people_csv import MAX_ROWS
from service.demo import DEMO_PEOPLE
from service.domain.member import LAST_ADMIN
from service.domain.text import UNSTORABLE
from tests.support.api import Org, OrgFactory, api_token, audit_events, expect
from tests.support.career import HEADER, csv_of, import_csv, ladder, members_by_email, post_csv

PEOPLE = csv_of(
    # Reports come before their managers: the file's order does not matter.
    "apm@x.com,Alex Park,Associate PM,pm,Associate PM,senior@x.com,Payments",
    "senior@x.com,Sara Lind,Senior PM,,Senior PM,lead@x.com,payments",
    "lead@x.com,Luis Ortega,Product Lead,pm,Product Lead,hop@x.com,Payments",
    "hop@x.com,Hana Okafor,Head of Product,head_of_product,Head of Product,,Leadership",
)


def _rows(response_body: dict[str, object]) -> list[tuple[int, str | None]]:
    errors = response_body["errors"]
    assert isinstance(errors, dict)
    return [(e["line"], e["column"]) for e in errors["rows"]]


def test_an_import_creates_people_teams_and_reporting_lines(orgs: OrgFactory) -> None:
    org = orgs.create()
    result = import_csv(org.admin.api, PEOPLE)
    assert result["rows"] == 4
    assert (result["created"], result["updated"], result["unchanged"]) == (4, 0, 0)
    assert result["teams_created"] == ["Payments", "Leadership"]  # one per name, any case
    people = members_by_email(org)
    apm, senior = people["apm@x.com"], people["senior@x.com"]
    assert apm["manager_id"] == senior["id"]
    assert senior["manager_id"] == people["lead@x.com"]["id"]
    assert (apm["team_name"], senior["team_name"]) == ("Payments", "Payments")
    assert apm["product_role_name"] == "Associate PM"
    assert senior["access_role"] == "pm"  # empty: the default for a new member
    assert people["hop@x.com"]["access_role"] == "head_of_product"
    reports = expect(org.admin.api.get(f"/api/v1/members/{people['hop@x.com']['id']}/reports"), 200)
    assert [r["email"] for r in reports] == ["lead@x.com", "senior@x.com", "apm@x.com"]
    teams = expect(org.admin.api.get("/api/v1/teams"), 200)
    assert [t["name"] for t in teams] == ["Leadership", "Payments"]


def test_a_reimport_is_idempotent_and_updates_by_email(orgs: OrgFactory) -> None:
    org = orgs.create()
    import_csv(org.admin.api, PEOPLE)
    before = members_by_email(org)
    events = len(audit_events(org))
    again = import_csv(org.admin.api, PEOPLE)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)
    assert members_by_email(org) == before
    assert len(audit_events(org)) == events + 1  # only the import's summary
    etag = org.admin.api.get(f"/api/v1/members/{before['apm@x.com']['id']}").headers["ETag"]
    assert etag == '"v1"'

    changed = PEOPLE.replace("Alex Park,Associate PM,pm,Associate PM,senior@x.com",
                             "Alex Park,Product Manager,pm,Product Manager,lead@x.com")  # fmt: skip
    result = import_csv(org.admin.api, changed)
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 1, 3)
    apm = members_by_email(org)["apm@x.com"]
    assert (apm["title"], apm["product_role_name"], apm["manager_name"]) == (
        "Product Manager",
        "Product Manager",
        "Luis Ortega",
    )
    assert apm["id"] == before["apm@x.com"]["id"]


def test_every_change_of_an_import_is_audited_with_before_and_after(orgs: OrgFactory) -> None:
    org = orgs.create()
    first = import_csv(org.admin.api, PEOPLE)
    people = members_by_email(org)
    created = audit_events(org, entity_type="member", entity_id=people["apm@x.com"]["id"])
    assert [(e["action"], e["before"]) for e in created] == [("created", None)]
    assert created[0]["after"]["manager_id"] == people["senior@x.com"]["id"]
    assert created[0]["actor_id"] == org.admin.id
    team_events = audit_events(org, entity_type="team")
    assert sorted(e["after"]["name"] for e in team_events) == ["Leadership", "Payments"]
    summary = audit_events(org, entity_type="member_import", entity_id=first["import_id"])
    assert summary[0]["after"]["created"] == 4

    import_csv(org.admin.api, PEOPLE.replace("Sara Lind", "Sara Lind-Berg"))
    updated = audit_events(org, entity_type="member", entity_id=people["senior@x.com"]["id"])[0]
    assert updated["action"] == "updated"
    assert (updated["before"]["name"], updated["after"]["name"]) == ("Sara Lind", "Sara Lind-Berg")


def test_columns_left_out_keep_what_known_members_have(orgs: OrgFactory) -> None:
    org = orgs.create()
    import_csv(org.admin.api, PEOPLE)
    result = import_csv(org.admin.api, "email,name\napm@x.com,Alex Park\nnew@x.com,Nia New\n")
    assert (result["created"], result["unchanged"]) == (1, 1)
    people = members_by_email(org)
    assert people["apm@x.com"]["manager_name"] == "Sara Lind"
    assert people["new@x.com"]["access_role"] == "pm"
    assert people["new@x.com"]["manager_id"] is None


def test_roles_and_teams_may_be_given_by_id(orgs: OrgFactory) -> None:
    org = orgs.create()
    role = ladder(org.admin.api)[2]
    team = expect(org.admin.api.post("/api/v1/teams", json={"name": "Core"}), 201)
    import_csv(org.admin.api, csv_of(f"a@x.com,Ann,,pm,{role['id']},,{team['id']}"))
    ann = members_by_email(org)["a@x.com"]
    assert (ann["product_role_id"], ann["team_id"]) == (role["id"], team["id"])


def test_one_bad_row_writes_nothing_and_every_bad_row_is_listed(orgs: OrgFactory) -> None:
    org = orgs.create()
    content = csv_of(
        "ok@x.com,Olive,PM,pm,Product Manager,,Payments",  # line 2: fine
        "not-an-email,Bad Email,,pm,,,",  # 3
        "noname@x.com,,,pm,,,",  # 4
        "role@x.com,Rolf,,pm,Chief Vibes Officer,,",  # 5
        "boss@x.com,Bo,,pm,,nobody@x.com,",  # 6
        "ok@x.com,Olive Again,,pm,,,",  # 7: the same email twice
        "access@x.com,Ace,,superuser,,,",  # 8
        "loop1@x.com,Lou,,pm,,loop2@x.com,",  # 9
        "loop2@x.com,Lee,,pm,,loop1@x.com,",  # 10
        "cols@x.com,Col,,pm",  # 11: a value short
    )
    refused = expect(post_csv(org.admin.api, content), 422)
    assert refused["message"] == "9 lines of the file are not valid; nothing was imported."
    assert _rows(refused) == [
        (3, "email"),
        (4, "name"),
        (5, "product_role"),
        (6, "manager_email"),
        (7, "email"),
        (8, "access_role"),
        (9, "manager_email"),
        (10, "manager_email"),
        (11, "product_role"),
    ]
    messages = {e["line"]: e["message"] for e in refused["errors"]["rows"]}
    assert messages[7] == "Also on line 2."
    assert messages[9] == "This makes a reporting loop: loop1@x.com → loop2@x.com → loop1@x.com."
    assert messages[10] == "This makes a reporting loop: loop2@x.com → loop1@x.com → loop2@x.com."
    assert set(members_by_email(org)) == {org.admin.email}
    assert expect(org.admin.api.get("/api/v1/teams"), 200) == []  # no team made either
    assert audit_events(org, entity_type="member_import") == []


def test_a_loop_through_people_already_in_the_organisation_is_caught(orgs: OrgFactory) -> None:
    org = orgs.create()
    import_csv(org.admin.api, PEOPLE)
    refused = expect(
        post_csv(org.admin.api, "email,name,manager_email\nhop@x.com,Hana,apm@x.com\n"), 422
    )
    assert _rows(refused) == [(2, "manager_email")]
    assert (
        "hop@x.com → apm@x.com → senior@x.com → lead@x.com → hop@x.com"
        in (refused["errors"]["rows"][0]["message"])
    )


def test_managers_must_be_active_and_an_admin_must_remain(orgs: OrgFactory) -> None:
    org = orgs.create()
    gone = org.add_member(email="gone@x.com")
    expect(org.admin.api.post(f"/api/v1/members/{gone.id}/deactivate"), 200)
    content = (
        "email,name,access_role,manager_email\n"
        f"{org.admin.email},Admin,pm,\n"
        "new@x.com,Nia,pm,gone@x.com\n"
    )
    refused = expect(post_csv(org.admin.api, content), 422)
    assert _rows(refused) == [(2, "access_role"), (3, "manager_email")]
    assert refused["errors"]["rows"][1]["message"] == "This manager is deactivated."


def test_an_admin_able_to_log_in_must_remain(orgs: OrgFactory) -> None:
    """Imported people get no password, and only an admin can invite them: the only
    admin who can log in may not step down in favour of an imported one."""
    org = orgs.create()
    content = csv_of(f"{org.admin.email},Admin,,pm,,,", "new@x.com,New,,admin,,,")
    refused = expect(post_csv(org.admin.api, content), 422)
    assert _rows(refused) == [(2, "access_role")]
    assert refused["errors"]["rows"][0]["message"] == LAST_ADMIN
    assert "new@x.com" not in members_by_email(org)
    other = org.add_member(access_role="admin")  # with a password
    import_csv(org.admin.api, content)
    people = members_by_email(org)
    assert (people[org.admin.email]["access_role"], people["new@x.com"]["access_role"]) == (
        "pm",
        "admin",
    )
    assert people[other.email]["access_role"] == "admin"


def test_text_that_cannot_be_stored_is_a_row_error(orgs: OrgFactory) -> None:
    org = orgs.create()
    content = (HEADER + "\na@x.com,A\x00B,,,,,\nb@x.com,Bo,,,,,T\x00\n").encode()
    for dry_run in ("true", "false"):
        refused = expect(post_csv(org.admin.api, content, dry_run=dry_run), 422)
        assert _rows(refused) == [(2, "name"), (3, "team")]
        assert refused["errors"]["rows"][0]["message"] == UNSTORABLE
    assert set(members_by_email(org)) == {org.admin.email}


def test_a_team_name_matching_several_teams_is_an_error(orgs: OrgFactory) -> None:
    """Told apart by the database (its lower case differs) but not by the import's
    case-insensitive match: the import refuses to guess, as it does for roles."""
    org = orgs.create()
    api = org.admin.api
    sharp = expect(api.post("/api/v1/teams", json={"name": "Straße"}), 201)
    expect(api.post("/api/v1/teams", json={"name": "STRASSE"}), 201)
    refused = expect(post_csv(api, csv_of("b@x.com,B,,,,,strasse")), 422)
    assert _rows(refused) == [(2, "team")]
    assert "give the team's id" in refused["errors"]["rows"][0]["message"]
    import_csv(api, csv_of(f"b@x.com,B,,,,,{sharp['id']}"))
    assert members_by_email(org)["b@x.com"]["team_id"] == sharp["id"]


def test_unknown_team_ids_and_ambiguous_role_names_are_errors(orgs: OrgFactory) -> None:
    org = orgs.create()
    expect(
        org.admin.api.post(
            "/api/v1/product-roles", json={"name": "Product Manager", "track": "ic", "level": 2}
        ),
        201,
    )
    content = csv_of(
        "a@x.com,Ann,,pm,Product Manager,,",
        "b@x.com,Bo,,pm,,,6f1d3c62-9f0a-4a51-9d61-5d7cbb0b6d6b",
    )
    refused = expect(post_csv(org.admin.api, content), 422)
    assert _rows(refused) == [(2, "product_role"), (3, "team")]
    assert "ic level 2" in refused["errors"]["rows"][0]["message"]


def test_a_file_that_cannot_be_read_is_refused_whole(orgs: OrgFactory) -> None:
    api = orgs.create().admin.api
    bad_header = expect(post_csv(api, "email,name,salary\na@x.com,Ann,1\n"), 422)
    assert _rows(bad_header) == [(1, "salary")]
    no_email = expect(post_csv(api, "name\nAnn\n"), 422)
    assert _rows(no_email) == [(1, "email")]
    not_utf8 = expect(post_csv(api, b"email,name\na@x.com,Ann\nb@x.com,Bj\xf6rn\n"), 422)
    assert _rows(not_utf8) == [(3, None)]
    empty = expect(post_csv(api, HEADER + "\n"), 422)
    assert "no people" in empty["errors"]["rows"][0]["message"]
    unclosed = expect(post_csv(api, 'email,name\na@x.com,"Ann\n'), 422)
    assert "malformed" in unclosed["errors"]["rows"][0]["message"]


def test_a_multipart_upload_and_a_dry_run(orgs: OrgFactory) -> None:
    org = orgs.create()
    answer = org.admin.api.post(
        "/api/v1/members/import",
        data={"file": (io.BytesIO(PEOPLE.encode()), "people.csv")},
        content_type="multipart/form-data",
        query_string={"dry_run": "true"},
    )
    result = expect(answer, 200)
    assert (result["created"], result["dry_run"]) == (4, True)
    assert set(members_by_email(org)) == {org.admin.email}
    missing = org.admin.api.post(
        "/api/v1/members/import", data={"other": "x"}, content_type="multipart/form-data"
    )
    assert "file" in expect(missing, 422)["errors"]
    answer = org.admin.api.post(
        "/api/v1/members/import",
        data={"file": (io.BytesIO(PEOPLE.encode()), "people.csv")},
        content_type="multipart/form-data",
    )
    assert expect(answer, 200)["created"] == 4


def test_body_type_and_size_limits(orgs: OrgFactory) -> None:
    api = orgs.create().admin.api
    as_json = api.post("/api/v1/members/import", json={"email": "a@x.com"})
    assert expect(as_json, 415)["code"] == 415
    big = HEADER + "\n" + "x" * (10 * 1024 * 1024)
    assert expect(post_csv(api, big), 413)["code"] == 413


def test_a_file_of_more_people_than_one_import_takes_is_refused_whole(
    orgs: OrgFactory,
) -> None:
    org = orgs.create()
    rows = [f"p{i}@big.example,P{i}" for i in range(MAX_ROWS + 1)]
    refused = expect(post_csv(org.admin.api, "email,name\n" + "\n".join(rows) + "\n"), 422)
    assert _rows(refused) == [(MAX_ROWS + 2, None)]  # the first row past the limit
    assert "split the file" in refused["errors"]["rows"][0]["message"]
    assert set(members_by_email(org)) == {org.admin.email}


def test_only_admins_import(orgs: OrgFactory) -> None:
    org = orgs.create()
    hop = org.add_member(access_role="head_of_product")
    pm = org.add_member(access_role="pm")
    for api in (hop.api, pm.api, api_token(org, ["read", "write"])):
        expect(post_csv(api, PEOPLE), 403)
    assert import_csv(api_token(org, ["admin"]), PEOPLE)["created"] == 4


def test_nothing_of_another_organisation_can_be_named(orgs: OrgFactory) -> None:
    org, other = orgs.create(), orgs.create()
    import_csv(other.admin.api, PEOPLE)
    theirs = members_by_email(other)
    their_team = theirs["apm@x.com"]["team_id"]
    their_role = ladder(other.admin.api)[0]["id"]
    content = csv_of(
        "a@x.com,Ann,,pm,,hop@x.com,",
        f"b@x.com,Bo,,pm,,,{their_team}",
        f"c@x.com,Cy,,pm,{their_role},,",
        "apm@x.com,Alex Park,,pm,,,",
    )
    refused = expect(post_csv(org.admin.api, content), 422)
    assert _rows(refused) == [(2, "manager_email"), (3, "team"), (4, "product_role")]
    # The same email in another organisation is another person: created here, theirs intact.
    assert import_csv(org.admin.api, csv_of("apm@x.com,Alex Park,,pm,,,"))["created"] == 1
    assert members_by_email(other)["apm@x.com"]["manager_id"] == theirs["senior@x.com"]["id"]


def test_the_demo_file_imports_cleanly(orgs: OrgFactory) -> None:
    org = orgs.create()
    result = import_csv(org.admin.api, DEMO_PEOPLE.read_text())
    assert result["created"] >= 8
    people = members_by_email(org)
    hop = people["hop@demo.example"]
    assert hop["access_role"] == "head_of_product"
    subtree = expect(org.admin.api.get(f"/api/v1/members/{hop['id']}/reports"), 200)
    assert len(subtree) == result["created"] - 1
    assert all(
        m["product_role_id"] and m["team_id"] for m in people.values() if m["id"] != org.admin.id
    )


def _write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(content)
    return path


def test_the_command_line_runs_the_same_import(
    app: Flask, orgs: OrgFactory, owner_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org: Org = orgs.create()
    runner = app.test_cli_runner()
    path = _write(tmp_path, PEOPLE)
    monkeypatch.setenv("DATABASE_URL", owner_url)
    done = runner.invoke(args=["members", "import", str(path), "--org", org.slug])
    assert done.exit_code == 0, done.output
    assert "4 created, 0 updated, 0 unchanged; teams created: Payments, Leadership." in done.output
    assert "validating" in done.output  # the progress bar (on stderr)
    assert len(members_by_email(org)) == 5
    summary = audit_events(org, entity_type="member_import")[0]
    assert summary["actor_id"] == org.admin.id

    monkeypatch.delenv("DATABASE_URL")
    again = runner.invoke(
        args=["members", "import", str(path), "--org", org.slug, "--as", org.admin.email]
    )
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 4 unchanged" in again.output

    bad = _write(tmp_path, "email,name\nx@x.com,\n")
    refused = runner.invoke(
        args=["members", "import", str(bad), "--org", org.slug, "--as", org.admin.email]
    )
    assert refused.exit_code == 1
    assert f"{bad}:2, name: A name is required." in refused.output
    pm = org.add_member()
    not_admin = runner.invoke(
        args=["members", "import", str(path), "--org", org.slug, "--as", pm.email]
    )
    assert not_admin.exit_code == 1
    assert "not an active admin" in not_admin.output
