"""``/feedback/{token}``: the form behind the link in each recipient's post-incident report.

No login: the signed token names the incident and the respondent (see
:mod:`candor_shared.feedback`), so it is the only credential. GET shows the form (filled
with the respondent's answer if they gave one), POST (form-encoded, as a browser sends it
without JavaScript) stores the answer and thanks them; posting again replaces it. A link
that lets nobody answer is a 404 page, an answer with mistakes a 422 page showing the form
again with each mistake next to its field.

Browser pages, not API operations: they stay out of the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from candor_incident_api.dependencies import SessionDep, StateDep
from candor_incident_api.feedback import service
from candor_incident_api.feedback.form import FIELDS, read_form, values_of
from candor_incident_api.feedback.page import render_form, render_refused, render_thanks
from candor_shared.clock import utcnow

router = APIRouter(prefix="/feedback", tags=["feedback"], include_in_schema=False)

# The token is a credential in the URL: keep it out of caches and of other sites' logs.
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}

Token = Annotated[str, Path(description="The signed token of a feedback link.")]


def _page(html: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status_code, headers=_HEADERS)


async def _posted_fields(request: Request) -> dict[str, str]:
    """The fields of a form-encoded body (the last of a repeated name wins).

    Anything else (another content type, more fields than the form has many times over)
    reads as an empty form, whose mistakes the page then lists.
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        return {}
    body = (await request.body()).decode("utf-8", "replace")
    try:
        pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=len(FIELDS) * 4)
    except ValueError:
        return {}
    return dict(pairs)


def _refused(public_url: str) -> HTMLResponse:
    return _page(render_refused(public_url=public_url), 404)


@router.get("/{token}", response_class=HTMLResponse)
async def feedback_form(token: Token, session: SessionDep, state: StateDep) -> Response:
    """The form, with the respondent's earlier answer if there is one."""
    settings = state.settings
    try:
        respondent = await service.respondent(
            session=session, token=token, secret=settings.unsubscribe_secret
        )
    except service.LinkRefused:
        return _refused(settings.public_url)
    earlier = await service.answer_of(session=session, respondent=respondent)
    return _page(
        render_form(
            respondent=respondent,
            values={} if earlier is None else values_of(earlier),
            errors={},
            answered_before=earlier is not None,
            public_url=settings.public_url,
        )
    )


@router.post("/{token}", response_class=HTMLResponse)
async def submit_feedback(
    token: Token, request: Request, session: SessionDep, state: StateDep
) -> Response:
    """Store the answer (replacing an earlier one) and thank the respondent; 422 with the
    form and its mistakes when something is missing or out of range."""
    settings = state.settings
    try:
        respondent = await service.respondent(
            session=session, token=token, secret=settings.unsubscribe_secret
        )
    except service.LinkRefused:
        return _refused(settings.public_url)
    reading = read_form(await _posted_fields(request))
    if reading.answer is None:
        return _page(
            render_form(
                respondent=respondent,
                values=reading.values,
                errors=reading.errors,
                answered_before=False,
                public_url=settings.public_url,
            ),
            422,
        )
    await service.record_answer(
        session=session, respondent=respondent, answer=reading.answer, now=utcnow()
    )
    return _page(render_thanks(respondent=respondent, public_url=settings.public_url))
