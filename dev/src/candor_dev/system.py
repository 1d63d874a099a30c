"""What ``candor-dev run`` starts, and with which settings: a plan, computed without side effects.

The launcher reads the same ``CANDOR_*`` variables as the services. Each part it would start
(broker, database, mail catcher) is left out when its setting points elsewhere, and every
service gets the environment it needs: its own SQLite file under ``CANDOR_DATA_DIR``, or the
shared PostgreSQL URL (each service then keeps its tables in its own default schema).
"""

from __future__ import annotations

import json
import secrets
import shlex
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from candor_dev.seed import SeedError, check_key
from candor_dev.supervisor import ServiceSpec

DEMO_INTEGRATION = "Prometheus (demo)"


class LauncherSettings(BaseSettings):
    """What ``candor-dev run`` reads from the environment (``CANDOR_*``)."""

    model_config = SettingsConfigDict(env_prefix="CANDOR_", extra="ignore")

    data_dir: Path = Field(
        default=Path("var"),
        description="Folder of the SQLite files (one per service) when no database URL is set.",
    )
    database_url: str = Field(
        default="", description="Empty: SQLite files under data_dir. Else shared by all three."
    )
    kafka_bootstrap: str = Field(default="", description="Empty: start the embedded broker.")
    broker_port: int = Field(
        default=0, ge=0, le=65535, description="Port of the embedded broker; 0: a free one."
    )
    smtp_url: str = Field(default="", description="Empty: start the local mail catcher.")
    mail_smtp_port: int = Field(
        default=1025, ge=0, le=65535, description="SMTP port of the mail catcher; 0: a free one."
    )
    mail_web_port: int = Field(
        default=8025, ge=0, le=65535, description="Port of the mail catcher's page; 0: a free one."
    )
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    sla_monitor_host: str = "127.0.0.1"
    sla_monitor_port: int = Field(default=8001, ge=1, le=65535)
    notifier_host: str = "127.0.0.1"
    notifier_port: int = Field(default=8002, ge=1, le=65535)
    admin_token: str = Field(default="", description="Empty: a fresh token each run.")
    demo_integration_key: str = Field(
        default="", description="Key of the demo integration; empty: a fresh one each run."
    )

    ready_timeout_seconds: float = Field(
        default=120.0, gt=0, description="How long each service may take to become ready."
    )

    @field_validator("demo_integration_key")
    @classmethod
    def _valid_key(cls, value: str) -> str:
        if not value:
            return value
        try:
            return check_key(value, where="CANDOR_DEMO_INTEGRATION_KEY")
        except SeedError as error:
            raise ValueError(str(error)) from None


def reachable(host: str) -> str:
    """The address to reach a server listening on ``host`` from this machine."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


def sqlite_url(data_dir: Path, service: str) -> str:
    """The SQLite URL of ``service``'s own file under ``data_dir`` (absolute)."""
    return f"sqlite+aiosqlite:///{(data_dir / f'{service}.db').resolve()}"


def api_url(settings: LauncherSettings) -> str:
    """Where incident-api answers."""
    return f"http://{reachable(settings.api_host)}:{settings.api_port}"


def service_specs(
    settings: LauncherSettings,
    *,
    kafka_bootstrap: str,
    smtp_url: str,
    admin_token: str,
    environ: Mapping[str, str],
    python: str = sys.executable,
) -> list[ServiceSpec]:
    """The three services, each with the environment it runs with."""
    common = {key: value for key, value in environ.items() if key != "CANDOR_DATABASE_SCHEMA"}
    common.setdefault("CANDOR_ENV", "development")
    common.setdefault("CANDOR_PUBLIC_URL", api_url(settings))
    # incident-api honours the one-click unsubscribe links the notifier signs: one key for both.
    common.setdefault("CANDOR_UNSUBSCRIBE_SECRET", secrets.token_urlsafe(32))
    common["CANDOR_KAFKA_BOOTSTRAP"] = kafka_bootstrap
    common["PYTHONUNBUFFERED"] = "1"

    def database(service: str) -> str:
        return settings.database_url or sqlite_url(settings.data_dir, service)

    def ready(host: str, port: int) -> str:
        return f"http://{reachable(host)}:{port}/readyz"

    return [
        ServiceSpec(
            name="incident-api",
            argv=[python, "-m", "candor_incident_api.main", "serve"],
            env={
                **common,
                "CANDOR_DATABASE_URL": database("incident-api"),
                "CANDOR_API_HOST": settings.api_host,
                "CANDOR_API_PORT": str(settings.api_port),
                "CANDOR_ADMIN_TOKEN": admin_token,
            },
            ready_url=ready(settings.api_host, settings.api_port),
        ),
        ServiceSpec(
            name="sla-monitor",
            argv=[python, "-m", "candor_sla_monitor", "run"],
            env={
                **common,
                "CANDOR_DATABASE_URL": database("sla-monitor"),
                "CANDOR_SLA_MONITOR_HOST": settings.sla_monitor_host,
                "CANDOR_SLA_MONITOR_PORT": str(settings.sla_monitor_port),
            },
            ready_url=ready(settings.sla_monitor_host, settings.sla_monitor_port),
        ),
        ServiceSpec(
            name="notifier",
            argv=[python, "-m", "candor_notifier", "run"],
            env={
                **common,
                "CANDOR_DATABASE_URL": database("notifier"),
                "CANDOR_NOTIFIER_HOST": settings.notifier_host,
                "CANDOR_NOTIFIER_PORT": str(settings.notifier_port),
                "CANDOR_SMTP_URL": smtp_url,
            },
            ready_url=ready(settings.notifier_host, settings.notifier_port),
        ),
    ]


def example_alert(now: datetime, *, service: str = "email") -> dict[str, Any]:
    """An Alertmanager notification (version 4) with one firing alert for ``service``."""
    starts_at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    labels = {"alertname": "MailQueueStuck", "service": service, "severity": "critical"}
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": {"summary": "Outgoing mail is not being delivered"},
        "startsAt": starts_at,
        "fingerprint": f"demo-{service}-{now:%Y%m%d%H%M%S}",
    }
    return {"version": "4", "status": "firing", "receiver": "candor", "alerts": [alert]}


def curl_command(url: str, key: str, payload: Mapping[str, Any]) -> str:
    """A ready-to-paste curl that posts ``payload`` to the Alertmanager endpoint at ``url``."""
    body = json.dumps(payload, separators=(",", ":"))
    return (
        f"curl -sS -X POST {shlex.quote(url.rstrip('/') + '/v1/ingest/alertmanager')} \\\n"
        f"  -H {shlex.quote('Authorization: Bearer ' + key)} "
        "-H 'Content-Type: application/json' \\\n"
        f"  -d {shlex.quote(body)}"
    )


def banner(
    *,
    api: str,
    mail_page: str | None,
    smtp_url: str,
    token: str,
    key: str,
    kafka_bootstrap: str,
    database: str,
    curl: str,
) -> str:
    """What a person needs once everything is up, as plain lines."""
    mail = mail_page or f"(not caught: sent to {smtp_url})"
    rows = [
        ("API docs", f"{api}/docs"),
        ("Mail catcher", mail),
        ("Operator token", token),
        ("Integration key", key),
        ("Kafka", kafka_bootstrap),
        ("Database", database),
    ]
    width = max(len(label) for label, _ in rows)
    rule = "=" * 78
    lines = [
        "",
        rule,
        "Candor is running. Ctrl-C stops everything.",
        "",
        *(f"  {label:<{width}}  {value}" for label, value in rows),
        "",
        "Post an example Alertmanager alert for the Email service:",
        "",
        curl,
        "",
        'Then read the notices on the mail page. Send it again with "status":"resolved" and',
        'an "endsAt" time to resolve the incident.',
        rule,
        "",
    ]
    return "\n".join(lines)
