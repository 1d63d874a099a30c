"""The public status page and its feeds: what users may read, and nothing internal.

One world per test: an open incident on the network (felt by email through a dependency),
a resolved incident on the VPN, an incident held back by payroll's notification delay,
a planned maintenance window on email and a cancelled one on the VPN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import httpx
from icalendar import Calendar

from tests.incident_api.helpers import HtmlPage, parsed_page, post_alert, words
from tests.payloads import alertmanager

INTERNAL_NOTE = "sw-42 rebooted by hand, ask Bob (secret note)"
INTEGRATION_NAME = "prom-datacentre-west"
HELD_SUMMARY = "Payroll batch import is stuck"
NEXT_UPDATE = "2099-01-01T10:30:00Z"


@dataclass
class World:
    network_incident: str
    vpn_incident: str
    held_incident: str
    planned_window: dict[str, Any]
    cancelled_window: dict[str, Any]


async def _put(operator: httpx.AsyncClient, slug: str, name: str, **spec: Any) -> None:
    response = await operator.put(f"/v1/services/{slug}", json={"name": name, **spec})
    assert response.status_code in (200, 201), response.text


async def _window(operator: httpx.AsyncClient, title: str, service: str) -> dict[str, Any]:
    starts_at = datetime.now(UTC) + timedelta(days=2)
    response = await operator.post(
        "/v1/maintenance",
        json={
            "title": title,
            "description": "Webmail will not connect meanwhile.",
            "services": [service],
            "impact": "major",
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _world(api: Any, operator: httpx.AsyncClient) -> World:
    await _put(operator, "network", "Network")
    await _put(
        operator,
        "email",
        "Email",
        impact_wording={"minor": "Email may be slow to arrive."},
        depends_on=[{"service": "network", "impact": "minor"}],
    )
    await _put(operator, "vpn", "Remote access (VPN)")
    await _put(operator, "payroll", "Payroll", notification_delay_seconds=3600)

    opened = await operator.post(
        "/v1/incidents",
        json={
            "service": "network",
            "title": "Network outage in building B",
            "public_message": "The network in building B is down.",
            "internal_note": INTERNAL_NOTE,
        },
    )
    assert opened.status_code == 201, opened.text
    network = opened.json()["id"]
    updated = await operator.post(
        f"/v1/incidents/{network}/updates",
        json={
            "status": "identified",
            "public_message": "A failed switch is being replaced.",
            "internal_note": INTERNAL_NOTE,
            "next_update_at": NEXT_UPDATE,
        },
    )
    assert updated.status_code == 200, updated.text

    vpn = (
        await operator.post(
            "/v1/incidents",
            json={
                "service": "vpn",
                "title": "VPN connections drop",
                "impact": "minor",
                "public_message": "Some VPN connections drop.",
                "internal_note": INTERNAL_NOTE,
            },
        )
    ).json()["id"]
    resolved = await operator.post(
        f"/v1/incidents/{vpn}/resolve",
        json={
            "summary": "A certificate had expired; it was renewed.",
            "public_message": "VPN connections work again.",
            "internal_note": INTERNAL_NOTE,
        },
    )
    assert resolved.status_code == 200, resolved.text

    integration = await operator.post(
        "/v1/integrations", json={"name": INTEGRATION_NAME, "source": "alertmanager"}
    )
    assert integration.status_code == 201, integration.text
    fired = await post_alert(
        api,
        integration.json()["key"],
        alertmanager(service="payroll", summary=HELD_SUMMARY, fingerprint="payroll-1"),
    )
    assert fired.status_code in (200, 202), fired.text
    held = fired.json()["incidents"][0]
    held_body = (await operator.get(f"/v1/incidents/{held}")).json()
    assert held_body["broadcast"] is False

    planned = await _window(operator, "Mail server upgrade", "email")
    cancelled = await _window(operator, "VPN gateway replacement", "vpn")
    response = await operator.post(f"/v1/maintenance/{cancelled['id']}/cancel")
    assert response.status_code == 200, response.text
    return World(network, vpn, held, planned, response.json())


def _leaks(text: str, world: World) -> list[str]:
    """Internal things found in a public document."""
    internal = [INTERNAL_NOTE, INTEGRATION_NAME, HELD_SUMMARY, world.held_incident, "mx1:9100"]
    return [item for item in internal if item in text]


async def test_the_status_page_shows_what_users_were_told_and_nothing_internal(
    api: Any, operator: httpx.AsyncClient
) -> None:
    world = await _world(api, operator)

    async with api.client(token=None) as public:
        response = await public.get("/status")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "public, max-age=30"
    page = parsed_page(response.text)
    assert page.lang == "en"
    assert {"header", "main", "section", "h1", "h2", "table", "th", "time"} <= page.saw
    assert 'name="viewport"' in response.text
    assert _leaks(response.text, world) == []

    current = words(page.text_by_id[f"incident-{world.network_incident}"])
    assert "Network outage in building B" in current
    assert "A failed switch is being replaced." in current
    assert "Next update by 01 Jan 2099, 10:30 UTC" in current
    assert NEXT_UPDATE in page.times
    assert "Email — minor disruption: Email may be slow to arrive." in current
    assert "The network in building B is down." not in current  # only the latest message

    assert "Major disruption" in page.text_by_id["service-network"]
    assert "Minor disruption" in page.text_by_id["service-email"]
    assert "Email may be slow to arrive." in page.text_by_id["service-email"]
    assert "Operational" in page.text_by_id["service-payroll"]  # held back: not public yet
    assert "Operational" in page.text_by_id["service-vpn"]

    past = words(page.text_by_id[f"incident-{world.vpn_incident}"])
    assert "VPN connections drop" in past
    assert "A certificate had expired; it was renewed." in past
    planned = words(page.text_by_id[f"maintenance-{world.planned_window['id']}"])
    assert "Mail server upgrade" in planned
    assert "Planned" in planned
    assert "Affected: Email" in planned
    assert f"maintenance-{world.cancelled_window['id']}" not in page.text_by_id


async def test_summary_json_states_the_same_facts(api: Any, operator: httpx.AsyncClient) -> None:
    world = await _world(api, operator)

    async with api.client(token=None) as public:
        response = await public.get("/status/summary.json")

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "public, max-age=30"
    assert _leaks(response.text, world) == []
    summary = response.json()
    assert summary["status"] == "major"
    assert {s["slug"]: s["status"] for s in summary["services"]} == {
        "network": "major",
        "email": "minor",
        "vpn": "operational",
        "payroll": "operational",
    }
    [incident] = summary["incidents"]
    assert incident["id"] == world.network_incident
    assert incident["status"] == "identified"
    assert incident["public_message"] == "A failed switch is being replaced."
    assert incident["next_update_at"] == NEXT_UPDATE
    assert [(s["slug"], s["impact"], s["via"]) for s in incident["services"]] == [
        ("network", "major", None),
        ("email", "minor", "network"),
    ]
    assert [w["id"] for w in summary["maintenance"]] == [world.planned_window["id"]]
    [past] = summary["past_incidents"]
    assert (past["id"], past["summary"]) == (
        world.vpn_incident,
        "A certificate had expired; it was renewed.",
    )
    assert past["duration_seconds"] >= 0


async def test_the_atom_feed_lists_public_updates_newest_first(
    api: Any, operator: httpx.AsyncClient
) -> None:
    world = await _world(api, operator)

    async with api.client(token=None) as public:
        first = await public.get("/status/feed.atom")
        second = await public.get("/status/feed.atom")

    assert first.status_code == 200, first.text
    assert first.headers["content-type"].startswith("application/atom+xml")
    assert first.headers["cache-control"] == "public, max-age=30"
    assert _leaks(first.text, world) == []
    feed = feedparser.parse(first.content)
    assert feed.bozo == 0, feed.bozo_exception
    assert feed.version == "atom10"
    titles = [entry.title for entry in feed.entries]
    assert titles == [
        "VPN connections drop — Resolved",
        "VPN connections drop — Incident opened",
        "Network outage in building B — Update",
        "Network outage in building B — Incident opened",
    ]
    texts = [entry.content[0].value for entry in feed.entries]
    assert texts[0] == "VPN connections work again.\n\nA certificate had expired; it was renewed."
    assert texts[2] == "A failed switch is being replaced."
    updated = [entry.updated_parsed for entry in feed.entries]
    assert updated == sorted(updated, reverse=True)
    ids = [entry.id for entry in feed.entries]
    assert all(i.startswith("urn:uuid:") for i in ids)
    assert len(set(ids)) == len(ids)
    assert ids == [entry.id for entry in feedparser.parse(second.content).entries]
    assert feed.entries[2].link.endswith(f"/status#incident-{world.network_incident}")


async def test_the_maintenance_calendar_holds_planned_and_cancelled_windows(
    api: Any, operator: httpx.AsyncClient
) -> None:
    world = await _world(api, operator)

    async with api.client(token=None) as public:
        first = await public.get("/status/maintenance.ics")
        second = await public.get("/status/maintenance.ics")

    assert first.status_code == 200, first.text
    assert first.headers["content-type"].startswith("text/calendar")
    assert first.headers["cache-control"] == "public, max-age=30"
    calendar = Calendar.from_ical(first.content)
    assert str(calendar["version"]) == "2.0"
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Mail server upgrade", "VPN gateway replacement"}
    planned = events["Mail server upgrade"]
    assert str(planned["status"]) == "CONFIRMED"
    assert str(events["VPN gateway replacement"]["status"]) == "CANCELLED"
    starts_at = datetime.fromisoformat(world.planned_window["starts_at"].replace("Z", "+00:00"))
    assert planned.decoded("dtstart") == starts_at.replace(microsecond=0)  # whole seconds
    assert "Affected services: Email." in str(planned["description"])
    assert "dtstamp" in planned
    assert str(planned["uid"]) == f"maintenance-{world.planned_window['id']}@127.0.0.1"
    again = Calendar.from_ical(second.content)
    assert sorted(str(e["uid"]) for e in again.walk("VEVENT")) == sorted(
        str(e["uid"]) for e in events.values()
    )


async def test_an_empty_status_page_says_all_is_well(api: Any) -> None:
    async with api.client(token=None) as public:
        page = await public.get("/status")
        feed = await public.get("/status/feed.atom")
        calendar = await public.get("/status/maintenance.ics")

    assert page.status_code == 200, page.text
    assert "All services are operating normally" in page.text
    assert "No current incidents." in page.text
    assert feedparser.parse(feed.content).bozo == 0
    assert Calendar.from_ical(calendar.content).walk("VEVENT") == []


async def test_maintenance_in_progress_shows_on_its_services(
    api: Any, operator: httpx.AsyncClient
) -> None:
    await _put(operator, "email", "Email")
    await _put(operator, "vpn", "Remote access (VPN)")
    window = await _window(operator, "Mail server upgrade", "email")
    started = await operator.post(f"/v1/maintenance/{window['id']}/start")
    assert started.status_code == 200, started.text

    async with api.client(token=None) as public:
        summary = (await public.get("/status/summary.json")).json()
        response = await public.get("/status")
        calendar = Calendar.from_ical((await public.get("/status/maintenance.ics")).content)

    assert {s["slug"]: s["under_maintenance"] for s in summary["services"]} == {
        "email": True,
        "vpn": False,
    }
    assert [(w["id"], w["status"]) for w in summary["maintenance"]] == [
        (window["id"], "in_progress")
    ]
    page = HtmlPage()
    page.feed(response.text)
    assert "Under maintenance" in page.text_by_id["service-email"]
    assert "Under maintenance" not in page.text_by_id["service-vpn"]
    assert "In progress" in page.text_by_id[f"maintenance-{window['id']}"]
    [event] = calendar.walk("VEVENT")
    assert (str(event["summary"]), str(event["status"])) == ("Mail server upgrade", "CONFIRMED")


async def test_what_operators_type_is_escaped_on_the_page(
    api: Any, operator: httpx.AsyncClient
) -> None:
    await _put(operator, "email", "Email <b>&</b>")
    opened = await operator.post(
        "/v1/incidents",
        json={
            "service": "email",
            "title": "<script>alert('title')</script>",
            "public_message": "Use <img src=x onerror=alert(1)> & wait",
        },
    )
    assert opened.status_code == 201, opened.text

    async with api.client(token=None) as public:
        page = await public.get("/status")
        feed = await public.get("/status/feed.atom")

    assert "<script>alert(" not in page.text
    assert "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in page.text
    assert "Use &lt;img src=x onerror=alert(1)&gt; &amp; wait" in page.text
    assert "Email &lt;b&gt;&amp;&lt;/b&gt;" in page.text
    parsed = feedparser.parse(feed.content)
    assert parsed.bozo == 0
    assert parsed.entries[0].title == "<script>alert('title')</script> — Incident opened"
