"""The feedback form behind the signed link in a post-incident report: it shows the incident
and accessible 1-7 scales, keeps one answer per respondent and incident (a second replaces
the first) and publishes it without the comment, shows the form again with each mistake for
bad input (422), and answers 404 for a link that lets nobody answer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from candor_dev.ports import free_port
from candor_incident_api.feedback.models import IncidentFeedback
from candor_incident_api.settings import ApiSettings
from candor_shared.contract import FeedbackReceived, Topics
from candor_shared.feedback import feedback_token
from tests.conftest import ADMIN_TOKEN, RunningApi, eventually
from tests.kafka_helpers import read_events

SECRET = "feedback-test-secret"

VALID = {
    "kept_informed": "2",
    "disruption": "6",
    "adequate_percent": "99,5",
    "desired_percent": "99.9",
    "perceived_minutes": "180",
    "comment": "We heard nothing for an hour <b>at all</b>.",
}


class FormPage(HTMLParser):
    """What a browser (or a screen reader) finds on the page: inputs, labels, errors."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str]] = []
        self.label_for: set[str] = set()
        self.legends = 0
        self.forms: list[dict[str, str]] = []
        self.errors: dict[str, str] = {}
        self.title = ""
        self._in: str | None = None
        self._error_id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag in ("input", "textarea"):
            self.inputs.append({"tag": tag, **found})
        elif tag == "label" and "for" in found:
            self.label_for.add(found["for"])
        elif tag == "legend":
            self.legends += 1
        elif tag == "form":
            self.forms.append(found)
        elif tag == "title":
            self._in = "title"
        elif tag == "p" and found.get("class") == "error":
            self._error_id = found.get("id", "")
            self._in = "error"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("title", "p"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "error" and self._error_id:
            field = self._error_id.removesuffix("-error")
            self.errors[field] = self.errors.get(field, "") + data

    def field(self, name: str) -> list[dict[str, str]]:
        return [item for item in self.inputs if item.get("name") == name]


def parse(html: str) -> FormPage:
    page = FormPage()
    page.feed(html)
    page.close()
    return page


@pytest.fixture
def api_settings(make_settings: Callable[..., Any]) -> Any:
    """incident-api signing links with the test's secret."""
    return make_settings(
        ApiSettings,
        "incident-api",
        admin_token=ADMIN_TOKEN,
        api_port=free_port(),
        unsubscribe_secret=SECRET,
    )


class Setting:
    """An incident of the Email service and one subscriber who may answer about it."""

    def __init__(self, api: RunningApi, incident_id: str, subscriber_id: str) -> None:
        self.api = api
        self.incident_id = incident_id
        self.subscriber_id = subscriber_id
        self.path = f"/feedback/{feedback_token(incident_id, subscriber_id, SECRET)}"


@pytest.fixture
async def setting(api: RunningApi, operator: httpx.AsyncClient) -> Setting:
    response = await operator.post("/v1/services", json={"slug": "email", "name": "Email"})
    assert response.status_code == 201, response.text
    response = await operator.post(
        "/v1/incidents",
        json={"service": "email", "title": "Outgoing mail is not being delivered"},
    )
    assert response.status_code == 201, response.text
    incident_id = response.json()["id"]
    response = await operator.post(
        "/v1/subscribers", json={"email": "ana@example.org", "services": ["email"]}
    )
    assert response.status_code == 201, response.text
    return Setting(api, incident_id, response.json()["id"])


async def stored(api: RunningApi) -> list[IncidentFeedback]:
    async with api.app.state.candor.sessions() as session:
        return list(await session.scalars(select(IncidentFeedback)))


async def published(api: RunningApi, count: int) -> list[FeedbackReceived]:
    topic = Topics(api.settings.kafka_topic_prefix).incident

    async def found() -> list[FeedbackReceived]:
        events = await read_events(api.settings.kafka_bootstrap, topic, count=50, timeout=1)
        answers = [e.data for e in events if isinstance(e.data, FeedbackReceived)]
        return answers if len(answers) >= count else []

    answers: list[FeedbackReceived] = await eventually(found, timeout=20)
    return answers


async def test_the_form_shows_the_incident_and_two_scales_every_field_labelled(
    setting: Setting,
) -> None:
    async with setting.api.client(token=None) as anyone:
        response = await anyone.get(setting.path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    page = parse(response.text)
    assert "Email" in page.title
    assert "Outgoing mail is not being delivered" in response.text
    assert page.forms == [{"method": "post", "novalidate": ""}]
    for scale in ("kept_informed", "disruption"):
        radios = page.field(scale)
        assert [radio["value"] for radio in radios] == [str(n) for n in range(1, 8)]
        assert all(radio["type"] == "radio" and "checked" not in radio for radio in radios)
    assert page.legends == 3  # the two scales and the expected availability
    for name in ("adequate_percent", "desired_percent", "perceived_minutes"):
        (field,) = page.field(name)
        assert field["type"] == "text"
        assert field["value"] == ""
    (comment,) = page.field("comment")
    assert comment["tag"] == "textarea"
    assert comment["maxlength"] == "2000"
    # Every control has a label of its own (screen readers announce it).
    assert {item["id"] for item in page.inputs} <= page.label_for
    assert page.errors == {}


async def test_an_answer_is_kept_published_without_the_comment_and_a_second_replaces_it(
    setting: Setting,
) -> None:
    api = setting.api
    async with api.client(token=None) as anyone:
        response = await anyone.post(setting.path, data=VALID)
        assert response.status_code == 200, response.text
        assert "Thank you for your feedback" in response.text

        (row,) = await stored(api)
        assert (str(row.incident_id), str(row.subscriber_id)) == (
            setting.incident_id,
            setting.subscriber_id,
        )
        assert (row.kept_informed, row.disruption) == (2, 6)
        assert (row.adequate_percent, row.desired_percent) == (99.5, 99.9)
        assert row.perceived_minutes == 180
        assert row.comment == VALID["comment"]
        first_answered_at = row.first_answered_at

        second = {
            **VALID,
            "kept_informed": "5",
            "perceived_minutes": "",
            "comment": "",
            "adequate_percent": "99",
        }
        response = await anyone.post(setting.path, data=second)
        assert response.status_code == 200, response.text

        (row,) = await stored(api)
        assert (row.kept_informed, row.adequate_percent, row.perceived_minutes) == (5, 99.0, None)
        assert row.comment == ""
        assert row.first_answered_at == first_answered_at
        assert row.answered_at > first_answered_at

        # Opening the link again shows the answer kept, to change it.
        page = parse((await anyone.get(setting.path)).text)
        checked = [radio["value"] for radio in page.field("kept_informed") if "checked" in radio]
        assert checked == ["5"]
        assert page.field("adequate_percent")[0]["value"] == "99"

    answers = await published(api, 2)
    first, latest = sorted(answers, key=lambda answer: answer.answered_at)
    assert latest.incident_id == setting.incident_id
    assert latest.respondent == setting.subscriber_id
    assert latest.service.slug == "email"
    assert (first.kept_informed, first.perceived_downtime) == (2, timedelta(minutes=180))
    assert (latest.kept_informed, latest.perceived_downtime) == (5, None)
    # Nothing but the figures travels: no comment, no address.
    raw = first.model_dump_json()
    assert "heard nothing" not in raw
    assert "ana@example.org" not in raw


@pytest.mark.parametrize(
    ("changes", "mistakes"),
    [
        (
            {name: "" for name in VALID},
            {"kept_informed", "disruption", "adequate_percent", "desired_percent"},
        ),
        ({"kept_informed": "8", "disruption": "0"}, {"kept_informed", "disruption"}),
        ({"kept_informed": "3.5"}, {"kept_informed"}),
        ({"adequate_percent": "most of the time"}, {"adequate_percent"}),
        (
            {"adequate_percent": "101", "desired_percent": "nan"},
            {"adequate_percent", "desired_percent"},
        ),
        ({"adequate_percent": "99.9", "desired_percent": "99"}, {"desired_percent"}),
        ({"perceived_minutes": "-5"}, {"perceived_minutes"}),
        ({"perceived_minutes": "1e9"}, {"perceived_minutes"}),
        ({"perceived_minutes": "999999999"}, {"perceived_minutes"}),
        ({"comment": "x" * 2001}, {"comment"}),
    ],
)
async def test_mistakes_answer_422_with_the_form_again_each_mistake_by_its_field(
    setting: Setting, changes: dict[str, str], mistakes: set[str]
) -> None:
    async with setting.api.client(token=None) as anyone:
        response = await anyone.post(setting.path, data={**VALID, **changes})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    assert set(page.errors) == mistakes
    assert page.title.startswith("Check your answer")
    assert 'role="alert"' in response.text
    for name in mistakes - {"comment"}:
        for field in page.field(name):
            assert field["aria-invalid"] == "true"
            # A scale's fieldset names its error; a text field names it itself.
            if field["type"] != "radio":
                assert f"{name}-error" in field["aria-describedby"].split()
    # What was typed is shown again (escaped), so that nothing has to be typed twice.
    if "comment" not in changes:
        assert "&lt;b&gt;at all&lt;/b&gt;" in response.text
    assert await stored(setting.api) == []


async def test_what_is_not_a_form_reads_as_an_empty_one(setting: Setting) -> None:
    async with setting.api.client(token=None) as anyone:
        as_json = await anyone.post(setting.path, json=VALID)
        with_nul = await anyone.post(setting.path, data={**VALID, "comment": "a\x00b"})
        too_many = await anyone.post(
            setting.path,
            content="&".join(f"f{n}=1" for n in range(100)),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )

    assert as_json.status_code == 422
    assert set(parse(as_json.text).errors) >= {"kept_informed", "adequate_percent"}
    assert too_many.status_code == 422
    # NUL is dropped (PostgreSQL's text refuses it); the rest is kept.
    assert with_nul.status_code == 200
    (row,) = await stored(setting.api)
    assert row.comment == "ab"


async def test_a_link_that_lets_nobody_answer_is_a_404_page(
    setting: Setting, operator: httpx.AsyncClient
) -> None:
    token = feedback_token(setting.incident_id, setting.subscriber_id, SECRET)
    signature = token.rsplit(".", 1)[1]
    unknown = str(uuid.uuid4())
    refused = [
        "/feedback/not-a-token",
        f"/feedback/{token[:-1]}",
        f"/feedback/{feedback_token(setting.incident_id, setting.subscriber_id, 'other')}",
        f"/feedback/{setting.incident_id}.{unknown}.{signature}",
        f"/feedback/{feedback_token(unknown, setting.subscriber_id, SECRET)}",
        f"/feedback/{feedback_token(setting.incident_id, unknown, SECRET)}",
        f"/feedback/{feedback_token('not-a-uuid', setting.subscriber_id, SECRET)}",
        f"/feedback/{'a' * 300}",
    ]
    async with setting.api.client(token=None) as anyone:
        for path in refused:
            for method in ("GET", "POST"):
                response = await anyone.request(method, path, data=VALID)
                assert response.status_code == 404, (method, path)
                assert "This feedback link is not valid" in response.text
        assert await stored(setting.api) == []

        # An answer, then the subscriber is erased: the answer goes, the link answers 404.
        assert (await anyone.post(setting.path, data=VALID)).status_code == 200
        response = await operator.delete(f"/v1/subscribers/{setting.subscriber_id}")
        assert response.status_code == 204
        assert await stored(setting.api) == []
        assert (await anyone.get(setting.path)).status_code == 404


async def test_without_a_secret_no_link_is_valid(
    make_settings: Callable[..., Any], topic_prefix: str
) -> None:
    settings = make_settings(
        ApiSettings, "incident-api", admin_token=ADMIN_TOKEN, api_port=free_port()
    )
    running = RunningApi(settings)
    await running.start()
    try:
        token = feedback_token(str(uuid.uuid4()), str(uuid.uuid4()), SECRET)
        async with running.client(token=None) as anyone:
            response = await anyone.get(f"/feedback/{token}")
        assert response.status_code == 404
        assert "This feedback link is not valid" in response.text
    finally:
        await running.stop()
