"""Helpers shared by incident-api tests."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import httpx
from sqlalchemy import func, select

from candor_incident_api.incidents.models import Alert, Incident
from candor_incident_api.models import OutboxRecord


async def setup_email(operator: httpx.AsyncClient, *, default_service: str | None = "email") -> str:
    """Create the Email service and an Alertmanager integration; return the integration key."""
    response = await operator.post("/v1/services", json={"slug": "email", "name": "Email"})
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = {"name": "prom", "source": "alertmanager"}
    if default_service:
        body["default_service"] = default_service
    response = await operator.post("/v1/integrations", json=body)
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    return key


async def post_alert(api: Any, key: str | None, payload: Any, **kwargs: Any) -> httpx.Response:
    """POST an Alertmanager payload with ``key`` as bearer token."""
    async with api.client(token=key) as client:
        response: httpx.Response
        if isinstance(payload, (bytes, str)):
            response = await client.post(
                "/v1/ingest/alertmanager",
                content=payload,
                headers={"content-type": "application/json"},
                **kwargs,
            )
        else:
            response = await client.post("/v1/ingest/alertmanager", json=payload, **kwargs)
        return response


async def row_counts(api: Any) -> dict[str, int]:
    """How many incidents, alerts and unsent outbox rows incident-api's database holds."""
    sessions = api.app.state.candor.sessions
    async with sessions() as session:
        return {
            "incidents": await session.scalar(select(func.count()).select_from(Incident)),
            "alerts": await session.scalar(select(func.count()).select_from(Alert)),
            "outbox": await session.scalar(select(func.count()).select_from(OutboxRecord)),
        }


async def outbox_empty(api: Any) -> bool:
    """Whether incident-api's relay has published every outbox row."""
    return (await row_counts(api))["outbox"] == 0


class HtmlPage(HTMLParser):
    """A public page as a reader meets it: tags that must nest and close (``errors``, ``open``),
    its visible text (``text``, elements apart; scripts, styles and the title left out), the
    text of each element with an id (``text_by_id``), its links (href and text), the
    ``datetime`` of its ``<time>`` elements, its language and the tags it uses."""

    VOID = {"meta", "link", "br", "img", "input", "hr", "source", "wbr", "area", "col"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, str | None]] = []
        self.errors: list[str] = []
        self.text_by_id: dict[str, str] = {}
        self.text = ""
        self.links: list[tuple[str, str]] = []
        self.times: list[str] = []
        self.lang: str | None = None
        self.saw: set[str] = set()
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.saw.add(tag)
        self.text += " "  # elements apart, as a reader sees them
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag == "time":
            self.times.append(attributes.get("datetime") or "")
        if tag == "a":
            self._href = attributes.get("href") or ""
            self.links.append((self._href, ""))
        if tag not in self.VOID:
            self.open.append((tag, attributes.get("id")))
            if attributes.get("id"):
                self.text_by_id.setdefault(attributes["id"] or "", "")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
            return
        self.open.pop()
        if tag == "a":
            self._href = None

    def handle_data(self, data: str) -> None:
        if any(tag in ("script", "style", "title") for tag, _ in self.open):
            return
        self.text += data
        if self._href is not None:
            href, text = self.links[-1]
            self.links[-1] = (href, text + data)
        for _, element_id in self.open:
            if element_id:
                self.text_by_id[element_id] += data


def parsed_page(html: str) -> HtmlPage:
    """``html`` parsed, its tags checked: every one nests and closes."""
    page = HtmlPage()
    page.feed(html)
    page.close()
    assert page.errors == []
    assert page.open == []
    return page


def words(text: str) -> str:
    """``text`` with its white space folded, as a reader reads it."""
    return " ".join(text.split())
