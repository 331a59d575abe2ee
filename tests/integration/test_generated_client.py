"""An integrator's view: a Python client generated from the committed OpenAPI file, as
integrators generate theirs (openapi-python-client), against a running gunicorn.

It fails when the spec and the server disagree in a way a generated client notices: a
path, a parameter, a body or an answer's shape or status that the spec does not say.
"""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from types import ModuleType
from typing import Any

import attrs
import pytest

from service.api.members.routes import MEMBER_FIELDS
from tests.support.api import PASSWORD
from tests.support.gunicorn import ROOT, Server, running_gunicorn

SPEC = ROOT / "openapi" / "openapi.json"
PACKAGE = "review_service_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    out = tmp_path_factory.mktemp("generated") / PACKAGE
    command = [sys.executable, "-m", "openapi_python_client", "generate"]
    command += ["--path", str(SPEC), "--output-path", str(out), "--meta", "none"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(out.parent))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out.parent))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def server(owner_url: str) -> Iterator[Server]:
    with running_gunicorn(owner_url) as running:
        yield running


def _op(client: ModuleType, tag: str, operation: str) -> Any:
    return importlib.import_module(f"{client.__name__}.api.{tag}.{operation}")


def _model(client: ModuleType, name: str, values: dict[str, Any]) -> Any:
    models = importlib.import_module(f"{client.__name__}.models")
    return getattr(models, name).from_dict(values)


@pytest.fixture
def clients() -> Iterator[ExitStack]:
    """Closes every client a test opens (their connection pools)."""
    with ExitStack() as stack:
        yield stack


def _signed_up_admin(generated: ModuleType, server: Server, clients: ExitStack) -> Any:
    """Sign-up and log-in as a new organisation's admin, through the client."""
    anonymous = clients.enter_context(
        generated.Client(base_url=server.base, raise_on_unexpected_status=True)
    )
    slug = f"gen-{uuid.uuid4().hex[:10]}"
    admin = {"email": "root@generated.example", "name": "Root", "password": PASSWORD}
    body = _model(generated, "SignUp", {"name": "Generated", "slug": slug, "admin": admin})
    signed_up = _op(generated, "organisations", "sign_up").sync(client=anonymous, body=body)
    assert signed_up.organisation.slug == slug
    credentials = {"org": slug, "email": admin["email"], "password": PASSWORD}
    log_in = _model(generated, "LogIn", credentials)
    token = _op(generated, "auth", "log_in").sync(client=anonymous, body=log_in)
    assert token.token_type == "Bearer"
    return clients.enter_context(
        generated.AuthenticatedClient(
            base_url=server.base, token=token.access_token, raise_on_unexpected_status=True
        )
    )


def test_an_integrator_signs_up_logs_in_and_manages_people(
    generated: ModuleType, server: Server, clients: ExitStack
) -> None:
    client = _signed_up_admin(generated, server, clients)
    me = _op(generated, "members", "get_me").sync(client=client)
    assert (me.email, me.access_role.value) == ("root@generated.example", "admin")

    team = _op(generated, "teams", "create_team").sync(
        client=client, body=_model(generated, "TeamInput", {"name": "Payments"})
    )
    new = {"email": "pm@generated.example", "name": "Priya", "access_role": "pm"}
    placed = {**new, "manager_id": str(me.id), "team_id": str(team.id)}
    created = _op(generated, "members", "create_member").sync(
        client=client, body=_model(generated, "MemberInput", placed)
    )
    assert (created.manager_id, created.team_id) == (me.id, team.id)
    _assert_always_sent_fields_are_plain(generated, created)
    assert isinstance(created.id, uuid.UUID)
    assert (created.status, created.title) == ("active", None)  # nullable, yet always sent

    listed = _op(generated, "members", "list_members").sync_detailed(
        client=client, team_id=team.id, page_size=10
    )
    assert [m.email for m in listed.parsed] == [new["email"]]
    assert json.loads(listed.headers["X-Pagination"])["total"] == 1

    reports = _op(generated, "members", "list_reports").sync(client=client, member_id=me.id)
    assert [r.id for r in reports] == [created.id]


def _assert_always_sent_fields_are_plain(client: ModuleType, parsed: Any) -> None:
    """What the server always sends is a required attribute of the generated model: no
    ``Unset`` default, and a plain value once parsed (``isinstance(x, Unset)`` needless)."""
    unset = importlib.import_module(f"{client.__name__}.types").Unset
    model = type(parsed)
    required = [f.name for f in attrs.fields(model) if f.default is attrs.NOTHING]
    expected = {
        "Member": set(MEMBER_FIELDS),
        "Error": {"code", "status", "message"},
        "CreatedApiToken": {"id", "name", "prefix", "scopes", "created_at", "token"},
    }[model.__name__]
    assert expected <= set(required), sorted(expected - set(required))
    assert [name for name in required if isinstance(getattr(parsed, name), unset)] == []


def test_if_match_is_a_parameter_of_the_writes_that_read_it(
    generated: ModuleType, server: Server, clients: ExitStack
) -> None:
    """A team's ETag goes back as ``if_match`` (optional there); a stale one answers 412
    as an Error. Review writes take it as a required argument."""
    client = _signed_up_admin(generated, server, clients)
    team = _op(generated, "teams", "create_team").sync(
        client=client, body=_model(generated, "TeamInput", {"name": "Growth"})
    )
    read = _op(generated, "teams", "get_team").sync_detailed(client=client, team_id=team.id)
    update = _op(generated, "teams", "update_team")
    renamed = update.sync_detailed(
        client=client,
        team_id=team.id,
        body=_model(generated, "TeamPatch", {"name": "Growth & retention"}),
        if_match=read.headers["ETag"],
    )
    assert (renamed.status_code, renamed.parsed.name) == (200, "Growth & retention")
    assert renamed.headers["ETag"] != read.headers["ETag"]
    stale = update.sync_detailed(
        client=client,
        team_id=team.id,
        body=_model(generated, "TeamPatch", {"name": "Lost update"}),
        if_match=read.headers["ETag"],
    )
    assert (stale.status_code, stale.parsed.code) == (412, 412)
    unchanged = update.sync(client=client, team_id=team.id, body=_model(generated, "TeamPatch", {}))
    assert unchanged.name == "Growth & retention"

    for operation in ("update_review", "submit_review", "reopen_review"):
        signature = inspect.signature(_op(generated, "reviews", operation).sync_detailed)
        assert signature.parameters["if_match"].default is inspect.Parameter.empty, operation


def test_errors_parse_as_the_documented_error_shape(
    generated: ModuleType, server: Server, clients: ExitStack
) -> None:
    anonymous = clients.enter_context(generated.Client(base_url=server.base))
    refused = _op(generated, "auth", "log_in").sync_detailed(
        client=anonymous,
        body=_model(generated, "LogIn", {"org": "nobody", "email": "a@b.example", "password": "p"}),
    )
    assert refused.status_code == 401
    assert (refused.parsed.code, refused.parsed.status) == (401, "Unauthorized")
    _assert_always_sent_fields_are_plain(generated, refused.parsed)


def test_an_api_token_made_through_the_client_reads_as_its_admin(
    generated: ModuleType, server: Server, clients: ExitStack
) -> None:
    client = _signed_up_admin(generated, server, clients)
    made = _op(generated, "api_tokens", "create_api_token").sync(
        client=client,
        body=_model(generated, "ApiTokenInput", {"name": "sync job", "scopes": ["read"]}),
    )
    assert made.token.startswith(made.prefix)
    _assert_always_sent_fields_are_plain(generated, made)
    integration = clients.enter_context(
        generated.AuthenticatedClient(base_url=server.base, token=made.token)
    )
    me = _op(generated, "members", "get_me").sync(client=integration)
    assert me.email == "root@generated.example"
    missing = _op(generated, "members", "get_member").sync_detailed(
        client=integration, member_id=uuid.uuid4()
    )
    assert missing.status_code == 404
    assert missing.parsed.code == 404
    listed = _op(generated, "api_tokens", "list_api_tokens").sync_detailed(client=integration)
    assert listed.status_code == 403  # a read-only token manages no tokens
    assert "scope" in listed.parsed.message.lower()
