"""End to end: an Alertmanager alert posted over HTTP becomes an incident, events on the
broker, an outage in the ledger, and emails that a real SMTP server received."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import func, select

from candor_dev.broker import EmbeddedBroker
from candor_dev.mailcatcher import MailCatcher
from candor_notifier.catalog.models import Subscriber
from candor_sla_monitor.ledger.models import Outage
from tests.conftest import RunningApi, RunningNotifier, eventually
from tests.incident_api.helpers import post_alert, setup_email
from tests.payloads import alertmanager


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def body_html(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


async def subscribe_people(api: RunningApi, notifier: RunningNotifier) -> None:
    """Two people follow Email (one in Paris), one follows only the VPN; wait until the
    notifier knows all three, as it would long before the first alert in real life."""
    async with api.client() as operator:
        await operator.post("/v1/services", json={"slug": "vpn", "name": "VPN"})
        for body in (
            {"email": "ana@example.org", "services": ["email"]},
            {"email": "luc@example.org", "services": ["email", "vpn"], "timezone": "Europe/Paris"},
            {"email": "vpn-only@example.org", "services": ["vpn"]},
        ):
            response = await operator.post("/v1/subscribers", json=body)
            assert response.status_code == 201, response.text

    async def known() -> bool:
        async with notifier.sessions() as session:
            return await session.scalar(select(func.count()).select_from(Subscriber)) == 3

    await eventually(known, timeout=30)


async def test_alert_to_email_and_resolution(
    api: RunningApi,
    notifier: RunningNotifier,
    sla_monitor: Any,
    mail: MailCatcher,
) -> None:
    async with api.client() as operator:
        key = await setup_email(operator)
    await subscribe_people(api, notifier)

    firing = alertmanager(starts_at="2025-11-24T09:58:00Z")
    first = await post_alert(api, key, firing)
    again = await post_alert(api, key, firing)

    assert (first.status_code, again.status_code) == (202, 202)
    opened = await eventually(lambda: len(mail.mails) >= 2 and mail.mails)
    assert sorted(m.recipients[0] for m in opened) == ["ana@example.org", "luc@example.org"]
    for caught in opened:
        message = caught.message
        assert message["Subject"] == (
            "[Investigating] Email — Outgoing mail is not being delivered"
        )
        assert message.is_multipart()
        assert "Email" in body_text(message)
        assert "Email" in body_html(message)
    luc = next(m.message for m in opened if m.recipients[0] == "luc@example.org")
    assert "10:58" in body_text(luc)  # 09:58 UTC in Paris

    resolved = alertmanager(
        status="resolved", starts_at="2025-11-24T09:58:00Z", ends_at="2025-11-24T10:40:00Z"
    )
    assert (await post_alert(api, key, resolved)).status_code == 202
    everything = await eventually(lambda: len(mail.mails) >= 4 and mail.mails)
    closing = [m.message for m in everything[2:]]
    assert {m["Subject"] for m in closing} == {
        "[Resolved] Email — Outgoing mail is not being delivered"
    }
    assert all("42 minutes" in body_text(m) for m in closing)

    async def outage_recorded() -> Any:
        async with sla_monitor.sessions() as session:
            outage = await session.scalar(select(Outage))
            return outage if outage is not None and outage.ended_at is not None else None

    outage = await eventually(outage_recorded)
    assert outage.started_at == datetime(2025, 11, 24, 9, 58, tzinfo=UTC)
    assert outage.ended_at == datetime(2025, 11, 24, 10, 40, tzinfo=UTC)

    # The same payloads again: nothing more is sent.
    await post_alert(api, key, firing)
    await post_alert(api, key, resolved)
    await post_alert(api, key, resolved)
    assert mail.wait_for(5, timeout=3) == everything


async def test_alert_accepted_while_broker_down_is_emailed_once_it_is_back(
    api_settings: Any,
    notifier_settings: Any,
    own_broker: EmbeddedBroker,
    mail: MailCatcher,
) -> None:
    api = RunningApi(api_settings.model_copy(update={"kafka_bootstrap": own_broker.bootstrap}))
    notifier = RunningNotifier(
        notifier_settings.model_copy(update={"kafka_bootstrap": own_broker.bootstrap})
    )
    await api.start()
    await notifier.start()
    try:
        async with api.client() as operator:
            key = await setup_email(operator)
        await subscribe_people(api, notifier)
        own_broker.stop()

        response = await post_alert(api, key, alertmanager())

        assert response.status_code == 202
        # The embedded broker comes back empty, as a new cluster would; wait until the
        # relay noticed the outage so that it re-creates the topics on reconnecting.
        relay = api.app.state.candor.relay
        await eventually(lambda: not relay.connected, timeout=30)
        own_broker.start()
        arrived = await eventually(lambda: len(mail.mails) >= 2 and mail.mails, timeout=90)
        assert sorted(m.recipients[0] for m in arrived) == ["ana@example.org", "luc@example.org"]
        assert mail.wait_for(3, timeout=2) == arrived
    finally:
        await notifier.stop()
        await api.stop()
