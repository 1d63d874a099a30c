"""sla-monitor killed (SIGKILL) while a deadline is pending: after a restart it fires, once.

sla-monitor runs as a process of its own (``python -m candor_sla_monitor run``) on the real
clock: the process has no clock to move. The deadlines are made short by their facts
instead: the incidents were opened in the past (their events say so), so that with the
shortest terms the contract accepts (a minute) each deadline falls due seconds after the
test sent it. ``CANDOR_FAILPOINTS`` kills the process at two precise steps of the outbox.

Terms: critical incidents must be acknowledged within 1 minute; major ones must reach users
within 2 minutes (update due 60 seconds before, at risk at 60 % of the time, 72 seconds).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from candor_dev.ports import free_port
from candor_shared.clock import utcnow
from candor_shared.contract import CloudEvent, IncidentOpened, Topics, to_kafka
from candor_shared.db import create_engine, session_factory
from candor_shared.kafka import new_producer
from candor_sla_monitor.deadlines.models import IncidentDeadline
from candor_sla_monitor.models import OutboxRecord
from candor_sla_monitor.settings import SlaSettings
from tests.conftest import eventually
from tests.kafka_helpers import read_events, read_raw
from tests.processes import KILLED, SLOW, ServiceProcess, process_env
from tests.sla_monitor.deadline_helpers import Fired, agreement, fired_on_topic, incident, stamped

LEAD = timedelta(seconds=15)
"""How long after the test sends an incident its first deadline event falls due: time for
the process to record it and for the test to kill it before it fires."""

A = "0195f0c2-aaaa-7000-8000-00000000000a"
B = "0195f0c2-bbbb-7000-8000-00000000000b"
NAMES = {A: "A", B: "B"}
TERMS = {
    "major": {"first_communication_within": "PT2M"},
    "critical": {"acknowledge_within": "PT1M"},
}
_KINDS = {"update_due", "at_risk", "breached"}


def _sla_monitor(settings: SlaSettings, log: Path, *, failpoints: str = "") -> ServiceProcess:
    """``python -m candor_sla_monitor run`` with the test's settings."""
    env = process_env(settings, **({"failpoints": failpoints} if failpoints else {}))
    return ServiceProcess("candor_sla_monitor", env, log)


def _readyz(settings: SlaSettings) -> str:
    """Answers 200 once its consumers have joined and its database answers."""
    return f"http://127.0.0.1:{settings.sla_monitor_port}/readyz"


@pytest.fixture
def settings(make_settings: Callable[..., Any]) -> SlaSettings:
    built: SlaSettings = make_settings(
        SlaSettings,
        "sla-monitor",
        sla_monitor_port=free_port(),
        deadline_poll_seconds=0.2,
        deadline_update_lead_seconds=60,
        deadline_at_risk_share=0.6,
        # Nothing but the deadlines writes to the outbox in these tests.
        budget_evaluation_seconds=3600,
        report_poll_seconds=3600,
    )
    return built


@pytest.fixture
async def sessions(settings: SlaSettings) -> AsyncIterator[Any]:
    """Sessions on the processes' database, for the test to read what they wrote."""
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


def _opened(incident_id: str, *, impact: str, opened: datetime) -> CloudEvent[Any]:
    when = opened.isoformat()
    snapshot = incident(incident_id, version=1, opened=when, impact=impact)
    return stamped(IncidentOpened(incident=snapshot), incident_id, when)


async def _send(settings: SlaSettings, topic: str, *events: CloudEvent[Any]) -> None:
    producer = new_producer(settings, client_id="tests")
    await producer.start()
    try:
        name = getattr(Topics(settings.kafka_topic_prefix), topic)
        for event in events:
            key, value, headers = to_kafka(event)
            await producer.send_and_wait(name, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def _deadlines(sessions: Any) -> list[IncidentDeadline]:
    async with sessions() as session:
        return list(await session.scalars(select(IncidentDeadline).order_by(IncidentDeadline.id)))


async def _outbox_rows(sessions: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxRecord)) or 0)


async def _published(settings: SlaSettings) -> list[CloudEvent[Any]]:
    """Every deadline event on the SLA topic now (read up to its end offsets)."""
    topic = Topics(settings.kafka_topic_prefix).sla
    events = await read_events(settings.kafka_bootstrap, topic, count=None)
    return [e for e in events if e.type.removeprefix("candor.sla.").split(".")[0] in _KINDS]


def _per_deadline(events: list[CloudEvent[Any]]) -> Counter[tuple[str, str]]:
    return Counter((f.deadline, f.kind) for f in fired_on_topic(events, NAMES))


async def test_killed_while_deadlines_are_pending_they_fire_once_after_the_restart(
    settings: SlaSettings, sessions: Any, tmp_path: Path
) -> None:
    log = tmp_path / "sla-monitor.log"
    first, second, third = (_sla_monitor(settings, log) for _ in range(3))
    try:
        await first.start()
        await first.ready(_readyz(settings))
        await _send(settings, "catalog", agreement(TERMS))
        sent = utcnow()
        # A (major) reaches users within 2 minutes of 60 s ago + LEAD: update due at
        # sent + LEAD, at risk 12 s later. B (critical) was to be acknowledged within a
        # minute of 2 minutes ago + LEAD: already late, breached once its due minute is
        # over, at sent + LEAD.
        await _send(
            settings,
            "incident",
            _opened(A, impact="major", opened=sent - timedelta(seconds=60) + LEAD),
            _opened(B, impact="critical", opened=sent - timedelta(seconds=120) + LEAD),
        )
        rows = await eventually(lambda: _two_rows(sessions), timeout=SLOW)
        await first.kill()
        assert utcnow() < sent + LEAD, "the machine was too slow to kill before the deadline"
        assert [(row.update_due_published_at, row.breached_published_at) for row in rows] == [
            (None, None),
            (None, None),
        ]
        assert await _published(settings) == []

        # Down while both fell due; the restarted process fires what it finds in the table.
        await eventually(lambda: utcnow() > sent + LEAD, timeout=SLOW)
        await second.start()
        await eventually(lambda: _at_least(settings, 2), timeout=SLOW, interval=0.5)
        assert await second.terminate() == 0

        # A third process fires A's at-risk when it falls due, and nothing twice.
        await third.start()
        await eventually(lambda: _at_least(settings, 3), timeout=SLOW, interval=0.5)
        assert await third.terminate() == 0
        events = await _published(settings)
    finally:
        for process in (first, second, third):
            await process.kill()

    assert _per_deadline(events) == {
        ("A:first_communication:1", "update_due"): 1,
        ("A:first_communication:1", "at_risk"): 1,
        ("B:acknowledge:1", "breached"): 1,
    }
    assert len({event.id for event in events}) == len(events) == 3
    fired = {(f.deadline, f.kind): f.when for f in fired_on_topic(events, NAMES)}
    # Each stamped with the instant it fired: after the restart, never before its due time.
    assert fired[("A:first_communication:1", "update_due")] >= sent + LEAD
    assert fired[("B:acknowledge:1", "breached")] >= sent + LEAD
    rows = {row.incident_id: row for row in await _deadlines(sessions)}
    assert rows[B].outcome == "breached"
    assert rows[A].update_due_published_at == fired[("A:first_communication:1", "update_due")]
    assert await _outbox_rows(sessions) == 0


@pytest.mark.parametrize(
    ("failpoint", "published_before_restart"),
    [("outbox.before_publish", 0), ("outbox.before_delete", 1)],
)
async def test_killed_between_firing_and_the_broker_the_deadline_event_goes_out_once(
    settings: SlaSettings,
    sessions: Any,
    tmp_path: Path,
    failpoint: str,
    published_before_restart: int,
) -> None:
    """Killed once the breach is in the outbox (committed with the deadline's mark), before
    the relay sent it, or after the broker took it but before the relay forgot it."""
    log = tmp_path / "sla-monitor.log"
    doomed = _sla_monitor(settings, log, failpoints=failpoint)
    survivor = _sla_monitor(settings, log)
    try:
        await doomed.start()
        await doomed.ready(_readyz(settings))
        await _send(settings, "catalog", agreement(TERMS))
        sent = utcnow()
        # Breached 5 seconds ago: it fires as soon as the incident is recorded.
        await _send(
            settings,
            "incident",
            _opened(B, impact="critical", opened=sent - timedelta(seconds=125)),
        )
        assert await doomed.exited() == KILLED

        [row] = await _deadlines(sessions)
        assert row.breached_published_at is not None  # fired: marked with its outbox row
        assert await _outbox_rows(sessions) == 1  # ... which the relay did not delete
        assert len(await _published(settings)) == published_before_restart

        await survivor.start()
        await eventually(lambda: _outbox_empty(sessions), timeout=SLOW, interval=0.2)
        assert await survivor.terminate() == 0
        events = await _published(settings)
    finally:
        await doomed.kill()
        await survivor.kill()

    [row] = await _deadlines(sessions)
    # The deadline fired once: one event, one id, stamped when it was marked.
    assert {event.id for event in events} == {events[0].id}
    assert fired_on_topic(events, NAMES)[0] == Fired(
        row.breached_published_at, "B:acknowledge:1", "breached"
    )
    # Sent once when the kill came before the broker had it; twice (the same event, the
    # same id) when it came after: the relay cannot know the broker took it. Consumers skip
    # the copy by id (their inbox).
    assert len(events) == 1 + published_before_restart
    raw = await read_raw(
        settings.kafka_bootstrap, Topics(settings.kafka_topic_prefix).sla, count=None
    )
    assert len({record.value for record in raw}) == 1


async def _two_rows(sessions: Any) -> list[IncidentDeadline] | None:
    rows = await _deadlines(sessions)
    return rows if len(rows) == 2 else None


async def _at_least(settings: SlaSettings, count: int) -> list[CloudEvent[Any]] | None:
    events = await _published(settings)
    return events if len(events) >= count else None


async def _outbox_empty(sessions: Any) -> bool:
    return await _outbox_rows(sessions) == 0
