"""What `candor-dev run` would start, with which environment: one database per service."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from candor_dev.system import LauncherSettings, curl_command, example_alert, service_specs


def specs_for(
    settings: LauncherSettings, environ: dict[str, str] | None = None
) -> dict[str, dict[str, str]]:
    specs = service_specs(
        settings,
        kafka_bootstrap="127.0.0.1:19092",
        smtp_url="smtp://127.0.0.1:2525",
        admin_token="token",
        environ=environ or {},
        python="/venv/bin/python",
    )
    return {spec.name: spec.env for spec in specs}


def test_on_sqlite_each_service_has_its_own_file(tmp_path: Path) -> None:
    envs = specs_for(LauncherSettings(data_dir=tmp_path / "var"))
    urls = {name: env["CANDOR_DATABASE_URL"] for name, env in envs.items()}
    assert urls == {
        name: f"sqlite+aiosqlite:///{tmp_path / 'var' / name}.db"
        for name in ("incident-api", "sla-monitor", "notifier")
    }
    assert all(env["CANDOR_KAFKA_BOOTSTRAP"] == "127.0.0.1:19092" for env in envs.values())
    assert all(env["CANDOR_ENV"] == "development" for env in envs.values())
    assert envs["notifier"]["CANDOR_SMTP_URL"] == "smtp://127.0.0.1:2525"
    assert envs["incident-api"]["CANDOR_ADMIN_TOKEN"] == "token"
    # The links the notifier signs are the links incident-api honours.
    secrets = {env["CANDOR_UNSUBSCRIBE_SECRET"] for env in envs.values()}
    assert len(secrets) == 1
    assert len(secrets.pop()) >= 40


def test_on_postgresql_the_services_share_the_url_each_in_its_default_schema() -> None:
    url = "postgresql+asyncpg://candor:secret@db.example.org/candor"
    envs = specs_for(
        LauncherSettings(database_url=url),
        {"CANDOR_DATABASE_URL": url, "CANDOR_DATABASE_SCHEMA": "one_for_all"},
    )
    assert {env["CANDOR_DATABASE_URL"] for env in envs.values()} == {url}
    # One schema for all three would mix their tables: each keeps its own default.
    assert all("CANDOR_DATABASE_SCHEMA" not in env for env in envs.values())


def test_ports_and_public_url_follow_the_settings() -> None:
    settings = LauncherSettings(api_port=9000, sla_monitor_port=9001, notifier_port=9002)
    specs = service_specs(
        settings, kafka_bootstrap="b:1", smtp_url="smtp://m:1", admin_token="t", environ={}
    )
    ready = {spec.name: spec.ready_url for spec in specs}
    assert ready == {
        "incident-api": "http://127.0.0.1:9000/readyz",
        "sla-monitor": "http://127.0.0.1:9001/readyz",
        "notifier": "http://127.0.0.1:9002/readyz",
    }
    assert specs[0].env["CANDOR_PUBLIC_URL"] == "http://127.0.0.1:9000"


def test_a_bad_demo_key_is_a_setting_error() -> None:
    with pytest.raises(ValidationError, match="CANDOR_DEMO_INTEGRATION_KEY must start with"):
        LauncherSettings(demo_integration_key="not-a-key")


def test_the_printed_curl_is_a_valid_shell_command_with_the_example_alert() -> None:
    payload = example_alert(datetime(2026, 11, 23, 9, 58, tzinfo=UTC))
    command = curl_command("http://127.0.0.1:8000/", "cndr_ik_" + "a" * 40, payload)
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:5] == [
        "curl",
        "-sS",
        "-X",
        "POST",
        "http://127.0.0.1:8000/v1/ingest/alertmanager",
    ]
    assert f"Authorization: Bearer cndr_ik_{'a' * 40}" in words
    body = json.loads(words[words.index("-d") + 1])
    assert body["version"] == "4"
    (alert,) = body["alerts"]
    assert alert["labels"]["service"] == "email"
    assert alert["startsAt"] == "2026-11-23T09:58:00Z"
