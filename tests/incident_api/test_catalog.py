"""The catalog API: services whole (components, dependencies, agreement), versions and ETags,
cycles refused, deletion only without history, and the events each change publishes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from candor_incident_api.catalog import repository
from candor_shared.contract import ServiceDeleted, ServiceUpserted, SubscriberUpserted
from tests.conftest import RunningApi
from tests.incident_api.helpers import post_alert
from tests.kafka_helpers import read_events
from tests.payloads import alertmanager

EMAIL: dict[str, Any] = {
    "name": "Email",
    "description": "Sending and receiving mail.",
    "owners": ["messaging@example.org", "Service desk"],
    "impact_wording": {
        "major": "You may not be able to send email.",
        "critical": "Email is unavailable.",
    },
    "notification_delay_seconds": 120,
    "flap_window_seconds": 900,
    "agreement": {
        "availability": {"adequate_percent": 99.5},
        "terms": {"major": {"acknowledge_within": "PT15M"}},
    },
    "components": [
        {"slug": "smtp", "name": "Outgoing mail"},
        {"slug": "webmail", "name": "Webmail", "description": "https://mail.example.org"},
    ],
    "depends_on": [{"service": "network"}, {"service": "identity", "impact": "major"}],
}


async def put(operator: httpx.AsyncClient, slug: str, body: dict[str, Any]) -> httpx.Response:
    return await operator.put(f"/v1/services/{slug}", json=body)


async def base_services(operator: httpx.AsyncClient) -> None:
    """network and identity (with an sso component), which Email depends on."""
    assert (await put(operator, "network", {"name": "Network"})).status_code == 201
    identity = {"name": "Identity", "components": [{"slug": "sso", "name": "Single sign-on"}]}
    assert (await put(operator, "identity", identity)).status_code == 201


def catalog_topic(topic_prefix: str) -> str:
    return f"{topic_prefix}candor.catalog.v1"


async def test_put_creates_then_changes_nothing_then_replaces(
    operator: httpx.AsyncClient,
) -> None:
    await base_services(operator)

    created = await put(operator, "email", EMAIL)
    again = await put(operator, "email", EMAIL)

    assert created.status_code == 201, created.text
    body = created.json()
    assert body["slug"] == "email"
    assert body["version"] == 1
    assert body["owners"] == EMAIL["owners"]
    assert body["impact_wording"] == EMAIL["impact_wording"]
    assert (body["notification_delay_seconds"], body["flap_window_seconds"]) == (120, 900)
    assert body["agreement"]["availability"]["adequate_percent"] == 99.5
    assert body["agreement"]["availability"]["window"] == "calendar_month"  # default, stored
    assert body["agreement"]["terms"]["major"]["acknowledge_within"] == "PT15M"
    assert [(c["slug"], c["position"]) for c in body["components"]] == [
        ("smtp", 0),
        ("webmail", 1),
    ]
    assert body["depends_on"] == [
        {"service": "identity", "component": None, "impact": "major"},
        {"service": "network", "component": None, "impact": None},
    ]
    assert again.status_code == 200
    assert again.json() == body
    assert again.headers["etag"] == created.headers["etag"]

    smtp_id = body["components"][0]["id"]
    replaced = await put(
        operator,
        "email",
        {"name": "E-mail", "components": [{"slug": "smtp", "name": "Sending mail"}]},
    )
    assert replaced.status_code == 200
    after = replaced.json()
    assert after["version"] == 2
    assert after["name"] == "E-mail"
    assert after["owners"] == []
    assert after["agreement"] is None
    assert after["depends_on"] == []
    assert after["components"] == [
        {
            "id": smtp_id,
            "slug": "smtp",
            "name": "Sending mail",
            "description": "",
            "position": 0,
        }
    ]


async def test_post_is_idempotent_for_the_same_content_and_409_for_other(
    operator: httpx.AsyncClient,
) -> None:
    first = await operator.post("/v1/services", json={"slug": "vpn", "name": "VPN"})
    same = await operator.post("/v1/services", json={"slug": "vpn", "name": "VPN"})
    other = await operator.post("/v1/services", json={"slug": "vpn", "name": "Remote access"})

    assert first.status_code == 201
    assert same.status_code == 200
    assert same.json()["id"] == first.json()["id"]
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    assert "another name" in other.json()["detail"]
    assert "PUT or PATCH /v1/services/vpn" in other.json()["detail"]
    # Fields not sent are not compared: posting the slug and name of a richer service is fine.
    await operator.patch("/v1/services/vpn", json={"owners": ["netops"]})
    assert (
        await operator.post("/v1/services", json={"slug": "vpn", "name": "VPN"})
    ).status_code == 200


async def test_get_has_an_etag_and_a_stale_if_match_is_refused(
    operator: httpx.AsyncClient,
) -> None:
    await put(operator, "vpn", {"name": "VPN"})
    read = await operator.get("/v1/services/vpn")
    etag = read.headers["etag"]
    assert etag == f'W/"{read.json()["id"]}-1"'

    changed = await operator.patch(
        "/v1/services/vpn", json={"owners": ["netops"]}, headers={"If-Match": etag}
    )
    stale = await operator.patch(
        "/v1/services/vpn", json={"name": "Remote access"}, headers={"If-Match": etag}
    )
    stale_put = await operator.put(
        "/v1/services/vpn", json={"name": "Remote access"}, headers={"If-Match": etag}
    )

    assert changed.status_code == 200
    assert changed.json()["version"] == 2
    assert changed.json()["owners"] == ["netops"]
    assert changed.json()["name"] == "VPN"  # left out: unchanged
    assert changed.headers["etag"] != etag
    assert stale.status_code == 412
    assert stale_put.status_code == 412
    assert stale.headers["etag"] == changed.headers["etag"]
    stale_delete = await operator.delete("/v1/services/vpn", headers={"If-Match": etag})
    assert stale_delete.status_code == 412
    assert (await operator.get("/v1/services/vpn")).json()["name"] == "VPN"


async def test_patch_replaces_only_what_it_carries(operator: httpx.AsyncClient) -> None:
    await base_services(operator)
    await put(operator, "email", EMAIL)

    unchanged = await operator.patch("/v1/services/email", json={"name": "Email"})
    no_agreement = await operator.patch("/v1/services/email", json={"agreement": None})
    null_name = await operator.patch("/v1/services/email", json={"name": None})

    assert unchanged.status_code == 200
    assert unchanged.json()["version"] == 1
    assert no_agreement.json()["agreement"] is None
    assert no_agreement.json()["version"] == 2
    assert len(no_agreement.json()["components"]) == 2
    assert null_name.status_code == 422
    assert "leave the field out" in null_name.json()["detail"]
    missing = await operator.patch("/v1/services/nope", json={"name": "X"})
    assert missing.status_code == 404


async def test_dependency_problems_are_422_naming_the_field(
    operator: httpx.AsyncClient,
) -> None:
    await base_services(operator)
    await put(operator, "email", {"name": "Email", "depends_on": [{"service": "network"}]})
    await put(operator, "calendar", {"name": "Calendar", "depends_on": [{"service": "email"}]})

    cycle = await put(
        operator, "network", {"name": "Network", "depends_on": [{"service": "calendar"}]}
    )
    itself = await put(
        operator, "network", {"name": "Network", "depends_on": [{"service": "network"}]}
    )
    unknown = await put(operator, "vpn", {"name": "VPN", "depends_on": [{"service": "nope"}]})
    no_component = await put(
        operator, "vpn", {"name": "VPN", "depends_on": [{"service": "identity", "component": "x"}]}
    )
    twice = await put(
        operator,
        "vpn",
        {"name": "VPN", "depends_on": [{"service": "network"}, {"service": "network"}]},
    )

    assert cycle.status_code == 422
    assert cycle.json()["detail"] == (
        "body.depends_on.0: this would make a cycle of dependencies: "
        "network → calendar → email → network."
    )
    assert itself.status_code == 422
    assert "cannot depend on itself" in itself.json()["detail"]
    assert unknown.status_code == 422
    assert unknown.json()["detail"].startswith("body.depends_on.0.service: no service")
    assert no_component.status_code == 422
    assert "has no component 'x'" in no_component.json()["detail"]
    assert twice.status_code == 422
    assert "listed twice" in twice.json()["detail"]
    # Nothing was written by the refusals.
    assert (await operator.get("/v1/services/network")).json()["depends_on"] == []
    assert (await operator.get("/v1/services/vpn")).status_code == 404


async def test_bad_fields_are_422(operator: httpx.AsyncClient) -> None:
    cases: list[dict[str, Any]] = [
        {"name": "X", "agreement": {"availability": {"adequate_percent": 150}}},
        {"name": "X", "agreement": {"terms": {"major": {"update_every": "PT30S"}}}},
        {"name": "X", "agreement": {"downtime_fraction": {"minor": 2}}},
        {"name": "X", "agreement": {"timezone": "Mars/Olympus"}},
        {"name": "X", "agreement": {"sla": 1}},
        {"name": "X", "agreement": {"business_hours": {"timezone": "Mars/Olympus"}}},
        {"name": "X", "agreement": {"business_hours": {"start": "08:00:00+01:00"}}},
        {"name": "X", "impact_wording": {"catastrophic": "Oh no"}},
        {"name": "X", "notification_delay_seconds": -1},
        {"name": "X", "owners": [""]},
        {"name": "X", "components": [{"slug": "a", "name": "A"}, {"slug": "a", "name": "B"}]},
        {"name": "X", "components": [{"slug": "Not A Slug", "name": "A"}]},
        {"name": ""},
    ]
    for body in cases:
        response = await put(operator, "x", body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["detail"]
    assert (await operator.put("/v1/services/Not_A_Slug", json={"name": "X"})).status_code == 422


async def test_list_filters_by_text_and_pages(operator: httpx.AsyncClient) -> None:
    for slug, name in [
        ("email", "Email"),
        ("vpn", "VPN"),
        ("webmail", "Web mail"),
        ("wifi", "Wi-Fi"),
    ]:
        await put(operator, slug, {"name": name})

    mail = (await operator.get("/v1/services", params={"q": "MAIL"})).json()
    wildcard = (await operator.get("/v1/services", params={"q": "%"})).json()
    first = (await operator.get("/v1/services", params={"limit": 3})).json()
    rest = (
        await operator.get("/v1/services", params={"limit": 3, "cursor": first["next_cursor"]})
    ).json()

    assert [s["slug"] for s in mail["items"]] == ["email", "webmail"]
    assert wildcard["items"] == []
    assert [s["slug"] for s in first["items"] + rest["items"]] == [
        "email",
        "vpn",
        "webmail",
        "wifi",
    ]
    assert rest["next_cursor"] is None


async def test_removing_a_component_drops_dependencies_on_it(
    operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await base_services(operator)
    await put(
        operator,
        "email",
        {"name": "Email", "depends_on": [{"service": "identity", "component": "sso"}]},
    )

    changed = await put(operator, "identity", {"name": "Identity"})

    assert changed.json()["components"] == []
    email = (await operator.get("/v1/services/email")).json()
    assert email["depends_on"] == []
    assert email["version"] == 2
    events = await read_events(broker, catalog_topic(topic_prefix), count=5)
    latest = {e.data.slug: e.data for e in events if isinstance(e.data, ServiceUpserted)}
    assert latest["email"].depends_on == []
    assert latest["email"].version == 2


async def test_every_change_publishes_the_whole_service_and_no_change_publishes_nothing(
    operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await base_services(operator)
    created = (await put(operator, "email", EMAIL)).json()
    await put(operator, "email", EMAIL)
    await operator.patch("/v1/services/email", json={"flap_window_seconds": 60})

    events = await read_events(broker, catalog_topic(topic_prefix), count=5, timeout=5)

    email = [e for e in events if e.subject == "email"]
    assert [e.data.version for e in email if isinstance(e.data, ServiceUpserted)] == [1, 2]
    first = email[0].data
    assert isinstance(first, ServiceUpserted)
    assert email[0].partitionkey == created["id"]
    assert first.owners == EMAIL["owners"]
    assert first.impact_wording == EMAIL["impact_wording"]
    assert first.notification_delay_seconds == 120
    assert [c.slug for c in first.components] == ["smtp", "webmail"]
    assert {(d.service, d.impact) for d in first.depends_on} == {
        ("network", None),
        ("identity", "major"),
    }
    assert first.agreement is not None
    assert first.agreement.terms["major"].acknowledge_within == timedelta(minutes=15)
    assert len(events) == 4  # network, identity, email v1, email v2: the same PUT added none


async def test_delete_is_refused_while_others_depend_on_it_and_unsubscribes_followers(
    operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await base_services(operator)
    await put(operator, "email", {"name": "Email", "depends_on": [{"service": "network"}]})
    await put(operator, "vpn", {"name": "VPN"})
    subscriber = await operator.post(
        "/v1/subscribers", json={"email": "ana@example.org", "services": ["vpn", "email"]}
    )
    assert subscriber.status_code == 201
    routed = await operator.post(
        "/v1/integrations",
        json={"name": "prom", "source": "alertmanager", "default_service": "identity"},
    )
    assert routed.status_code == 201

    depended_on = await operator.delete("/v1/services/network")
    routed_to = await operator.delete("/v1/services/identity")
    unused = await operator.delete("/v1/services/vpn")
    gone = await operator.delete("/v1/services/vpn")

    assert depended_on.status_code == 409
    assert "1 dependent services" in depended_on.json()["detail"]
    assert routed_to.status_code == 409
    assert "1 integrations that route to it" in routed_to.json()["detail"]
    assert unused.status_code == 204
    assert gone.status_code == 404
    assert (await operator.get("/v1/services/vpn")).status_code == 404
    ana = (await operator.get(f"/v1/subscribers/{subscriber.json()['id']}")).json()
    assert ana["services"] == ["email"]
    events = await read_events(broker, catalog_topic(topic_prefix), count=7)
    assert any(isinstance(e.data, ServiceDeleted) and e.data.slug == "vpn" for e in events)
    resubscribed = [e.data for e in events if isinstance(e.data, SubscriberUpserted)]
    assert [s.services for s in resubscribed] == [["email", "vpn"], ["email"]]


async def test_delete_is_refused_while_the_service_has_incidents(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    await put(operator, "email", {"name": "Email"})
    created = await operator.post(
        "/v1/integrations", json={"name": "prom", "source": "alertmanager"}
    )
    key = created.json()["key"]
    assert (await post_alert(api, key, alertmanager(service="email"))).status_code == 202

    refused = await operator.delete("/v1/services/email")

    assert refused.status_code == 409
    assert "1 open incidents, 1 incidents on record" in refused.json()["detail"]
    assert (await operator.get("/v1/services/email")).status_code == 200


async def test_writes_need_a_token(api: RunningApi) -> None:
    async with api.client(token=None) as anonymous:
        assert (await anonymous.put("/v1/services/x", json={"name": "X"})).status_code == 401
        assert (await anonymous.get("/v1/services")).status_code == 401


async def test_dependents_of_walks_the_chain_once_each_and_respects_components(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    await base_services(operator)
    await put(operator, "email", {"name": "Email", "depends_on": [{"service": "network"}]})
    await put(
        operator,
        "calendar",
        {
            "name": "Calendar",
            "depends_on": [{"service": "email", "impact": "minor"}, {"service": "network"}],
        },
    )
    await put(
        operator,
        "wiki",
        {"name": "Wiki", "depends_on": [{"service": "identity", "component": "sso"}]},
    )
    await put(
        operator,
        "identity",
        {
            "name": "Identity",
            "components": [{"slug": "sso", "name": "SSO"}, {"slug": "ldap", "name": "LDAP"}],
        },
    )
    sessions = api.app.state.candor.sessions
    async with sessions() as session:
        network = await repository.get_by_slug(session, "network")
        identity = await repository.get_by_slug(session, "identity")
        assert network is not None
        assert identity is not None
        components = await repository.components_by_slug(session, identity.id)

        from_network = await repository.dependents_of(session, network.id)
        from_ldap = await repository.dependents_of(
            session, identity.id, component_id=components["ldap"].id
        )
        from_sso = await repository.dependents_of(
            session, identity.id, component_id=components["sso"].id
        )

    assert [(s.slug, edge.depends_on_id == network.id) for s, edge in from_network] == [
        ("calendar", True),
        ("email", True),
    ]
    assert from_ldap == []
    assert [s.slug for s, _ in from_sso] == ["wiki"]
    assert list(components) == ["sso", "ldap"]


async def test_viewers_read_and_only_admins_write(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    await put(operator, "vpn", {"name": "VPN"})
    tokens = {}
    for role in ("viewer", "operator"):
        issued = await operator.post("/v1/tokens", json={"name": f"a {role}", "role": role})
        assert issued.status_code == 201, issued.text
        tokens[role] = issued.json()["token"]

    for role, token in tokens.items():
        async with api.client(token=token) as client:
            assert (await client.get("/v1/services")).status_code == 200, role
            assert (await client.get("/v1/services/vpn")).status_code == 200, role
            writes = [
                await client.post("/v1/services", json={"slug": "x", "name": "X"}),
                await client.put("/v1/services/vpn", json={"name": "Remote access"}),
                await client.patch("/v1/services/vpn", json={"name": "Remote access"}),
                await client.delete("/v1/services/vpn"),
            ]
            assert [w.status_code for w in writes] == [403] * 4, role
    assert (await operator.get("/v1/services/vpn")).json()["name"] == "VPN"


async def test_two_racing_edits_cannot_make_a_cycle(
    operator: httpx.AsyncClient, databases: Any
) -> None:
    if not databases.is_postgres:
        pytest.skip("writers race for real on PostgreSQL only")
    for attempt in range(10):
        a, b = f"a{attempt}", f"b{attempt}"
        await put(operator, a, {"name": "A"})
        await put(operator, b, {"name": "B"})

        answers = await asyncio.gather(
            put(operator, a, {"name": "A", "depends_on": [{"service": b}]}),
            put(operator, b, {"name": "B", "depends_on": [{"service": a}]}),
        )

        assert sorted(r.status_code for r in answers) == [200, 422], [r.text for r in answers]


async def test_the_agreement_has_its_own_address_with_iso_8601_durations(
    operator: httpx.AsyncClient,
) -> None:
    await operator.put("/v1/services/email", json={"name": "Email"})
    missing = await operator.get("/v1/services/email/agreement")
    terms = {
        "timezone": "Europe/Paris",
        "availability": {"adequate_percent": 99.5, "desired_percent": 99.9},
        "terms": {"major": {"acknowledge_within": "PT15M", "update_every": "PT1H"}},
        "maintenance_notice": "P3D",
    }

    put = await operator.put("/v1/services/email/agreement", json=terms)
    inverted = await operator.put(
        "/v1/services/email/agreement",
        json={"availability": {"adequate_percent": 99.9, "desired_percent": 99.5}},
    )

    assert missing.status_code == 404
    assert put.status_code == 200, put.text
    assert put.json()["terms"]["major"]["update_every"] == "PT1H"
    assert put.json()["maintenance_notice"] == "P3D"
    assert inverted.status_code == 422
    assert "desired_percent" in inverted.text
    read = (await operator.get("/v1/services/email/agreement")).json()
    assert read == put.json()
    assert (await operator.get("/v1/services/email")).json()["agreement"] == read


async def test_business_hours_name_holidays_the_holidays_package_knows(
    operator: httpx.AsyncClient,
) -> None:
    await operator.put("/v1/services/email", json={"name": "Email"})

    def hours(**fields: Any) -> dict[str, Any]:
        return {"business_hours": {"timezone": "Europe/Berlin", **fields}}

    bavaria = await operator.put("/v1/services/email/agreement", json=hours(holidays="de-BY"))
    country = await operator.put("/v1/services/email/agreement", json=hours(holidays="XX"))
    region = await operator.put("/v1/services/email/agreement", json=hours(holidays="DE-ZZ"))
    overnight = await operator.put(
        "/v1/services/email/agreement", json=hours(start="22:00", end="06:00")
    )
    no_day = await operator.put("/v1/services/email/agreement", json=hours(days=[]))

    assert bavaria.status_code == 200, bavaria.text
    assert bavaria.json()["business_hours"]["holidays"] == "DE-BY"  # the country in capitals
    assert country.status_code == 422
    assert "unknown country 'XX'" in country.text
    assert region.status_code == 422
    assert "DE has no subdivision 'ZZ'" in region.text
    assert "BY" in region.text  # what it knows instead
    assert overnight.status_code == 422
    assert "end: after start" in overnight.text
    assert no_day.status_code == 422
    assert "at least one day" in no_day.text
    # Nothing was written by the refusals.
    stored = (await operator.get("/v1/services/email/agreement")).json()
    assert stored["business_hours"]["holidays"] == "DE-BY"
