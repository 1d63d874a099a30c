"""Unsubscribe tokens: only the installation's secret makes one, for one subscriber."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor_shared.unsubscribe import (
    MalformedToken,
    subscriber_of,
    unsubscribe_token,
    unsubscribe_url,
)

SECRET = "s3cret"
ANA = "01a207cd-8501-733a-818b-9ecf802bbdf5"
BOB = "01a207cd-8501-733a-818b-9ecf802bbdf6"


@given(subscriber_id=st.uuids().map(str), secret=st.text(min_size=1, max_size=64))
def test_a_token_names_its_subscriber_under_its_secret_only(
    subscriber_id: str, secret: str
) -> None:
    token = unsubscribe_token(subscriber_id, secret)

    assert subscriber_of(token, secret) == subscriber_id
    assert subscriber_of(token, secret + "x") is None


def test_a_token_cannot_be_moved_to_another_subscriber_or_altered() -> None:
    token = unsubscribe_token(ANA, SECRET)
    signature = token.split(".", 1)[1]
    altered = signature[:-1] + ("A" if signature[-1] != "A" else "B")

    assert subscriber_of(f"{BOB}.{signature}", SECRET) is None
    assert subscriber_of(f"{ANA}.{altered}", SECRET) is None
    assert subscriber_of(token, "") is None


@pytest.mark.parametrize(
    "token",
    ["", ANA, f"{ANA}.", f"{ANA}.short", f"{ANA}.{'A' * 44}", f"../{ANA}.{'A' * 43}", "a.b.c"],
)
def test_what_is_not_a_token_is_told_apart(token: str) -> None:
    with pytest.raises(MalformedToken):
        subscriber_of(token, SECRET)


def test_the_link_is_under_the_public_url() -> None:
    url = unsubscribe_url("https://status.example.org/", ANA, SECRET)

    assert url == f"https://status.example.org/unsubscribe/{unsubscribe_token(ANA, SECRET)}"
    with pytest.raises(ValueError, match="secret"):
        unsubscribe_token(ANA, "")
