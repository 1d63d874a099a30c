"""Signed links of self-service subscriptions: each kind names what it was made for, only
under the secret that made it, and can be made from no other kind of link."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor_shared.feedback import feedback_token
from candor_shared.subscription_links import (
    MalformedLink,
    confirmation_of,
    confirmation_token,
    preferences_subscriber,
    preferences_token,
    preferences_url,
)
from candor_shared.unsubscribe import unsubscribe_token

SECRET = "the-installation-secret"
WHEN = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


def test_a_confirmation_names_its_request_and_expiry() -> None:
    pending = str(uuid.uuid4())
    found = confirmation_of(confirmation_token(pending, WHEN, SECRET), SECRET)
    assert found is not None
    assert (found.pending_id, found.expires_at) == (pending, WHEN)
    assert not found.expired(WHEN - timedelta(seconds=1))
    assert found.expired(WHEN)


def test_a_confirmation_with_another_expiry_or_secret_is_refused() -> None:
    token = confirmation_token("abc", WHEN, SECRET)
    pending, expires, signature = token.split(".")
    later = f"{pending}.{int(expires) + 3600}.{signature}"
    assert confirmation_of(later, SECRET) is None
    assert confirmation_of(token, "another") is None
    assert confirmation_of(token, "") is None
    with pytest.raises(MalformedLink):
        confirmation_of(token[:-1], SECRET)


def test_preferences_name_their_subscriber_only() -> None:
    subscriber = str(uuid.uuid4())
    token = preferences_token(subscriber, SECRET)
    assert preferences_subscriber(token, SECRET) == subscriber
    assert preferences_subscriber(token, "another") is None
    assert preferences_url("https://status.example.org/", subscriber, SECRET) == (
        f"https://status.example.org/preferences/{token}"
    )
    # The unsubscribe link has the same shape but another label: it opens no preferences.
    assert preferences_subscriber(unsubscribe_token(subscriber, SECRET), SECRET) is None
    with pytest.raises(MalformedLink):
        preferences_subscriber(feedback_token(subscriber, subscriber, SECRET), SECRET)
    with pytest.raises(ValueError, match="secret"):
        preferences_token(subscriber, "")


@given(st.text(min_size=0, max_size=120))
def test_anything_reads_as_a_link_or_is_refused(text: str) -> None:
    for read in (confirmation_of, preferences_subscriber):
        with contextlib.suppress(MalformedLink):
            assert read(text, SECRET) is None
