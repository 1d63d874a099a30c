"""What a channel delivers: the notice in the recipient's words, and where it goes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from candor_notifier.mail.compose import NoticeKind, Recipient, render_text
from candor_shared.contract import IncidentSnapshot


@dataclass(frozen=True)
class ChannelTarget:
    """Where one of a subscriber's channels posts: its type, URL and (webhooks) secret."""

    type: str
    url: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ChannelNotice:
    """One notice for one recipient, in their language and timezone: the email's subject and
    plain-text body, and the facts a machine reading a webhook needs."""

    delivery_id: uuid.UUID
    kind: str
    """A :data:`~candor_notifier.mail.compose.NoticeKind`, or ``digest`` (chat channels only)."""
    incident: IncidentSnapshot
    language: str
    subject: str
    text: str
    public_url: str
    occurred_at: datetime
    """When Candor learnt of the change (the same on every retry)."""

    @property
    def paragraphs(self) -> list[str]:
        """The body split at blank lines, each paragraph without surrounding space."""
        return [part.strip() for part in self.text.split("\n\n") if part.strip()]


def notice_for(
    *,
    delivery_id: uuid.UUID,
    kind: NoticeKind,
    incident: IncidentSnapshot,
    recipient: Recipient,
    public_url: str,
    now: datetime,
    occurred_at: datetime | None = None,
    since: datetime | None = None,
    folded: int = 1,
    folded_since: datetime | None = None,
) -> ChannelNotice:
    """The notice as every channel words it: rendered by the email's text templates."""
    language, subject, text = render_text(
        kind=kind,
        incident=incident,
        recipient=recipient,
        public_url=public_url,
        now=now,
        since=since,
        folded=folded,
        folded_since=folded_since,
    )
    return ChannelNotice(
        delivery_id=delivery_id,
        kind=kind,
        incident=incident,
        language=language,
        subject=subject,
        text=text,
        public_url=public_url,
        occurred_at=occurred_at or now,
    )
