"""The `candor` command, run as a process against a running incident-api: apply is
idempotent (a second run writes and publishes nothing), --dry-run writes nothing, export
round-trips, a refusal exits non-zero with the API's detail."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from candor_incident_api.cli.document import CatalogError, parse_document
from tests.conftest import ADMIN_TOKEN, RunningApi, eventually
from tests.incident_api.helpers import outbox_empty, post_alert
from tests.kafka_helpers import read_raw
from tests.payloads import alertmanager

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "catalog.yaml"
DEMO_KEY = "cndr_ik_cli-tests_0123456789abcdefghij"


@dataclass
class Run:
    code: int
    out: str
    err: str


async def candor(api: RunningApi, *args: str, token: str | None = ADMIN_TOKEN, **env: str) -> Run:
    """Run `candor ARGS` in a process of its own against ``api``."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CANDOR_TOKEN", "CANDOR_ADMIN_TOKEN", "CANDOR_DEMO_INTEGRATION_KEY")
    }
    environ.update({"CANDOR_API_URL": api.url, "COLUMNS": "200", **env})
    if token is not None:
        environ["CANDOR_TOKEN"] = token
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "candor_incident_api.cli",
        *args,
        env=environ,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


async def published(api: RunningApi, broker: str, topic_prefix: str) -> int:
    """How many records the API has published on the catalog topic, once its outbox is empty."""
    await eventually(lambda: outbox_empty(api))
    records = await read_raw(broker, f"{topic_prefix}candor.catalog.v1", count=None)
    return len(records)


def lines(run: Run) -> list[str]:
    return run.out.strip().splitlines()


async def test_apply_twice_changes_nothing_the_second_time(
    api: RunningApi, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    env = {"CANDOR_DEMO_INTEGRATION_KEY": DEMO_KEY}

    first = await candor(api, "apply", "-f", str(EXAMPLE), **env)
    after_first = await published(api, broker, topic_prefix)
    second = await candor(api, "apply", "-f", str(EXAMPLE), **env)
    after_second = await published(api, broker, topic_prefix)

    assert first.code == 0, first.err
    assert "service network: created" in lines(first)
    assert "service email: created" in lines(first)
    assert "subscriber ana.lopez@example.org: created" in lines(first)
    assert "integration Prometheus (demo): created (key from $CANDOR_DEMO_INTEGRATION_KEY)" in (
        lines(first)
    )
    assert "routing rules of Prometheus (demo): created (2 rules)" in lines(first)
    assert DEMO_KEY not in first.out  # a key from the environment is not printed
    assert second.code == 0, second.err
    assert all(line.endswith(": unchanged") for line in lines(second)[:-2]), second.out
    assert lines(second)[-1] == f"Nothing to change: the catalog already matches {EXAMPLE}."
    assert after_first >= 10  # six services, four subscribers, the integration's rules
    assert after_second == after_first

    email = (await operator.get("/v1/services/email")).json()
    assert email["version"] == 1
    assert [c["slug"] for c in email["components"]] == [
        "outgoing-mail",
        "incoming-mail",
        "webmail",
    ]
    assert {"service": "identity", "component": "sso", "impact": "major"} in email["depends_on"]
    assert email["agreement"]["business_hours"]["end"] == "18:00:00"
    alert = alertmanager(service=None)
    assert (await post_alert(api, DEMO_KEY, alert)).status_code == 202


async def test_dry_run_writes_nothing(
    api: RunningApi, operator: httpx.AsyncClient, tmp_path: Path
) -> None:
    before = await candor(api, "apply", "--dry-run", "-f", str(EXAMPLE))

    assert before.code == 0, before.err
    assert "service email: would create" in lines(before)
    assert "integration Prometheus (demo): would create (new key)" in lines(before)
    assert lines(before)[-1] == "Dry run: nothing was written."
    assert (await operator.get("/v1/services")).json()["items"] == []
    assert (await operator.get("/v1/subscribers")).json()["items"] == []
    assert (await operator.get("/v1/integrations")).json() in (
        [],
        {"items": [], "next_cursor": None},
    )

    assert (await candor(api, "apply", "-f", str(EXAMPLE))).code == 0
    changed = tmp_path / "catalog.yaml"
    changed.write_text(
        EXAMPLE.read_text()
        .replace("name: Email\n", "name: Mail\n")
        .replace("flap_window_seconds: 900", "flap_window_seconds: 600")
    )
    dry = await candor(api, "apply", "--dry-run", "-f", str(changed))

    assert dry.code == 0, dry.err
    assert "service email: would change (name, flap_window_seconds)" in lines(dry)
    assert "service vpn: unchanged" in lines(dry)
    email = (await operator.get("/v1/services/email")).json()
    assert (email["name"], email["version"]) == ("Email", 1)

    real = await candor(api, "apply", "-f", str(changed))
    assert "service email: changed (name, flap_window_seconds)" in lines(real)
    assert (await operator.get("/v1/services/email")).json()["name"] == "Mail"


async def test_export_then_apply_is_a_round_trip(
    api: RunningApi, operator: httpx.AsyncClient, tmp_path: Path, broker: str, topic_prefix: str
) -> None:
    assert (await candor(api, "apply", "-f", str(EXAMPLE))).code == 0
    exported = tmp_path / "exported.yaml"

    export = await candor(api, "export", "-o", str(exported))
    before = await published(api, broker, topic_prefix)
    again = await candor(api, "apply", "-f", str(exported))

    assert export.code == 0, export.err
    assert again.code == 0, again.err
    assert lines(again)[-1] == f"Nothing to change: the catalog already matches {exported}."
    assert await published(api, broker, topic_prefix) == before
    document = yaml.safe_load(exported.read_text())
    example = yaml.safe_load(EXAMPLE.read_text())
    assert [s["slug"] for s in document["services"]] == [s["slug"] for s in example["services"]]
    email = next(s for s in document["services"] if s["slug"] == "email")
    assert email["impact_wording"]["major"] == "You may not be able to send email."
    # Defaults are left out: only the timezone differs from them.
    assert email["agreement"]["business_hours"] == {"timezone": "Europe/Paris"}
    assert "components" in email
    assert "position" not in email["components"][0]
    (demo,) = document["integrations"]
    assert demo["routing_rules"][1] == {
        "matchers": [{"label": "job", "op": "=", "value": "openvpn"}],
        "service": "vpn",
    }
    assert "key" not in demo
    assert "key_env" not in demo
    # What export writes is what apply reads: the same document, checked the same way.
    parse_document(exported.read_text(), where="export")


async def test_a_new_integration_prints_its_key_once_and_it_works(
    api: RunningApi, operator: httpx.AsyncClient, tmp_path: Path
) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(
        "services:\n  - {slug: email, name: Email}\n"
        "integrations:\n  - name: prom\n    source: alertmanager\n    default_service: email\n"
    )

    first = await candor(api, "apply", "-f", str(path))
    second = await candor(api, "apply", "-f", str(path))

    (key_line,) = [line for line in lines(first) if line.strip().startswith("key: ")]
    key = key_line.split()[1]
    assert "shown once" in key_line
    assert "key: " not in second.out
    assert "integration prom: unchanged" in lines(second)
    assert (await post_alert(api, key, alertmanager())).status_code == 202


async def test_a_refusal_exits_non_zero_with_the_api_detail(
    api: RunningApi, tmp_path: Path
) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text("subscribers:\n  - email: ana@example.org\n    services: [nope]\n")

    refused = await candor(api, "apply", "-f", str(path))
    bad_token = await candor(api, "apply", "-f", str(path), token="wrong")
    no_token = await candor(api, "status", token=None)
    unreachable = await candor(api, "status", CANDOR_API_URL="http://127.0.0.1:9")

    assert refused.code == 1
    assert refused.err.startswith("candor: subscriber 'ana@example.org': HTTP 422: ")
    assert "nope" in refused.err
    assert bad_token.code == 1
    assert "HTTP 401" in bad_token.err
    assert no_token.code == 2
    assert "--token or CANDOR_TOKEN" in no_token.err
    assert unreachable.code == 1
    assert "cannot reach the API at http://127.0.0.1:9" in unreachable.err


async def test_a_broken_file_is_refused_before_anything_is_sent(
    api: RunningApi, operator: httpx.AsyncClient, tmp_path: Path
) -> None:
    cycle = tmp_path / "cycle.yaml"
    cycle.write_text(
        "services:\n"
        "  - {slug: a, name: A, depends_on: [{service: b}]}\n"
        "  - {slug: b, name: B, depends_on: [{service: a}]}\n"
    )
    typo = tmp_path / "typo.yaml"
    typo.write_text("services:\n  - slug: email\n    nmae: Email\n")

    cyclic = await candor(api, "apply", "-f", str(cycle))
    misspelt = await candor(api, "apply", "-f", str(typo))

    assert cyclic.code == 1
    assert "services depend on each other in a cycle: a → b → a" in cyclic.err
    assert misspelt.code == 1
    assert f"{typo}: services.0.name: Field required" in misspelt.err
    assert (await operator.get("/v1/services")).json()["items"] == []


async def test_changed_routing_rules_are_replaced(
    api: RunningApi, operator: httpx.AsyncClient, tmp_path: Path
) -> None:
    assert (await candor(api, "apply", "-f", str(EXAMPLE))).code == 0
    path = tmp_path / "catalog.yaml"
    path.write_text(EXAMPLE.read_text().replace("value: openvpn", "value: wireguard"))

    changed = await candor(api, "apply", "-f", str(path))

    assert "routing rules of Prometheus (demo): changed (2 rules)" in lines(changed)
    (demo,) = [
        i
        for i in await _integrations(operator)
        if i["name"] == "Prometheus (demo)" and i["revoked_at"] is None
    ]
    rules = (await operator.get(f"/v1/integrations/{demo['id']}/routing-rules")).json()
    assert rules[1]["matchers"] == [{"label": "job", "op": "=", "value": "wireguard"}]


async def _integrations(operator: httpx.AsyncClient) -> list[dict[str, Any]]:
    body = (await operator.get("/v1/integrations")).json()
    items: list[dict[str, Any]] = body if isinstance(body, list) else body["items"]
    return items


async def test_incidents_list_and_status(api: RunningApi, tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text("services:\n  - {slug: email, name: Email}\n")
    assert (await candor(api, "apply", "-f", str(path))).code == 0
    calm = await candor(api, "status")
    async with api.client() as operator:
        created = await operator.post(
            "/v1/integrations", json={"name": "prom", "source": "alertmanager"}
        )
    assert (await post_alert(api, created.json()["key"], alertmanager())).status_code == 202

    listed = await candor(api, "incidents", "list")
    status = await candor(api, "status")

    assert calm.out.strip() == "All clear: no open incidents."
    assert listed.code == 0, listed.err
    assert lines(listed)[0].split()[:5] == ["ID", "STATUS", "IMPACT", "SERVICE", "OPENED"]
    assert "Outgoing mail is not being delivered" in lines(listed)[1]
    assert " email " in lines(listed)[1]
    assert status.code == 0, status.err
    assert lines(status)[0] == "1 open incident:"
    assert "Email: Outgoing mail is not being delivered" in status.out
    assert "NOT acknowledged" in status.out


def test_times_in_the_file_stay_times() -> None:
    document = parse_document(
        "services:\n  - slug: email\n    name: Email\n    agreement:\n"
        "      business_hours: {start: 08:30, end: 18:00}\n",
        where="inline",
    )
    hours = document.services[0].agreement
    assert hours is not None
    assert hours.business_hours is not None
    assert (hours.business_hours.start.isoformat(), hours.business_hours.end.isoformat()) == (
        "08:30:00",
        "18:00:00",
    )
    with pytest.raises(CatalogError, match="integrations: 'x' is listed twice"):
        parse_document(
            "integrations:\n  - {name: x, source: alertmanager}\n  - {name: x, source: grafana}\n",
            where="inline",
        )
