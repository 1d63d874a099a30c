"""Post-incident reports: a published report reaches each affected user once, threaded under
the opening, in their language and time zone, with every section (duration, impact, the
timeline of what they were told, cause, what was done, follow-ups, the service level, and
their own signed feedback link); a redelivered report sends nothing more."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.worker import create_worker
from candor_shared.contract import (
    CloudEvent,
    FollowUpAction,
    IncidentReportActionDone,
    IncidentReportPublished,
    ReportTimelineEntry,
    ServiceReport,
    SlaReportPublished,
    SubscriberUpserted,
    new_event,
)
from candor_shared.feedback import respondent_of
from tests.conftest import RunningWorker, eventually
from tests.notifier.helpers import (
    EMAIL_SERVICE,
    SOURCE,
    bodies,
    deliveries,
    duplicates_skipped,
    handled_events,
    opened,
    publish,
    resolved,
    snapshot,
)

SECRET = "report-test-secret"
STARTED = datetime(2025, 11, 24, 9, 58, tzinfo=UTC)
ENDED = datetime(2025, 11, 24, 10, 45, tzinfo=UTC)
PEOPLE = [
    ("ana@example.org", "Europe/Paris", "fr"),
    ("bob@example.org", "America/New_York", "en"),
    ("dora@example.org", "Europe/Berlin", "de"),
]


@pytest.fixture
async def reporting_notifier(notifier_settings: Any) -> AsyncIterator[RunningWorker]:
    settings = notifier_settings.model_copy(update={"unsubscribe_secret": SECRET})
    running = RunningWorker(create_worker(settings, serve_http=False))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def _person(address: str, timezone: str, language: str, services: list[str]) -> Any:
    data = SubscriberUpserted(
        id=str(uuid.uuid4()),
        email=address,
        services=services,
        timezone=timezone,
        language=language,
    )
    return new_event(data, source=SOURCE, key=data.id)


async def _sent(sessions: Any, count: int) -> Any:
    rows = await deliveries(sessions)
    if len(rows) == count and all(row.state == "sent" for row in rows):
        return rows
    return None


async def _handled(sessions: Any, count: int) -> bool:
    return await handled_events(sessions) == count


def _report(incident: Any, **changes: Any) -> CloudEvent[Any]:
    values: dict[str, Any] = dict(
        incident=incident,
        published_at=datetime(2025, 11, 25, 9, 0, tzinfo=UTC),
        published_by="operator",
        impact="For 47 minutes nobody could send email.",
        cause="A certificate on the outgoing mail relay expired.",
        what_was_done="We installed a new certificate and resent the waiting mail.",
        follow_ups=[
            FollowUpAction(number=1, action="Renew certificates automatically."),
            FollowUpAction(
                number=2,
                action="Alert before a certificate expires.",
                done_at=datetime(2025, 11, 26, 14, 0, tzinfo=UTC),
            ),
        ],
        timeline=[
            ReportTimelineEntry(at=STARTED, kind="opened", message="Sending email fails."),
            ReportTimelineEntry(at=ENDED, kind="resolved", message="Mail flows again."),
        ],
    )
    data = IncidentReportPublished(**{**values, **changes})
    return new_event(data, source="/tests/incident-api", key=incident.id)


def _flat(text: str) -> str:
    return " ".join(text.split())


async def test_a_published_report_reaches_each_affected_user_once_in_their_words(
    reporting_notifier: RunningWorker, mail: MailCatcher
) -> None:
    notifier = reporting_notifier
    people = [_person(*who, ["email"]) for who in PEOPLE]
    await publish(notifier.settings, *people, _person("carl@example.org", "UTC", "en", ["wifi"]))
    await eventually(lambda: _handled(notifier.sessions, 4))
    incident = snapshot(started_at=STARTED.isoformat())
    ended = incident.model_copy(
        update={"version": 2, "status": "resolved", "resolved_at": ENDED, "firing_alerts": 0}
    )
    await publish(notifier.settings, opened(incident), resolved(ended))
    await eventually(lambda: _sent(notifier.sessions, 6))
    openings = {item.recipients[0]: item.message for item in mail.mails[:3]}

    report = _report(ended)
    skipped = duplicates_skipped(notifier.settings)
    await publish(notifier.settings, report, report)  # the second one is a redelivery

    await eventually(lambda: _sent(notifier.sessions, 9))
    await eventually(lambda: duplicates_skipped(notifier.settings) > skipped)
    reports = {item.recipients[0]: item.message for item in mail.mails[6:]}
    assert sorted(reports) == sorted(address for address, _, _ in PEOPLE)  # once, not carl
    assert len(mail.mails) == 9

    bob = reports["bob@example.org"]
    assert bob["Subject"] == "Incident report: Email — Outgoing mail is not being delivered"
    assert bob["In-Reply-To"] == openings["bob@example.org"]["Message-ID"]
    text, html = bodies(bob)
    for body in (text, html):
        flat = _flat(body)
        assert "47 minutes" in flat
        assert "For 47 minutes nobody could send email." in flat
        # The timeline in New York time.
        assert "Monday 24 November 2025 at 04:58 EST — We told you of the problem" in flat
        assert "Sending email fails." in flat
        assert "Monday 24 November 2025 at 05:45 EST — Resolved" in flat
        assert "A certificate on the outgoing mail relay expired." in flat
        assert "We installed a new certificate and resent the waiting mail." in flat
        assert "Renew certificates automatically." in flat
        assert "done on Wednesday 26 November 2025 at 09:00 EST" in flat
        assert "Service level this period" in flat
        assert "Not available yet." in flat
    assert "Duration: 47 minutes" in text
    link = next(word for word in text.split() if "/feedback/" in word)
    assert link in html
    who = respondent_of(link.rsplit("/", 1)[1], SECRET)
    assert who is not None
    assert who.incident_id == incident.id
    assert who.subscriber_id == people[1].data.id

    ana_text, _ = bodies(reports["ana@example.org"])
    assert reports["ana@example.org"]["Subject"].startswith(
        "Rapport d\N{RIGHT SINGLE QUOTATION MARK}incident : Email — "
    )
    assert "lundi 24 novembre 2025 à 10:58 CET — Nous vous avons signalé le problème" in _flat(
        ana_text
    )
    assert "Comment l\N{RIGHT SINGLE QUOTATION MARK}avez-vous vécu" in ana_text
    dora_text, _ = bodies(reports["dora@example.org"])
    assert "Warum es passiert ist" in dora_text
    assert "erledigt am Mittwoch, 26. November 2025 um 15:00 CET" in _flat(dora_text)
    assert {row.kind for row in await deliveries(notifier.sessions)} >= {"report"}


async def test_an_automatic_report_says_it_gives_the_facts_known_so_far(
    reporting_notifier: RunningWorker, mail: MailCatcher
) -> None:
    notifier = reporting_notifier
    await publish(notifier.settings, _person("bob@example.org", "UTC", "en", ["email"]))
    await eventually(lambda: _handled(notifier.sessions, 1))
    incident = snapshot(started_at=STARTED.isoformat(), status="resolved")
    ended = incident.model_copy(update={"resolved_at": ENDED})
    automatic = _report(
        ended, published_by="automatic", impact="", cause="", what_was_done="", follow_ups=[]
    )
    await publish(notifier.settings, automatic)
    await eventually(lambda: _sent(notifier.sessions, 1))
    text, _ = bodies(mail.mails[0].message)
    assert "This report gives the facts known so far" in text
    assert "Why it happened" not in text
    assert "What you could not do" not in text


def _sla_report(period: str, availability: float, *, generated_at: datetime) -> Any:
    report = ServiceReport(
        service=EMAIL_SERVICE,
        period=period,
        timezone="UTC",
        starts_at=datetime(int(period[:4]), int(period[5:]), 1, tzinfo=UTC),
        ends_at=datetime(int(period[:4]), int(period[5:]) + 1, 1, tzinfo=UTC),
        observed_until=generated_at,
        final=False,
        generated_at=generated_at,
        adequate_percent=99.5,
        availability_percent=availability,
        measured_downtime=timedelta(minutes=47),
        declared_downtime=timedelta(minutes=47),
    )
    return new_event(SlaReportPublished(report=report), source="/tests/sla", key=EMAIL_SERVICE.id)


async def test_the_report_quotes_the_service_level_of_the_incidents_period(
    reporting_notifier: RunningWorker, mail: MailCatcher
) -> None:
    notifier = reporting_notifier
    await publish(
        notifier.settings,
        _person("bob@example.org", "UTC", "en", ["email"]),
        _person("ana@example.org", "Europe/Paris", "fr", ["email"]),
        _sla_report("2025-11", 99.9, generated_at=datetime(2025, 11, 24, 12, tzinfo=UTC)),
        _sla_report("2025-11", 99.82, generated_at=datetime(2025, 11, 25, 8, tzinfo=UTC)),
        # An older period asked for later does not replace the newer one.
        _sla_report("2025-10", 100.0, generated_at=datetime(2025, 11, 25, 8, 30, tzinfo=UTC)),
    )
    await eventually(lambda: _handled(notifier.sessions, 5))
    incident = snapshot(started_at=STARTED.isoformat(), status="resolved")
    await publish(notifier.settings, _report(incident.model_copy(update={"resolved_at": ENDED})))
    await eventually(lambda: _sent(notifier.sessions, 2))
    by_address = {item.recipients[0]: item.message for item in mail.mails}
    text, html = bodies(by_address["bob@example.org"])
    for body in (text, html):
        assert (
            "November 2025: 99.82% available; the agreement promises 99.5%. The period is not "
            "over: these figures may still change." in _flat(body)
        )
        assert "Not available yet." not in body
    ana, _ = bodies(by_address["ana@example.org"])
    assert "novembre 2025 : disponible 99,82" in _flat(ana)


async def test_a_follow_up_action_done_later_is_told_in_a_short_note_under_the_report(
    reporting_notifier: RunningWorker, mail: MailCatcher
) -> None:
    notifier = reporting_notifier
    await publish(
        notifier.settings,
        _person("bob@example.org", "America/New_York", "en", ["email"]),
        _person("dora@example.org", "Europe/Berlin", "de", ["email"]),
    )
    await eventually(lambda: _handled(notifier.sessions, 2))
    incident = snapshot(started_at=STARTED.isoformat(), status="resolved")
    ended = incident.model_copy(update={"resolved_at": ENDED})
    await publish(notifier.settings, _report(ended))
    await eventually(lambda: _sent(notifier.sessions, 2))
    reports = {item.recipients[0]: item.message for item in mail.mails}

    action = FollowUpAction(
        number=1,
        action="Renew certificates automatically.",
        done_at=datetime(2025, 12, 1, 15, 30, tzinfo=UTC),
    )
    done = IncidentReportActionDone(incident=ended, action=action, remaining=0)
    await publish(notifier.settings, new_event(done, source="/tests", key=ended.id))

    await eventually(lambda: _sent(notifier.sessions, 4))
    notes = {item.recipients[0]: item.message for item in mail.mails[2:]}
    bob = notes["bob@example.org"]
    assert bob["Subject"] == (
        "Done after the incident: Email — Outgoing mail is not being delivered"
    )
    assert bob["In-Reply-To"] == reports["bob@example.org"]["Message-ID"]
    text, html = bodies(bob)
    for body in (text, html):
        assert "Renew certificates automatically." in body
        assert "Monday 1 December 2025 at 10:30 EST" in body
        assert "Everything we promised is done." in body
    dora, _ = bodies(notes["dora@example.org"])
    assert "Alles, was wir versprochen haben, ist erledigt." in dora
