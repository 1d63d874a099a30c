"""Letting an integration's request in: its key, its rate limit, its signature.

One function for every ingest route, called from the route's single dependency: the ingest
path is hot, and each nested FastAPI dependency costs more than the key lookup (measured:
~190 µs a request).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any, Literal

from fastapi import Request

from candor_incident_api.errors import ApiError
from candor_incident_api.ingest.auth import IngestCaller, IntegrationKeys
from candor_incident_api.ingest.guard import RateLimiter, signature_problem
from candor_incident_api.ingest.schemas import IngestAccepted

Refusal = Literal["no_key", "unknown_key", "wrong_source", "rate_limited", "bad_signature"]


class IngestRefused(ApiError):
    """An ingest request refused before its body is read; ``reason`` says why."""

    def __init__(
        self, status: int, title: str, detail: str, *, reason: Refusal, headers: dict[str, str]
    ) -> None:
        super().__init__(status, title, detail, headers=headers)
        self.reason = reason


def _unauthorized(detail: str, reason: Refusal) -> IngestRefused:
    return IngestRefused(
        401, "Unauthorized", detail, reason=reason, headers={"WWW-Authenticate": "Bearer"}
    )


def bearer_key(request: Request) -> str | None:
    """The key of ``Authorization: Bearer <key>``, if the request has one."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return key.strip()


async def admit(request: Request, *, source: str, key: str | None, how: str) -> IngestCaller:
    """The integration behind ``key`` if it may post to ``source`` now, else IngestRefused.

    Checks, in order: the key (401), the integration's source (401), its rate limit (429
    with Retry-After), its signature when it has a signing secret (401).
    """
    if not key:
        raise _unauthorized(f"Send the integration key {how}.", "no_key")
    keys: IntegrationKeys = request.app.state.integration_keys
    found = await keys.resolve(key)
    if found is None:
        raise _unauthorized("The integration key is unknown or revoked.", "unknown_key")
    if found.source != source:
        raise _unauthorized(
            f"This key belongs to a {found.source!r} integration; post to "
            f"/v1/ingest/{found.source} instead.",
            "wrong_source",
        )
    limits: RateLimiter = request.app.state.ingest_limits
    wait = limits.retry_after(found.integration_id, found.rate_limit_per_minute)
    if wait is not None:
        limit = (
            limits.default_per_minute
            if found.rate_limit_per_minute is None
            else found.rate_limit_per_minute
        )
        raise IngestRefused(
            429,
            "Too many requests",
            f"This integration may post {limit} requests a minute; retry after {wait} s.",
            reason="rate_limited",
            headers={"Retry-After": str(wait)},
        )
    if found.signing_secret:
        problem = signature_problem(
            secret=found.signing_secret,
            body=await request.body(),
            headers=request.headers,
            now=time.time(),
            grafana=source == "grafana",
        )
        if problem is not None:
            raise _unauthorized(f"Bad signature: {problem}.", "bad_signature")
    return found


def accepted(count: int, outcome: Sequence[uuid.UUID | None]) -> IngestAccepted:
    """The answer for ``count`` alerts whose incidents are ``outcome``."""
    incidents = list(dict.fromkeys(incident for incident in outcome if incident is not None))
    return IngestAccepted(alerts=count, incidents=incidents)


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, unknown or revoked key; or a missing or bad signature."},
    403: {"description": "An alert names a service this integration may not post for."},
    413: {"description": "The body is larger than CANDOR_MAX_BODY_BYTES."},
    422: {"description": "The payload is malformed; `detail` and `errors` name the field."},
    429: {"description": "The integration's rate limit is spent; retry after `Retry-After`."},
    503: {"description": "The database is unreachable; retry after `Retry-After` seconds."},
}

SIGNING = (
    "**Signing (optional).** When the integration has a `signing_secret`, each request must "
    "carry `X-Candor-Timestamp` (unix seconds, within 5 minutes of the server's clock) and "
    '`X-Candor-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`; '
    "otherwise it is refused with 401. **Rate limit.** Each integration may post "
    "`rate_limit_per_minute` requests a minute (default `CANDOR_INGEST_RATE_LIMIT_PER_MINUTE`); "
    "past it the answer is 429 with `Retry-After`."
)
