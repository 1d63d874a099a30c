"""Groups, component subscriptions, quiet hours and digests through the API: what is saved,
what is refused (and why), and the catalog events that tell the notifier."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from candor_shared.contract import GroupDeleted, GroupUpserted, SubscriberUpserted
from tests.kafka_helpers import read_events


@pytest.fixture
async def catalog(operator: httpx.AsyncClient) -> None:
    email = {
        "slug": "email",
        "name": "Email",
        "components": [
            {"slug": "outgoing", "name": "Outgoing mail"},
            {"slug": "webmail", "name": "Webmail"},
        ],
    }
    for body in (email, {"slug": "payroll", "name": "Payroll"}):
        response = await operator.post("/v1/services", json=body)
        assert response.status_code == 201, response.text


async def test_groups_components_and_preferences_are_saved_and_published(
    api: Any, operator: httpx.AsyncClient, catalog: None
) -> None:
    response = await operator.post(
        "/v1/groups",
        json={
            "name": "Finance  department",
            "services": ["payroll"],
            "components": ["email/webmail"],
        },
    )
    assert response.status_code == 201, response.text
    group = response.json()
    assert group["name"] == "Finance department"
    assert group["services"] == ["payroll"]
    assert group["components"] == ["email/webmail"]
    assert group["members"] == 0

    response = await operator.post(
        "/v1/subscribers",
        json={
            "email": "ana@example.org",
            "services": [],
            "components": ["Email/Outgoing"],
            "groups": ["Finance department"],
            "timezone": "Europe/Paris",
            "quiet_hours": {"start": "22:00", "end": "07:00"},
            "digest_every": "PT1H",
        },
    )
    assert response.status_code == 201, response.text
    ana = response.json()
    assert ana["components"] == ["email/outgoing"]
    assert ana["groups"] == ["Finance department"]
    assert ana["quiet_hours"] == {"start": "22:00:00", "end": "07:00:00"}
    assert ana["digest_every"] == "PT1H"
    assert (await operator.get(f"/v1/groups/{group['id']}")).json()["members"] == 1
    # The right of access shows all of it.
    export = (await operator.get(f"/v1/subscribers/{ana['id']}/export")).json()
    assert (export["components"], export["groups"], export["digest_every"]) == (
        ["email/outgoing"],
        ["Finance department"],
        "PT1H",
    )
    assert export["quiet_hours"] == {"start": "22:00:00", "end": "07:00:00"}

    # The ground floor's form keeps what it does not name; the same body again changes nothing.
    again = await operator.post(
        "/v1/subscribers",
        json={"email": "ana@example.org", "services": [], "timezone": "Europe/Paris"},
    )
    assert again.status_code == 200, again.text
    assert again.json()["groups"] == ["Finance department"]
    assert again.json()["updated_at"] == ana["updated_at"]

    # Ana leaves the group and gives up quiet hours.
    left = await operator.post(
        "/v1/subscribers",
        json={
            "email": "ana@example.org",
            "services": [],
            "groups": [],
            "quiet_hours": None,
            "timezone": "Europe/Paris",
        },
    )
    assert left.json()["groups"] == []
    assert left.json()["quiet_hours"] is None
    assert left.json()["digest_every"] == "PT1H"
    assert (await operator.delete(f"/v1/groups/{group['id']}")).status_code == 204
    assert (await operator.get(f"/v1/groups/{group['id']}")).status_code == 404

    settings = api.settings
    events = await read_events(
        settings.kafka_bootstrap, f"{settings.kafka_topic_prefix}candor.catalog.v1", count=6
    )
    groups = [e.data for e in events if isinstance(e.data, GroupUpserted | GroupDeleted)]
    assert groups == [
        GroupUpserted(
            id=group["id"],
            name="Finance department",
            services=["payroll"],
            components=["email/webmail"],
        ),
        GroupDeleted(id=group["id"]),
    ]
    first, last = [e.data for e in events if isinstance(e.data, SubscriberUpserted)]
    assert first.components == ["email/outgoing"]
    assert first.groups == [group["id"]]
    assert first.quiet_hours is not None
    assert first.quiet_hours.start.hour == 22
    assert first.digest_every is not None
    assert first.digest_every.total_seconds() == 3600
    assert last.groups == []
    assert last.quiet_hours is None


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        (
            "/v1/subscribers",
            {"email": "a@example.org", "components": ["email/nope"]},
            422,
            "no component 'email/nope'",
        ),
        (
            "/v1/subscribers",
            {"email": "a@example.org", "components": ["email"]},
            422,
            "service-slug/component-slug",
        ),
        (
            "/v1/subscribers",
            {"email": "a@example.org", "groups": ["Nobody"]},
            422,
            "no group named 'Nobody'",
        ),
        (
            "/v1/subscribers",
            {"email": "a@example.org", "quiet_hours": {"start": "22:00"}},
            422,
            "end",
        ),
        (
            "/v1/subscribers",
            {"email": "a@example.org", "quiet_hours": {"start": "07:00", "end": "07:00"}},
            422,
            "start and end differ",
        ),
        (
            "/v1/subscribers",
            {"email": "a@example.org", "digest_every": "P2D"},
            422,
            "at most a day",
        ),
        (
            "/v1/subscribers",
            {"email": "a@example.org", "digest_every": "PT10S"},
            422,
            "at least one minute",
        ),
        ("/v1/groups", {"name": "  "}, 422, "at least one visible character"),
        ("/v1/groups", {"name": "Finance", "services": ["nope"]}, 422, "no service with slug"),
        (
            "/v1/groups",
            {"name": "Finance", "components": ["payroll/x"]},
            422,
            "no component 'payroll/x'",
        ),
    ],
)
async def test_bad_audience_input_is_refused_with_the_reason(
    operator: httpx.AsyncClient,
    catalog: None,
    path: str,
    body: dict[str, Any],
    status: int,
    says: str,
) -> None:
    response = await operator.post(path, json=body)

    assert response.status_code == status, response.text
    assert says in response.text


async def test_groups_are_for_admins(api: Any, catalog: None) -> None:
    async with api.client(token=None) as anonymous:
        assert (await anonymous.get("/v1/groups")).status_code == 401
