"""An endpoint that keeps failing is quarantined and the operators are told; every notice's
delivery counts are published back, one settled summary per notice."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.catalog.models import SubscriberChannel as ChannelRow
from candor_notifier.deliveries.quarantine import QUARANTINED
from candor_shared.contract import SubscriberChannel
from candor_shared.contract.sla import EndpointQuarantined, NoticeSettled
from tests.conftest import RunningNotifier, eventually
from tests.notifier.helpers import (
    deliveries,
    delivery_topic,
    handled_events,
    opened,
    publish,
    resolved,
    snapshot,
    subscriber,
)
from tests.notifier.hook_catcher import HookCatcher
from tests.notifier.test_channels import SECRET, reached_by


@pytest.fixture
def notifier_settings(notifier_settings: Any) -> Any:
    """Quarantine after three failures in a row, however quickly they came."""
    return notifier_settings.model_copy(
        update={
            "outbound_allowlist": "127.0.0.1",
            "quarantine_after_failures": 3,
            "quarantine_after_minutes": 0,
            "quarantine_cool_off_minutes": 0,
            "delivery_summary_seconds": 3600,
        }
    )


async def _of_type(settings: Any, model: type[Any], count: int) -> list[Any] | None:
    found = [
        event.data for event in await delivery_topic(settings) if isinstance(event.data, model)
    ]
    return found if len(found) >= count else None


async def test_repeated_500s_end_in_quarantine_and_the_operators_are_told(
    notifier: RunningNotifier, hooks: HookCatcher, mail: MailCatcher
) -> None:
    hooks.answer_next("/hook", *[500] * 20)
    channels = (
        SubscriberChannel(type="email", address="ana@example.org"),
        SubscriberChannel(type="webhook", url=f"{hooks.url}/hook", secret=SECRET),
    )
    ana = reached_by(*channels)
    # A second subscriber posting to the same endpoint: its deliveries fail with it.
    bob = reached_by(SubscriberChannel(type="webhook", url=f"{hooks.url}/hook", secret=SECRET))
    await publish(notifier.settings, ana, bob)
    await eventually(lambda: _handled(notifier.sessions, 2))  # topics are not ordered
    incident = snapshot()

    await publish(notifier.settings, opened(incident))

    (told,) = await eventually(lambda: _of_type(notifier.settings, EndpointQuarantined, 1))
    await eventually(lambda: _webhooks_failed(notifier.sessions, 2))
    attempts_at_quarantine = len(hooks.requests)
    # Later notices are not even tried: their deliveries fail untried, the email still goes.
    await publish(
        notifier.settings,
        resolved(
            snapshot(
                incident_id=incident.id,
                version=2,
                status="resolved",
                resolved_at="2025-11-24T10:20:00+00:00",
            )
        ),
    )
    await eventually(lambda: _webhooks_failed(notifier.sessions, 4))
    await eventually(lambda: len(mail.mails) == 2)
    summaries = await eventually(lambda: _settled_summaries(notifier.settings, 2))
    await notifier.stop()

    assert isinstance(told, EndpointQuarantined)
    assert told.channel == "webhook"
    assert told.incident_id == incident.id
    assert told.failures_in_a_row == 3
    assert told.quarantined_until is None
    assert told.last_error.startswith("500 Internal Server Error")
    assert sorted(told.subscriber_ids) == sorted([ana.data.id, bob.data.id])
    assert f"{hooks.url}/hook" not in told.model_dump_json()  # the URL is a secret
    # Three failures quarantine it; the other subscriber's delivery may have been in flight.
    assert 3 <= attempts_at_quarantine <= 4
    assert len(hooks.requests) == attempts_at_quarantine
    rows = [row for row in await deliveries(notifier.sessions) if row.channel == "webhook"]
    assert {row.state for row in rows} == {"failed"}
    assert sum(row.last_error == QUARANTINED for row in rows) >= 3
    # Ana was reached by email; Bob had the webhook only.
    assert sorted((s.kind, s.recipients, s.delivered, s.failed) for s in summaries) == [
        ("opened", 2, 1, 1),
        ("resolved", 2, 1, 1),
    ]


async def test_a_new_url_is_a_new_endpoint(notifier: RunningNotifier, hooks: HookCatcher) -> None:
    hooks.answer_next("/old", *[503] * 5)
    ana_id = "0e7e0e0e-0000-4000-8000-00000000a7a0"
    await publish(
        notifier.settings,
        reached_by(SubscriberChannel(type="slack", url=f"{hooks.url}/old"), subscriber_id=ana_id),
    )
    incident = snapshot()
    await publish(notifier.settings, opened(incident))
    await eventually(lambda: _of_type(notifier.settings, EndpointQuarantined, 1))

    await publish(
        notifier.settings,
        reached_by(SubscriberChannel(type="slack", url=f"{hooks.url}/new"), subscriber_id=ana_id),
    )
    await eventually(lambda: _url_known(notifier.sessions, f"{hooks.url}/new"))
    await publish(
        notifier.settings,
        resolved(
            snapshot(
                incident_id=incident.id,
                version=2,
                status="resolved",
                resolved_at="2025-11-24T10:20:00+00:00",
            )
        ),
    )

    await eventually(lambda: len(hooks.to("/new")) == 1)
    await notifier.stop()
    assert len(hooks.to("/old")) == 3


async def test_one_settled_summary_per_notice_counts_recipients_once(
    notifier: RunningNotifier, hooks: HookCatcher, mail: MailCatcher
) -> None:
    mail.answer_next("550 5.1.1 mailbox unavailable")
    await publish(
        notifier.settings,
        # Reached twice (email and Slack): counted once.
        reached_by(
            SubscriberChannel(type="email", address="ana@example.org"),
            SubscriberChannel(type="slack", url=f"{hooks.url}/slack"),
        ),
        subscriber("bob@example.org", ["email"]),
        subscriber("cy@example.org", ["email"]),
    )
    await eventually(lambda: _handled(notifier.sessions, 3))  # topics are not ordered

    await publish(notifier.settings, opened(snapshot()))

    (summary,) = await eventually(lambda: _settled_summaries(notifier.settings, 1))
    await notifier.stop()
    # One of the three emails was refused; whoever it was, it was the one way to reach them
    # unless it was Ana's (who had Slack too).
    assert summary.recipients == 3
    assert summary.delivered + summary.failed == 3
    assert summary.failed in (0, 1)
    assert summary.kind == "opened"
    settled = [
        event.data
        for event in await delivery_topic(notifier.settings)
        if isinstance(event.data, NoticeSettled) and event.data.settled
    ]
    assert len(settled) == 1


async def _handled(sessions: Any, count: int) -> bool:
    return await handled_events(sessions) == count


async def _url_known(sessions: Any, url: str) -> bool:
    async with sessions() as session:
        urls = await session.scalars(select(ChannelRow.url))
        return url in set(urls)


async def _webhooks_failed(sessions: Any, count: int) -> bool:
    rows = [row for row in await deliveries(sessions) if row.channel == "webhook"]
    return len(rows) == count and all(row.state == "failed" for row in rows)


async def _settled_summaries(settings: Any, count: int) -> list[NoticeSettled] | None:
    found = [
        event.data
        for event in await delivery_topic(settings)
        if isinstance(event.data, NoticeSettled) and event.data.settled
    ]
    return found if len(found) >= count else None
