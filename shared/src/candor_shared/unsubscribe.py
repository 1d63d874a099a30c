"""Signed one-click unsubscribe links (RFC 8058), shared by the notifier (which signs them
into every email) and incident-api (which honours them).

A token is ``<subscriber id>.<signature>``: the signature is HMAC-SHA256, keyed with the
installation's ``CANDOR_UNSUBSCRIBE_SECRET``, over a versioned label and the subscriber id,
in unpadded URL-safe base64. It names nobody's address, never expires (a link in an old
email must still work), and cannot be made for another subscriber without the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_LABEL = b"candor-unsubscribe.v1:"
_TOKEN = re.compile(r"^(?P<subscriber>[A-Za-z0-9-]{1,64})\.(?P<signature>[A-Za-z0-9_-]{43})$")


class MalformedToken(ValueError):
    """Not the shape of an unsubscribe token at all (cut short, or not one of ours)."""


def sign(label: bytes, message: str, secret: str) -> str:
    """HMAC-SHA256 of ``label`` + ``message`` keyed with ``secret``, in unpadded URL-safe
    base64 (43 characters): the signature of every signed link Candor makes, each kind under
    a label of its own so that no kind of link can be made from another."""
    digest = hmac.new(secret.encode(), label + message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _signature(subscriber_id: str, secret: str) -> str:
    return sign(_LABEL, subscriber_id, secret)


def unsubscribe_token(subscriber_id: str, secret: str) -> str:
    """The token that unsubscribes ``subscriber_id``; ``secret`` must not be empty."""
    if not secret:
        raise ValueError("an unsubscribe token needs a secret")
    return f"{subscriber_id}.{_signature(subscriber_id, secret)}"


def unsubscribe_url(public_url: str, subscriber_id: str, secret: str) -> str:
    """``<public_url>/unsubscribe/<token>``: where incident-api takes the one click."""
    return f"{public_url.rstrip('/')}/unsubscribe/{unsubscribe_token(subscriber_id, secret)}"


def subscriber_of(token: str, secret: str) -> str | None:
    """The subscriber id a genuine token names, or None when its signature is wrong.

    Raises :class:`MalformedToken` for something that is not a token at all.
    """
    match = _TOKEN.match(token)
    if match is None:
        raise MalformedToken("not an unsubscribe token")
    subscriber_id = match["subscriber"]
    if not secret or not hmac.compare_digest(match["signature"], _signature(subscriber_id, secret)):
        return None
    return subscriber_id
