"""The confirmation email of a self-service subscription (double opt-in).

incident-api asks for it with ``SubscriptionConfirmationRequested``; the notifier sends it at
once, from the handler, as a transactional email: not a notice, so no delivery ledger row, no
unsubscribe link, and the address is kept nowhere here (the inbox records the event id
only). A send that fails raises, so the consumer tries again and, after its bounded retries,
parks the event on the dead-letter topic. A crash between the send and the commit sends it
again, with the same Message-ID, which mail systems use to recognise the duplicate.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import jinja2
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.mail.compose import header_safe
from candor_notifier.mail.smtp import SmtpConnection, SmtpServer
from candor_notifier.settings import NotifierSettings
from candor_shared.clock import Clock, utcnow
from candor_shared.contract import CloudEvent, EventData, SubscriptionConfirmationRequested
from candor_shared.kafka import Handler

log = structlog.get_logger(__name__)

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "Confirm your subscription to service notices",
        "intro": "Someone, probably you, asked to be told by email about these services:",
        "action": "To confirm, follow this link",
        "expires": "It works until",
        "ignore": "If you did not ask for this, ignore this email: nothing more will be sent "
        "to you.",
    },
    "fr": {
        "subject": "Confirmez votre abonnement aux avis de service",
        "intro": "Quelqu'un, sans doute vous, a demandé à être informé par courriel au sujet "
        "de ces services :",
        "action": "Pour confirmer, suivez ce lien",
        "expires": "Il est valable jusqu'au",
        "ignore": "Si vous n'avez rien demandé, ignorez ce message : rien d'autre ne vous sera "
        "envoyé.",
    },
    "de": {
        "subject": "Bestätigen Sie Ihr Abonnement der Dienstmeldungen",
        "intro": "Jemand, vermutlich Sie, möchte per E-Mail über diese Dienste informiert werden:",
        "action": "Zum Bestätigen folgen Sie diesem Link",
        "expires": "Er gilt bis",
        "ignore": "Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Sie "
        "erhalten nichts weiter.",
    },
}

_TEXT = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined).from_string(  # noqa: S701 - plain text
    "{{ w.intro }}\n\n{% for name in services %}- {{ name }}\n{% endfor %}\n"
    "{{ w.action }}:\n{{ url }}\n\n{{ w.expires }} {{ expires }}.\n\n{{ w.ignore }}\n"
)
_HTML = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    '<!DOCTYPE html><html lang="{{ lang }}"><body>'
    "<p>{{ w.intro }}</p><ul>{% for name in services %}<li>{{ name }}</li>{% endfor %}</ul>"
    '<p><a href="{{ url }}">{{ w.action }}</a></p>'
    "<p>{{ w.expires }} {{ expires }}.</p><p>{{ w.ignore }}</p></body></html>"
)


def compose_confirmation(
    data: SubscriptionConfirmationRequested, *, sender: str, domain: str, now: datetime
) -> EmailMessage:
    """The multipart/alternative email carrying the confirmation link, in the language asked
    for (English when Candor does not speak it)."""
    language = data.language.split("-")[0] if data.language.split("-")[0] in _WORDS else "en"
    words = _WORDS[language]
    expires = data.expires_at.replace("T", " ").split("+")[0][:16] + " UTC"
    context = {
        "w": words,
        "services": data.services,
        "url": data.confirm_url,
        "expires": expires,
        "lang": language,
    }
    message = EmailMessage()
    message["Subject"] = words["subject"]
    message["From"] = header_safe(sender)
    message["To"] = header_safe(data.address)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<confirm-{data.id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = language
    message.set_content(_TEXT.render(context))
    message.add_alternative(_HTML.render(context), subtype="html")
    return message


def handlers(
    *, settings: NotifierSettings, domain: str, clock: Clock = utcnow
) -> dict[str, Handler]:
    """The handler that sends confirmation emails, by event type."""

    async def on_confirmation_requested(
        *, session: AsyncSession, event: CloudEvent[EventData]
    ) -> None:
        data = event.data
        assert isinstance(data, SubscriptionConfirmationRequested)
        message = compose_confirmation(data, sender=settings.smtp_from, domain=domain, now=clock())
        connection = SmtpConnection(
            SmtpServer.from_url(settings.smtp_url), timeout=settings.smtp_timeout_seconds
        )
        try:
            await connection.send(
                message, sender=parseaddr(settings.smtp_from)[1], recipient=data.address
            )
        finally:
            await connection.close()
        log.info("subscription.confirmation_sent", pending_id=data.id)

    return {SubscriptionConfirmationRequested.event_type: on_confirmation_requested}
