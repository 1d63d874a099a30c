"""``/unsubscribe/{token}``: the link in every email's ``List-Unsubscribe`` header and footer.

RFC 8058: a mail client's "unsubscribe" button POSTs to the link with no cookie and no login,
so the signed token is the only credential; it unsubscribes its subscriber from every service
and answers 200 in plain text. Opening the link in a browser (GET, which link scanners and
mail previews also do) only shows a page with a button that makes that POST: GET never
unsubscribes anyone. A token that is not one answers 400, a forged or altered one 404, each
with a page (or text) saying what to do.
"""

from __future__ import annotations

import uuid
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from candor_incident_api.dependencies import SessionDep, StateDep
from candor_incident_api.subscribers import repository, service
from candor_shared.unsubscribe import MalformedToken, subscriber_of

router = APIRouter(prefix="/unsubscribe", tags=["subscribers"])

_TEMPLATES = Environment(
    loader=FileSystemLoader(FilePath(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

# The token is a credential in the URL: keep it out of caches and of other sites' logs.
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}

Token = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        description="The signed token of an unsubscribe link, as the email carries it.",
    ),
]

_REFUSALS: dict[int, tuple[str, str]] = {
    400: (
        "This is not an unsubscribe link",
        "The address looks cut short. Open the link from the email again, or copy all of it "
        "into the address bar.",
    ),
    404: (
        "This unsubscribe link is not valid",
        "It was not made by this Candor installation, or it was changed on the way. Use the "
        "link from the latest email you received, or ask your IT department to unsubscribe "
        "you.",
    ),
}
_DISABLED = (
    "Unsubscribe links are not in use here",
    "Ask your IT department to unsubscribe you.",
)

_REFUSED = {
    400: "Not an unsubscribe token (cut short, or not one of Candor's).",
    404: "A token this installation did not sign, or unsubscribe links are switched off "
    "(no CANDOR_UNSUBSCRIBE_SECRET).",
}


def _documented(media_type: str) -> dict[int | str, dict[str, Any]]:
    """The refusals as the operation really answers them: a page, or plain text."""
    return {
        status: {"description": text, "content": {media_type: {"schema": {"type": "string"}}}}
        for status, text in _REFUSED.items()
    }


def _page(
    status_code: int, heading: str, message: str, *, public_url: str, confirm: bool = False
) -> HTMLResponse:
    html = _TEMPLATES.get_template("unsubscribe.html").render(
        heading=heading, message=message, confirm=confirm, public_url=public_url.rstrip("/")
    )
    return HTMLResponse(html, status_code=status_code, headers=_HEADERS)


def _subscriber(token: str, secret: str) -> tuple[int, str | None]:
    """The status the token earns (200, 400 or 404) and, for 200, whom it names."""
    if not secret:
        return 404, None
    try:
        subscriber_id = subscriber_of(token, secret)
    except MalformedToken:
        return 400, None
    if subscriber_id is None:
        return 404, None
    return 200, subscriber_id


@router.get(
    "/{token}",
    summary="A page confirming that the link's subscriber wants no more messages",
    response_class=HTMLResponse,
    responses=_documented("text/html"),
)
async def confirm_unsubscribe(token: Token, state: StateDep) -> Response:
    """Shows a page with a button that POSTs to this link; unsubscribes nobody by itself."""
    settings = state.settings
    status_code, _ = _subscriber(token, settings.unsubscribe_secret)
    if status_code != 200:
        heading, message = _DISABLED if not settings.unsubscribe_secret else _REFUSALS[status_code]
        return _page(status_code, heading, message, public_url=settings.public_url)
    return _page(
        200,
        "Stop receiving Candor's messages?",
        "You will receive no more messages about any service: no incidents, updates or "
        "maintenance. You can subscribe again at any time through your IT department.",
        public_url=settings.public_url,
        confirm=True,
    )


@router.post(
    "/{token}",
    summary="One-click unsubscribe (RFC 8058): no more messages of any kind",
    response_class=PlainTextResponse,
    responses=_documented("text/plain"),
)
async def unsubscribe(token: Token, session: SessionDep, state: StateDep) -> Response:
    """Unsubscribes the link's subscriber from every service (the notifier hears it on the
    catalog topic) and answers 200 in plain text; again, or for someone already erased, it
    answers the same."""
    settings = state.settings
    status_code, subscriber_id = _subscriber(token, settings.unsubscribe_secret)
    if status_code != 200 or subscriber_id is None:
        heading, message = _DISABLED if not settings.unsubscribe_secret else _REFUSALS[status_code]
        return PlainTextResponse(f"{heading}. {message}\n", status_code, headers=_HEADERS)
    try:
        found = await repository.get(session, uuid.UUID(subscriber_id))
    except ValueError:
        found = None
    if found is not None:
        await service.unsubscribe_from_everything(session=session, subscriber=found)
    return PlainTextResponse(
        "You are unsubscribed: Candor will send you no more messages.\n",
        headers=_HEADERS,
    )
