"""Signed links of self-service subscriptions, made and honoured by incident-api.

Signed as unsubscribe links are (:func:`candor_shared.unsubscribe.sign`, keyed with
``CANDOR_UNSUBSCRIBE_SECRET``), each kind under a label of its own:

- a **confirmation** token, ``<pending id>.<expiry, Unix seconds>.<signature>``, is emailed
  to an address that asked to subscribe; following it is the proof that the mailbox wanted
  the messages (double opt-in). It expires, so that an old one cannot be replayed.
- a **preferences** token, ``<subscriber id>.<signature>``, opens the page where a subscriber
  chooses what they follow. It does not expire, like the unsubscribe link.

Neither names anybody's address.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from candor_shared.unsubscribe import sign

_CONFIRM_LABEL = b"candor-subscribe-confirm.v1:"
_PREFERENCES_LABEL = b"candor-preferences.v1:"
_ID = r"[A-Za-z0-9-]{1,64}"
_SIGNATURE = r"[A-Za-z0-9_-]{43}"
_CONFIRM = re.compile(rf"^(?P<id>{_ID})\.(?P<expires>[0-9]{{1,12}})\.(?P<signature>{_SIGNATURE})$")
_PREFERENCES = re.compile(rf"^(?P<id>{_ID})\.(?P<signature>{_SIGNATURE})$")


class MalformedLink(ValueError):
    """Not the shape of such a token at all (cut short, or not one of ours)."""


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What a genuinely signed confirmation token names."""

    pending_id: str
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        """Whether the link is too old to confirm anything."""
        return now >= self.expires_at


def _check_id(value: str) -> None:
    if not re.fullmatch(_ID, value):
        raise ValueError(f"1 to 64 letters, digits or hyphens, not {value!r}")


def confirmation_token(pending_id: str, expires_at: datetime, secret: str) -> str:
    """The token that confirms the pending subscription ``pending_id`` until ``expires_at``."""
    if not secret:
        raise ValueError("a confirmation token needs a secret")
    _check_id(pending_id)
    expires = str(int(expires_at.timestamp()))
    return f"{pending_id}.{expires}.{sign(_CONFIRM_LABEL, f'{pending_id}:{expires}', secret)}"


def confirmation_of(token: str, secret: str) -> Confirmation | None:
    """The pending id and expiry a genuine token names (expired or not), or None when its
    signature is wrong or no secret is set. Raises :class:`MalformedLink` for a non-token."""
    match = _CONFIRM.match(token)
    if match is None:
        raise MalformedLink("not a confirmation token")
    pending_id, expires = match["id"], match["expires"]
    if not secret:
        return None
    expected = sign(_CONFIRM_LABEL, f"{pending_id}:{expires}", secret)
    if not hmac.compare_digest(match["signature"], expected):
        return None
    return Confirmation(
        pending_id=pending_id, expires_at=datetime.fromtimestamp(int(expires), tz=UTC)
    )


def preferences_token(subscriber_id: str, secret: str) -> str:
    """The token that opens ``subscriber_id``'s preferences page."""
    if not secret:
        raise ValueError("a preferences token needs a secret")
    _check_id(subscriber_id)
    return f"{subscriber_id}.{sign(_PREFERENCES_LABEL, subscriber_id, secret)}"


def preferences_url(public_url: str, subscriber_id: str, secret: str) -> str:
    """``<public_url>/preferences/<token>``."""
    return f"{public_url.rstrip('/')}/preferences/{preferences_token(subscriber_id, secret)}"


def preferences_subscriber(token: str, secret: str) -> str | None:
    """The subscriber id a genuine preferences token names, or None when its signature is
    wrong or no secret is set. Raises :class:`MalformedLink` for a non-token."""
    match = _PREFERENCES.match(token)
    if match is None:
        raise MalformedLink("not a preferences token")
    subscriber_id = match["id"]
    if not secret:
        return None
    expected = sign(_PREFERENCES_LABEL, subscriber_id, secret)
    if not hmac.compare_digest(match["signature"], expected):
        return None
    return subscriber_id
