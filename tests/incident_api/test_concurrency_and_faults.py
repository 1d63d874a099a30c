"""Races and outages: one incident for a burst of identical alerts; nothing lost while the
broker is away."""

from __future__ import annotations

import asyncio
from typing import Any

from candor_dev.broker import EmbeddedBroker
from candor_shared.contract import AlertFired, IncidentOpened
from tests.conftest import RunningApi, eventually
from tests.incident_api.helpers import outbox_empty, post_alert, row_counts, setup_email
from tests.kafka_helpers import read_events
from tests.payloads import alertmanager


async def test_same_alert_posted_50_times_at_once_gives_one_incident(
    api: RunningApi, broker: str, topic_prefix: str
) -> None:
    async with api.client() as operator:
        key = await setup_email(operator)
    payload = alertmanager()

    async with api.client(token=key) as client:
        responses = await asyncio.gather(
            *(client.post("/v1/ingest/alertmanager", json=payload) for _ in range(50))
        )

    assert {r.status_code for r in responses} == {202}
    assert len({tuple(r.json()["incidents"]) for r in responses}) == 1
    counts = await row_counts(api)
    assert (counts["incidents"], counts["alerts"]) == (1, 1)
    events = await read_events(broker, f"{topic_prefix}candor.incident.v1", count=3, timeout=3)
    assert [type(e.data) for e in events] == [IncidentOpened, AlertFired]


async def test_alerts_of_two_services_open_two_incidents_concurrently(api: RunningApi) -> None:
    async with api.client() as operator:
        # No default service: the integration routes by the `service` label to any service.
        key = await setup_email(operator, default_service=None)
        await operator.post("/v1/services", json={"slug": "vpn", "name": "VPN"})

    payloads = [
        alertmanager(service=service, fingerprint=f"{service}-{n}")
        for service in ("email", "vpn")
        for n in range(20)
    ]
    async with api.client(token=key) as client:
        responses = await asyncio.gather(
            *(client.post("/v1/ingest/alertmanager", json=p) for p in payloads)
        )

    assert {r.status_code for r in responses} == {202}
    counts = await row_counts(api)
    assert (counts["incidents"], counts["alerts"]) == (2, 40)


async def test_ingest_answers_202_while_broker_is_down_and_publishes_after(
    api_settings: Any, own_broker: EmbeddedBroker, topic_prefix: str
) -> None:
    settings = api_settings.model_copy(update={"kafka_bootstrap": own_broker.bootstrap})
    running = RunningApi(settings)
    await running.start()
    try:
        async with running.client() as operator:
            key = await setup_email(operator)
        await eventually(lambda: outbox_empty(running))
        own_broker.stop()

        response = await post_alert(running, key, alertmanager())

        assert response.status_code == 202
        assert (await row_counts(running))["outbox"] == 2
        # The embedded broker comes back empty, as a new cluster (it keeps nothing): wait
        # until the relay has noticed the outage, so that it re-creates the topics when it
        # reconnects, as it would after a real cluster was rebuilt.
        relay = running.app.state.candor.relay
        await eventually(lambda: not relay.connected, timeout=30)
        own_broker.start()
        await eventually(lambda: outbox_empty(running), timeout=30)
        events = await read_events(
            own_broker.bootstrap, f"{topic_prefix}candor.incident.v1", count=2
        )
        assert [type(e.data) for e in events] == [IncidentOpened, AlertFired]
    finally:
        await running.stop()
