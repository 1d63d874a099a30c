"""The integrations API: one integration type per registered source, allowed services,
imported keys, ETag/If-Match edits, revocation, events, and keys never stored in plaintext."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import select

from candor_incident_api.ingest.sources import SOURCE_NAMES
from candor_incident_api.models import Base
from candor_shared.contract import IntegrationChanged
from tests.incident_api.payloads import generic
from tests.incident_api.sources.helpers import ensure_service, new_integration, post
from tests.kafka_helpers import read_events, read_raw


async def test_exactly_the_registered_sources_are_integration_types(
    operator: httpx.AsyncClient,
) -> None:
    assert set(SOURCE_NAMES) == {
        "alertmanager",
        "grafana",
        "pagerduty",
        "datadog",
        "uptime-kuma",
        "azure-monitor",
        "cloudwatch",
        "generic",
    }
    for source in SOURCE_NAMES:
        created = await operator.post("/v1/integrations", json={"name": source, "source": source})
        assert created.status_code == 201, created.text
        assert created.json()["key"].startswith("cndr_ik_")
        assert f"/v1/ingest/{source}" in created.json()["ingest_url"]

    unknown = await operator.post("/v1/integrations", json={"name": "x", "source": "nagios"})

    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["body", "source"]


async def test_allowed_services_limit_where_alerts_may_go(
    api: Any, operator: httpx.AsyncClient
) -> None:
    await ensure_service(operator, "vpn", "VPN")
    await ensure_service(operator, "payroll", "Payroll")
    created = await new_integration(operator, "generic", services=["vpn"])
    unknown = await operator.post(
        "/v1/integrations", json={"name": "y", "source": "generic", "services": ["vpn", "nope"]}
    )

    to_vpn = await post(
        api,
        "/v1/ingest/generic",
        {"id": "a", "summary": "VPN down", "service": "vpn"},
        key=created["key"],
    )
    to_default = await post(
        api, "/v1/ingest/generic", {"id": "b", "summary": "Mail down"}, key=created["key"]
    )
    to_payroll = await post(
        api,
        "/v1/ingest/generic",
        {"id": "c", "summary": "Pay", "service": "payroll"},
        key=created["key"],
    )

    assert created["services"] == ["vpn"]
    assert unknown.status_code == 422
    assert "body.services.1" in unknown.json()["detail"]
    assert to_vpn.status_code == 202, to_vpn.text
    assert to_default.status_code == 202, to_default.text
    assert to_payroll.status_code == 403, to_payroll.text


async def test_imported_keys(api: Any, operator: httpx.AsyncClient) -> None:
    await ensure_service(operator)
    short = await operator.post(
        "/v1/integrations", json={"name": "s", "source": "generic", "key": "x" * 19}
    )
    spaced = await operator.post(
        "/v1/integrations", json={"name": "s", "source": "generic", "key": "a key with spaces!!"}
    )
    created = await new_integration(operator, "generic", key="R0123456789abcdefghij")
    again = await operator.post(
        "/v1/integrations", json={"name": "t", "source": "generic", "key": "R0123456789abcdefghij"}
    )

    assert short.status_code == 422
    assert spaced.status_code == 422
    assert created["key"] == "R0123456789abcdefghij"
    assert created["key_prefix"] == "R012"
    assert again.status_code == 409
    posted = await post(api, "/v1/ingest/generic", generic.firing(), key="R0123456789abcdefghij")
    assert posted.status_code == 202, posted.text

    await operator.delete(f"/v1/integrations/{created['id']}")
    reused = await operator.post(
        "/v1/integrations", json={"name": "t", "source": "generic", "key": "R0123456789abcdefghij"}
    )
    assert reused.status_code == 409
    assert "revoked" in reused.json()["detail"]


async def test_edit_with_if_match_then_revoke(
    api: Any, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await ensure_service(operator, "vpn", "VPN")
    created = await new_integration(operator, "generic", signing_secret="a" * 16)
    url = f"/v1/integrations/{created['id']}"
    read = await operator.get(url)
    etag = read.headers["etag"]

    changed = await operator.patch(
        url,
        json={"services": ["vpn"], "rate_limit_per_minute": 120, "signing_secret": None},
        headers={"If-Match": etag},
    )
    stale = await operator.patch(url, json={"name": "late"}, headers={"If-Match": etag})

    assert changed.status_code == 200, changed.text
    assert changed.json()["services"] == ["vpn"]
    assert changed.json()["rate_limit_per_minute"] == 120
    assert changed.json()["signed"] is False
    assert changed.json()["version"] == read.json()["version"] + 1
    assert changed.headers["etag"] != etag
    assert stale.status_code == 412
    # The signing secret is gone: unsigned posts are accepted at once.
    unsigned = await post(api, "/v1/ingest/generic", generic.firing(), key=created["key"])
    assert unsigned.status_code == 202, unsigned.text

    revoked = await operator.delete(url)
    refused = await post(api, "/v1/ingest/generic", generic.firing(), key=created["key"])
    after = (await operator.get(url)).json()
    edit_revoked = await operator.patch(url, json={"name": "again"})

    assert revoked.status_code == 204
    assert refused.status_code == 401
    assert after["revoked_at"] is not None
    assert edit_revoked.status_code == 409
    events = await read_events(broker, f"{topic_prefix}candor.catalog.v1", count=5)
    changes = [e.data for e in events if isinstance(e.data, IntegrationChanged)]
    assert [(c.services, c.signed, c.revoked) for c in changes] == [
        ([], True, False),
        (["vpn"], False, False),
        (["vpn"], False, True),
    ]
    raw = await read_raw(broker, f"{topic_prefix}candor.catalog.v1", count=5)
    assert not any(created["key"].encode() in (r.value or b"") for r in raw)
    assert not any(b"a" * 16 in (r.value or b"") for r in raw)


async def test_list_is_paginated_and_filtered(operator: httpx.AsyncClient) -> None:
    for source in ("generic", "generic", "datadog"):
        await new_integration(operator, source, default_service=None)

    first = (await operator.get("/v1/integrations", params={"limit": 2})).json()
    rest = (
        await operator.get("/v1/integrations", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    datadog = (await operator.get("/v1/integrations", params={"source": "datadog"})).json()

    assert len(first["items"]) == 2
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    assert [i["source"] for i in datadog["items"]] == ["datadog"]
    assert all("key" not in item for item in first["items"] + rest["items"])


async def test_no_key_or_secret_is_stored_in_plaintext(
    api: Any, operator: httpx.AsyncClient
) -> None:
    created = await new_integration(operator, "generic")
    imported = await new_integration(operator, "pagerduty", key="e93facc04764012d7bfb002500d5d1a6")
    await post(api, "/v1/ingest/generic", generic.firing(), key=created["key"])

    dump: list[str] = []
    async with api.app.state.candor.sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            dump.extend(json.dumps([str(value) for value in row]) for row in rows)
    text = "\n".join(dump)

    assert created["key"] not in text
    assert imported["key"] not in text
    assert created["key_prefix"] in text
