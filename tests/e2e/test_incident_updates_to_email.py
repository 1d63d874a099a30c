"""End to end: what operators tell users reaches them by email, threaded under the opening;
what they don't (an acknowledgement, an internal note) does not; a flapping service's
comeback and an outage felt through a dependency reach the right people."""

from __future__ import annotations

from typing import Any

from candor_dev.mailcatcher import MailCatcher
from tests.conftest import RunningApi, RunningNotifier, eventually
from tests.e2e.test_alert_to_email import body_text, subscribe_people
from tests.incident_api.helpers import post_alert, setup_email
from tests.payloads import alertmanager


async def test_public_updates_and_a_comeback_reach_followers_threaded(
    api: RunningApi, notifier: RunningNotifier, mail: MailCatcher
) -> None:
    async with api.client() as operator:
        await operator.put("/v1/services/email", json={"name": "Email", "flap_window_seconds": 900})
        key = await setup_email(operator)
    await subscribe_people(api, notifier)
    incident_id = (await post_alert(api, key, alertmanager())).json()["incidents"][0]
    await eventually(lambda: len(mail.mails) >= 2)

    async with api.client() as operator:
        path = f"/v1/incidents/{incident_id}"
        assert (await operator.post(f"{path}/acknowledge")).status_code == 200
        note = await operator.post(f"{path}/updates", json={"internal_note": "disk full on mx1"})
        assert note.status_code == 200
        update = await operator.post(
            f"{path}/updates",
            json={
                "status": "identified",
                "public_message": "A full disk stops outgoing mail. We are freeing space.",
                "next_update_at": "2099-11-23T10:30:00Z",
            },
        )
        assert update.status_code == 200, update.text

    updates = await eventually(lambda: len(mail.mails) >= 4 and mail.mails[2:])
    opening = {m.recipients[0]: m.message["Message-ID"] for m in mail.mails[:2]}
    for caught in updates:
        message = caught.message
        assert (
            message["Subject"]
            == "[Identified] Update: Email — Outgoing mail is not being delivered"
        )
        assert message["In-Reply-To"] == opening[caught.recipients[0]]
        text = body_text(message)
        assert "A full disk stops outgoing mail." in text
        assert "disk full on mx1" not in text
        assert "2099" in text

    await post_alert(api, key, alertmanager(status="resolved", ends_at="2026-11-23T10:00:00Z"))
    await eventually(lambda: len(mail.mails) >= 6)
    await post_alert(api, key, alertmanager(starts_at="2026-11-23T10:05:00Z"))
    back = await eventually(lambda: len(mail.mails) >= 8 and mail.mails[6:])
    assert {m.message["Subject"] for m in back} == {
        "[Back again] Email — Outgoing mail is not being delivered"
    }
    assert len(mail.mails) == 8


async def test_an_outage_reaches_followers_of_the_services_that_depend_on_it(
    api: RunningApi, notifier: RunningNotifier, sla_monitor: Any, mail: MailCatcher
) -> None:
    async with api.client() as operator:
        await operator.put("/v1/services/network", json={"name": "Network"})
        await operator.put(
            "/v1/services/email",
            json={
                "name": "Email",
                "depends_on": [{"service": "network"}],
                "impact_wording": {"major": "You may not be able to send email."},
            },
        )
        key = await setup_email(operator, default_service=None)
    await subscribe_people(api, notifier)  # ana and luc follow Email; nobody follows Network

    await post_alert(api, key, alertmanager(service="network", summary="Core switch down"))

    opened = await eventually(lambda: len(mail.mails) >= 2 and mail.mails)
    assert sorted(m.recipients[0] for m in opened) == ["ana@example.org", "luc@example.org"]
    text = body_text(opened[0].message)
    assert "Network" in text
    assert "Email: You may not be able to send email." in text
