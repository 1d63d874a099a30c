"""The SMTP relay: where it is, one connection to it, and what its refusals mean."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib
from aiosmtplib import (
    SMTPDataError,
    SMTPNotSupported,
    SMTPRecipientRefused,
    SMTPRecipientsRefused,
    SMTPResponseException,
)


@dataclass(frozen=True)
class SmtpServer:
    """An SMTP relay as ``CANDOR_SMTP_URL`` names it."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """Parse ``smtp://host:port`` or ``smtps://user:password@host:port``.

        Raises ``ValueError`` naming what is wrong; user and password may be percent-encoded.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP URL must start with smtp:// or smtps://, not {url[:20]!r}")
        if not parts.hostname:
            raise ValueError("SMTP URL has no host; write smtp://host:port")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("SMTP URL has an invalid port; write smtp://host:port") from None
        implicit_tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=port or (465 if implicit_tls else 25),
            implicit_tls=implicit_tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class SmtpConnection:
    """One connection to the relay, opened on first use and again after the server drops it.

    ``timeout`` bounds connecting plus sending one whole message.
    """

    def __init__(self, server: SmtpServer, *, timeout: float) -> None:
        self._server = server
        self._timeout = timeout
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, message: EmailMessage, *, sender: str, recipient: str) -> None:
        """Return once the relay accepted ``message`` for ``recipient``; raise otherwise."""
        try:
            async with asyncio.timeout(self._timeout):
                client = await self._connected()
                await client.send_message(message, sender=sender, recipients=[recipient])
        except TimeoutError:
            # Whatever the server was in the middle of, this connection is out of step now.
            self._drop()
            raise
        finally:
            if self._client is not None and not self._client.is_connected:
                self._client = None

    async def close(self) -> None:
        """Say QUIT politely, and close."""
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self._timeout):
                    await client.quit()
            client.close()

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is None:
            server = self._server
            client = aiosmtplib.SMTP(
                hostname=server.host,
                port=server.port,
                use_tls=server.implicit_tls,
                start_tls=False if server.implicit_tls else None,
                username=server.username,
                password=server.password,
                timeout=self._timeout,
            )
            await client.connect()
            self._client = client
        return self._client

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()


def is_permanent(error: BaseException) -> bool:
    """True when retrying cannot help: the relay refused this message or recipient for good.

    A refused sender or failed login is a configuration problem that affects every message;
    those count as temporary, so fixing the configuration lets the messages go out.
    """
    if isinstance(error, SMTPRecipientsRefused):
        return all(refused.code >= 500 for refused in error.recipients)
    if isinstance(error, SMTPRecipientRefused | SMTPDataError):
        return error.code >= 500
    return isinstance(error, SMTPNotSupported | ValueError)


def describe(error: BaseException) -> str:
    """The relay's answer (``550 5.1.1 ...``), or the kind of failure when there was none."""
    if isinstance(error, SMTPRecipientsRefused):
        return "; ".join(f"{refused.code} {refused.message}" for refused in error.recipients)
    if isinstance(error, SMTPResponseException):
        return f"{error.code} {error.message}"
    if isinstance(error, TimeoutError):
        return "TimeoutError: the SMTP server did not answer in time"
    return f"{type(error).__name__}: {error}"
