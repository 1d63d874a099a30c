"""Signed feedback links, shared by the notifier (which puts one in each recipient's
post-incident report) and incident-api (which shows the form behind it).

Signed as every link Candor makes (:func:`candor_shared.unsubscribe.sign`): a token is
``<incident id>.<subscriber id>.<signature>``, the signature HMAC-SHA256 keyed with the
installation's ``CANDOR_UNSUBSCRIBE_SECRET`` over a versioned label of its own and both ids,
in unpadded URL-safe base64. The label keeps the two kinds of link apart: neither can be
made from the other. A token names nobody's address, does not expire (the report stays in
the mailbox), and cannot be made for another incident or respondent without the secret.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from candor_shared.unsubscribe import sign

_LABEL = b"candor-feedback.v1:"
_ID = r"[A-Za-z0-9-]{1,64}"
_TOKEN = re.compile(
    rf"^(?P<incident>{_ID})\.(?P<subscriber>{_ID})\.(?P<signature>[A-Za-z0-9_-]{{43}})$"
)


class MalformedFeedbackToken(ValueError):
    """Not the shape of a feedback token at all (cut short, or not one of ours)."""


@dataclass(frozen=True, slots=True)
class Respondent:
    """Who a genuine token lets answer, about which incident."""

    incident_id: str
    subscriber_id: str


def _signature(incident_id: str, subscriber_id: str, secret: str) -> str:
    return sign(_LABEL, f"{incident_id}:{subscriber_id}", secret)


def feedback_token(incident_id: str, subscriber_id: str, secret: str) -> str:
    """The token that lets ``subscriber_id`` answer about ``incident_id``; ``secret`` must
    not be empty, and both ids are 1 to 64 letters, digits or hyphens (UUIDs are)."""
    if not secret:
        raise ValueError("a feedback token needs a secret")
    for name, value in (("incident_id", incident_id), ("subscriber_id", subscriber_id)):
        if not re.fullmatch(_ID, value):
            raise ValueError(f"{name}: 1 to 64 letters, digits or hyphens, not {value!r}")
    return f"{incident_id}.{subscriber_id}.{_signature(incident_id, subscriber_id, secret)}"


def feedback_url(public_url: str, incident_id: str, subscriber_id: str, secret: str) -> str:
    """``<public_url>/feedback/<token>``: where incident-api shows the feedback form."""
    token = feedback_token(incident_id, subscriber_id, secret)
    return f"{public_url.rstrip('/')}/feedback/{token}"


def respondent_of(token: str, secret: str) -> Respondent | None:
    """The incident and subscriber a genuine token names, or None when its signature is
    wrong (or no secret is set).

    Raises :class:`MalformedFeedbackToken` for something that is not a token at all.
    """
    match = _TOKEN.match(token)
    if match is None:
        raise MalformedFeedbackToken("not a feedback token")
    incident_id, subscriber_id = match["incident"], match["subscriber"]
    expected = _signature(incident_id, subscriber_id, secret) if secret else ""
    if not secret or not hmac.compare_digest(match["signature"], expected):
        return None
    return Respondent(incident_id=incident_id, subscriber_id=subscriber_id)
