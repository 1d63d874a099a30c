"""``/subscribe`` and ``/preferences``: subscriptions without a login, for end users.

``GET /subscribe`` is a form (no JavaScript needed); ``POST /subscribe`` keeps the request
as pending and has the notifier email a signed confirmation link, and answers the same page
whether or not the address already subscribes. ``GET /subscribe/confirm/{token}`` makes it a
subscriber (again: the same page; expired: a page saying to subscribe again).
``/preferences/{token}`` is the signed link where a subscriber changes what they follow, or
leaves. Sign-ups are limited per address and per client IP (429 page with Retry-After).
Without ``CANDOR_UNSUBSCRIBE_SECRET`` nothing can be signed: every page says it is not in use
(404).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from candor_incident_api.dependencies import SessionDep, StateDep
from candor_incident_api.selfservice import form, repository, service
from candor_incident_api.subscribers import repository as subscribers
from candor_incident_api.subscribers import service as subscriber_rules
from candor_incident_api.subscribers.events import component_refs
from candor_shared.clock import utcnow
from candor_shared.subscription_links import (
    MalformedLink,
    confirmation_of,
    preferences_subscriber,
    preferences_url,
)

router = APIRouter(tags=["subscribers"])

_TEMPLATES = Environment(
    loader=FileSystemLoader(FilePath(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

# Tokens are credentials in the URL, and the pages name an address: keep them out of caches
# and of other sites' logs.
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}

Token = Annotated[
    str, Path(min_length=1, max_length=200, description="The signed token, as the link has it.")
]

_HTML: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"text/html": {"schema": {"type": "string"}}}}
    for status, text in {
        400: "Not a link of ours (cut short).",
        404: "A link this installation did not sign, or self-service is off (no "
        "CANDOR_UNSUBSCRIBE_SECRET).",
        410: "The confirmation link expired.",
        422: "The form has mistakes; the page shows them next to their fields.",
        429: "Too many sign-ups for this address or from this IP; see Retry-After.",
    }.items()
}

_NOT_IN_USE = ("Self-service subscriptions are not in use here", "Ask your IT department.")
_NOT_A_LINK = (
    "This is not a link of ours",
    "The address looks cut short. Open the link from the email again, or copy all of it into "
    "the address bar.",
)
_NOT_VALID = (
    "This link is not valid",
    "It was not made by this Candor installation, or it was changed on the way.",
)


def _render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = _TEMPLATES.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=_HEADERS)


def _message(
    public_url: str,
    status_code: int,
    heading: str,
    message: str,
    *,
    link: str | None = None,
    link_text: str = "",
) -> HTMLResponse:
    return _render(
        "message.html",
        status_code,
        heading=heading,
        message=message,
        link=link,
        link_text=link_text,
        public_url=public_url.rstrip("/"),
    )


async def _read(
    session: SessionDep, pairs: list[tuple[str, str]], *, with_email: bool = True
) -> form.Reading:
    """The posted form checked against the catalog: its services, and its components as
    ``service/component``."""
    known_components = {
        f"{slug}/{component.slug}"
        for slug, listed in (await repository.components_by_service(session)).items()
        for component in listed
    }
    return form.read(
        pairs,
        known_services={s.slug for s in await repository.all_services(session)},
        known_components=known_components,
        with_email=with_email,
    )


async def _choices(session: SessionDep, reading: form.Reading) -> dict[str, Any]:
    """What the subscribe and preferences forms both show: the catalog to choose from, what
    ``reading`` chose in it, and what was wrong with it."""
    return {
        "services": await repository.all_services(session),
        "components": await repository.components_by_service(session),
        "chosen": set(reading.services),
        "chosen_components": set(reading.components),
        "timezone": reading.timezone,
        "language": reading.language,
        "languages": form.LANGUAGES,
        "errors": reading.errors,
    }


async def _form(
    *, state: StateDep, session: SessionDep, reading: form.Reading, status_code: int = 200
) -> HTMLResponse:
    return _render(
        "subscribe.html",
        status_code,
        heading="Subscribe to service notices",
        email=reading.email,
        **await _choices(session, reading),
        public_url=state.settings.public_url.rstrip("/"),
    )


@router.get(
    "/subscribe",
    response_class=HTMLResponse,
    summary="The subscribe form (no login)",
    responses={k: v for k, v in _HTML.items() if k == 404},
)
async def subscribe_form(session: SessionDep, state: StateDep) -> Response:
    """A form: email address, the services of the catalog (and their components, each under
    its service), timezone and language."""
    if not state.settings.unsubscribe_secret:
        return _message(state.settings.public_url, 404, *_NOT_IN_USE)
    return await _form(state=state, session=session, reading=form.Reading())


@router.post(
    "/subscribe",
    response_class=HTMLResponse,
    summary="Ask to subscribe: a confirmation link is emailed (double opt-in)",
    responses={k: v for k, v in _HTML.items() if k in (404, 422, 429)},
)
async def subscribe(request: Request, session: SessionDep, state: StateDep) -> Response:
    """Form-encoded (email, service and component repeated, timezone, language). Answers
    the same page whether or not the address already subscribes; the address receives only
    the confirmation email until its link is followed."""
    settings = state.settings
    if not settings.unsubscribe_secret:
        return _message(settings.public_url, 404, *_NOT_IN_USE)
    pairs = form.parse_body(request.headers.get("content-type", ""), await request.body())
    reading = await _read(session, pairs)
    if reading.errors:
        return await _form(state=state, session=session, reading=reading, status_code=422)
    refused = await service.request_subscription(
        session=session,
        request=service.Request(
            email=reading.email,
            services=reading.services,
            components=reading.components,
            timezone=reading.timezone,
            language=reading.language,
        ),
        client_ip=request.client.host if request.client else "unknown",
        limits=service.Limits(
            per_address=settings.subscribe_limit_per_address,
            per_ip=settings.subscribe_limit_per_ip,
        ),
        secret=settings.unsubscribe_secret,
        public_url=settings.public_url,
        confirm_for=timedelta(hours=settings.subscribe_confirm_hours),
        now=utcnow(),
    )
    if refused is not None:
        minutes = max(1, refused.retry_after // 60)
        page = _message(
            settings.public_url,
            429,
            "Too many requests to subscribe",
            f"Too many requests came for this address or from your network. Try again in "
            f"about {minutes} minute{'s' if minutes != 1 else ''}.",
        )
        page.headers["Retry-After"] = str(refused.retry_after)
        return page
    return _message(
        settings.public_url,
        200,
        "Check your inbox",
        f"If {reading.email} can receive Candor's messages, an email with a link to confirm "
        f"is on its way. The link works for {settings.subscribe_confirm_hours} hours; nothing "
        "else is sent until you follow it.",
    )


@router.get(
    "/subscribe/confirm/{token}",
    response_class=HTMLResponse,
    summary="Confirm a subscription (the emailed link)",
    responses={k: v for k, v in _HTML.items() if k in (400, 404, 410)},
)
async def confirm_subscription(token: Token, session: SessionDep, state: StateDep) -> Response:
    """Makes the pending request a subscriber; following the link again shows the same page."""
    settings = state.settings
    secret = settings.unsubscribe_secret
    if not secret:
        return _message(settings.public_url, 404, *_NOT_IN_USE)
    try:
        confirmation = confirmation_of(token, secret)
    except MalformedLink:
        return _message(settings.public_url, 400, *_NOT_A_LINK)
    if confirmation is None:
        return _message(settings.public_url, 404, *_NOT_VALID)
    now = utcnow()
    if confirmation.expired(now):
        return _message(
            settings.public_url,
            410,
            "This confirmation link has expired",
            f"Links to confirm work for {settings.subscribe_confirm_hours} hours. Subscribe "
            "again to receive a new one.",
            link=f"{settings.public_url.rstrip('/')}/subscribe",
            link_text="Subscribe again",
        )
    try:
        pending_id = uuid.UUID(confirmation.pending_id)
    except ValueError:
        return _message(settings.public_url, 404, *_NOT_VALID)
    subscriber = await service.confirm(session=session, pending_id=pending_id, now=now)
    link = (
        preferences_url(settings.public_url, str(subscriber.id), secret)
        if subscriber is not None
        else None
    )
    return _message(
        settings.public_url,
        200,
        "Your subscription is confirmed",
        "You will be told about incidents and maintenance of the services you chose.",
        link=link,
        link_text="Change what you receive (keep this link)",
    )


async def _subscriber_of(token: str, session: SessionDep, state: StateDep) -> Any:
    """The subscriber a preferences token names, or the page refusing it."""
    settings = state.settings
    if not settings.unsubscribe_secret:
        return _message(settings.public_url, 404, *_NOT_IN_USE)
    try:
        subscriber_id = preferences_subscriber(token, settings.unsubscribe_secret)
    except MalformedLink:
        return _message(settings.public_url, 400, *_NOT_A_LINK)
    found = None
    if subscriber_id is not None:
        try:
            found = await subscribers.get(session, uuid.UUID(subscriber_id))
        except ValueError:
            found = None
    if found is None or found.email is None:
        # Erased, or never one: the same page as a forged link.
        return _message(settings.public_url, 404, *_NOT_VALID)
    return found


async def _preferences_page(
    state: StateDep,
    session: SessionDep,
    subscriber: Any,
    reading: form.Reading,
    *,
    saved: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    return _render(
        "preferences.html",
        status_code,
        heading="Your Candor subscription",
        email=subscriber.email,
        **await _choices(session, reading),
        saved=saved,
        public_url=state.settings.public_url.rstrip("/"),
    )


@router.get(
    "/preferences/{token}",
    response_class=HTMLResponse,
    summary="A subscriber's preferences (signed link)",
    responses={k: v for k, v in _HTML.items() if k in (400, 404)},
)
async def preferences_form(token: Token, session: SessionDep, state: StateDep) -> Response:
    """The services followed, timezone and language, as a form; changes nothing."""
    found = await _subscriber_of(token, session, state)
    if isinstance(found, Response):
        return found
    reading = form.Reading(
        email=found.email,
        services=sorted(sub.service.slug for sub in found.subscriptions),
        components=component_refs(found),
        timezone=found.timezone,
        language=found.language,
    )
    return await _preferences_page(state, session, found, reading)


@router.post(
    "/preferences/{token}",
    response_class=HTMLResponse,
    summary="Change a subscriber's preferences, or unsubscribe from everything",
    responses={k: v for k, v in _HTML.items() if k in (400, 404, 422)},
)
async def change_preferences(
    token: Token, request: Request, session: SessionDep, state: StateDep
) -> Response:
    """Form-encoded (service and component repeated, timezone, language;
    ``action=unsubscribe`` to follow nothing). Answers the page again, with what is saved
    now."""
    found = await _subscriber_of(token, session, state)
    if isinstance(found, Response):
        return found
    pairs = form.parse_body(request.headers.get("content-type", ""), await request.body())
    if dict(pairs).get("action") == "unsubscribe":
        await subscriber_rules.unsubscribe_from_everything(session=session, subscriber=found)
        reading = form.Reading(timezone=found.timezone, language=found.language)
        return await _preferences_page(state, session, found, reading, saved=True)
    reading = await _read(session, pairs, with_email=False)
    if reading.errors:
        return await _preferences_page(state, session, found, reading, status_code=422)
    await service.change_preferences(
        session=session,
        subscriber=found,
        services=reading.services,
        components=reading.components,
        timezone=reading.timezone,
        language=reading.language,
    )
    return await _preferences_page(state, session, found, reading, saved=True)
