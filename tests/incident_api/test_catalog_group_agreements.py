"""Agreements per group of users: a service's terms with one group of subscribers, apart
from its own, at /v1/services/{slug}/agreements; each write publishes the service whole."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker

from candor_incident_api.catalog import repository as catalog
from candor_incident_api.catalog.models import Service
from candor_shared.contract import ServiceUpserted
from candor_shared.db import create_engine
from tests.conftest import RunningApi
from tests.kafka_helpers import read_events

OWN: dict[str, Any] = {
    "availability": {"adequate_percent": 99.0},
    "terms": {"major": {"update_every": "PT1H"}},
}
FINANCE: dict[str, Any] = {
    "timezone": "Europe/Paris",
    "availability": {"adequate_percent": 99.9, "desired_percent": 99.95},
    "terms": {"major": {"update_every": "PT30M", "acknowledge_within": "PT10M"}},
}


async def setup(operator: httpx.AsyncClient) -> tuple[str, str]:
    """Payroll with its own agreement, and the Finance and HR groups; their ids."""
    created = await operator.put("/v1/services/payroll", json={"name": "Payroll", "agreement": OWN})
    assert created.status_code == 201, created.text
    ids = []
    for name in ("Finance department", "HR"):
        group = await operator.post("/v1/groups", json={"name": name, "services": ["payroll"]})
        assert group.status_code == 201, group.text
        ids.append(group.json()["id"])
    return ids[0], ids[1]


def upserts(events: list[Any]) -> list[ServiceUpserted]:
    return [e.data for e in events if isinstance(e.data, ServiceUpserted)]


async def test_put_get_list_delete_and_each_change_publishes_the_service(
    operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    finance, _hr = await setup(operator)
    address = f"/v1/services/payroll/agreements/{finance}"
    assert (await operator.get(address)).status_code == 404  # no agreement yet

    created = await operator.put(address, json=FINANCE)
    assert created.status_code == 201, created.text
    assert created.json()["group"] == {"id": finance, "name": "Finance department"}
    assert created.json()["terms"]["terms"]["major"]["update_every"] == "PT30M"
    assert created.headers["etag"].endswith('-2"')
    same = await operator.put(address, json=FINANCE)
    assert same.status_code == 200
    assert same.headers["etag"] == created.headers["etag"]  # nothing changed: no new version

    listed = (await operator.get("/v1/services/payroll/agreements")).json()
    assert listed["service"]["availability"]["adequate_percent"] == 99.0
    assert [
        (g["group"]["name"], g["terms"]["availability"]["adequate_percent"])
        for g in listed["groups"]
    ] == [("Finance department", 99.9)]
    assert (await operator.get(address)).json() == created.json()
    # The service's own agreement is untouched, and a PUT of the service keeps the group's.
    assert (await operator.get("/v1/services/payroll/agreement")).json()["terms"]["major"][
        "update_every"
    ] == "PT1H"
    replaced = await operator.put(
        "/v1/services/payroll", json={"name": "Payroll (SAP)", "agreement": OWN}
    )
    assert replaced.status_code == 200

    deleted = await operator.delete(address)
    assert deleted.status_code == 204
    assert (await operator.get(address)).status_code == 404
    assert (await operator.delete(address)).status_code == 404

    # Payroll v1-v4 and the two groups.
    events = await read_events(broker, f"{topic_prefix}candor.catalog.v1", count=6, timeout=10)
    payroll = [data for data in upserts(events) if data.slug == "payroll"]
    assert [data.version for data in payroll] == [1, 2, 3, 4]
    assert payroll[0].group_agreements == {}
    with_finance = payroll[1]
    assert set(with_finance.group_agreements) == {finance}
    assert with_finance.group_names == {finance: "Finance department"}
    terms = with_finance.group_agreements[finance].terms["major"]
    assert terms.update_every == timedelta(minutes=30)
    assert payroll[2].name == "Payroll (SAP)"
    assert set(payroll[2].group_agreements) == {finance}
    assert payroll[3].group_agreements == {}
    assert payroll[3].group_names == {}


async def test_unknown_service_group_and_bad_terms_and_stale_versions(
    operator: httpx.AsyncClient,
) -> None:
    finance, hr = await setup(operator)
    unknown_group = "01a207cd-8501-733a-818b-9ecf802bbdf5"
    answers = {
        "no service": await operator.put(
            f"/v1/services/nothing/agreements/{finance}", json=FINANCE
        ),
        "no group": await operator.put(
            f"/v1/services/payroll/agreements/{unknown_group}", json=FINANCE
        ),
        "no agreement": await operator.get(f"/v1/services/payroll/agreements/{hr}"),
        "list, no service": await operator.get("/v1/services/nothing/agreements"),
    }
    assert {what: a.status_code for what, a in answers.items()} == dict.fromkeys(answers, 404)
    assert "group" in answers["no group"].json()["detail"]
    assert answers["no group"].headers["content-type"].startswith("application/problem+json")

    address = f"/v1/services/payroll/agreements/{finance}"
    for bad in (
        {"terms": {"major": {"update_every": "PT30S"}}},
        {"timezone": "Mars/Olympus"},
        {"availability": {"adequate_percent": 150}},
        {"business_hours": {"timezone": "Mars/Olympus"}},
        {"sla": 1},
    ):
        refused = await operator.put(address, json=bad)
        assert refused.status_code == 422, (bad, refused.text)
    assert (
        "timezone"
        in (await operator.put(address, json={"timezone": "Mars/Olympus"})).json()["detail"]
    )

    read = await operator.get("/v1/services/payroll")
    etag = read.headers["etag"]
    first = await operator.put(address, json=FINANCE, headers={"If-Match": etag})
    assert first.status_code == 201
    stale = await operator.put(
        address, json={**FINANCE, "timezone": "UTC"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    assert (await operator.delete(address, headers={"If-Match": etag})).status_code == 412
    fresh = await operator.delete(address, headers={"If-Match": first.headers["etag"]})
    assert fresh.status_code == 204


async def test_a_deleted_group_takes_its_agreements_along_and_the_service_is_published(
    operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    finance, hr = await setup(operator)
    assert (
        await operator.put(f"/v1/services/payroll/agreements/{finance}", json=FINANCE)
    ).status_code == 201
    assert (
        await operator.put(f"/v1/services/payroll/agreements/{hr}", json=OWN)
    ).status_code == 201
    assert (await operator.delete(f"/v1/groups/{finance}")).status_code == 204

    listed = (await operator.get("/v1/services/payroll/agreements")).json()
    assert [g["group"]["name"] for g in listed["groups"]] == ["HR"]
    # Payroll v1-v4, the two groups, the deletion.
    events = await read_events(broker, f"{topic_prefix}candor.catalog.v1", count=7, timeout=10)
    last = [data for data in upserts(events) if data.slug == "payroll"][-1]
    assert last.version == 4
    assert set(last.group_agreements) == {hr}


async def test_only_admins_write_and_viewers_read(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    finance, _hr = await setup(operator)
    address = f"/v1/services/payroll/agreements/{finance}"
    assert (await operator.put(address, json=FINANCE)).status_code == 201
    issued = await operator.post("/v1/tokens", json={"name": "a viewer", "role": "viewer"})
    async with api.client(token=issued.json()["token"]) as viewer:
        assert (await viewer.get(address)).status_code == 200
        assert (await viewer.get("/v1/services/payroll/agreements")).status_code == 200
        assert (await viewer.put(address, json=OWN)).status_code == 403
        assert (await viewer.delete(address)).status_code == 403


async def test_deleting_a_group_waits_for_a_catalog_write_in_flight_and_versions_after_it(
    operator: httpx.AsyncClient, api: RunningApi, databases: Any
) -> None:
    # Deleting a group publishes again each service that had an agreement with it, under a
    # new version. It must take the catalog's write lock like every other catalog write:
    # else it bumps the version it read before a concurrent write committed, and two
    # different states of the service go out under one version (sla-monitor keeps the first
    # and drops the other, as an old copy).
    if not databases.is_postgres:
        pytest.skip("writers race for real on PostgreSQL only")
    finance, _hr = await setup(operator)
    put = await operator.put(f"/v1/services/payroll/agreements/{finance}", json=FINANCE)
    assert put.headers["etag"].endswith('-2"')
    settings = api.settings
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            # A catalog write in flight: it holds the lock and moves Payroll to version 3.
            await catalog.lock_catalog(session)
            await session.execute(
                update(Service).where(Service.slug == "payroll").values(version=3)
            )
            deleting = asyncio.create_task(operator.delete(f"/v1/groups/{finance}"))
            await asyncio.sleep(0.5)
        deleted = await deleting
    finally:
        await engine.dispose()

    assert deleted.status_code == 204, deleted.text
    payroll = await operator.get("/v1/services/payroll")
    assert payroll.headers["etag"].endswith('-4"')
    assert (await operator.get("/v1/services/payroll/agreements")).json()["groups"] == []
