"""End to end: an alert on one component of Email, which Payroll depends on, reaches each
person once however many ways they follow it (directly, by the component, through a group,
through the dependency) — and not the follower of another component."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.catalog.models import Group, Subscriber
from candor_notifier.deliveries.models import Delivery
from tests.conftest import RunningApi, RunningNotifier, eventually
from tests.incident_api.helpers import post_alert
from tests.payloads import alertmanager

PEOPLE = [
    # Directly, by the component, through the group and through Payroll's dependency.
    {
        "email": "ana@example.org",
        "services": ["email", "payroll"],
        "components": ["email/outgoing"],
        "groups": ["Finance department"],
    },
    {"email": "bob@example.org", "components": ["email/webmail"]},
    {"email": "cy@example.org", "groups": ["Finance department"]},
    {"email": "dee@example.org", "services": ["payroll"]},
]


async def _count(notifier: RunningNotifier, model: Any) -> int:
    async with notifier.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_each_person_reached_once_however_subscribed(
    api: RunningApi, notifier: RunningNotifier, mail: MailCatcher
) -> None:
    async with api.client() as operator:
        email = {
            "slug": "email",
            "name": "Email",
            "components": [
                {"slug": "outgoing", "name": "Outgoing mail"},
                {"slug": "webmail", "name": "Webmail"},
            ],
        }
        payroll = {
            "slug": "payroll",
            "name": "Payroll",
            "depends_on": [{"service": "email", "component": "outgoing"}],
        }
        for body in (email, payroll):
            response = await operator.post("/v1/services", json=body)
            assert response.status_code in (200, 201), response.text
        response = await operator.post(
            "/v1/integrations",
            json={"name": "prom", "source": "alertmanager", "default_service": "email"},
        )
        assert response.status_code == 201, response.text
        key = response.json()["key"]
        group = {"name": "Finance department", "services": ["email"]}
        assert (await operator.post("/v1/groups", json=group)).status_code == 201
        for person in PEOPLE:
            response = await operator.post("/v1/subscribers", json=person)
            assert response.status_code == 201, response.text
    await eventually(lambda: _known(notifier), timeout=30)
    payload = alertmanager()
    payload["alerts"][0]["labels"]["component"] = "outgoing"

    response = await post_alert(api, key, payload)

    assert response.status_code == 202, response.text
    await eventually(lambda: len(mail.mails) >= 3, timeout=30)
    rows = await eventually(lambda: _all_sent(notifier, 3), timeout=30)
    await notifier.stop()
    assert len(rows) == 3
    assert sorted(m.recipients[0] for m in mail.mails) == [
        "ana@example.org",
        "cy@example.org",
        "dee@example.org",
    ]


async def _known(notifier: RunningNotifier) -> bool:
    return await _count(notifier, Subscriber) == 4 and await _count(notifier, Group) == 1


async def _all_sent(notifier: RunningNotifier, count: int) -> list[Delivery]:
    async with notifier.sessions() as session:
        rows = list(await session.scalars(select(Delivery)))
    return rows if len(rows) == count and all(r.state == "sent" for r in rows) else []
