"""Self-service subscription in headless Chromium: a person fills the form by keyboard
(choosing one component of a service, under that service), the confirmation email reaches a
real SMTP server through the notifier, following its link in the browser confirms, and the
preferences page behind the signed link saves a change. axe-core finds no serious or
critical violation on the pages. Screenshots are kept."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page

from candor_dev.mailcatcher import MailCatcher
from candor_incident_api.settings import ApiSettings
from candor_notifier.settings import NotifierSettings
from tests.browser.conftest import Screenshot
from tests.conftest import RunningNotifier, eventually
from tests.linked import linked_api_settings, linked_notifier_settings
from tests.notifier.helpers import bodies

SECRET = "browser-selfservice-secret"
ADDRESS = "ana@example.org"


@pytest.fixture
def api_settings(make_settings: Callable[..., Any]) -> ApiSettings:
    return linked_api_settings(make_settings, SECRET)


@pytest.fixture
def notifier_settings(
    make_settings: Callable[..., Any], mail: MailCatcher, api_settings: ApiSettings
) -> NotifierSettings:
    return linked_notifier_settings(make_settings, mail, api_settings, SECRET)


async def _no_grave_violations(page: Page) -> None:
    results = await Axe().run(page)
    violations = results.response["violations"]
    grave = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
    assert grave == [], grave


async def test_subscribe_confirm_and_change_preferences_in_a_browser(
    api: Any,
    operator: httpx.AsyncClient,
    notifier: RunningNotifier,
    mail: MailCatcher,
    chromium: Browser,
    screenshot: Screenshot,
) -> None:
    components = [
        {"slug": "outgoing", "name": "Outgoing mail"},
        {"slug": "webmail", "name": "Webmail"},
    ]
    for slug, name, parts in (("email", "Email", components), ("payroll", "Payroll", [])):
        created = await operator.post(
            "/v1/services", json={"slug": slug, "name": name, "components": parts}
        )
        assert created.status_code == 201, created.text
    context = await chromium.new_context()
    try:
        page = await context.new_page()
        await page.goto(f"{api.url}/subscribe")
        await _no_grave_violations(page)
        await page.get_by_label("Email address").fill(ADDRESS)
        # Only webmail, not the whole of Email: its box sits in the group named after Email,
        # reached and ticked from the keyboard.
        parts_of_email = page.get_by_role("group", name="Or only parts of Email")
        await parts_of_email.get_by_label("Webmail").focus()
        await page.keyboard.press("Space")
        assert await parts_of_email.get_by_label("Webmail").is_checked()
        assert not await page.get_by_label("Email", exact=True).is_checked()
        await page.get_by_label("Timezone").fill("Europe/Paris")
        await page.get_by_label("Language").select_option("fr")
        await screenshot(page, "form")
        await page.get_by_role("button", name="Subscribe").press("Enter")
        await page.wait_for_load_state()
        assert await page.get_by_role("heading", level=1).inner_text() == "Check your inbox"
        await screenshot(page, "check-inbox")

        await eventually(lambda: [m for m in mail.mails if m.recipients == (ADDRESS,)])
        text, _ = bodies(mail.mails[0].message)
        found = re.search(r"(http://\S+/subscribe/confirm/\S+)", text)
        assert found is not None, text
        assert "Email: Webmail" in text  # what they chose, named in the email
        await page.goto(found[1])
        heading = await page.get_by_role("heading", level=1).inner_text()
        assert heading == "Your subscription is confirmed"
        await _no_grave_violations(page)
        await screenshot(page, "confirmed")

        await page.get_by_role("link", name="Change what you receive").click()
        await page.wait_for_load_state()
        assert await parts_of_email.get_by_label("Webmail").is_checked()
        assert not await page.get_by_label("Email", exact=True).is_checked()
        await _no_grave_violations(page)
        await page.get_by_label("Payroll").check()
        await page.get_by_role("button", name="Save").click()
        await page.wait_for_load_state()
        assert await page.get_by_role("status").inner_text() == "Your preferences are saved."
        await screenshot(page, "preferences-saved")
    finally:
        await context.close()

    (subscriber,) = (await operator.get("/v1/subscribers")).json()["items"]
    assert subscriber["email"] == ADDRESS
    assert subscriber["services"] == ["payroll"]
    assert subscriber["components"] == ["email/webmail"]
    assert subscriber["language"] == "fr"
