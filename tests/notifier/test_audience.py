"""Who an incident reaches: followers of a service, of one of its components, members of a
group, through a dependency — each once; and their quiet hours for minor incidents."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.audience.digest import period_of
from candor_notifier.audience.quiet import quiet_until
from candor_notifier.deliveries.models import Delivery
from candor_notifier.mail.compose import Recipient
from candor_notifier.mail.digest import compose_digest
from candor_shared.contract import (
    CloudEvent,
    GroupDeleted,
    GroupUpserted,
    IncidentSnapshot,
    SubscriberUpserted,
    new_event,
)
from tests.conftest import HeldClock, RunningWorker, eventually
from tests.notifier.helpers import SOURCE, bodies, deliveries, handled_events, opened, publish

NOW = datetime(2025, 11, 24, 21, 30, tzinfo=UTC)  # 22:30 in Paris


@pytest.fixture
def clock() -> HeldClock:
    return HeldClock(NOW)


def person(
    address: str,
    *,
    services: list[str] = (),  # type: ignore[assignment]
    components: list[str] = (),  # type: ignore[assignment]
    groups: list[str] = (),  # type: ignore[assignment]
    subscriber_id: str | None = None,
    timezone: str = "UTC",
    quiet_hours: dict[str, str] | None = None,
    digest_every: str | None = None,
) -> CloudEvent[Any]:
    data = SubscriberUpserted.model_validate(
        {
            "id": subscriber_id or str(uuid.uuid4()),
            "email": address,
            "services": list(services),
            "components": list(components),
            "groups": list(groups),
            "timezone": timezone,
            "quiet_hours": quiet_hours,
            "digest_every": digest_every,
        }
    )
    return new_event(data, source=SOURCE, key=data.id)


def group(
    group_id: str,
    *,
    services: list[str] = (),
    components: list[str] = (),  # type: ignore[assignment]
) -> CloudEvent[Any]:
    data = GroupUpserted(
        id=group_id, name="Finance department", services=list(services), components=list(components)
    )
    return new_event(data, source=SOURCE, key=data.id)


SERVICES = {
    "email": {"id": str(uuid.UUID(int=1)), "slug": "email", "name": "Email"},
    "payroll": {"id": str(uuid.UUID(int=2)), "slug": "payroll", "name": "Payroll"},
    "wiki": {"id": str(uuid.UUID(int=3)), "slug": "wiki", "name": "Wiki"},
}


def incident(
    *,
    component: str | None,
    impact: str = "major",
    dependents: list[str] = (),  # type: ignore[assignment]
    service: str = "email",
    title: str = "Outgoing mail is not being delivered",
) -> IncidentSnapshot:
    """An incident on ``service`` (its ``component``), felt by ``dependents`` through it."""
    impacts: list[dict[str, Any]] = [
        {
            "service": SERVICES[service],
            "impact": impact,
            "components": [component] if component else [],
        }
    ]
    impacts.extend(
        {"service": SERVICES[slug], "impact": impact, "via": service} for slug in dependents
    )
    return IncidentSnapshot.model_validate(
        {
            "id": str(uuid.uuid4()),
            "version": 1,
            "service": SERVICES[service],
            "status": "investigating",
            "impact": impact,
            "title": title,
            "started_at": "2025-11-24T21:00:00+00:00",
            "opened_at": "2025-11-24T21:00:00+00:00",
            "firing_alerts": 1,
            "component": component,
            "impacts": impacts,
        }
    )


async def _handled(notifier: RunningWorker, count: int) -> bool:
    return await handled_events(notifier.sessions) >= count


async def _sent(notifier: RunningWorker, count: int) -> list[Delivery]:
    rows = await deliveries(notifier.sessions)
    sent = [row for row in rows if row.state == "sent"]
    return rows if len(sent) >= count else []


async def _planned(notifier: RunningWorker, incident_id: str) -> list[Delivery]:
    return [row for row in await deliveries(notifier.sessions) if row.incident_id == incident_id]


async def _tell(notifier: RunningWorker, *events: CloudEvent[Any]) -> None:
    before = await handled_events(notifier.sessions)
    await publish(notifier.settings, *events)
    await eventually(lambda: _handled(notifier, before + len(events)))


async def test_a_component_follower_hears_only_of_incidents_on_that_component(
    held_notifier: RunningWorker, mail: MailCatcher
) -> None:
    notifier = held_notifier
    await _tell(
        notifier,
        person("out@example.org", components=["email/outgoing"]),
        person("in@example.org", components=["email/incoming"]),
        person("all@example.org", services=["email"]),
    )
    outgoing = incident(component="outgoing")

    await _tell(notifier, opened(outgoing))

    await eventually(lambda: _sent(notifier, 2))
    assert sorted(m.recipients[0] for m in mail.mails) == ["all@example.org", "out@example.org"]
    # An incident that names no component affects the whole service: every component too.
    whole = incident(component=None)
    await _tell(notifier, opened(whole))
    await eventually(lambda: _sent(notifier, 5))
    assert sorted(m.recipients[0] for m in mail.mails[2:]) == [
        "all@example.org",
        "in@example.org",
        "out@example.org",
    ]


async def test_someone_reached_four_ways_gets_one_email(
    held_notifier: RunningWorker, mail: MailCatcher
) -> None:
    notifier = held_notifier
    finance = str(uuid.uuid4())
    await _tell(
        notifier,
        group(finance, services=["email"]),
        # Directly (email), by the component, through the group, and through payroll,
        # which depends on email.
        person(
            "ana@example.org",
            services=["email", "payroll"],
            components=["email/outgoing"],
            groups=[finance],
        ),
        person("bob@example.org", groups=[finance]),
        person("cy@example.org", services=["payroll"]),
        person("dee@example.org", services=["wiki"]),
    )
    felt = incident(component="outgoing", dependents=["payroll"])

    await _tell(notifier, opened(felt))

    rows = await eventually(lambda: _sent(notifier, 3))
    assert sorted(m.recipients[0] for m in mail.mails) == [
        "ana@example.org",
        "bob@example.org",
        "cy@example.org",
    ]
    assert len(rows) == 3
    assert len({row.recipient_id for row in rows}) == 3


async def test_group_membership_and_subscriptions_take_effect(
    held_notifier: RunningWorker, mail: MailCatcher
) -> None:
    notifier = held_notifier
    finance = str(uuid.uuid4())
    ana, bob = str(uuid.uuid4()), str(uuid.uuid4())
    await _tell(
        notifier,
        group(finance, services=["email"]),
        person("ana@example.org", groups=[finance], subscriber_id=ana),
        person("bob@example.org", subscriber_id=bob),
    )
    first = incident(component=None)
    await _tell(notifier, opened(first))
    await eventually(lambda: _sent(notifier, 1))
    assert [m.recipients[0] for m in mail.mails] == ["ana@example.org"]

    # Ana leaves, Bob joins: the next incident reaches Bob only.
    await _tell(
        notifier,
        person("ana@example.org", subscriber_id=ana),
        person("bob@example.org", groups=[finance], subscriber_id=bob),
    )
    second = incident(component=None)
    await _tell(notifier, opened(second))
    await eventually(lambda: _sent(notifier, 2))
    assert [m.recipients[0] for m in mail.mails[1:]] == ["bob@example.org"]

    # The group now follows the wiki instead: email incidents reach nobody through it.
    await _tell(notifier, group(finance, services=["wiki"]))
    await _tell(notifier, opened(incident(component=None)))
    await _tell(notifier, opened(incident(component=None, service="wiki")))
    await eventually(lambda: _sent(notifier, 3))
    assert [m.recipients[0] for m in mail.mails[2:]] == ["bob@example.org"]
    assert mail.mails[2].message["Subject"].startswith("[Investigating] Wiki")

    # A deleted group reaches nobody.
    await _tell(notifier, new_event(GroupDeleted(id=finance), source=SOURCE, key=finance))
    last = incident(component=None, service="wiki")
    await _tell(notifier, opened(last))
    assert await _planned(notifier, last.id) == []


async def test_quiet_hours_hold_a_minor_notice_until_they_end_in_the_recipients_timezone(
    held_notifier: RunningWorker, clock: HeldClock, mail: MailCatcher
) -> None:
    notifier = held_notifier
    await _tell(
        notifier,
        person(
            "ana@example.org",
            services=["email"],
            timezone="Europe/Paris",
            quiet_hours={"start": "22:00", "end": "07:00"},
        ),
        person(
            "bob@example.org",
            services=["email"],
            timezone="America/New_York",
            quiet_hours={"start": "22:00", "end": "07:00"},
        ),
    )
    minor = incident(component=None, impact="minor")

    await _tell(notifier, opened(minor))

    # 22:30 in Paris: Ana's notice waits for 07:00 Paris (06:00 UTC); Bob (16:30 in New
    # York) is not in his quiet hours.
    await eventually(lambda: _sent(notifier, 1))
    assert [m.recipients[0] for m in mail.mails] == ["bob@example.org"]
    rows = await _planned(notifier, minor.id)
    (held,) = [row for row in rows if row.state == "pending"]
    assert held.next_attempt_at == datetime(2025, 11, 25, 6, 0, tzinfo=UTC)

    # A major incident in the same quiet hours is not held.
    major = incident(component=None, impact="major")
    await _tell(notifier, opened(major))
    await eventually(lambda: _sent(notifier, 3))
    assert sorted(m.recipients[0] for m in mail.mails[1:]) == [
        "ana@example.org",
        "bob@example.org",
    ]
    assert mail.mails[1].message["Subject"] == mail.mails[2].message["Subject"]

    clock.now = datetime(2025, 11, 25, 5, 59, 59, tzinfo=UTC)
    assert await _count_sent(notifier) == 3
    clock.now = datetime(2025, 11, 25, 6, 0, tzinfo=UTC)
    await eventually(lambda: _sent(notifier, 4))
    assert mail.mails[3].recipients[0] == "ana@example.org"
    assert len(mail.mails) == 4


async def test_a_digest_folds_three_minor_notices_into_one_email(
    held_notifier: RunningWorker, clock: HeldClock, mail: MailCatcher
) -> None:
    notifier = held_notifier
    await _tell(
        notifier,
        person("ana@example.org", services=["email"], digest_every="PT1H"),
        person("bob@example.org", services=["email"]),
    )
    titles = ["Webmail is slow", "Some messages arrive late", "Spam filter is lenient"]
    for minute, title in zip((30, 35, 40), titles, strict=True):
        clock.now = datetime(2025, 11, 24, 21, minute, tzinfo=UTC)
        await _tell(notifier, opened(incident(component=None, impact="minor", title=title)))
    # A major incident is never gathered.
    await _tell(notifier, opened(incident(component=None, title="Nothing works")))

    await eventually(lambda: _sent(notifier, 5))
    assert sorted(m.recipients[0] for m in mail.mails) == [
        "ana@example.org",
        *["bob@example.org"] * 4,
    ]
    (major,) = [m.message for m in mail.mails if m.recipients[0] == "ana@example.org"]
    assert "Nothing works" in major["Subject"]
    waiting = [row for row in await deliveries(notifier.sessions) if row.state == "pending"]
    assert [(row.kind, row.next_attempt_at) for row in waiting] == [
        ("digest", datetime(2025, 11, 24, 22, 0, tzinfo=UTC))
    ]

    clock.now = datetime(2025, 11, 24, 22, 0, tzinfo=UTC)

    await eventually(lambda: _sent(notifier, 6))
    assert len(mail.mails) == 6
    digest = mail.mails[5]
    assert digest.recipients == ("ana@example.org",)
    message = digest.message
    assert message["Subject"] == (
        "Minor incidents: 3 notices since Monday 24 November 2025 at 21:00 UTC"
    )
    text, html = bodies(message)
    for body in (text, html):
        positions = [body.index(title) for title in titles]
        assert positions == sorted(positions)
        assert "Nothing works" not in body


async def _count_sent(notifier: RunningWorker) -> int:
    async with notifier.sessions() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.state == "sent")
            )
            or 0
        )


@pytest.mark.parametrize(
    ("now", "zone", "start", "end", "expected"),
    [
        # Spanning midnight, before it and after it.
        (
            datetime(2025, 11, 24, 21, 30, tzinfo=UTC),
            "Europe/Paris",
            time(22),
            time(7),
            datetime(2025, 11, 25, 6, 0, tzinfo=UTC),
        ),
        (
            datetime(2025, 11, 25, 5, 0, tzinfo=UTC),
            "Europe/Paris",
            time(22),
            time(7),
            datetime(2025, 11, 25, 6, 0, tzinfo=UTC),
        ),
        # Outside; and the end itself is no longer quiet.
        (datetime(2025, 11, 24, 12, 0, tzinfo=UTC), "Europe/Paris", time(22), time(7), None),
        (datetime(2025, 11, 25, 6, 0, tzinfo=UTC), "Europe/Paris", time(22), time(7), None),
        # Within a day; summer time in Paris (UTC+2).
        (
            datetime(2025, 7, 1, 11, 0, tzinfo=UTC),
            "Europe/Paris",
            time(12),
            time(14),
            datetime(2025, 7, 1, 12, 0, tzinfo=UTC),
        ),
        # The night DST ends in Paris (26 October 2025, 03:00 CEST becomes 02:00 CET).
        (
            datetime(2025, 10, 25, 21, 0, tzinfo=UTC),
            "Europe/Paris",
            time(22),
            time(7),
            datetime(2025, 10, 26, 6, 0, tzinfo=UTC),
        ),
    ],
)
def test_quiet_until(
    now: datetime, zone: str, start: time, end: time, expected: datetime | None
) -> None:
    assert quiet_until(now=now, timezone=zone, start=start, end=end) == expected
    if expected is not None:
        assert (
            quiet_until(now=expected - timedelta(seconds=1), timezone=zone, start=start, end=end)
            == expected
        )


def test_a_digest_speaks_the_recipients_language_and_time() -> None:
    notices = [
        ("opened", datetime(2025, 11, 24, 21, 30, tzinfo=UTC), incident(component=None)),
        ("resolved", datetime(2025, 11, 24, 21, 50, tzinfo=UTC), incident(component=None)),
    ]
    message = compose_digest(
        notices=notices,
        recipient=Recipient(email="ana@example.org", timezone="Europe/Paris", language="fr"),
        sender="Candor <candor@example.org>",
        message_id="<digest@example.org>",
        public_url="https://status.example.org",
        since=datetime(2025, 11, 24, 21, 0, tzinfo=UTC),
        now=datetime(2025, 11, 24, 22, 0, tzinfo=UTC),
    )

    assert message["Subject"] == (
        "Incidents mineurs : 2 avis depuis le lundi 24 novembre 2025 à 22:00 CET"
    )
    assert message["Content-Language"] == "fr"
    text, _ = bodies(message)
    assert "lundi 24 novembre 2025 à 22:30 CET" in text
    assert "Ouvert" in text
    assert "Résolu" in text


def test_a_digest_period_is_cut_from_the_epoch() -> None:
    assert period_of(datetime(2025, 11, 24, 21, 37, tzinfo=UTC), timedelta(hours=1)) == (
        datetime(2025, 11, 24, 21, 0, tzinfo=UTC),
        datetime(2025, 11, 24, 22, 0, tzinfo=UTC),
    )
    assert period_of(datetime(2025, 11, 24, 22, 0, tzinfo=UTC), timedelta(minutes=15)) == (
        datetime(2025, 11, 24, 22, 0, tzinfo=UTC),
        datetime(2025, 11, 24, 22, 15, tzinfo=UTC),
    )
