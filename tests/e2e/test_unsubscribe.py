"""End to end: every email carries a signed one-click unsubscribe link (RFC 8058); opening it
changes nothing, POSTing it (as a mail client's button does, with no login) stops every
message, and a link that is cut short or forged is refused with a page saying so."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from candor_dev.mailcatcher import MailCatcher
from candor_dev.ports import free_port
from candor_incident_api.settings import ApiSettings
from candor_notifier.catalog import repository as replica
from candor_notifier.settings import NotifierSettings
from candor_shared.unsubscribe import subscriber_of
from tests.conftest import ADMIN_TOKEN, RunningApi, RunningNotifier, eventually
from tests.incident_api.helpers import post_alert, setup_email
from tests.linked import linked_api_settings, linked_notifier_settings
from tests.notifier.helpers import bodies, deliveries, subscribe
from tests.payloads import alertmanager

SECRET = "unsubscribe-secret-of-the-test"
STARTS = "2025-11-24T09:58:00Z"


@pytest.fixture
def api_settings(make_settings: Callable[..., Any]) -> ApiSettings:
    return linked_api_settings(make_settings, SECRET)


@pytest.fixture
def notifier_settings(
    make_settings: Callable[..., Any], mail: MailCatcher, api_settings: ApiSettings
) -> NotifierSettings:
    return linked_notifier_settings(make_settings, mail, api_settings, SECRET)


async def _all_sent(sessions: Any, count: int) -> bool:
    rows = await deliveries(sessions)
    return len(rows) == count and all(row.state == "sent" for row in rows)


async def _follows(notifier: RunningNotifier, subscriber_id: str) -> set[str]:
    async with notifier.sessions() as session:
        return await replica.followed_slugs(session, subscriber_id)


async def test_one_click_unsubscribes_from_everything_and_a_look_does_not(
    api: RunningApi, operator: httpx.AsyncClient, notifier: RunningNotifier, mail: MailCatcher
) -> None:
    key = await setup_email(operator)
    ana = await subscribe(operator, "ana@example.org", ["email"], "Europe/Paris")
    bob = await subscribe(operator, "bob@example.org", ["email"])
    await post_alert(api, key, alertmanager(starts_at=STARTS))
    await eventually(lambda: _all_sent(notifier.sessions, 2))
    (opening,) = [m.message for m in mail.mails if m.recipients == ("ana@example.org",)]

    # The headers RFC 8058 asks for, with a link only Candor could have signed for ana.
    assert opening["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    found = re.fullmatch(r"<(https?://[^>\s]+)>", str(opening["List-Unsubscribe"]))
    assert found is not None, opening["List-Unsubscribe"]
    link = found[1]
    prefix = f"{api.url}/unsubscribe/"
    assert link.startswith(prefix)
    token = link.removeprefix(prefix)
    assert subscriber_of(token, SECRET) == ana
    text, html = bodies(opening)
    assert f"To receive no more messages from Candor: {link}" in text
    assert f'href="{link}"' in html

    async with httpx.AsyncClient(timeout=30) as browser:
        # Opening the link (a person, a link scanner, a mail preview) only asks.
        page = await browser.get(link)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        assert '<form method="post">' in page.text
        assert (await operator.get(f"/v1/subscribers/{ana}")).json()["services"] == ["email"]

        # The one click: a POST with no cookie and no login, as a mail client sends it.
        done = await browser.post(link, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200, done.text
        assert done.headers["content-type"].startswith("text/plain")
        assert "unsubscribed" in done.text
        again = await browser.post(link, data={"List-Unsubscribe": "One-Click"})
        assert again.status_code == 200

        # Links that are not Candor's: cut short (400), altered or forged (404).
        altered = link[:-1] + ("A" if link[-1] != "A" else "B")
        forged = f"{prefix}{bob}.{token.split('.', 1)[1]}"
        cut = await browser.get(link[: len(prefix) + 20])
        assert cut.status_code == 400
        assert "This is not an unsubscribe link" in cut.text
        for wrong in (altered, forged):
            shown = await browser.get(wrong)
            assert shown.status_code == 404
            assert "This unsubscribe link is not valid" in shown.text
            assert "<form" not in shown.text
            refused = await browser.post(wrong)
            assert refused.status_code == 404
            assert refused.headers["content-type"].startswith("text/plain")

    assert (await operator.get(f"/v1/subscribers/{ana}")).json()["services"] == []
    assert (await operator.get(f"/v1/subscribers/{bob}")).json()["services"] == ["email"]
    await eventually(lambda: _when_empty(_follows(notifier, ana)))

    # The next notice reaches bob, and nobody else.
    ends = "2025-11-24T10:20:00Z"
    await post_alert(api, key, alertmanager(status="resolved", starts_at=STARTS, ends_at=ends))
    await eventually(lambda: _all_sent(notifier.sessions, 3))
    await notifier.stop()
    assert [m.recipients for m in mail.mails].count(("ana@example.org",)) == 1
    assert [m.recipients for m in mail.mails].count(("bob@example.org",)) == 2


async def test_without_a_secret_there_is_no_page(make_settings: Callable[..., Any]) -> None:
    settings: ApiSettings = make_settings(
        ApiSettings, "incident-api", admin_token=ADMIN_TOKEN, api_port=free_port()
    )
    running = RunningApi(settings)
    await running.start()
    try:
        async with running.client(token=None) as browser:
            page = await browser.get(f"/unsubscribe/{'0' * 36}.{'A' * 43}")
            posted = await browser.post(f"/unsubscribe/{'0' * 36}.{'A' * 43}")
    finally:
        await running.stop()
    assert page.status_code == 404
    assert "Unsubscribe links are not in use here" in page.text
    assert posted.status_code == 404


async def _when_empty(found: Any) -> bool:
    return not await found
