"""The public status page in headless Chromium: what users see, by keyboard, on a phone, with
and without JavaScript, and what axe-core finds.

incident-api runs for real (uvicorn on a free port, the session's broker, the test's
database); the world is made through its API as monitoring and operators make it: the
README's example alert opens the current incident, older alerts make the uptime history,
and an operator plans maintenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page

from tests.browser.conftest import Screenshot
from tests.incident_api.helpers import post_alert
from tests.payloads import alertmanager

SERVICES = ("email", "network", "vpn")
PUBLIC_MESSAGE = "Outgoing mail waits in a queue; it will be sent once the relay is back."


@dataclass
class World:
    incident_id: str
    incident_title: str
    maintenance_id: str
    outage_day: datetime


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _alert(
    api: Any, key: str, *, service: str, fingerprint: str, starts: datetime, ends: datetime | None
) -> dict[str, Any]:
    fired = await post_alert(
        api, key, alertmanager(service=service, fingerprint=fingerprint, starts_at=_z(starts))
    )
    assert fired.status_code in (200, 202), fired.text
    if ends is not None:
        resolved = await post_alert(
            api,
            key,
            alertmanager(
                service=service,
                fingerprint=fingerprint,
                status="resolved",
                starts_at=_z(starts),
                ends_at=_z(ends),
            ),
        )
        assert resolved.status_code in (200, 202), resolved.text
    body: dict[str, Any] = fired.json()
    return body


async def _world(api: Any, operator: httpx.AsyncClient) -> World:
    for slug, name in (("email", "Email"), ("network", "Network"), ("vpn", "Remote access")):
        response = await operator.put(f"/v1/services/{slug}", json={"name": name})
        assert response.status_code in (200, 201), response.text
    integration = await operator.post(
        "/v1/integrations", json={"name": "prom", "source": "alertmanager"}
    )
    assert integration.status_code == 201, integration.text
    key = integration.json()["key"]

    now = datetime.now(UTC)
    midnight = datetime.combine(now.date(), datetime.min.time(), tzinfo=UTC)
    # History: Email down 25 minutes twenty days ago, the network down two hours twelve days
    # ago (a past incident too), Email 10 minutes five days ago.
    await _alert(
        api,
        key,
        service="email",
        fingerprint="history-1",
        starts=midnight - timedelta(days=20, hours=-9),
        ends=midnight - timedelta(days=20, hours=-9, minutes=-25),
    )
    outage_day = midnight - timedelta(days=12)
    await _alert(
        api,
        key,
        service="network",
        fingerprint="switch",
        starts=outage_day + timedelta(hours=14),
        ends=outage_day + timedelta(hours=16),
    )
    await _alert(
        api,
        key,
        service="email",
        fingerprint="history-2",
        starts=midnight - timedelta(days=5, hours=-7),
        ends=midnight - timedelta(days=5, hours=-7, minutes=-10),
    )
    # The example incident: the README's alert, firing since a few minutes ago.
    fired = await _alert(
        api,
        key,
        service="email",
        fingerprint="c6b2f1e0a7d34b55",
        starts=now - timedelta(minutes=4),
        ends=None,
    )
    [incident_id] = fired["incidents"]
    update = await operator.post(
        f"/v1/incidents/{incident_id}/updates",
        json={
            "status": "identified",
            "public_message": PUBLIC_MESSAGE,
            "next_update_at": _z(now + timedelta(minutes=30)),
        },
    )
    assert update.status_code == 200, update.text

    starts_at = now + timedelta(days=2)
    window = await operator.post(
        "/v1/maintenance",
        json={
            "title": "VPN gateway replacement",
            "description": "Remote access will not connect meanwhile.",
            "services": ["vpn"],
            "impact": "major",
            "starts_at": _z(starts_at),
            "ends_at": _z(starts_at + timedelta(hours=2)),
        },
    )
    assert window.status_code == 201, window.text
    return World(
        incident_id=incident_id,
        incident_title=update.json()["title"],
        maintenance_id=window.json()["id"],
        outage_day=outage_day,
    )


async def _open(
    chromium: Browser, url: str, *, width: int = 1280, height: int = 900, **options: Any
) -> tuple[BrowserContext, Page]:
    context = await chromium.new_context(
        viewport={"width": width, "height": height}, locale="en-GB", **options
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = await page.goto(url)
    assert response is not None
    assert response.status == 200
    assert errors == []  # the page's own script ran without an error
    return context, page


async def test_the_page_shows_the_incident_the_uptime_bars_and_the_maintenance(
    api: Any, operator: httpx.AsyncClient, chromium: Browser, screenshot: Screenshot
) -> None:
    world = await _world(api, operator)
    context, page = await _open(chromium, f"{api.url}/status", timezone_id="Europe/Paris")
    try:
        incident = page.locator(f"#incident-{world.incident_id}")
        await incident.wait_for(state="visible")
        text = await incident.inner_text()
        assert world.incident_title in text
        assert PUBLIC_MESSAGE in text
        assert "Next update by" in text

        for slug in SERVICES:
            bars = page.locator(f"#service-{slug} ol.bars > li")
            assert await bars.count() == 90, slug
            assert await bars.nth(89).is_visible()
            assert await bars.nth(0).is_visible()
        network_bars = page.locator("#service-network ol.bars > li")
        outage = network_bars.nth(89 - 12)
        label = world.outage_day.strftime("%d %b")
        assert await outage.inner_text() == f"{label}: 91.66 % available, 2 h down"
        assert await outage.get_attribute("class") == "day critical"
        outage_box = await outage.bounding_box()
        full_box = await network_bars.nth(89 - 11).bounding_box()
        assert outage_box is not None
        assert full_box is not None
        assert outage_box["height"] < full_box["height"]  # not told by colour alone
        vpn_days = page.locator("#service-vpn ol.bars > li.nodata")
        assert await vpn_days.count() == 89  # created today: no data before

        maintenance = page.locator(f"#maintenance-{world.maintenance_id}")
        assert await maintenance.is_visible()
        assert "VPN gateway replacement" in await maintenance.inner_text()

        # JavaScript ran: times in the viewer's zone (Paris), the UTC text kept as a title.
        footer = await page.locator("footer").inner_text()
        assert "Europe/Paris" in footer
        started = page.locator(f"#incident-{world.incident_id} time").first
        assert "UTC" not in await started.inner_text()
        assert (await started.get_attribute("title") or "").endswith("UTC")

        await screenshot(page, "desktop")
    finally:
        await context.close()


async def test_tab_reaches_the_skip_link_first_and_it_leads_to_the_content(
    api: Any, operator: httpx.AsyncClient, chromium: Browser, screenshot: Screenshot
) -> None:
    await _world(api, operator)
    context, page = await _open(chromium, f"{api.url}/status")
    try:
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            "() => [document.activeElement.className, document.activeElement.textContent,"
            " document.activeElement.getAttribute('href')]"
        )
        assert focused == ["skip", "Skip to main content", "#main"]
        skip = await page.locator("a.skip").bounding_box()
        assert skip is not None
        assert skip["y"] >= 0  # shown on focus, not left off-screen
        outline = await page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"  # focus is visible
        await screenshot(page, "skip-link")

        await page.keyboard.press("Enter")
        assert await page.evaluate("() => document.activeElement.id") == "main"
        await page.keyboard.press("Tab")
        inside_main = await page.evaluate(
            "() => document.getElementById('main').contains(document.activeElement)"
        )
        assert inside_main
    finally:
        await context.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (360, 740)], ids=["desktop", "phone"])
async def test_axe_finds_no_serious_or_critical_violations(
    api: Any,
    operator: httpx.AsyncClient,
    chromium: Browser,
    screenshot: Screenshot,
    width: int,
    height: int,
) -> None:
    await _world(api, operator)
    context, page = await _open(chromium, f"{api.url}/status", width=width, height=height)
    try:
        results = await Axe().run(page)
        await screenshot(page, "axe")
    finally:
        await context.close()

    violations = results.response["violations"]
    print(f"axe: {len(violations)} violations: {[(v['id'], v['impact']) for v in violations]}")
    grave = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert grave == [], results.generate_report()


async def test_a_phone_shows_the_last_30_days_without_scrolling_sideways(
    api: Any, operator: httpx.AsyncClient, chromium: Browser, screenshot: Screenshot
) -> None:
    await _world(api, operator)
    context, page = await _open(chromium, f"{api.url}/status", width=360, height=740)
    try:
        widths = await page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
        for slug in SERVICES:
            bars = page.locator(f"#service-{slug} ol.bars > li")
            visible = [await bars.nth(i).is_visible() for i in range(90)]
            assert visible == [False] * 60 + [True] * 30, slug
        assert await page.locator("#service-email .axis .short").inner_text() == "30 days ago"
        await screenshot(page, "phone")
    finally:
        await context.close()


async def test_without_javascript_the_page_is_whole_and_times_are_in_utc(
    api: Any, operator: httpx.AsyncClient, chromium: Browser, screenshot: Screenshot
) -> None:
    world = await _world(api, operator)
    context, page = await _open(
        chromium, f"{api.url}/status", java_script_enabled=False, timezone_id="Asia/Tokyo"
    )
    try:
        times = await page.locator("time").all_inner_texts()
        assert times
        assert all(text.endswith("UTC") for text in times), times
        assert await page.locator("ol.bars > li").count() == 90 * len(SERVICES)
        assert await page.locator(f"#maintenance-{world.maintenance_id}").is_visible()
        details = page.locator("#service-email details")
        await details.locator("summary").click()
        assert "25 min down" in await details.inner_text()
        await screenshot(page, "no-javascript")
    finally:
        await context.close()
