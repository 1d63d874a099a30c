"""End to end on one controllable clock: sla-monitor and the notifier keep users informed at
the agreed rhythm. The notifier's delivery facts start sla-monitor's clocks; sla-monitor's
``update_due`` makes the notifier send a holding update when operators are silent — at its
minute, once — and an operator's update moves the next one.

Times are on Monday 2 March 2026, UTC; the follower reads Paris time (CET, UTC+1). The Email
service promises, for major incidents, a first communication within 15 minutes and an update
every 30 minutes; sla-monitor publishes ``update_due`` 5 minutes (its default lead) before
each update deadline, and the notifier sends the holding update at the deadline's own minute.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from candor_dev.mailcatcher import MailCatcher
from candor_dev.ports import free_port
from candor_notifier.worker import create_worker as create_notifier
from candor_shared.contract import SubscriberUpserted, new_event
from candor_sla_monitor.settings import SlaSettings
from candor_sla_monitor.worker import create_worker as create_sla_monitor
from tests.conftest import RunningWorker, eventually
from tests.notifier.helpers import bodies, handled_events
from tests.sla_monitor.deadline_helpers import (
    TestClock,
    agreement,
    deadline_rows,
    incident,
    opened_at,
    scheduler_of,
    send,
    updated_at,
)
from tests.sla_monitor.helpers import at, wait_handled

A = str(uuid.UUID(int=0xA))
TERMS = {"first_communication_within": "PT15M", "update_every": "PT30M"}
TITLE = "Outgoing mail is not being delivered"


@pytest.fixture
def clock() -> TestClock:
    return TestClock("09:50")


@pytest.fixture
async def services(
    make_settings: Callable[..., Any], notifier_settings: Any, clock: TestClock
) -> AsyncIterator[tuple[RunningWorker, RunningWorker]]:
    """sla-monitor and the notifier on the test's broker and clock."""
    sla_settings = make_settings(
        SlaSettings, "sla-monitor", sla_monitor_port=free_port(), deadline_poll_seconds=0.1
    )
    sla = RunningWorker(create_sla_monitor(sla_settings, serve_http=False, clock=clock))
    notifier = RunningWorker(create_notifier(notifier_settings, serve_http=False, clock=clock))
    await sla.start()
    await notifier.start()
    try:
        yield sla, notifier
    finally:
        await notifier.stop()
        await sla.stop()


async def _setup(sla: RunningWorker, notifier: RunningWorker, mail: MailCatcher) -> None:
    """The agreement and one follower in Paris; incident A opened at 10:00 and told."""
    follower = SubscriberUpserted(
        id=str(uuid.uuid4()),
        email="ana@example.org",
        services=["email"],
        timezone="Europe/Paris",
    )
    await send(
        sla.worker,
        "catalog",
        agreement({"major": TERMS}),
        new_event(follower, source="/tests", key=follower.id),
    )
    await wait_handled(sla.worker, 1)
    await eventually(lambda: _at_least(handled_events(notifier.sessions), 2))
    await _at_minute(sla, "10:00")
    await send(sla.worker, "incident", opened_at(incident(A, version=1, opened="10:00"), "10:00"))
    await eventually(lambda: len(mail.mails) == 1)
    await _heard(sla, at("10:00"))


async def _at_minute(sla: RunningWorker, minute: str | datetime) -> None:
    clock = scheduler_of(sla.worker).clock
    assert isinstance(clock, TestClock)
    clock.set(minute)
    await scheduler_of(sla.worker).run_once()


async def _heard(sla: RunningWorker, when: datetime) -> None:
    """Wait until sla-monitor counts ``when`` as a communication: a deadline met then."""

    async def met() -> bool:
        return any(row.met_at == when for row in await deadline_rows(sla.worker))

    await eventually(met)


async def _walk(
    sla: RunningWorker, mail: MailCatcher, *, until: str, holding_at: list[str]
) -> None:
    """Move the clock a minute at a time from 10:01 to ``until``; at each minute of
    ``holding_at`` one more email must arrive, at no other minute."""
    minute = at("10:01")
    while minute <= at(until):
        before = len(mail.mails)
        await _at_minute(sla, minute)
        if minute.strftime("%H:%M") in holding_at:
            await eventually(lambda before=before: len(mail.mails) == before + 1)
            await _heard(sla, minute)
        minute += timedelta(minutes=1)


def _sent_at(mail: MailCatcher) -> list[str]:
    """The minute each email was written, by its Date header (the notifier's clock), UTC."""
    return [parsedate_to_datetime(str(m.message["Date"])).strftime("%H:%M") for m in mail.mails]


async def test_with_no_operator_update_a_holding_update_goes_out_at_its_minute_once(
    services: tuple[RunningWorker, RunningWorker], mail: MailCatcher
) -> None:
    sla, notifier = services
    await _setup(sla, notifier, mail)

    # Round 1: heard at 10:00, due 10:30, update_due at 10:25: the holding update is planned
    # then and goes out at 10:30 (not 10:29, not 10:45); delivered within its due minute, it
    # is the communication that meets round 2, due 11:00; round 3 is due 11:30.
    await _walk(sla, mail, until="11:05", holding_at=["10:30", "11:00"])

    await notifier.stop()
    assert _sent_at(mail) == ["10:00", "10:30", "11:00"]
    first, second = (bodies(m.message)[0] for m in mail.mails[1:])
    assert mail.mails[1].message["Subject"] == f"[Investigating] No change: Email — {TITLE}"
    assert (
        f"No change since 11:00 CET: engineers are still working on “{TITLE}”; "
        "next update by 12:00 CET."
    ) in " ".join(first.split())
    assert "No change since 11:30 CET" in second
    assert "next update by 12:30 CET." in second
    rows = {row.id.removeprefix(f"{A}:"): row for row in await deadline_rows(sla.worker)}
    assert (rows["update:1"].outcome, rows["update:1"].met_at) == ("met", at("10:00"))
    assert (rows["update:2"].outcome, rows["update:2"].met_at) == ("met", at("10:30"))
    assert (rows["update:3"].outcome, rows["update:3"].met_at) == ("met", at("11:00"))
    assert rows["update:4"].due_at == at("11:30")
    assert all(row.breached_published_at is None for row in rows.values())


async def test_an_operator_update_at_minute_20_moves_the_holding_update(
    services: tuple[RunningWorker, RunningWorker], mail: MailCatcher
) -> None:
    sla, notifier = services
    await _setup(sla, notifier, mail)
    await _walk(sla, mail, until="10:19", holding_at=[])

    await _at_minute(sla, "10:20")
    told = incident(A, version=2, opened="10:00")
    update = updated_at(told, "10:20", message="A full disk stops outgoing mail.")
    await send(sla.worker, "incident", update)
    await eventually(lambda: len(mail.mails) == 2)
    await _heard(sla, at("10:20"))

    # Heard again at 10:20: due 10:50 (update_due at 10:45), so the holding update goes out
    # at 10:50 — not at 10:30.
    minute = at("10:21")
    while minute <= at("10:55"):
        before = len(mail.mails)
        await _at_minute(sla, minute)
        if minute == at("10:50"):
            await eventually(lambda before=before: len(mail.mails) == before + 1)
            await _heard(sla, minute)
        minute += timedelta(minutes=1)

    await notifier.stop()
    assert _sent_at(mail) == ["10:00", "10:20", "10:50"]
    holding = bodies(mail.mails[2].message)[0]
    assert "No change since 11:20 CET" in holding
    assert "next update by 12:20 CET." in holding


async def _at_least(count: Any, expected: int) -> bool:
    return bool(await count >= expected)
