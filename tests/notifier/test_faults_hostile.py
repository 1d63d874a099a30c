"""Hostile input on the way out: titles that try to add mail headers, webhooks aimed at the
notifier's own machine, and signatures checked by an independent implementation.

The relay answering 421 then accepting, and 550 recorded as permanent, are shown in
``test_delivery_ledger.py``; a webhook's 429 with ``Retry-After`` in ``test_channels.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from standardwebhooks import Webhook

from candor_dev.mailcatcher import MailCatcher
from candor_shared.contract import SubscriberChannel
from tests.conftest import RunningNotifier, eventually
from tests.notifier.helpers import deliveries, opened, publish, snapshot, subscriber
from tests.notifier.hook_catcher import HookCatcher
from tests.notifier.test_channels import SECRET, reached_by


async def _settled(sessions: Any, *, count: int, state: str) -> Any:
    rows = await deliveries(sessions)
    if len(rows) == count and all(row.state == state for row in rows):
        return rows
    return None


async def _header_names(notifier: RunningNotifier, mail: MailCatcher, title: str) -> list[str]:
    mail.clear()
    await publish(notifier.settings, opened(snapshot(title=title)))
    await eventually(lambda: len(mail.mails) == 1)
    (caught,) = mail.mails
    assert caught.recipients == ("ana@example.org",)
    return sorted(name.lower() for name in caught.message)


async def test_encoded_line_breaks_in_a_title_add_no_header(
    notifier: RunningNotifier, mail: MailCatcher
) -> None:
    await publish(notifier.settings, subscriber("ana@example.org", ["email"]))
    plain = await _header_names(notifier, mail, "Disk full")

    hostile = [
        "Disk full\rBcc: mallory@example.org",
        "Disk full\nBcc: mallory@example.org",
        "Disk full%0d%0aBcc: mallory@example.org",
        "Disk full%0ABcc:%20mallory@example.org",
        "Disk full\u2028Bcc: mallory@example.org\u2029X-Injected: yes",
        "Disk full\x85Bcc: mallory@example.org\x0bX-Injected: yes",
        "=?utf-8?q?Disk_full=0D=0ABcc:_mallory@example.org?=",
        "=?utf-8?b?RGlzayBmdWxsDQpCY2M6IG1hbGxvcnlAZXhhbXBsZS5vcmc=?=",
    ]
    for title in hostile:
        names = await _header_names(notifier, mail, title)
        assert names == plain, title
        (caught,) = mail.mails
        message = caught.message
        assert message["Bcc"] is None
        assert message["X-Injected"] is None
        # The decoded subject is one line, whatever the title carried.
        subject = str(message["Subject"])
        assert "\n" not in subject, title
        assert "\r" not in subject, title
    await notifier.stop()


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "[::ffff:127.0.0.1]",
        "2130706433",
        "0x7f000001",
        "127.1",
        "[::1]",
    ],
)
async def test_a_webhook_on_the_notifiers_own_machine_is_refused_and_receives_nothing(
    notifier: RunningNotifier, hooks: HookCatcher, host: str
) -> None:
    # No allowlist: the catcher listening on loopback stands for an internal service.
    assert not notifier.settings.outbound_allowlist
    url = f"http://{host}:{hooks.port}/admin"
    await publish(
        notifier.settings, reached_by(SubscriberChannel(type="webhook", url=url, secret=SECRET))
    )

    await publish(notifier.settings, opened(snapshot()))

    (webhook,) = await eventually(lambda: _settled(notifier.sessions, count=1, state="failed"))
    await notifier.stop()
    assert webhook.last_error.startswith("refused by the outbound guard")
    assert hooks.connections == 0
    assert hooks.requests == []


async def test_a_redirect_to_loopback_is_refused_and_loopback_receives_nothing(
    notifier_settings: Any, hooks: HookCatcher
) -> None:
    inside = HookCatcher()
    await inside.start()
    notifier = RunningNotifier(
        notifier_settings.model_copy(update={"outbound_allowlist": "127.0.0.1"})
    )
    await notifier.start()
    try:
        # Only the first hop is allowed (the admin named it); its redirect to another port of
        # the machine must not be followed.
        hooks.answer_next("/hook", (302, {"Location": f"http://127.0.0.1:{inside.port}/admin"}))
        await publish(
            notifier.settings,
            reached_by(SubscriberChannel(type="webhook", url=f"{hooks.url}/hook", secret=SECRET)),
        )

        await publish(notifier.settings, opened(snapshot()))

        rows = await eventually(lambda: _webhook_failed(notifier.sessions))
    finally:
        await notifier.stop()
        await inside.stop()
    assert rows.last_error.startswith("302 Found: redirects are not followed")
    assert len(hooks.requests) == 1
    assert inside.connections == 0


async def test_a_webhook_verifies_with_the_standardwebhooks_package(
    notifier_settings: Any, hooks: HookCatcher
) -> None:
    notifier = RunningNotifier(
        notifier_settings.model_copy(update={"outbound_allowlist": "127.0.0.1"})
    )
    await notifier.start()
    try:
        await publish(
            notifier.settings,
            reached_by(SubscriberChannel(type="webhook", url=f"{hooks.url}/hook", secret=SECRET)),
        )
        await publish(notifier.settings, opened(snapshot(title="Disk full — «ünïcode»")))
        await eventually(lambda: len(hooks.to("/hook")) == 1)
    finally:
        await notifier.stop()
    (caught,) = hooks.to("/hook")
    payload = Webhook(SECRET).verify(caught.body, caught.headers)
    assert payload["type"] == "incident.opened"
    assert payload["data"]["incident"]["title"] == "Disk full — «ünïcode»"
    with pytest.raises(Exception, match="signature"):
        Webhook(SECRET).verify(caught.body + b" ", caught.headers)


async def _webhook_failed(sessions: Any) -> Any:
    for row in await deliveries(sessions):
        if row.channel == "webhook" and row.state == "failed":
            return row
    return None
