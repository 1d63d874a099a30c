"""End to end: a subscriber created through incident-api with email, Slack, Teams and a
webhook; an alert posted over HTTP reaches all four, and the webhook's signature verifies
with the secret the API showed once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.catalog.models import SubscriberChannel
from tests.conftest import RunningNotifier, eventually
from tests.incident_api.helpers import post_alert, setup_email
from tests.notifier.helpers import deliveries
from tests.notifier.hook_catcher import HookCatcher
from tests.notifier.test_channels import verify_standard_webhook
from tests.payloads import alertmanager


@pytest.fixture
def api_settings(api_settings: Any) -> Any:
    return api_settings.model_copy(update={"outbound_allowlist": "127.0.0.1"})


@pytest.fixture
def notifier_settings(notifier_settings: Any) -> Any:
    return notifier_settings.model_copy(update={"outbound_allowlist": "127.0.0.1"})


async def test_an_alert_reaches_email_slack_teams_and_a_signed_webhook(
    api: Any,
    operator: httpx.AsyncClient,
    notifier: RunningNotifier,
    mail: MailCatcher,
    hooks: HookCatcher,
) -> None:
    key = await setup_email(operator)
    response = await operator.post(
        "/v1/subscribers",
        json={
            "name": "Finance department",
            "channels": [
                {"type": "email", "address": "finance@example.org"},
                {"type": "slack", "url": f"{hooks.url}/slack"},
                {"type": "teams", "url": f"{hooks.url}/teams"},
                {"type": "webhook", "url": f"{hooks.url}/candor"},
            ],
            "services": ["email"],
            "timezone": "Europe/Paris",
        },
    )
    assert response.status_code == 201, response.text
    secret = {c["type"]: c for c in response.json()["channels"]}["webhook"]["secret"]

    async def known() -> bool:
        async with notifier.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(SubscriberChannel))
            return count == 3

    await eventually(known, timeout=30)

    await post_alert(api, key, alertmanager(starts_at="2025-11-24T09:58:00Z"))
    await eventually(lambda: len(hooks.requests) == 3 and len(mail.mails) == 1, timeout=30)
    await post_alert(
        api,
        key,
        alertmanager(
            status="resolved", starts_at="2025-11-24T09:58:00Z", ends_at="2025-11-24T10:20:00Z"
        ),
    )
    await eventually(lambda: len(hooks.requests) == 6 and len(mail.mails) == 2, timeout=30)

    rows = await eventually(lambda: _all_sent(notifier.sessions, count=8))
    assert sorted((row.kind, row.channel, row.state) for row in rows) == [
        (kind, channel, "sent")
        for kind in ("opened", "resolved")
        for channel in ("email", "slack", "teams", "webhook")
    ]
    subjects = [m.message["Subject"] for m in mail.mails]
    slack = [c.json() for c in hooks.to("/slack")]
    assert [m["blocks"][0]["text"]["text"] for m in slack] == subjects
    assert "10:58" in str(slack[0]["blocks"])  # 09:58 UTC, in Paris
    teams = [c.json()["attachments"][0]["content"] for c in hooks.to("/teams")]
    assert [card["body"][0]["inlines"][0]["text"] for card in teams] == subjects
    hooked = hooks.to("/candor")
    assert [h.json()["type"] for h in hooked] == ["incident.opened", "incident.resolved"]
    assert all(verify_standard_webhook(secret, h.headers, h.body) for h in hooked)
    assert len({h.headers["webhook-id"] for h in hooked}) == 2


async def _all_sent(sessions: Any, *, count: int) -> Any:
    rows = await deliveries(sessions)
    return rows if len(rows) == count and all(row.state == "sent" for row in rows) else None
