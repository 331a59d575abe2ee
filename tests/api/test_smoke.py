from __future__ import annotations

from tests.support.api import OrgFactory, expect


def test_sign_up_log_in_and_read_me(orgs: OrgFactory) -> None:
    org = orgs.create()
    me = expect(org.admin.api.get("/api/v1/me"), 200)
    assert me["id"] == org.admin.id
    assert me["access_role"] == "admin"
    assert "password_hash" not in me
