"""Microsoft Teams: an Adaptive Card posted to a Workflows webhook ("Post to a channel when a
webhook request is received").

The card is version 1.4 (what Teams renders everywhere). Its text is in ``RichTextBlock``
runs, which Teams shows as written: a ``TextBlock`` would read Markdown, and an incident
title like ``[click](https://...)`` would turn into a link.
"""

from __future__ import annotations

from typing import Any

from candor_notifier.channels.notice import ChannelNotice

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.4"


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **style}]}


def adaptive_card(notice: ChannelNotice) -> dict[str, Any]:
    """The card: the subject in bold, then the email's paragraphs."""
    body = [_text(notice.subject, weight="Bolder", size="Medium")]
    body.extend(_text(paragraph) for paragraph in notice.paragraphs)
    return {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "lang": notice.language,
        "fallbackText": notice.subject,
        "body": body,
        "msteams": {"width": "Full"},
    }


def teams_message(notice: ChannelNotice) -> dict[str, Any]:
    """The Workflows webhook payload: a message with the card as its one attachment."""
    return {
        "type": "message",
        "attachments": [
            {"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": adaptive_card(notice)}
        ],
    }
