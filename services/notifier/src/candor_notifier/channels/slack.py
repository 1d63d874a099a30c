"""Slack: a Block Kit message posted to an incoming webhook.

The subject is the header, each paragraph of the email's text a section. Every text is
``plain_text``: titles and messages come from outside, and in ``mrkdwn`` a ``<!channel>`` or
a ``<https://...|link>`` in an incident title would become a mention or a disguised link.
The top-level ``text`` (what notifications show) is ``mrkdwn`` by Slack's rules, so ``&``,
``<`` and ``>`` are escaped there as Slack documents.
"""

from __future__ import annotations

from typing import Any

from candor_notifier.channels.notice import ChannelNotice

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
BLOCK_LIMIT = 50


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escape_mrkdwn(text: str) -> str:
    """``text`` with the three characters Slack's mrkdwn reads as markup escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(notice: ChannelNotice) -> dict[str, Any]:
    """The incoming-webhook payload: ``text`` for notifications, ``blocks`` for the message."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(notice.subject, HEADER_LIMIT)},
        }
    ]
    for paragraph in notice.paragraphs[: BLOCK_LIMIT - 1]:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "plain_text", "text": _cut(paragraph, SECTION_LIMIT)},
            }
        )
    return {
        "text": escape_mrkdwn(notice.subject),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }
