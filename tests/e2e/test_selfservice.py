"""End to end: a person subscribes on the form without a login, the notifier emails the
confirmation link to a real SMTP server, nothing else reaches the address until the link is
followed, and then the open incident's notice does; the page behind the signed preferences
link changes what they follow."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from candor_dev.mailcatcher import MailCatcher
from candor_incident_api.settings import ApiSettings
from candor_notifier.catalog import repository as replica
from candor_notifier.settings import NotifierSettings
from tests.conftest import RunningNotifier, eventually
from tests.incident_api.helpers import post_alert, setup_email
from tests.linked import linked_api_settings, linked_notifier_settings
from tests.notifier.helpers import bodies, deliveries, subscribe
from tests.payloads import alertmanager

SECRET = "selfservice-secret-of-the-test"
STARTS = "2025-11-24T09:58:00Z"
ANA = "ana@example.org"


@pytest.fixture
def api_settings(make_settings: Callable[..., Any]) -> ApiSettings:
    return linked_api_settings(make_settings, SECRET)


@pytest.fixture
def notifier_settings(
    make_settings: Callable[..., Any], mail: MailCatcher, api_settings: ApiSettings
) -> NotifierSettings:
    return linked_notifier_settings(make_settings, mail, api_settings, SECRET)


def _to(mail: MailCatcher, address: str) -> list[Any]:
    return [m.message for m in mail.mails if m.recipients == (address,)]


async def _sent(notifier: RunningNotifier, count: int) -> bool:
    rows = await deliveries(notifier.sessions)
    return len(rows) == count and all(row.state == "sent" for row in rows)


async def test_double_opt_in_then_the_open_incident_arrives(
    api: Any, operator: httpx.AsyncClient, notifier: RunningNotifier, mail: MailCatcher
) -> None:
    key = await setup_email(operator)
    await operator.post("/v1/services", json={"slug": "payroll", "name": "Payroll"})
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as browser:
        form = await browser.get("/subscribe")
        assert form.status_code == 200
        assert form.headers["content-type"].startswith("text/html")
        assert '<label for="email">Email address</label>' in form.text
        assert 'name="service" value="email"' in form.text
        assert 'name="service" value="payroll"' in form.text

        asked = await browser.post(
            "/subscribe",
            data={"email": ANA, "service": "email", "timezone": "Europe/Paris", "language": "fr"},
        )
        assert asked.status_code == 200, asked.text
        assert "Check your inbox" in asked.text

        # The confirmation email, through the notifier, in the language asked for.
        await eventually(lambda: _to(mail, ANA))
        (confirmation,) = _to(mail, ANA)
        assert confirmation["Subject"] == "Confirmez votre abonnement aux avis de service"
        assert confirmation["List-Unsubscribe"] is None
        text, html = bodies(confirmation)
        found = re.search(r"(http://\S+/subscribe/confirm/\S+)", text)
        assert found is not None, text
        link = found[1]
        assert f'href="{link}"' in html
        assert "- Email" in text

        # An incident while the address is unconfirmed: bob (subscribed by an admin) hears
        # of it; ana's address receives nothing but the confirmation.
        await subscribe(operator, "bob@example.org", ["email"])
        await post_alert(api, key, alertmanager(starts_at=STARTS))
        await eventually(lambda: _sent(notifier, 1))
        assert len(_to(mail, ANA)) == 1
        listed = (await operator.get("/v1/subscribers")).json()["items"]
        assert [s["email"] for s in listed] == ["bob@example.org"]

        confirmed = await browser.get(link)
        assert confirmed.status_code == 200, confirmed.text
        assert "Your subscription is confirmed" in confirmed.text
        again = await browser.get(link)
        assert again.status_code == 200
        assert "Your subscription is confirmed" in again.text

        # Now a subscriber, with what the form said; the open incident's notice follows.
        listed = (await operator.get("/v1/subscribers")).json()["items"]
        (ana,) = [s for s in listed if s["email"] == ANA]
        assert ana["services"] == ["email"]
        assert (ana["timezone"], ana["language"]) == ("Europe/Paris", "fr")
        await eventually(lambda: len(_to(mail, ANA)) == 2)
        notice = _to(mail, ANA)[1]
        assert notice["List-Unsubscribe"] is not None

        # The preferences link on the confirmation page: follow payroll instead, in English.
        prefs = re.search(r'href="([^"]+/preferences/[^"]+)"', confirmed.text)
        assert prefs is not None, confirmed.text
        prefs_link = html_lib.unescape(prefs[1])
        page = await browser.get(prefs_link)
        assert page.status_code == 200
        assert ANA in page.text
        assert 'value="email" checked' in page.text
        saved = await browser.post(
            prefs_link,
            data={"action": "save", "service": "payroll", "timezone": "UTC", "language": "en"},
        )
        assert saved.status_code == 200, saved.text
        assert "Your preferences are saved" in saved.text
        got = (await operator.get(f"/v1/subscribers/{ana['id']}")).json()
        assert (got["services"], got["timezone"], got["language"]) == (["payroll"], "UTC", "en")

        async def follows() -> set[str]:
            async with notifier.sessions() as session:
                return await replica.followed_slugs(session, ana["id"])

        await eventually(lambda: _equals(follows(), {"payroll"}))

        wrong = await browser.post(prefs_link, data={"service": "nope", "timezone": "Mars/Base"})
        assert wrong.status_code == 422
        assert "Choose among the services and components listed." in wrong.text
        assert "Enter a timezone name" in wrong.text

        left = await browser.post(prefs_link, data={"action": "unsubscribe"})
        assert left.status_code == 200
        assert (await operator.get(f"/v1/subscribers/{ana['id']}")).json()["services"] == []


async def _equals(found: Any, expected: Any) -> bool:
    return bool(await found == expected)
