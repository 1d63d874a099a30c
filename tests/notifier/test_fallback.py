"""Fallback channels: a notice goes to a recipient's first channels; their fallback channel
hears only when every first channel failed for good, once, and the delivery counts say the
recipient was reached."""

from __future__ import annotations

from typing import Any

import pytest

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.deliveries import fallback
from candor_notifier.worker import message_domain
from candor_shared.clock import utcnow
from candor_shared.contract import SubscriberChannel
from candor_shared.db import transaction
from tests.conftest import RunningNotifier, eventually
from tests.notifier.helpers import deliveries, handled_events, opened, publish, snapshot
from tests.notifier.hook_catcher import HookCatcher
from tests.notifier.test_channels import reached_by
from tests.notifier.test_faults_quarantine import _settled_summaries


@pytest.fixture
def notifier_settings(notifier_settings: Any) -> Any:
    return notifier_settings.model_copy(
        update={"outbound_allowlist": "127.0.0.1", "delivery_summary_seconds": 3600}
    )


def email_then_slack(hooks: HookCatcher) -> Any:
    """Ana, reached by email, with Slack kept as her fallback."""
    return reached_by(
        SubscriberChannel(type="email", address="ana@example.org"),
        SubscriberChannel(type="slack", url=f"{hooks.url}/slack", fallback=True),
    )


async def _settled(sessions: Any, count: int) -> Any:
    rows = await deliveries(sessions)
    done = len(rows) == count and all(row.state in ("sent", "failed") for row in rows)
    return rows if done else None


async def test_email_refused_for_good_falls_back_to_slack_once(
    notifier: RunningNotifier, hooks: HookCatcher, mail: MailCatcher
) -> None:
    mail.answer_next("550 5.1.1 mailbox unavailable")
    await publish(notifier.settings, email_then_slack(hooks))
    await eventually(lambda: _handled(notifier.sessions, 1))

    await publish(notifier.settings, opened(snapshot(title="Outgoing mail is delayed")))

    rows = await eventually(lambda: _settled(notifier.sessions, 2))
    (summary,) = await eventually(lambda: _settled_summaries(notifier.settings, 1))
    # Planning again (a redelivered failure, a restarted sender) plans nothing more.
    ((event_id, recipient_id),) = {(row.event_id, row.recipient_id) for row in rows}
    async with transaction(notifier.sessions) as session:
        again = await fallback.fall_back(
            session=session,
            failed={(event_id, recipient_id)},
            message_domain=message_domain(notifier.settings),
            now=utcnow(),
        )
    await notifier.stop()

    assert again == 0
    assert sorted((row.channel, row.state) for row in rows) == [
        ("email", "failed"),
        ("slack", "sent"),
    ]
    assert mail.mails == []
    (posted,) = hooks.to("/slack")
    assert "Outgoing mail is delayed" in posted.json()["blocks"][0]["text"]["text"]
    # Ana was reached, through her fallback: one recipient, delivered.
    assert (summary.recipients, summary.delivered, summary.failed) == (1, 1, 0)


async def test_email_delivered_leaves_the_fallback_silent(
    notifier: RunningNotifier, hooks: HookCatcher, mail: MailCatcher
) -> None:
    await publish(notifier.settings, email_then_slack(hooks))
    await eventually(lambda: _handled(notifier.sessions, 1))

    await publish(notifier.settings, opened(snapshot()))

    rows = await eventually(lambda: _settled(notifier.sessions, 1))
    (summary,) = await eventually(lambda: _settled_summaries(notifier.settings, 1))
    await notifier.stop()
    assert [(row.channel, row.state) for row in rows] == [("email", "sent")]
    assert len(mail.mails) == 1
    assert hooks.requests == []
    assert (summary.recipients, summary.delivered, summary.failed) == (1, 1, 0)


async def test_a_refused_webhook_falls_back_to_email_and_to_nothing_more(
    notifier: RunningNotifier, hooks: HookCatcher, mail: MailCatcher
) -> None:
    # 400 is permanent; the fallback email is refused too: Ana could not be reached.
    hooks.answer_next("/slack", 400)
    mail.answer_next("550 5.1.1 mailbox unavailable")
    await publish(
        notifier.settings,
        reached_by(
            SubscriberChannel(type="email", address="ana@example.org", fallback=True),
            SubscriberChannel(type="slack", url=f"{hooks.url}/slack"),
        ),
    )
    await eventually(lambda: _handled(notifier.sessions, 1))

    await publish(notifier.settings, opened(snapshot()))

    rows = await eventually(lambda: _settled(notifier.sessions, 2))
    (summary,) = await eventually(lambda: _settled_summaries(notifier.settings, 1))
    await notifier.stop()
    assert [(row.channel, row.state) for row in rows] == [("slack", "failed"), ("email", "failed")]
    assert len(hooks.requests) == 1
    assert (summary.recipients, summary.delivered, summary.failed) == (1, 0, 1)


async def test_channels_all_marked_fallback_are_all_first_channels(
    notifier: RunningNotifier, hooks: HookCatcher, mail: MailCatcher
) -> None:
    await publish(
        notifier.settings,
        reached_by(
            SubscriberChannel(type="email", address="ana@example.org", fallback=True),
            SubscriberChannel(type="slack", url=f"{hooks.url}/slack", fallback=True),
        ),
    )
    await eventually(lambda: _handled(notifier.sessions, 1))

    await publish(notifier.settings, opened(snapshot()))

    rows = await eventually(lambda: _settled(notifier.sessions, 2))
    await notifier.stop()
    assert sorted((row.channel, row.state) for row in rows) == [
        ("email", "sent"),
        ("slack", "sent"),
    ]


async def _handled(sessions: Any, count: int) -> bool:
    return await handled_events(sessions) == count
