"""The feedback form in headless Chromium, and the perception report it changes.

The whole path runs: an outage of Email in March 2026 measured by its alerts (30 minutes,
good facts), its post-incident report published, the notifier emailing it with the signed
feedback link to a real SMTP server; Ana opens that link, answers with mouse and keyboard
(kept informed 2 of 7, disruption 5, adequate 99 %, desired 99.9 %, felt 3 hours down) and
sees the thanks; her answer goes through Kafka to sla-monitor's perceived ledger, and the
perception-gap page an operator reads changes: before, nobody said; after, perceived 3 h
against 30 min measured, kept informed 2 of 7, and the communication-gap flag.
axe-core finds no serious or critical violation on the form. Screenshots are kept.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page

from candor_dev.mailcatcher import MailCatcher
from candor_dev.ports import free_port
from candor_incident_api.settings import ApiSettings
from candor_notifier.settings import NotifierSettings
from candor_sla_monitor.settings import SlaSettings
from candor_sla_monitor.worker import create_worker
from tests.browser.conftest import Screenshot
from tests.conftest import ADMIN_TOKEN, RunningNotifier, RunningWorker, eventually
from tests.e2e.test_perception import outage, perceived, perception_report
from tests.linked import linked_api_settings, linked_notifier_settings
from tests.notifier.helpers import bodies
from tests.sla_monitor.deadline_helpers import TestClock

SECRET = "browser-feedback-secret"
ADDRESS = "ana@example.org"
REPORT = {
    "impact": "For half an hour you could not send or receive email.",
    "cause": "A full disk on the mail relay.",
    "what_was_done": "We freed space and resent the waiting mail.",
    "follow_ups": ["Alert when the disk is 80% full."],
}


@pytest.fixture
def api_settings(make_settings: Callable[..., Any]) -> ApiSettings:
    return linked_api_settings(make_settings, SECRET)


@pytest.fixture
def notifier_settings(
    make_settings: Callable[..., Any], mail: MailCatcher, api_settings: ApiSettings
) -> NotifierSettings:
    return linked_notifier_settings(make_settings, mail, api_settings, SECRET)


@pytest.fixture
def clock() -> TestClock:
    return TestClock("2026-04-01T12:00:00Z")


@pytest.fixture
async def sla(make_settings: Callable[..., Any], clock: TestClock) -> AsyncIterator[RunningWorker]:
    """sla-monitor on the test's broker and topics, telling the time by the test's clock."""
    settings = make_settings(SlaSettings, "sla-monitor", sla_monitor_port=free_port())
    running = RunningWorker(create_worker(settings, serve_http=False, clock=clock))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def _no_grave_violations(page: Page) -> None:
    results = await Axe().run(page)
    violations = results.response["violations"]
    grave = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
    assert grave == [], grave


async def _perception_page(context: BrowserContext, url: str) -> Page:
    page = await context.new_page()
    response = await page.goto(url)
    assert response is not None
    assert response.status == 200
    return page


async def test_the_feedback_form_submits_and_the_perception_report_changes(
    api: Any,
    operator: httpx.AsyncClient,
    notifier: RunningNotifier,
    sla: RunningWorker,
    clock: TestClock,
    mail: MailCatcher,
    chromium: Browser,
    screenshot: Screenshot,
) -> None:
    incident = await outage(
        api, operator, "email", "Email", "2026-03-10T10:00:00Z", "2026-03-10T10:30:00Z"
    )
    followed = await operator.post(
        "/v1/subscribers", json={"email": ADDRESS, "services": ["email"]}
    )
    assert followed.status_code == 201, followed.text
    ana = followed.json()["id"]
    await perception_report(operator, "email", answers=0)

    # The operator's browser: the report page, read with their token.
    desk = await chromium.new_context(extra_http_headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    user = await chromium.new_context()
    report_url = f"{api.url}/v1/reports/email/perception?month=2026-03"
    try:
        before = await _perception_page(desk, report_url)
        assert await before.locator("#kept-informed").inner_text() == "no answer"
        assert await before.locator("rect.bar.perceived").count() == 0
        assert await before.get_by_text("nobody said how long it felt").count() == 1
        await screenshot(before, "report-before")
        await before.close()

        # The report reaches Ana by email, with her own feedback link.
        path = f"/v1/incidents/{incident}/report"
        assert (await operator.put(path, json=REPORT)).status_code == 201
        assert (await operator.post(f"{path}/publish")).status_code == 200

        def feedback_link() -> str | None:
            for caught in mail.mails:
                if caught.recipients == (ADDRESS,):
                    text, _ = bodies(caught.message)
                    found = re.search(r"(http://\S+/feedback/\S+)", text)
                    if found:
                        return found[1]
            return None

        link: str = await eventually(feedback_link, timeout=30)
        assert link.startswith(f"{api.url}/feedback/")

        page = await user.new_page()
        opened = await page.goto(link)
        assert opened is not None
        assert opened.status == 200
        heading = await page.get_by_role("heading", level=1).inner_text()
        assert heading == "How was the Email outage for you?"
        await _no_grave_violations(page)
        # Kept informed: 2, with the mouse on its label.
        informed = page.get_by_role("group", name="How well were you kept informed")
        await informed.get_by_text("2", exact=True).click()
        # Disruption: from the keyboard — focus the first choice, arrow to the fifth.
        disruption = page.get_by_role("group", name="How much did the outage disrupt")
        await disruption.get_by_label("1", exact=True).focus()
        await page.keyboard.press("Space")
        for _ in range(4):
            await page.keyboard.press("ArrowRight")
        assert await disruption.get_by_label("5", exact=True).is_checked()
        await page.get_by_label("Adequate: the least you can live with").press_sequentially("99")
        await page.keyboard.press("Tab")
        await page.keyboard.type("99.9")
        assert await page.get_by_label("Desired: what you would like").input_value() == "99.9"
        await page.get_by_label("How long did it feel down").fill("180")
        await screenshot(page, "form-filled")
        await page.get_by_role("button", name="Send my answer").click()
        await page.wait_for_load_state()
        heading = await page.get_by_role("heading", level=1).inner_text()
        assert heading == "Thank you for your feedback"
        await screenshot(page, "thanks")

        # Through Kafka to sla-monitor; a report asked for afterwards counts her answer.
        await eventually(lambda: perceived(sla, incident, 1), timeout=30)
        clock.set("2026-04-01T13:00:00Z")
        await perception_report(operator, "email", answers=1)
        after = await _perception_page(desk, report_url)
        assert await after.locator("#kept-informed").inner_text() == "2.0 of 7"
        assert await after.locator("rect.bar.perceived").get_attribute("data-minutes") == "180.0"
        assert await after.locator("rect.bar.measured").get_attribute("data-minutes") == "30.0"
        assert await after.locator("#flag-communication_gap").is_visible()
        assert await after.locator("#perception").inner_text() == "Poor"
        await screenshot(after, "report-after")
    finally:
        await user.close()
        await desk.close()
    # Stored under Ana, as the link named her.
    exported = (await operator.get(f"/v1/subscribers/{ana}/export")).json()
    (answer,) = exported["feedback"]
    assert (answer["incident_id"], answer["kept_informed"], answer["disruption"]) == (
        incident,
        2,
        5,
    )
