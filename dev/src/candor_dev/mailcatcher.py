"""A real SMTP server that keeps what it receives, with a page to read it.

Tests use it to parse what arrived with the standard ``email`` package; ``make run`` serves
its page so that a person can read the mail Candor sent. It can be told to answer the next
messages with an error (``421`` then accept, ``550``) to exercise the notifier's retries.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from candor_dev.ports import free_port


@dataclass(frozen=True)
class CaughtMail:
    """One message as the SMTP server accepted it."""

    mail_from: str
    recipients: tuple[str, ...]
    raw: bytes
    accepted_at: float = field(default_factory=time.time)

    @property
    def message(self) -> EmailMessage:
        """The message parsed with the standard library's modern policy."""
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self, catcher: MailCatcher) -> None:
        self._catcher = catcher

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return self._catcher._accept(envelope)


class MailCatcher:
    """An SMTP server on a loopback port, in a thread of its own."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._mails: list[CaughtMail] = []
        self._scripted: list[str] = []
        self._arrived = threading.Condition(self._lock)
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10
        )

    @property
    def url(self) -> str:
        """The ``smtp://host:port`` address services send to."""
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start listening."""
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()

    def answer_next(self, *replies: str) -> None:
        """Answer the next messages' DATA with these SMTP replies, in turn, then accept again."""
        with self._lock:
            self._scripted.extend(replies)

    def clear(self) -> None:
        """Forget every message caught so far."""
        with self._lock:
            self._mails.clear()

    @property
    def mails(self) -> list[CaughtMail]:
        """A copy of what was accepted, oldest first."""
        with self._lock:
            return list(self._mails)

    def wait_for(self, count: int, *, timeout: float = 15.0) -> list[CaughtMail]:
        """Block until at least ``count`` messages arrived; return them (or what came in time)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._mails) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._arrived.wait(remaining)
            return list(self._mails)

    def _accept(self, envelope: Envelope) -> str:
        with self._arrived:
            if self._scripted:
                return self._scripted.pop(0)
            content: Any = envelope.content
            raw = content if isinstance(content, bytes) else str(content).encode()
            self._mails.append(
                CaughtMail(
                    mail_from=str(envelope.mail_from),
                    recipients=tuple(envelope.rcpt_tos),
                    raw=raw,
                )
            )
            self._arrived.notify_all()
        return "250 Message accepted for delivery"
