"""Digests on chat channels: a recipient who chose a digest gets the minor notices of a period
as one email and one chat message per chat channel (Slack, Teams, Apprise); a generic webhook
feeds machines and gets each notice on its own. A digest whose email is refused falls back to
a fallback chat channel, as one message."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from candor_dev.mailcatcher import MailCatcher
from candor_shared.contract import CloudEvent, SubscriberChannel, SubscriberUpserted, new_event
from tests.conftest import HeldClock, RunningWorker, eventually
from tests.notifier.helpers import SOURCE, bodies, deliveries, handled_events, opened, publish
from tests.notifier.hook_catcher import HookCatcher
from tests.notifier.test_audience import incident
from tests.notifier.test_channels import SECRET

TITLES = ["Webmail is slow", "Some messages arrive late", "Spam filter is lenient"]
PERIOD_END = datetime(2025, 11, 24, 22, 0, tzinfo=UTC)


@pytest.fixture
def notifier_settings(notifier_settings: Any) -> Any:
    return notifier_settings.model_copy(update={"outbound_allowlist": "127.0.0.1"})


@pytest.fixture
def clock() -> HeldClock:
    return HeldClock(datetime(2025, 11, 24, 21, 30, tzinfo=UTC))


def hourly_digest(*channels: SubscriberChannel) -> CloudEvent[Any]:
    email = next((c.address for c in channels if c.type == "email"), None)
    data = SubscriberUpserted(
        id=str(uuid.uuid4()),
        email=email,
        services=["email"],
        channels=list(channels),
        digest_every="PT1H",  # type: ignore[arg-type]
    )
    return new_event(data, source=SOURCE, key=data.id)


async def _three_minor_incidents(notifier: RunningWorker, clock: HeldClock) -> None:
    for minute, title in zip((30, 35, 40), TITLES, strict=True):
        clock.now = datetime(2025, 11, 24, 21, minute, tzinfo=UTC)
        await publish(
            notifier.settings, opened(incident(component=None, impact="minor", title=title))
        )
    await eventually(lambda: _handled(notifier, 4))


async def test_a_digest_goes_to_email_and_slack_as_one_message_each_webhooks_get_each(
    held_notifier: RunningWorker, clock: HeldClock, mail: MailCatcher, hooks: HookCatcher
) -> None:
    notifier = held_notifier
    await publish(
        notifier.settings,
        hourly_digest(
            SubscriberChannel(type="email", address="ana@example.org"),
            SubscriberChannel(type="slack", url=f"{hooks.url}/slack"),
            SubscriberChannel(type="webhook", url=f"{hooks.url}/hook", secret=SECRET),
        ),
    )
    await eventually(lambda: _handled(notifier, 1))

    await _three_minor_incidents(notifier, clock)

    await eventually(lambda: len(hooks.to("/hook")) == 3)
    assert mail.mails == []
    assert hooks.to("/slack") == []
    waiting = [row for row in await deliveries(notifier.sessions) if row.state == "pending"]
    assert sorted((row.kind, row.channel, row.next_attempt_at) for row in waiting) == [
        ("digest", "email", PERIOD_END),
        ("digest", "slack", PERIOD_END),
    ]

    clock.now = PERIOD_END
    await eventually(lambda: len(mail.mails) == 1 and len(hooks.to("/slack")) == 1)
    rows = await eventually(lambda: _all_sent(notifier, 5))
    assert len(rows) == 5
    email_text, _ = bodies(mail.mails[0].message)
    (slack,) = [caught.json() for caught in hooks.to("/slack")]
    header = slack["blocks"][0]["text"]["text"]
    assert header == mail.mails[0].message["Subject"]
    assert header.startswith("Minor incidents: 3 notices since")
    posted = " ".join(block["text"]["text"] for block in slack["blocks"][1:])
    for body in (email_text, posted):
        positions = [body.index(title) for title in TITLES]
        assert positions == sorted(positions)
    assert [h.json()["type"] for h in hooks.to("/hook")] == ["incident.opened"] * 3


async def test_a_refused_digest_email_falls_back_to_slack_as_one_message(
    held_notifier: RunningWorker, clock: HeldClock, mail: MailCatcher, hooks: HookCatcher
) -> None:
    notifier = held_notifier
    mail.answer_next("550 5.1.1 mailbox unavailable")
    await publish(
        notifier.settings,
        hourly_digest(
            SubscriberChannel(type="email", address="ana@example.org"),
            SubscriberChannel(type="slack", url=f"{hooks.url}/slack", fallback=True),
        ),
    )
    await eventually(lambda: _handled(notifier, 1))
    await _three_minor_incidents(notifier, clock)

    clock.now = PERIOD_END

    rows = await eventually(lambda: _settled(notifier, 2))
    assert sorted((row.kind, row.channel, row.state) for row in rows) == [
        ("digest", "email", "failed"),
        ("digest", "slack", "sent"),
    ]
    assert mail.mails == []
    (slack,) = [caught.json() for caught in hooks.to("/slack")]
    assert slack["blocks"][0]["text"]["text"].startswith("Minor incidents: 3 notices since")


async def _handled(notifier: RunningWorker, count: int) -> bool:
    return await handled_events(notifier.sessions) >= count


async def _all_sent(notifier: RunningWorker, count: int) -> Any:
    rows = await deliveries(notifier.sessions)
    return rows if len(rows) == count and all(row.state == "sent" for row in rows) else None


async def _settled(notifier: RunningWorker, count: int) -> Any:
    rows = await deliveries(notifier.sessions)
    done = len(rows) == count and all(row.state in ("sent", "failed") for row in rows)
    return rows if done else None
