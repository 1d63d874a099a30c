"""A subscriber's other channels: Slack, Teams, a signed webhook and an Apprise URL get the
same words as their email, once each; the answers of the endpoints decide retries.

The endpoints are a local catcher on 127.0.0.1, which the admin allowlist names (as an
intranet relay would be); events reach the notifier over the real broker.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import timedelta
from typing import Any

import pytest

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.models import Base, load_all_models
from candor_shared.contract import (
    CloudEvent,
    SubscriberChannel,
    SubscriberErased,
    SubscriberUpserted,
    new_event,
)
from tests.conftest import RunningNotifier, eventually
from tests.notifier.helpers import (
    SOURCE,
    bodies,
    deliveries,
    duplicates_skipped,
    opened,
    publish,
    snapshot,
)
from tests.notifier.hook_catcher import HookCatcher

SECRET = "whsec_" + base64.b64encode(b"a secret of thirty-two bytes!!!!").decode()


@pytest.fixture
def notifier_settings(notifier_settings: Any) -> Any:
    """The notifier, allowed to reach the local catcher (and only 127.0.0.1)."""
    return notifier_settings.model_copy(update={"outbound_allowlist": "127.0.0.1"})


def reached_by(
    *channels: SubscriberChannel,
    subscriber_id: str | None = None,
    timezone: str = "UTC",
    language: str = "en",
) -> CloudEvent[Any]:
    """A SubscriberUpserted event for a follower of Email reached through ``channels``."""
    email = next((c.address for c in channels if c.type == "email"), None)
    data = SubscriberUpserted(
        id=subscriber_id or str(uuid.uuid4()),
        email=email,
        services=["email"],
        timezone=timezone,
        language=language,
        channels=list(channels),
    )
    return new_event(data, source=SOURCE, key=data.id)


def verify_standard_webhook(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, written from the Standard Webhooks specification: HMAC-SHA256
    keyed with the base64-decoded secret over ``id.timestamp.body``, compared with every
    ``v1,`` signature in the header."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = headers["webhook-signature"].split(" ")
    return any(
        version == "v1" and hmac.compare_digest(value, expected)
        for version, _, value in (item.partition(",") for item in offered)
    )


async def _settled(sessions: Any, *, count: int, states: tuple[str, ...] = ("sent",)) -> Any:
    rows = await deliveries(sessions)
    if len(rows) == count and all(row.state in states for row in rows):
        return rows
    return None


async def test_one_incident_reaches_every_channel_in_the_recipients_words(
    notifier: RunningNotifier, mail: MailCatcher, hooks: HookCatcher
) -> None:
    await publish(
        notifier.settings,
        reached_by(
            SubscriberChannel(type="email", address="amelie@example.org"),
            SubscriberChannel(type="slack", url=f"{hooks.url}/slack"),
            SubscriberChannel(type="teams", url=f"{hooks.url}/teams"),
            SubscriberChannel(type="webhook", url=f"{hooks.url}/hooks/candor", secret=SECRET),
            SubscriberChannel(type="apprise", url=f"json://127.0.0.1:{hooks.port}/apprise"),
            timezone="Europe/Paris",
            language="fr",
        ),
    )
    incident = snapshot(title="Mail <b>stuck</b> & <!channel> [click](https://evil.example)")

    await publish(notifier.settings, opened(incident))

    rows = await eventually(lambda: _settled(notifier.sessions, count=5))
    await notifier.stop()
    assert sorted(row.channel for row in rows) == ["apprise", "email", "slack", "teams", "webhook"]
    assert len({row.event_id for row in rows}) == 1
    assert len(hooks.requests) == 4
    (caught_mail,) = mail.mails
    subject = caught_mail.message["Subject"]
    text = bodies(caught_mail.message)[0].replace("\r\n", "\n")
    paragraphs = [part.strip() for part in text.split("\n\n") if part.strip()]
    assert subject.startswith("[")
    assert "10:58" in text  # 09:58 UTC, in Paris

    (slack,) = hooks.to("/slack")
    message = slack.json()
    assert slack.headers["content-type"] == "application/json"
    assert message["text"] == subject.replace("&", "&amp;").replace("<", "&lt;").replace(
        ">", "&gt;"
    )
    header, *sections = message["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": subject}}
    assert [s["type"] for s in sections] == ["section"] * len(paragraphs)
    assert [s["text"]["type"] for s in sections] == ["plain_text"] * len(paragraphs)
    assert [s["text"]["text"] for s in sections] == paragraphs

    (teams,) = hooks.to("/teams")
    message = teams.json()
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert tuple(map(int, card["version"].split("."))) >= (1, 4)
    assert card["lang"] == "fr"
    runs = [block["inlines"][0] for block in card["body"]]
    assert {block["type"] for block in card["body"]} == {"RichTextBlock"}
    assert {run["type"] for run in runs} == {"TextRun"}
    assert runs[0]["text"] == subject
    assert runs[0]["weight"] == "Bolder"
    assert [run["text"] for run in runs[1:]] == paragraphs

    (hook,) = hooks.to("/hooks/candor")
    assert verify_standard_webhook(SECRET, hook.headers, hook.body)
    assert not verify_standard_webhook(SECRET, hook.headers, hook.body + b" ")
    webhook_row = next(row for row in rows if row.channel == "webhook")
    assert hook.headers["webhook-id"] == str(webhook_row.id)
    payload = hook.json()
    assert payload["type"] == "incident.opened"
    assert payload["data"]["incident"]["id"] == incident.id
    assert payload["data"]["incident"]["title"] == incident.title
    assert payload["data"]["message"] == {"language": "fr", "subject": subject, "text": text}
    assert "acknowledged_by" not in payload["data"]["incident"]

    (apprise,) = hooks.to("/apprise")
    assert apprise.json()["title"] == subject
    assert "10:58" in apprise.json()["message"]


async def test_same_event_twice_posts_once_per_channel(
    notifier: RunningNotifier, hooks: HookCatcher
) -> None:
    await publish(
        notifier.settings,
        reached_by(
            SubscriberChannel(type="slack", url=f"{hooks.url}/slack"),
            SubscriberChannel(type="webhook", url=f"{hooks.url}/hook", secret=SECRET),
        ),
    )
    event = opened(snapshot())

    await publish(notifier.settings, event, event)

    await eventually(lambda: duplicates_skipped(notifier.settings) >= 1)
    await eventually(lambda: _settled(notifier.sessions, count=2))
    await notifier.stop()
    assert [c.path for c in hooks.requests].count("/slack") == 1
    assert [c.path for c in hooks.requests].count("/hook") == 1


async def test_429_then_200_is_delivered_once(
    notifier: RunningNotifier, hooks: HookCatcher
) -> None:
    hooks.answer_next("/hook", (429, {"Retry-After": "0"}, b"slow down"))
    await publish(
        notifier.settings,
        reached_by(SubscriberChannel(type="webhook", url=f"{hooks.url}/hook", secret=SECRET)),
    )

    await publish(notifier.settings, opened(snapshot()))

    (row,) = await eventually(lambda: _settled(notifier.sessions, count=1))
    await notifier.stop()
    first, second = hooks.to("/hook")
    assert row.attempts == 2
    assert row.last_error == "429 Too Many Requests: slow down (retry after 0 s)"
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(row.id)
    assert verify_standard_webhook(SECRET, second.headers, second.body)


async def test_retry_after_sets_the_next_attempt(
    notifier: RunningNotifier, hooks: HookCatcher
) -> None:
    hooks.answer_next("/slack", (429, {"Retry-After": "3600"}))
    await publish(
        notifier.settings, reached_by(SubscriberChannel(type="slack", url=f"{hooks.url}/slack"))
    )

    await publish(notifier.settings, opened(snapshot()))

    (row,) = await eventually(
        lambda: (
            _settled(notifier.sessions, count=1, states=("pending",)) if hooks.requests else None
        )
    )
    await notifier.stop()
    assert len(hooks.requests) == 1
    assert row.attempts == 1
    # The retry base is 50 ms in tests: an hour away can only come from Retry-After.
    assert row.next_attempt_at - row.updated_at >= timedelta(seconds=3600)
    assert row.last_error.startswith("429 Too Many Requests")


async def test_500_is_retried_until_it_goes_through(
    notifier: RunningNotifier, hooks: HookCatcher
) -> None:
    hooks.answer_next("/teams", 500, 503)
    await publish(
        notifier.settings, reached_by(SubscriberChannel(type="teams", url=f"{hooks.url}/teams"))
    )

    await publish(notifier.settings, opened(snapshot()))

    (row,) = await eventually(lambda: _settled(notifier.sessions, count=1))
    await notifier.stop()
    assert len(hooks.to("/teams")) == 3
    assert row.attempts == 3
    assert row.last_error.startswith("503 Service Unavailable")


async def test_410_fails_for_good_with_the_answer_recorded(
    notifier: RunningNotifier, hooks: HookCatcher
) -> None:
    hooks.answer_next("/slack", (410, {}, b"channel_is_archived"))
    await publish(
        notifier.settings, reached_by(SubscriberChannel(type="slack", url=f"{hooks.url}/slack"))
    )

    await publish(notifier.settings, opened(snapshot()))

    (row,) = await eventually(lambda: _settled(notifier.sessions, count=1, states=("failed",)))
    await notifier.stop()
    assert len(hooks.requests) == 1
    assert row.attempts == 1
    assert row.last_error == "410 Gone: channel_is_archived"
    assert row.sent_at is None


async def test_a_redirect_is_not_followed(notifier: RunningNotifier, hooks: HookCatcher) -> None:
    inside = HookCatcher()
    await inside.start()
    try:
        hooks.answer_next("/hook", (307, {"Location": f"{inside.url}/admin"}))
        await publish(
            notifier.settings,
            reached_by(SubscriberChannel(type="webhook", url=f"{hooks.url}/hook", secret=SECRET)),
        )

        await publish(notifier.settings, opened(snapshot()))

        (row,) = await eventually(lambda: _settled(notifier.sessions, count=1, states=("failed",)))
        await notifier.stop()
    finally:
        await inside.stop()
    assert inside.connections == 0
    assert row.last_error.startswith("307 Temporary Redirect: redirects are not followed")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.2]/",
        "http://2130706434/",
    ],
)
async def test_a_url_refused_by_the_guard_when_sending_fails_for_good(
    notifier: RunningNotifier, url: str
) -> None:
    # Saved before the admin narrowed the allowlist, say: the notifier checks on every send.
    await publish(
        notifier.settings, reached_by(SubscriberChannel(type="webhook", url=url, secret=SECRET))
    )

    await publish(notifier.settings, opened(snapshot()))

    (row,) = await eventually(lambda: _settled(notifier.sessions, count=1, states=("failed",)))
    await notifier.stop()
    assert row.attempts == 1
    assert row.last_error.startswith("refused by the outbound guard: refusing to contact")


async def test_erasure_forgets_urls_and_secrets(
    notifier: RunningNotifier, hooks: HookCatcher
) -> None:
    slack_url = f"{hooks.url}/slack/T000/B000/XXXXsecret"
    subscriber_id = str(uuid.uuid4())
    await publish(
        notifier.settings,
        reached_by(
            SubscriberChannel(type="slack", url=slack_url),
            SubscriberChannel(type="webhook", url=f"{hooks.url}/hook", secret=SECRET),
            subscriber_id=subscriber_id,
        ),
        opened(snapshot()),
    )
    await eventually(lambda: _settled(notifier.sessions, count=2))
    assert await _tables_mentioning(notifier, "XXXXsecret") == ["subscriber_channels"]

    await publish(
        notifier.settings,
        new_event(SubscriberErased(id=subscriber_id), source=SOURCE, key=subscriber_id),
    )

    await eventually(lambda: _nowhere(notifier, "XXXXsecret"))
    await notifier.stop()
    assert await _tables_mentioning(notifier, SECRET) == []
    assert await _tables_mentioning(notifier, subscriber_id) == []


async def _nowhere(notifier: RunningNotifier, text: str) -> bool:
    return not await _tables_mentioning(notifier, text)


async def _tables_mentioning(notifier: RunningNotifier, text: str) -> list[str]:
    load_all_models()
    found = []
    async with notifier.sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(table.select())).all()
            if any(text in repr(value) for row in rows for value in row):
                found.append(table.name)
    return found
