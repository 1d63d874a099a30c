"""The ready-made scripts of deploy/integrations send the generic format and work: the
Zabbix webhook (run by node the way Zabbix runs it, with Zabbix's HttpRequest over curl) and
the Nagios/Icinga notification command (run by sh, as Nagios would)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.incident_api.sources.helpers import new_integration, only_incident

ROOT = Path(__file__).resolve().parents[2]
ZABBIX = ROOT / "deploy" / "integrations" / "zabbix" / "candor-webhook.js"
NAGIOS = ROOT / "deploy" / "integrations" / "nagios" / "candor-notify"
HARNESS = Path(__file__).parent / "sources" / "zabbix_harness.js"


async def _run(*command: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.skipif(not shutil.which("node"), reason="node runs the Zabbix script")
async def test_zabbix_webhook_opens_and_resolves(api: Any, operator: httpx.AsyncClient) -> None:
    key = (await new_integration(operator, "generic"))["key"]
    params = {
        "url": api.url + "/",
        "key": key,
        "event_id": "4711",
        "event_value": "1",
        "summary": "Mail queue on mx1 is over 500",
        "severity": "High",
        "service": "{$CANDOR.SERVICE}",
        "component": "",
        "host": "mx1.example.org",
        "trigger": "Mail queue > 500",
        "trigger_id": "13497",
        "event_tags": "scope:availability",
    }

    fired = await _run("node", str(HARNESS), str(ZABBIX), json.dumps(params))

    assert fired[:2] == (0, "OK"), fired
    opened = await only_incident(operator)
    assert opened["service"] == "email"
    assert opened["title"] == "Mail queue on mx1 is over 500"
    (alert,) = opened["alerts"]
    assert alert["fingerprint"] == "zabbix-4711"
    assert alert["severity"] == "high"
    assert alert["labels"]["host"] == "mx1.example.org"

    resolved = await _run(
        "node", str(HARNESS), str(ZABBIX), json.dumps({**params, "event_value": "0"})
    )
    refused = await _run(
        "node", str(HARNESS), str(ZABBIX), json.dumps({**params, "key": "cndr_ik_" + "x" * 43})
    )

    assert resolved[:2] == (0, "OK"), resolved
    assert (await only_incident(operator))["status"] == "resolved"
    assert refused[0] == 1
    assert "Candor answered 401" in refused[1]


@pytest.mark.skipif(not shutil.which("curl"), reason="the Nagios script uses curl")
async def test_nagios_command_opens_and_resolves(api: Any, operator: httpx.AsyncClient) -> None:
    key = (await new_integration(operator, "generic"))["key"]
    args = [
        "sh",
        str(NAGIOS),
        "--url",
        api.url,
        "--host",
        "mx1",
        "--service-desc",
        'SMTP "queue"',
        "--output",
        "CRITICAL - 812 messages queued\nsecond line\tand a tab é",
        "--type",
        "PROBLEM",
        "--state",
        "CRITICAL",
    ]

    fired = await _run(*args, env={"CANDOR_KEY": key})

    assert fired[0] == 0, fired
    opened = await only_incident(operator)
    assert opened["title"] == 'SMTP "queue" on mx1 is CRITICAL'
    (alert,) = opened["alerts"]
    assert alert["fingerprint"] == 'nagios:mx1/SMTP "queue"'
    assert alert["labels"]["output"] == "CRITICAL - 812 messages queued\nsecond line\tand a tab é"

    acknowledged = await _run(
        *[a if a != "PROBLEM" else "ACKNOWLEDGEMENT" for a in args], env={"CANDOR_KEY": key}
    )
    recovered = await _run(
        *[
            a if a not in ("PROBLEM", "CRITICAL") else {"PROBLEM": "RECOVERY", "CRITICAL": "OK"}[a]
            for a in args
        ],
        env={"CANDOR_KEY": key},
    )
    refused = await _run(*args, env={"CANDOR_KEY": "wrong-key-wrong-key-x"})

    assert acknowledged[0] == 0
    assert recovered[0] == 0, recovered
    assert (await only_incident(operator))["status"] == "resolved"
    assert refused[0] == 2
    assert "Candor answered 401" in refused[2]
