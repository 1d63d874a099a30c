"""The mail catcher's web page: what Candor sent, newest first, and each message's parts.

Everything shown comes from the messages, so everything is escaped (Jinja2 autoescape); a
message's HTML part is shown in an iframe with ``sandbox`` and ``srcdoc`` — no scripts, no
forms, no access to this page — under a Content-Security-Policy that loads nothing remote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import jinja2
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates

from candor_dev.mailcatcher import CaughtMail, MailCatcher

TEMPLATES = Path(__file__).parent / "templates"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class MailView:
    """One caught message as the page shows it."""

    number: int
    sender: str
    recipients: str
    subject: str
    received: str
    text: str | None
    html: str | None
    headers: list[tuple[str, str]]


def _part(message: EmailMessage, subtype: str) -> str | None:
    try:
        part = message.get_body(preferencelist=(subtype,))
        return None if part is None else str(part.get_content())
    except (LookupError, ValueError, KeyError):  # unknown charset, broken encoding
        return None


def view(number: int, caught: CaughtMail) -> MailView:
    """The page's view of message ``number`` (its position in arrival order, from 0)."""
    received = datetime.fromtimestamp(caught.accepted_at).astimezone()
    try:
        message = caught.message
        headers = [(name, str(value)) for name, value in message.items()]
        sender = str(message.get("From") or caught.mail_from)
        recipients = str(message.get("To") or ", ".join(caught.recipients))
        subject = str(message.get("Subject") or "(no subject)")
        text, html = _part(message, "plain"), _part(message, "html")
    except Exception:  # a message the parser cannot read is still listed, with its envelope
        headers, sender, recipients = [], caught.mail_from, ", ".join(caught.recipients)
        subject, text, html = "(unreadable message)", None, None
    return MailView(
        number=number,
        sender=sender,
        recipients=recipients,
        subject=subject,
        received=received.strftime("%Y-%m-%d %H:%M:%S %Z"),
        text=text,
        html=html,
        headers=headers,
    )


def create_mail_app(catcher: MailCatcher) -> FastAPI:
    """The page of ``catcher``'s messages: ``/`` lists them, ``/messages/{n}`` shows one."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    templates = Jinja2Templates(env=environment)
    app = FastAPI(title="Candor mail catcher", docs_url=None, redoc_url=None, openapi_url=None)

    def caught(number: int) -> CaughtMail:
        mails = catcher.mails
        if not 0 <= number < len(mails):
            raise HTTPException(404, f"no message number {number}")
        return mails[number]

    @app.get("/", response_class=HTMLResponse)
    async def list_messages(request: Request) -> Response:
        """Every caught message, newest first."""
        mails = [view(number, mail) for number, mail in enumerate(catcher.mails)]
        return templates.TemplateResponse(
            request,
            "mail_list.html",
            {"mails": list(reversed(mails)), "smtp_url": catcher.url},
            headers=SECURITY_HEADERS,
        )

    @app.get("/messages/{number}", response_class=HTMLResponse)
    async def show_message(request: Request, number: int) -> Response:
        """One message: its headers, its text part and its HTML part (sandboxed)."""
        return templates.TemplateResponse(
            request,
            "mail_message.html",
            {"mail": view(number, caught(number))},
            headers=SECURITY_HEADERS,
        )

    @app.get("/messages/{number}/raw", response_class=PlainTextResponse)
    async def raw_message(number: int) -> Response:
        """The message exactly as the SMTP server received it."""
        return PlainTextResponse(
            caught(number).raw.decode("utf-8", errors="replace"), headers=SECURITY_HEADERS
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The page answers."""
        return {"status": "ok"}

    return app
