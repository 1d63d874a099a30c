"""Helpers of the deadline tests: a clock the test moves, events stamped with its times, the
deadlines' rows and what they fired."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from candor_shared.contract import (
    CloudEvent,
    EventData,
    IncidentOpened,
    IncidentReopened,
    IncidentResolved,
    IncidentSnapshot,
    IncidentUpdated,
    ServiceUpserted,
    Topics,
    new_event,
    to_kafka,
)
from candor_shared.contract.sla import NoticeDelivered
from candor_shared.kafka import new_producer
from candor_shared.worker import Worker
from candor_sla_monitor.deadlines.models import IncidentDeadline
from candor_sla_monitor.deadlines.scheduler import DeadlineScheduler
from tests.conftest import eventually
from tests.sla_monitor.helpers import SERVICE, at, consumers_joined, sessions_of


class TestClock:
    """A clock that stands still until the test moves it."""

    __test__ = False

    def __init__(self, now: str) -> None:
        self.now = at(now)

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: str | datetime) -> datetime:
        self.now = at(now) if isinstance(now, str) else now
        return self.now


def stamped(data: EventData, key: str, when: str | datetime) -> CloudEvent[Any]:
    """An event of ``data`` keyed ``key``, stamped at ``when`` (the time of the change)."""
    moment = at(when) if isinstance(when, str) else when
    return new_event(data, source="/tests", key=key).model_copy(update={"time": moment})


def incident(
    incident_id: str,
    *,
    version: int,
    opened: str,
    started: str | None = None,
    impact: str = "major",
    acknowledged: str | None = None,
    resolved: str | None = None,
    reopened: int = 0,
) -> IncidentSnapshot:
    """An incident of the Email service as its events carry it."""
    return IncidentSnapshot.model_validate(
        {
            "id": incident_id,
            "version": version,
            "service": SERVICE,
            "status": "resolved" if resolved else "investigating",
            "impact": impact,
            "title": "Outgoing mail is not being delivered",
            "started_at": at(started or opened),
            "opened_at": at(opened),
            "resolved_at": at(resolved) if resolved else None,
            "acknowledged_at": at(acknowledged) if acknowledged else None,
            "firing_alerts": 0 if resolved else 1,
            "reopened": reopened,
        }
    )


def opened_at(snapshot: IncidentSnapshot, when: str) -> CloudEvent[Any]:
    return stamped(IncidentOpened(incident=snapshot), snapshot.id, when)


def updated_at(
    snapshot: IncidentSnapshot, when: str, *, kind: str = "update", message: str = ""
) -> CloudEvent[Any]:
    data = IncidentUpdated.model_validate(
        {"incident": snapshot, "kind": kind, "actor": "Ada", "public_message": message}
    )
    return stamped(data, snapshot.id, when)


def resolved_at(snapshot: IncidentSnapshot, when: str) -> CloudEvent[Any]:
    return stamped(IncidentResolved(incident=snapshot), snapshot.id, when)


def reopened_at(snapshot: IncidentSnapshot, when: str, *, previous: str) -> CloudEvent[Any]:
    data = IncidentReopened(incident=snapshot, previous_resolved_at=at(previous))
    return stamped(data, snapshot.id, when)


def notice(incident_id: str, when: str, *, kind: str = "update", notice_id: str = "") -> Any:
    """The notifier's fact that users started to receive a notice at ``when``."""
    data = NoticeDelivered.model_validate(
        {
            "incident_id": incident_id,
            "service_slug": SERVICE.slug,
            "kind": kind,
            "notice_id": notice_id or f"{incident_id}:{kind}:{when}",
            "first_delivered_at": at(when),
            "recipients": 3,
        }
    )
    return stamped(data, incident_id, when)


def agreement(terms: dict[str, Any], *, version: int = 1, **more: Any) -> CloudEvent[Any]:
    """The Email service with agreement ``terms`` (per severity) and ``more`` of it."""
    data = ServiceUpserted.model_validate(
        {
            "id": SERVICE.id,
            "slug": SERVICE.slug,
            "name": SERVICE.name,
            "agreement": {"terms": terms, **more},
            "version": version,
        }
    )
    return new_event(data, source="/tests", key=SERVICE.id)


async def send(worker: Worker, topic: str, *events: CloudEvent[Any]) -> None:
    """Send ``events`` in order to the logical ``topic`` (incident, catalog, delivery)."""
    await eventually(lambda: consumers_joined(worker), timeout=30)
    producer = new_producer(worker.settings, client_id="tests")
    await producer.start()
    try:
        name = getattr(Topics(worker.settings.kafka_topic_prefix), topic)
        for event in events:
            key, value, headers = to_kafka(event)
            await producer.send_and_wait(name, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


def scheduler_of(worker: Worker) -> DeadlineScheduler:
    """The worker's deadline scheduler (its task is the scheduler's ``run``)."""
    assert worker.parts is not None
    for task in worker.parts.tasks:
        owner = getattr(task, "__self__", None)
        if isinstance(owner, DeadlineScheduler):
            return owner
    raise AssertionError("the worker runs no deadline scheduler")


async def deadline_rows(worker: Worker) -> list[IncidentDeadline]:
    """Every deadline row, by id."""
    async with sessions_of(worker)() as session:
        return list(await session.scalars(select(IncidentDeadline).order_by(IncidentDeadline.id)))


@dataclass(frozen=True, order=True)
class Fired:
    """One event a deadline fired: which, of which deadline (``term:round`` of an
    incident named by a letter), at which minute."""

    when: datetime
    deadline: str
    kind: str


def fired(rows: Iterable[IncidentDeadline], names: dict[str, str]) -> set[Fired]:
    """What the rows say they fired; ``names`` maps incident ids to short names."""
    found = set()
    for row in rows:
        name = f"{names.get(row.incident_id, row.incident_id)}:{row.term}:{row.round}"
        for kind, when in (
            ("update_due", row.update_due_published_at),
            ("at_risk", row.at_risk_published_at),
            ("breached", row.breached_published_at),
        ):
            if when is not None:
                found.add(Fired(when, name, kind))
    return found


_KINDS = {
    "candor.sla.update_due.v1": "update_due",
    "candor.sla.at_risk.v1": "at_risk",
    "candor.sla.breached.v1": "breached",
}


def fired_on_topic(events: Iterable[CloudEvent[Any]], names: dict[str, str]) -> list[Fired]:
    """The deadline events read back from the SLA topic, as :class:`Fired`, in time order."""
    found = []
    for event in events:
        kind = _KINDS.get(event.type)
        if kind is None:
            continue
        deadline = event.data.deadline
        incident_id, term, number = deadline.deadline_id.rsplit(":", 2)
        found.append(
            Fired(event.time, f"{names.get(incident_id, incident_id)}:{term}:{number}", kind)
        )
    return sorted(found)
