"""Self-service subscriptions to components: the form offers each service's components under
it (plain checkboxes in a fieldset per service, no JavaScript), what was chosen is kept
through double opt-in into the subscriber's component subscriptions, and the preferences page
changes them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select

from candor_dev.ports import free_port
from candor_incident_api.selfservice.models import PendingSubscription
from candor_incident_api.settings import ApiSettings
from candor_shared.subscription_links import confirmation_token, preferences_url
from tests.conftest import ADMIN_TOKEN, RunningApi

SECRET = "selfservice-components-secret"
PARTS_OF_EMAIL = ["Services", "Or only parts of Email"]


async def _post_form(
    client: httpx.AsyncClient, path: str, pairs: list[tuple[str, str]]
) -> httpx.Response:
    """A form with repeated fields, encoded as a browser does."""
    return await client.post(
        path,
        content=urlencode(pairs),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


@pytest.fixture
def api_settings(make_settings: Callable[..., Any]) -> ApiSettings:
    port = free_port()
    settings: ApiSettings = make_settings(
        ApiSettings,
        "incident-api",
        admin_token=ADMIN_TOKEN,
        api_port=port,
        public_url=f"http://127.0.0.1:{port}",
        unsubscribe_secret=SECRET,
    )
    return settings


@pytest.fixture
async def browser(api: RunningApi, operator: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    email = {
        "slug": "email",
        "name": "Email",
        "components": [
            {"slug": "outgoing", "name": "Outgoing mail"},
            {"slug": "webmail", "name": "Webmail"},
        ],
    }
    for body in (email, {"slug": "vpn", "name": "Remote access"}):
        response = await operator.post("/v1/services", json=body)
        assert response.status_code == 201, response.text
    async with api.client(token=None) as client:
        yield client


class _Checkboxes(HTMLParser):
    """Each checkbox with its label's text and the legends of the fieldsets around it."""

    def __init__(self) -> None:
        super().__init__()
        self.boxes: list[dict[str, Any]] = []
        self.legends: list[str] = []
        self._in_legend = False
        self._label: dict[str, Any] | None = None
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts += 1
        elif tag == "fieldset":
            self.legends.append("")
        elif tag == "legend":
            self._in_legend = True
        elif tag == "label":
            self._label = {"text": ""}
        elif tag == "input" and attributes.get("type") == "checkbox":
            box = {
                "name": attributes.get("name"),
                "value": attributes.get("value"),
                "checked": "checked" in attributes,
                "legends": list(self.legends),
                "label": self._label,
            }
            self.boxes.append(box)

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset":
            self.legends.pop()
        elif tag == "legend":
            self._in_legend = False
        elif tag == "label":
            self._label = None

    def handle_data(self, data: str) -> None:
        if self._in_legend:
            self.legends[-1] += data
        if self._label is not None:
            self._label["text"] += data


def _boxes(html: str) -> list[tuple[str, str, bool, list[str], str]]:
    parser = _Checkboxes()
    parser.feed(html)
    parser.close()
    assert parser.scripts == 0  # nothing here needs JavaScript
    return [
        (
            box["name"],
            box["value"],
            box["checked"],
            [" ".join(legend.split()) for legend in box["legends"]],
            " ".join((box["label"] or {"text": ""})["text"].split()),
        )
        for box in parser.boxes
    ]


async def _pending(api: RunningApi) -> list[PendingSubscription]:
    async with api.app.state.candor.sessions() as session:
        return list(await session.scalars(select(PendingSubscription)))


async def test_components_are_offered_under_their_service_and_kept_through_opt_in(
    api: RunningApi, operator: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    form = await browser.get("/subscribe")
    assert form.status_code == 200
    # In the page's order: each service, then its components in a fieldset of their own,
    # every checkbox inside its label (clicking the words ticks it; Tab and Space reach it).
    assert _boxes(form.text) == [
        ("service", "email", False, ["Services"], "Email"),
        (
            "component",
            "email/outgoing",
            False,
            ["Services", "Or only parts of Email"],
            "Outgoing mail",
        ),
        ("component", "email/webmail", False, ["Services", "Or only parts of Email"], "Webmail"),
        ("service", "vpn", False, ["Services"], "Remote access"),
    ]

    # A component of a service that does not have it: the form again, with what was chosen.
    wrong = await _post_form(
        browser,
        "/subscribe",
        [
            ("email", "ana@example.org"),
            ("component", "email/webmail"),
            ("component", "vpn/webmail"),
        ],
    )
    assert wrong.status_code == 422
    assert "Choose among the services and components listed." in wrong.text
    assert ("component", "email/webmail", True) in [b[:3] for b in _boxes(wrong.text)]
    assert await _pending(api) == []

    # Only a component, no whole service: enough to subscribe.
    asked = await _post_form(
        browser,
        "/subscribe",
        [
            ("email", "ana@example.org"),
            ("component", "email/webmail"),
            ("timezone", "Europe/Paris"),
            ("language", "fr"),
        ],
    )
    assert asked.status_code == 200, asked.text
    (pending,) = await _pending(api)
    assert (pending.services, pending.components) == ([], ["email/webmail"])
    # Nothing is followed until the emailed link is.
    assert (await operator.get("/v1/subscribers")).json()["items"] == []

    token = confirmation_token(str(pending.id), pending.expires_at, SECRET)
    confirmed = await browser.get(f"/subscribe/confirm/{token}")
    assert confirmed.status_code == 200, confirmed.text
    (ana,) = (await operator.get("/v1/subscribers")).json()["items"]
    assert (ana["email"], ana["services"], ana["components"]) == (
        "ana@example.org",
        [],
        ["email/webmail"],
    )
    assert (ana["timezone"], ana["language"]) == ("Europe/Paris", "fr")

    # The preferences page shows the component chosen, and changes it.
    link = preferences_url(api.settings.public_url, ana["id"], SECRET)
    path = link.removeprefix(api.settings.public_url)
    shown = await browser.get(path)
    assert shown.status_code == 200
    assert [b[:3] for b in _boxes(shown.text)] == [
        ("service", "email", False),
        ("component", "email/outgoing", False),
        ("component", "email/webmail", True),
        ("service", "vpn", False),
    ]
    changed = await _post_form(
        browser,
        path,
        [
            ("component", "email/outgoing"),
            ("service", "vpn"),
            ("timezone", "Europe/Paris"),
            ("language", "fr"),
            ("action", "save"),
        ],
    )
    assert changed.status_code == 200, changed.text
    assert "Your preferences are saved." in changed.text
    saved = (await operator.get(f"/v1/subscribers/{ana['id']}")).json()
    assert (saved["services"], saved["components"]) == (["vpn"], ["email/outgoing"])
    assert [b[:3] for b in _boxes(changed.text) if b[2]] == [
        ("component", "email/outgoing", True),
        ("service", "vpn", True),
    ]
