"""An incident becomes one email per follower, in their timezone; its end, one more."""

from __future__ import annotations

from typing import Any

import httpx

from candor_dev.mailcatcher import MailCatcher
from tests.conftest import eventually
from tests.incident_api.helpers import post_alert, setup_email
from tests.notifier.helpers import bodies, deliveries, subscribe
from tests.payloads import alertmanager

STARTS = "2025-11-24T09:58:00Z"
ENDS = "2025-11-24T10:20:00Z"


async def test_alert_emails_each_follower_once_in_their_timezone(
    api: Any, operator: httpx.AsyncClient, notifier: Any, mail: MailCatcher
) -> None:
    key = await setup_email(operator)
    await operator.post("/v1/services", json={"slug": "payroll", "name": "Payroll"})
    await subscribe(operator, "ana@example.org", ["email"], "Europe/Paris")
    await subscribe(operator, "bob@example.org", ["email", "payroll"], "America/New_York")
    await subscribe(operator, "cy@example.org", ["payroll"])

    response = await post_alert(api, key, alertmanager(starts_at=STARTS))

    assert response.status_code == 202, response.text
    await eventually(lambda: len(mail.mails) >= 2)
    ledger = await eventually(
        lambda: _all_sent(notifier.sessions, count=2),
    )
    await notifier.stop()
    caught = {m.recipients: m.message for m in mail.mails}
    assert set(caught) == {("ana@example.org",), ("bob@example.org",)}
    assert {row.message_id for row in ledger} == {m["Message-ID"] for m in caught.values()}
    for (address,), message in caught.items():
        assert message["Subject"] == "[Investigating] Email — Outgoing mail is not being delivered"
        assert message["From"] == "Candor <candor@localhost>"
        assert message["To"] == address
        assert message["Date"] is not None
        assert message["Auto-Submitted"] == "auto-generated"
        text, html = bodies(message)
        for body in (text, html):
            assert "Email" in body
            assert "Outgoing mail is not being delivered" in body
            assert "Investigating" in body
    ana_text, ana_html = bodies(caught[("ana@example.org",)])
    assert "Started: Monday 24 November 2025 at 10:58 CET" in ana_text
    assert "Monday 24 November 2025 at 10:58 CET" in ana_html
    bob_text, _ = bodies(caught[("bob@example.org",)])
    assert "Started: Monday 24 November 2025 at 04:58 EST" in bob_text


async def test_resolution_sends_a_resolution_email_in_the_same_thread(
    api: Any, operator: httpx.AsyncClient, notifier: Any, mail: MailCatcher
) -> None:
    key = await setup_email(operator)
    await subscribe(operator, "ana@example.org", ["email"], "Europe/Paris")
    await post_alert(api, key, alertmanager(starts_at=STARTS))
    await eventually(lambda: len(mail.mails) >= 1)

    response = await post_alert(
        api, key, alertmanager(status="resolved", starts_at=STARTS, ends_at=ENDS)
    )

    assert response.status_code == 202, response.text
    await eventually(lambda: len(mail.mails) >= 2)
    await eventually(lambda: _all_sent(notifier.sessions, count=2))
    await notifier.stop()
    first, second = (m.message for m in mail.mails)
    assert second["Subject"] == "[Resolved] Email — Outgoing mail is not being delivered"
    assert second["In-Reply-To"] == first["Message-ID"]
    assert second["Message-ID"] != first["Message-ID"]
    text, html = bodies(second)
    assert "Email works normally again." in text
    assert "Started: Monday 24 November 2025 at 10:58 CET" in text
    assert "Ended: Monday 24 November 2025 at 11:20 CET" in text
    assert "It lasted 22 minutes." in text
    assert "It lasted 22 minutes." in html
    assert len(mail.mails) == 2


async def _all_sent(sessions: Any, *, count: int) -> Any:
    rows = await deliveries(sessions)
    if len(rows) == count and all(row.state == "sent" for row in rows):
        return rows
    return None
