"""Emails carry RFC 8058's one-click unsubscribe headers when the installation signs links."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from candor_notifier.mail.compose import NoticeKind, Recipient, compose
from tests.notifier.helpers import bodies, snapshot

LINK = "https://status.example.org/unsubscribe/0195.abc"


def _compose(kind: NoticeKind, unsubscribe_url: str | None) -> email.message.EmailMessage:
    message = compose(
        kind=kind,
        incident=snapshot(),
        recipient=Recipient(email="ana@example.org", language="fr"),
        sender="Candor <candor@localhost>",
        message_id="<1@candor.localhost>",
        in_reply_to=None,
        public_url="https://status.example.org/",
        now=datetime(2025, 11, 24, 10, 0, tzinfo=UTC),
        unsubscribe_url=unsubscribe_url,
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


@pytest.mark.parametrize("kind", ["opened", "updated", "holding", "resolved", "reopened"])
def test_every_notice_carries_the_one_click_headers_and_the_link(kind: NoticeKind) -> None:
    message = _compose(kind, LINK)

    assert message["List-Unsubscribe"] == f"<{LINK}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = bodies(message)
    assert f"Pour ne plus recevoir aucun message de Candor : {LINK}" in text
    assert f'<a href="{LINK}"' in html
    assert "Ne plus recevoir aucun message" in html


def test_without_a_link_there_are_no_headers_and_no_footer_line() -> None:
    message = _compose("opened", None)

    assert message["List-Unsubscribe"] is None
    assert message["List-Unsubscribe-Post"] is None
    assert "Candor :" not in bodies(message)[0]


def test_a_link_can_add_no_header() -> None:
    message = _compose("opened", LINK + "\r\nBcc: eve@example.org")

    assert message["Bcc"] is None
    assert "\n" not in str(message["List-Unsubscribe"])
