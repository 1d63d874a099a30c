"""Subscribers with channels through POST /v1/subscribers: what is accepted, what is refused
(server-side request forgery included) and the webhook secret shown once; the catalog event
carries the channels the notifier needs.

No allowlist here (the default): every loopback, private or link-local spelling is refused.
Accepted URLs use names that do not resolve on a machine without DNS, which is allowed (the
notifier checks each address again when it connects).
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from candor_shared.contract import SubscriberErased, SubscriberUpserted
from tests.conftest import eventually
from tests.incident_api.helpers import outbox_empty
from tests.kafka_helpers import read_events

SLACK = "https://hooks.slack.com/services/T000/B000/XXXX"
TEAMS = "https://example.webhook.office.com/workflows/abc"
HOOK = "https://hooks.example.org/candor"


@pytest.fixture
async def email_service(operator: httpx.AsyncClient) -> None:
    response = await operator.post("/v1/services", json={"slug": "email", "name": "Email"})
    assert response.status_code == 201, response.text


def body(*channels: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {
        "name": "Finance department",
        "channels": list(channels),
        "services": ["email"],
    } | fields


async def test_channels_are_saved_and_the_webhook_secret_shown_once(
    operator: httpx.AsyncClient, email_service: None
) -> None:
    response = await operator.post(
        "/v1/subscribers",
        json=body(
            {"type": "email", "address": "finance@Example.ORG"},
            {"type": "slack", "url": SLACK},
            {"type": "teams", "url": TEAMS},
            {"type": "webhook", "url": HOOK},
            {"type": "apprise", "url": "mmosts://chat.example.org/abcdefghijk"},
            timezone="Europe/Paris",
            language="fr",
        ),
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["name"] == "Finance department"
    assert created["email"] == "finance@example.org"
    by_type = {channel["type"]: channel for channel in created["channels"]}
    assert sorted(by_type) == ["apprise", "email", "slack", "teams", "webhook"]
    assert by_type["email"]["address"] == "finance@example.org"
    assert by_type["slack"]["url"] == SLACK
    secret = by_type["webhook"]["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert [c["secret"] for c in created["channels"] if c["type"] != "webhook"] == [None] * 4

    shown = (await operator.get(f"/v1/subscribers/{created['id']}")).json()
    listed = (await operator.get("/v1/subscribers")).json()["items"]
    again = await operator.post(
        "/v1/subscribers",
        json=body(
            {"type": "email", "address": "finance@example.org"},
            {"type": "webhook", "url": HOOK},
            {"type": "slack", "url": SLACK},
        ),
    )
    moved = await operator.post(
        "/v1/subscribers",
        json=body(
            {"type": "email", "address": "finance@example.org"},
            {"type": "webhook", "url": HOOK + "/v2"},
        ),
    )

    assert secret not in str(shown) + str(listed)
    assert [c["type"] for c in shown["channels"]] == [
        "email",
        "apprise",
        "slack",
        "teams",
        "webhook",
    ]
    assert again.status_code == 200, again.text
    assert [c["type"] for c in again.json()["channels"]] == ["email", "slack", "webhook"]
    assert secret not in again.text  # the same URL keeps its secret, unseen
    assert moved.status_code == 200, moved.text
    new_secret = {c["type"]: c for c in moved.json()["channels"]}["webhook"]["secret"]
    assert new_secret.startswith("whsec_")
    assert new_secret != secret


async def test_the_email_only_form_stays_valid_and_keeps_other_channels(
    operator: httpx.AsyncClient, email_service: None
) -> None:
    first = await operator.post(
        "/v1/subscribers", json={"email": "ana@example.org", "services": []}
    )
    with_slack = await operator.post(
        "/v1/subscribers",
        json=body({"type": "email", "address": "ana@example.org"}, {"type": "slack", "url": SLACK}),
    )
    plain_again = await operator.post(
        "/v1/subscribers", json={"email": "ana@example.org", "services": ["email"]}
    )

    assert first.status_code == 201, first.text
    assert [c["type"] for c in first.json()["channels"]] == ["email"]
    assert with_slack.status_code == 200, with_slack.text
    assert plain_again.status_code == 200, plain_again.text
    assert [c["type"] for c in plain_again.json()["channels"]] == ["email", "slack"]
    assert plain_again.json()["name"] == "Finance department"


async def test_a_team_without_email_is_a_subscriber_of_its_own(
    operator: httpx.AsyncClient, email_service: None
) -> None:
    response = await operator.post(
        "/v1/subscribers", json=body({"type": "teams", "url": TEAMS}, name="Service desk")
    )

    assert response.status_code == 201, response.text
    assert response.json()["email"] is None
    assert [c["type"] for c in response.json()["channels"]] == ["teams"]


# One API for many cases (starting one per case would dominate the suite's time); each
# case is checked and every mismatch reported together.
REFUSED_URLS = [
    ("webhook", "http://169.254.169.254/latest/meta-data/", "(cloud metadata service)"),
    ("slack", "https://169.254.169.254/", "link-local (cloud metadata service)"),
    ("webhook", "http://[::ffff:127.0.0.1]/", "loopback, written as IPv6"),
    ("teams", "http://[::ffff:127.0.0.1]/", "loopback, written as IPv6"),
    ("webhook", "http://2130706433/", "loopback"),
    ("slack", "https://0x7f.1/hook", "loopback"),
    ("teams", "https://10.0.0.1/hook", "private (RFC 1918)"),
    ("webhook", "https://[::1]:8080/", "loopback"),
    ("slack", "https://localhost/hook", "loopback name"),
    ("teams", "https://user:pw@hooks.example.org/", "user name or password"),
    ("webhook", "ftp://hooks.example.org/", "only http and https"),
    ("slack", "http://hooks.example.org/", "https is required"),
    ("apprise", "json://127.0.0.1:8080/", "loopback"),
    ("apprise", "mmost://2130706433/token", "loopback"),
    ("apprise", "ntfys://[::ffff:169.254.169.254]/topic", "link-local"),
    ("apprise", "mailto://user:pw@example.org?smtp=10.1.2.3", "private"),
    ("apprise", "syslog://", "notifies the machine Candor runs on"),
    ("apprise", "nosuchservice://abc", "not an Apprise URL"),
]


async def test_urls_to_internal_addresses_are_refused(
    operator: httpx.AsyncClient, email_service: None
) -> None:
    wrong = []
    for channel_type, url, reason in REFUSED_URLS:
        response = await operator.post(
            "/v1/subscribers",
            json=body(
                {"type": "email", "address": "a@example.org"}, {"type": channel_type, "url": url}
            ),
        )
        detail = response.json().get("detail", "")
        if (
            response.status_code != 422
            or response.headers["content-type"] != "application/problem+json"
            or not detail.startswith("body.channels[1].url: ")
            or reason not in detail
        ):
            wrong.append((channel_type, url, response.status_code, detail))

    assert wrong == []
    assert (await operator.get("/v1/subscribers")).json()["items"] == []


MALFORMED = [
    ({"services": ["email"]}, "give an email address, or channels"),
    ({"channels": [], "services": ["email"]}, "give an email address, or channels"),
    (
        body({"type": "slack", "url": SLACK}, {"type": "slack", "url": SLACK + "2"}),
        "at most one channel of each type",
    ),
    (body({"type": "email", "address": "not an address"}), "not an email address"),
    (body({"type": "sms", "url": "tel:+331234"}), "channels.0"),
    (body({"type": "slack"}), "channels.0.slack.url"),
    (body({"type": "slack", "url": "https://hooks.example.org/a b"}), "no spaces"),
    (body({"type": "slack", "url": "https://x/" + "a" * 2100}), "at most 2048"),
    (body({"type": "email", "address": "a@example.org"}, email="b@example.org"), "two addresses"),
]


async def test_malformed_channels_are_refused_with_the_field_named(
    operator: httpx.AsyncClient, email_service: None
) -> None:
    wrong = []
    for sent, field in MALFORMED:
        response = await operator.post("/v1/subscribers", json=sent)
        said = response.json().get("detail", "") + str(response.json().get("errors"))
        if response.status_code != 422 or field not in said:
            wrong.append((field, response.status_code, said))

    assert wrong == []


async def test_the_catalog_event_carries_the_channels_and_erasure_follows(
    api: Any, operator: httpx.AsyncClient, email_service: None
) -> None:
    created = (
        await operator.post(
            "/v1/subscribers",
            json=body(
                {"type": "email", "address": "finance@example.org"},
                {"type": "webhook", "url": HOOK},
                {"type": "slack", "url": SLACK},
            ),
        )
    ).json()
    secret = {c["type"]: c for c in created["channels"]}["webhook"]["secret"]
    # Erasure drops what is still unpublished about the subscriber: let the upsert go first.
    await eventually(lambda: outbox_empty(api))
    assert (await operator.delete(f"/v1/subscribers/{created['id']}")).status_code == 204

    settings = api.settings
    events = await read_events(
        settings.kafka_bootstrap, f"{settings.kafka_topic_prefix}candor.catalog.v1", count=3
    )

    mine = [event.data for event in events if getattr(event.data, "id", None) == created["id"]]
    upserted, erased = mine
    assert isinstance(upserted, SubscriberUpserted)
    assert isinstance(erased, SubscriberErased)
    assert upserted.email == "finance@example.org"
    assert "Finance department" not in upserted.model_dump_json()
    assert [(c.type, c.address, c.url, c.secret) for c in upserted.channels] == [
        ("email", "finance@example.org", None, None),
        ("slack", None, SLACK, None),
        ("webhook", None, HOOK, secret),
    ]


async def test_a_channel_marked_fallback_is_saved_shown_and_published_as_one(
    api: Any, operator: httpx.AsyncClient, email_service: None
) -> None:
    response = await operator.post(
        "/v1/subscribers",
        json=body(
            {"type": "email", "address": "finance@example.org"},
            {"type": "slack", "url": SLACK, "fallback": True},
        ),
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert [(c["type"], c["fallback"]) for c in created["channels"]] == [
        ("email", False),
        ("slack", True),
    ]
    # Swapping roles is a change, published again; the same body again is not.
    swapped = body(
        {"type": "email", "address": "finance@example.org", "fallback": True},
        {"type": "slack", "url": SLACK},
    )
    changed = (await operator.post("/v1/subscribers", json=swapped)).json()
    assert [(c["type"], c["fallback"]) for c in changed["channels"]] == [
        ("email", True),
        ("slack", False),
    ]
    assert (await operator.post("/v1/subscribers", json=swapped)).status_code == 200
    shown = (await operator.get(f"/v1/subscribers/{created['id']}")).json()
    assert shown["channels"] == changed["channels"]
    refused = await operator.post(
        "/v1/subscribers",
        json=body({"type": "slack", "url": SLACK, "fallback": "sometimes"}),
    )
    assert refused.status_code == 422

    await eventually(lambda: outbox_empty(api))
    settings = api.settings
    events = await read_events(
        settings.kafka_bootstrap, f"{settings.kafka_topic_prefix}candor.catalog.v1", count=None
    )
    mine = [event.data for event in events if getattr(event.data, "id", None) == created["id"]]
    assert [[(c.type, c.fallback) for c in upserted.channels] for upserted in mine] == [
        [("email", False), ("slack", True)],
        [("email", True), ("slack", False)],
    ]
