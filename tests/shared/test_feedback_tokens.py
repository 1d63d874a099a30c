"""Feedback tokens: only the installation's secret makes one, for one incident and one
respondent, and an unsubscribe token is not one (nor the reverse)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor_shared.feedback import (
    MalformedFeedbackToken,
    Respondent,
    feedback_token,
    feedback_url,
    respondent_of,
)
from candor_shared.unsubscribe import MalformedToken, subscriber_of, unsubscribe_token

SECRET = "s3cret"
INCIDENT = "01a207cd-8501-733a-818b-9ecf802bbd01"
OTHER_INCIDENT = "01a207cd-8501-733a-818b-9ecf802bbd02"
ANA = "01a207cd-8501-733a-818b-9ecf802bbdf5"
BOB = "01a207cd-8501-733a-818b-9ecf802bbdf6"


@given(
    incident_id=st.uuids().map(str),
    subscriber_id=st.uuids().map(str),
    secret=st.text(min_size=1, max_size=64),
)
def test_a_token_names_its_incident_and_respondent_under_its_secret_only(
    incident_id: str, subscriber_id: str, secret: str
) -> None:
    token = feedback_token(incident_id, subscriber_id, secret)

    assert respondent_of(token, secret) == Respondent(incident_id, subscriber_id)
    assert respondent_of(token, secret + "x") is None


def test_a_token_cannot_be_moved_to_another_incident_or_respondent_or_altered() -> None:
    token = feedback_token(INCIDENT, ANA, SECRET)
    signature = token.rsplit(".", 1)[1]
    altered = signature[:-1] + ("A" if signature[-1] != "A" else "B")

    assert respondent_of(f"{INCIDENT}.{BOB}.{signature}", SECRET) is None
    assert respondent_of(f"{OTHER_INCIDENT}.{ANA}.{signature}", SECRET) is None
    assert respondent_of(f"{INCIDENT}.{ANA}.{altered}", SECRET) is None
    assert respondent_of(token, "") is None


def test_unsubscribe_and_feedback_tokens_are_not_interchangeable() -> None:
    unsubscribe = unsubscribe_token(ANA, SECRET)
    # The unsubscribe signature of ANA, put where a feedback token carries its signature.
    assert respondent_of(f"{INCIDENT}.{unsubscribe}", SECRET) is None
    # A feedback token is not the shape of an unsubscribe token at all.
    with pytest.raises(MalformedToken):
        subscriber_of(feedback_token(INCIDENT, ANA, SECRET), SECRET)


@pytest.mark.parametrize(
    "token",
    [
        "",
        INCIDENT,
        f"{INCIDENT}.{ANA}",
        f"{INCIDENT}.{ANA}.",
        f"{INCIDENT}.{ANA}.short",
        f"{INCIDENT}.{ANA}.{'A' * 44}",
        f"../{INCIDENT}.{ANA}.{'A' * 43}",
        f"{INCIDENT}.{'A' * 43}",
        "a.b.c.d",
    ],
)
def test_what_is_not_a_token_is_told_apart(token: str) -> None:
    with pytest.raises(MalformedFeedbackToken):
        respondent_of(token, SECRET)


def test_the_link_is_under_the_public_url() -> None:
    url = feedback_url("https://status.example.org/", INCIDENT, ANA, SECRET)

    assert url == f"https://status.example.org/feedback/{feedback_token(INCIDENT, ANA, SECRET)}"


@pytest.mark.parametrize(
    ("incident_id", "subscriber_id", "secret", "complaint"),
    [
        (INCIDENT, ANA, "", "secret"),
        ("", ANA, SECRET, "incident_id"),
        (INCIDENT, "ana@example.org", SECRET, "subscriber_id"),
        ("x" * 65, ANA, SECRET, "incident_id"),
    ],
)
def test_a_token_is_only_made_of_ids_and_a_secret(
    incident_id: str, subscriber_id: str, secret: str, complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        feedback_token(incident_id, subscriber_id, secret)
