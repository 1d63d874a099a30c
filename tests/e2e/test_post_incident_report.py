"""End to end: an operator writes and publishes the post-incident report through the API,
and each follower of the affected service receives it once by email, threaded under the
opening, in their time zone, with the public timeline and none of the internal notes."""

from __future__ import annotations

from candor_dev.mailcatcher import MailCatcher
from tests.conftest import RunningApi, RunningNotifier, eventually
from tests.e2e.test_alert_to_email import body_text, subscribe_people
from tests.incident_api.helpers import post_alert, setup_email
from tests.payloads import alertmanager


async def test_an_operator_publishes_the_report_and_each_follower_receives_it_once(
    api: RunningApi, notifier: RunningNotifier, mail: MailCatcher
) -> None:
    async with api.client() as operator:
        key = await setup_email(operator)
    await subscribe_people(api, notifier)
    incident_id = (await post_alert(api, key, alertmanager())).json()["incidents"][0]
    await eventually(lambda: len(mail.mails) >= 2)
    path = f"/v1/incidents/{incident_id}"
    async with api.client() as operator:
        note = await operator.post(f"{path}/updates", json={"internal_note": "mx1 /var full"})
        assert note.status_code == 200
    await post_alert(api, key, alertmanager(status="resolved", ends_at="2026-11-23T10:40:00Z"))
    await eventually(lambda: len(mail.mails) >= 4)

    async with api.client() as operator:
        written = await operator.put(
            f"{path}/report",
            json={
                "impact": "Mail you sent stayed in the outbox.",
                "cause": "A full disk on the mail relay.",
                "what_was_done": "We freed space and resent the waiting mail.",
                "follow_ups": ["Alert when the disk is 80% full."],
            },
        )
        assert written.status_code == 201, written.text
        published = await operator.post(f"{path}/report/publish")
        assert published.status_code == 200, published.text

    reports = await eventually(lambda: len(mail.mails) >= 6 and mail.mails[4:])
    assert sorted(m.recipients[0] for m in reports) == ["ana@example.org", "luc@example.org"]
    opening = {m.recipients[0]: m.message["Message-ID"] for m in mail.mails[:2]}
    for caught in reports:
        message = caught.message
        assert message["Subject"] == (
            "Incident report: Email — Outgoing mail is not being delivered"
        )
        assert message["In-Reply-To"] == opening[caught.recipients[0]]
        text = " ".join(body_text(message).split())
        assert "Mail you sent stayed in the outbox." in text
        assert "A full disk on the mail relay." in text
        assert "Alert when the disk is 80% full." in text
        assert "We told you of the problem" in text
        assert "mx1 /var full" not in text
    luc = next(m.message for m in reports if m.recipients[0] == "luc@example.org")
    assert "CET" in body_text(luc)  # Luc reads Paris time
    # Nothing more comes: one report each.
    async with api.client() as operator:
        assert (await operator.post(f"{path}/report/publish")).status_code == 409
    assert len(mail.mails) == 6
