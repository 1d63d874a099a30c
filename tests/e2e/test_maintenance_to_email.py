"""End to end: an operator plans maintenance through the API; the followers of its service
(and nobody else) read the announcement, its start and its end by email, each worded as
planned work, threaded under the announcement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from candor_dev.mailcatcher import MailCatcher
from tests.conftest import RunningApi, RunningNotifier, eventually
from tests.e2e.test_alert_to_email import body_text, subscribe_people


async def test_planned_maintenance_reaches_its_followers_by_email(
    api: RunningApi, notifier: RunningNotifier, mail: MailCatcher
) -> None:
    async with api.client() as operator:
        created = await operator.post("/v1/services", json={"slug": "email", "name": "Email"})
        assert created.status_code in (200, 201), created.text
    await subscribe_people(api, notifier)
    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    async with api.client() as operator:
        planned = await operator.post(
            "/v1/maintenance",
            json={
                "title": "Mail server upgrade",
                "description": "Webmail will not connect meanwhile.",
                "services": ["email"],
                "impact": "major",
                "starts_at": starts_at.isoformat(),
                "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
            },
        )
        assert planned.status_code == 201, planned.text
        window = f"/v1/maintenance/{planned.json()['id']}"

    announced = await eventually(lambda: len(mail.mails) >= 2 and mail.mails[:2])
    assert sorted(m.recipients[0] for m in announced) == ["ana@example.org", "luc@example.org"]
    for caught in announced:
        assert caught.message["Subject"] == "Planned maintenance: Email — Mail server upgrade"
        text = " ".join(body_text(caught.message).split())
        assert "This is planned work, not an outage." in text
        assert "Webmail will not connect meanwhile." in text
    first = {m.recipients[0]: m.message["Message-ID"] for m in announced}

    async with api.client() as operator:
        assert (await operator.post(f"{window}/start")).status_code == 200
    started = await eventually(lambda: len(mail.mails) >= 4 and mail.mails[2:4])
    async with api.client() as operator:
        assert (await operator.post(f"{window}/complete")).status_code == 200
    finished = await eventually(lambda: len(mail.mails) >= 6 and mail.mails[4:6])
    for caught in started:
        assert caught.message["Subject"].startswith("Planned maintenance under way: Email")
        assert caught.message["In-Reply-To"] == first[caught.recipients[0]]
    for caught in finished:
        assert caught.message["Subject"].startswith("Planned maintenance finished: Email")
