"""An erased subscriber leaves no address in any notifier table."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.models import Base, load_all_models
from tests.conftest import RunningNotifier, eventually
from tests.incident_api.helpers import post_alert, setup_email
from tests.notifier.helpers import deliveries, subscribe
from tests.payloads import alertmanager


async def test_erasure_removes_the_address_from_every_notifier_table(
    api: Any, operator: httpx.AsyncClient, notifier: RunningNotifier, mail: MailCatcher
) -> None:
    key = await setup_email(operator)
    ana = await subscribe(operator, "ana@example.org", ["email"], "Europe/Paris")
    await subscribe(operator, "bob@example.org", ["email"])
    await post_alert(api, key, alertmanager(starts_at="2025-11-24T09:58:00Z"))
    await eventually(lambda: len(mail.mails) >= 2)
    assert await _tables_mentioning(notifier, "ana@example.org")

    response = await operator.delete(f"/v1/subscribers/{ana}")

    assert response.status_code == 204, response.text
    await eventually(lambda: _gone(notifier, "ana@example.org"))
    rows = await deliveries(notifier.sessions)
    assert {row.recipient_id for row in rows} != set()
    assert ana not in {row.recipient_id for row in rows}
    assert await _tables_mentioning(notifier, "bob@example.org") == ["subscribers"]


async def _gone(notifier: RunningNotifier, address: str) -> bool:
    return not await _tables_mentioning(notifier, address)


async def _tables_mentioning(notifier: RunningNotifier, text: str) -> list[str]:
    """The notifier tables with ``text`` anywhere in any column of any row."""
    load_all_models()
    found = []
    async with notifier.sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            if any(text in repr(value) for row in rows for value in row):
                found.append(table.name)
    return found
