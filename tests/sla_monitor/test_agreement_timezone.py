"""An agreement naming an unknown timezone never reaches sla-monitor's rounds.

The contract refuses the zone (``AgreementTerms.timezone`` is checked with zoneinfo), so an
event written before that check existed, still on the catalog topic, is dead-lettered when
sla-monitor reads it, with the reason; the service keeps the agreement it had, and the
events after it are handled. An agreement stored before the check (a leftover in the table)
is skipped by the budget round with a warning, and the others are evaluated.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from candor_dev.ports import free_port
from candor_shared.contract import AgreementTerms, Topics, to_kafka
from candor_shared.db import transaction
from candor_shared.kafka import new_producer
from candor_sla_monitor.agreements import repository as agreements
from candor_sla_monitor.agreements.models import Agreement
from candor_sla_monitor.budget.models import BudgetAlert
from candor_sla_monitor.budget.router import create_router as create_budget_router
from candor_sla_monitor.budget.service import evaluate_all
from candor_sla_monitor.ledger.facts_router import create_router
from candor_sla_monitor.reports.models import MonthlyReport
from candor_sla_monitor.reports.schedule import MonthlyReports
from candor_sla_monitor.settings import SlaSettings
from candor_sla_monitor.worker import create_worker
from tests.conftest import RunningWorker, eventually
from tests.kafka_helpers import read_raw
from tests.sla_monitor.deadline_helpers import TestClock, agreement
from tests.sla_monitor.helpers import (
    at,
    consumers_joined,
    opened,
    publish,
    snapshot,
    wait_handled,
)

MONTHLY = {"availability": {"adequate_percent": 99.5}}


@pytest.fixture
async def sla(make_settings: Callable[..., Any]) -> AsyncIterator[RunningWorker]:
    settings: SlaSettings = make_settings(SlaSettings, "sla-monitor", sla_monitor_port=free_port())
    running = RunningWorker(create_worker(settings, serve_http=False, clock=TestClock("12:00")))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def test_the_contract_refuses_unknown_zones_in_both_places() -> None:
    assert AgreementTerms(timezone="Europe/Paris").timezone == "Europe/Paris"
    for zone in ("Mars/Olympus", "Europe", "", "../etc/passwd", "Europe/Paris ", "x" * 300):
        with pytest.raises(ValueError, match="timezone"):
            AgreementTerms(timezone=zone)
        with pytest.raises(ValueError, match=r"business_hours\.timezone"):
            AgreementTerms.model_validate({"business_hours": {"timezone": zone}})


async def test_an_old_event_with_an_unknown_zone_is_dead_lettered_and_changes_nothing(
    sla: RunningWorker,
) -> None:
    settings = sla.settings
    topics = Topics(settings.kafka_topic_prefix)
    good = agreement({}, version=1, timezone="Europe/Paris", **MONTHLY)
    # Version 2 as a producer without the check wrote it: the same bytes but the zone.
    key, value, headers = to_kafka(agreement({}, version=2, timezone="Europe/Paris", **MONTHLY))
    data = json.loads(value)
    data["agreement"]["timezone"] = "Mars/Olympus"
    unknown_zone = json.dumps(data).encode()
    later = agreement({}, version=3, timezone="Asia/Tokyo", **MONTHLY)

    await eventually(lambda: consumers_joined(sla.worker), timeout=30)
    producer = new_producer(settings, client_id="tests")
    await producer.start()
    try:
        for record in (to_kafka(good), (key, unknown_zone, headers)):
            await producer.send_and_wait(
                topics.catalog, key=record[0], value=record[1], headers=record[2]
            )
        await wait_handled(sla.worker, 1)
        [parked] = await read_raw(
            settings.kafka_bootstrap, Topics.dead_letter(topics.catalog), count=1, timeout=30
        )
        # The service keeps version 1: the refused event changed nothing.
        assert await _terms(sla) == (1, "Europe/Paris")

        key, value, headers = to_kafka(later)
        await producer.send_and_wait(topics.catalog, key=key, value=value, headers=headers)
    finally:
        await producer.stop()
    await wait_handled(sla.worker, 2)
    assert await _terms(sla) == (3, "Asia/Tokyo")

    reasons = dict(parked.headers)
    assert b"timezone" in reasons["candor_dlt_error"]
    assert b"not an IANA timezone name" in reasons["candor_dlt_error"]
    assert parked.value == unknown_zone  # parked as it came, to be looked at or replayed


async def test_a_stored_agreement_with_an_unknown_zone_is_skipped_by_the_budget_round(
    sla: RunningWorker,
) -> None:
    # Two services down since 11:00 with a 99.5 % monthly objective; one of them was stored
    # before the contract checked zones. The round skips it and still alerts on the other.
    async with transaction(sla.sessions) as session:
        for slug, zone in (("email", "Mars/Olympus"), ("vpn", "Europe/Paris")):
            await agreements.upsert(
                session,
                service_id=f"svc-{slug}",
                service_slug=slug,
                name=slug.upper(),
                terms={"timezone": zone, **MONTHLY},
                version=1,
            )
    vpn = snapshot("0195f0c2-cccc-7000-8000-00000000000c", version=1, started="11:00")
    vpn = vpn.model_copy(update={"service": vpn.service.model_copy(update={"slug": "vpn"})})
    email = snapshot("0195f0c2-dddd-7000-8000-00000000000d", version=1, started="11:00")
    await publish(sla.worker, opened(vpn), opened(email))
    await wait_handled(sla.worker, 2)

    published = await evaluate_all(sessions=sla.sessions, now=at("12:00"), at_risk_share=0.75)

    assert published > 0
    async with sla.sessions() as session:
        firing = {
            row.service_slug
            for row in await session.scalars(select(BudgetAlert).where(BudgetAlert.firing))
        }
    assert firing == {"vpn"}


async def _terms(sla: RunningWorker) -> tuple[int, str] | None:
    async with sla.sessions() as session:
        row = (await session.scalars(select(Agreement))).one_or_none()
    if row is None or row.terms is None:
        return None
    return row.version, row.terms["timezone"]


async def _store_email_with_unknown_zone_and_vpn(sla: RunningWorker) -> None:
    async with transaction(sla.sessions) as session:
        for slug, zone in (("email", "Mars/Olympus"), ("vpn", "Europe/Paris")):
            await agreements.upsert(
                session,
                service_id=f"svc-{slug}",
                service_slug=slug,
                name=slug.upper(),
                terms={"timezone": zone, **MONTHLY},
                version=1,
            )


async def test_a_stored_agreement_with_an_unknown_zone_does_not_hold_back_final_reports(
    sla: RunningWorker,
) -> None:
    # Email's agreement was stored before the contract checked zones: its month cannot be
    # worked out, so the schedule skips it; VPN still gets March's final report.
    await _store_email_with_unknown_zone_and_vpn(sla)
    clock = TestClock("12:00")
    schedule = MonthlyReports(
        sessions=sla.sessions, clock=clock, poll_seconds=60, final_delay=timedelta(minutes=10)
    )

    assert await schedule.pass_once() == 0
    clock.set("2026-03-31T22:10:00+00:00")  # March in Paris closed at 22:00 UTC
    assert await schedule.pass_once() == 1

    async with sla.sessions() as session:
        rows = {
            (row.service_slug, row.period): row.published_at
            for row in await session.scalars(select(MonthlyReport))
        }
    assert rows[("vpn", "2026-03")] == at("2026-03-31T22:10:00+00:00")
    assert ("vpn", "2026-04") in rows
    assert not [key for key in rows if key[0] == "email"]


async def test_the_facts_of_a_stored_agreement_with_an_unknown_zone_say_why_it_is_left_out(
    sla: RunningWorker,
) -> None:
    await _store_email_with_unknown_zone_and_vpn(sla)
    app = FastAPI()
    app.include_router(create_router(sessions=sla.sessions, clock=TestClock("12:00")))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sla") as http:
        email = await http.get("/v1/services/email/facts")
        vpn = await http.get("/v1/services/vpn/facts")

    assert email.status_code == 200, email.text
    body = email.json()
    assert body["agreement"] is None
    assert "timezone" in body["agreement_invalid"]
    assert "not an IANA timezone name" in body["agreement_invalid"]
    assert [window["days"] for window in body["windows"]] == [7, 30, 90, 365]
    # A valid agreement is answered as before, with nothing to explain.
    assert vpn.status_code == 200, vpn.text
    assert vpn.json()["agreement"]["timezone"] == "Europe/Paris"
    assert vpn.json()["agreement_invalid"] is None


async def test_the_budget_of_a_stored_agreement_with_an_unknown_zone_is_a_404_saying_why(
    sla: RunningWorker,
) -> None:
    await _store_email_with_unknown_zone_and_vpn(sla)
    app = FastAPI()
    app.include_router(
        create_budget_router(sessions=sla.sessions, clock=TestClock("12:00"), at_risk_share=0.75)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sla") as http:
        email = await http.get("/v1/services/email/budget")
        vpn = await http.get("/v1/services/vpn/budget")

    assert email.status_code == 404, email.text
    assert "no longer validates" in email.json()["detail"]
    assert "not an IANA timezone name" in email.json()["detail"]
    assert vpn.status_code == 200, vpn.text
    assert vpn.json()["timezone"] == "Europe/Paris"


async def test_a_groups_agreement_with_an_unknown_zone_does_not_hold_back_the_services_own(
    sla: RunningWorker,
) -> None:
    # VPN's own agreement is valid; its agreement with Finance was stored before the
    # contract checked zones. The round skips Finance's and still alerts on VPN's own.
    async with transaction(sla.sessions) as session:
        await agreements.upsert(
            session,
            service_id="svc-vpn",
            service_slug="vpn",
            name="VPN",
            terms={"timezone": "Europe/Paris", **MONTHLY},
            version=1,
            group_agreements={
                "g-finance": {
                    "name": "Finance",
                    "terms": {"timezone": "Mars/Olympus", **MONTHLY},
                }
            },
        )
    vpn = snapshot("0195f0c2-cccc-7000-8000-00000000000c", version=1, started="11:00")
    vpn = vpn.model_copy(update={"service": vpn.service.model_copy(update={"slug": "vpn"})})
    await publish(sla.worker, opened(vpn))
    await wait_handled(sla.worker, 1)

    published = await evaluate_all(sessions=sla.sessions, now=at("12:00"), at_risk_share=0.75)

    assert published > 0
    async with sla.sessions() as session:
        firing = {
            (row.service_slug, row.group_id)
            for row in await session.scalars(select(BudgetAlert).where(BudgetAlert.firing))
        }
    assert firing == {("vpn", "")}
