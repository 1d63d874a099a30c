"""End to end: a group of users with an agreement of its own keeps its rhythm, and users
never get two holding updates at once.

The Finance department's agreement promises a major incident's users an update every 30
minutes; the service's own agreement promises one every ``service_every``. Both set update
deadlines on the incident (ids apart), but holding updates go to the incident's whole
audience: one holding update answers both. Every holding update delivered is a
communication that meets both agreements' rounds in progress, so the 30-minute rhythm
leads. With the service's own term at 33 minutes, its first round falls due at 10:33 and
its ``update_due`` comes at 10:28, before the 10:30 holding update has gone out: the
notifier must see that a holding update was planned since that deadline's clock started
(rather than send a second one at 10:33). Same setting and helpers as ``test_rhythm.py``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.sla.models import HoldingUpdate
from candor_shared.contract import ServiceUpserted, SubscriberUpserted, new_event
from tests.conftest import RunningWorker, eventually
from tests.e2e.test_rhythm import (
    A,
    _at_least,
    _at_minute,
    _heard,
    _sent_at,
    _walk,
    clock,
    services,
)
from tests.notifier.helpers import handled_events
from tests.sla_monitor.deadline_helpers import deadline_rows, incident, opened_at, send
from tests.sla_monitor.helpers import SERVICE, at, wait_handled

__all__ = ["clock", "services"]  # the fixtures, shared with test_rhythm.py

FINANCE = "0195f0c2-f1f1-7000-8000-0000000000f1"


def with_finance(service_every: str) -> Any:
    data = ServiceUpserted.model_validate(
        {
            "id": SERVICE.id,
            "slug": SERVICE.slug,
            "name": SERVICE.name,
            "agreement": {
                "terms": {
                    "major": {"first_communication_within": "PT15M", "update_every": service_every}
                }
            },
            "group_agreements": {
                FINANCE: {
                    "terms": {
                        "major": {
                            "first_communication_within": "PT15M",
                            "update_every": "PT30M",
                        }
                    }
                }
            },
            "group_names": {FINANCE: "Finance department"},
        }
    )
    return new_event(data, source="/tests", key=SERVICE.id)


async def _decisions(sessions: Any) -> dict[str, str]:
    async with sessions() as session:
        rows = await session.scalars(select(HoldingUpdate))
        return {row.deadline_id.removeprefix(f"{A}:"): row.outcome for row in rows}


@pytest.mark.parametrize("service_every", ["PT1H", "PT33M"])
async def test_one_holding_update_per_minute_whatever_the_agreements(
    services: tuple[RunningWorker, RunningWorker], mail: MailCatcher, service_every: str
) -> None:
    sla, notifier = services
    follower = SubscriberUpserted(
        id=str(uuid.uuid4()), email="ana@example.org", services=["email"], timezone="Europe/Paris"
    )
    await send(
        sla.worker,
        "catalog",
        with_finance(service_every),
        new_event(follower, source="/tests", key=follower.id),
    )
    await wait_handled(sla.worker, 1)
    await eventually(lambda: _at_least(handled_events(notifier.sessions), 2))
    await _at_minute(sla, "10:00")
    await send(sla.worker, "incident", opened_at(incident(A, version=1, opened="10:00"), "10:00"))
    await eventually(lambda: len(mail.mails) == 1)
    await _heard(sla, at("10:00"))

    await _walk(sla, mail, until="11:35", holding_at=["10:30", "11:00", "11:30"])

    await notifier.stop()
    assert _sent_at(mail) == ["10:00", "10:30", "11:00", "11:30"]
    rows = {row.id.removeprefix(f"{A}:"): row for row in await deadline_rows(sla.worker)}
    # Finance's rounds are the rhythm; each holding update met the service's round too.
    assert rows[f"{FINANCE}:update:2"].met_at == at("10:30")
    assert rows[f"{FINANCE}:update:3"].met_at == at("11:00")
    assert rows["update:2"].met_at == at("10:30")
    assert rows["update:3"].met_at == at("11:00")
    assert all(row.breached_published_at is None for row in rows.values())
    decisions = await _decisions(notifier.sessions)
    if service_every == "PT33M":
        # The service's own round 2 (from 10:00, due 10:33) asked at 10:28: superseded by the
        # holding update planned at 10:25 for Finance's 10:30.
        assert decisions["update:2"] == "superseded"
        assert decisions[f"{FINANCE}:update:2"] == "planned"
    assert sorted(o for o in decisions.values() if o == "planned") == ["planned"] * 3
