"""Posting to a chat or webhook endpoint, and what its answer means for the ledger.

- 2xx: delivered.
- 408, 429 and 5xx, timeouts and connections that fail: try again later; a ``Retry-After``
  (seconds or an HTTP date) sets the earliest next attempt.
- 3xx: failed for good. Redirects are never followed (the guard's client returns them as
  they are), since one could lead to an internal address; the endpoint's owner must give
  the final URL.
- any other 4xx (410 Gone, 404, 400, …), and an address the outbound guard refuses: failed
  for good, with the answer recorded.

What is recorded never includes the URL: chat webhook URLs are secrets.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from candor_shared.outbound import OutboundRefused

ANSWER_EXCERPT_BYTES = 300
MAX_RETRY_AFTER_SECONDS = 86_400.0
TEMPORARY_STATUSES = frozenset({408, 429})


class ChannelError(Exception):
    """A post that did not go through: why, whether retrying can help, and when to retry."""

    def __init__(self, detail: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent
        self.retry_after = retry_after


def encode(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON: exactly the bytes sent (and, for webhooks, signed)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait that a ``Retry-After`` header asks for (delta-seconds or HTTP date),
    at most a day; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _printable(text: str) -> str:
    flat = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    return " ".join(flat.split())


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    *,
    now: datetime,
    headers: dict[str, str] | None = None,
) -> None:
    """POST ``body`` (JSON) to ``url``; return when the endpoint accepted it, raise
    :class:`ChannelError` otherwise."""
    try:
        async with client.stream(
            "POST",
            url,
            content=body,
            headers={"Content-Type": "application/json", **(headers or {})},
        ) as response:
            excerpt = b""
            async for chunk in response.aiter_bytes():
                excerpt += chunk
                if len(excerpt) >= ANSWER_EXCERPT_BYTES:
                    break
    except OutboundRefused as exc:
        raise ChannelError(f"refused by the outbound guard: {exc}", permanent=True) from exc
    except httpx.TimeoutException as exc:
        raise ChannelError(
            f"{type(exc).__name__}: the endpoint did not answer in time", permanent=False
        ) from exc
    except httpx.TransportError as exc:
        reason = _printable(str(exc).replace(url, "<url>"))[:200]
        raise ChannelError(f"{type(exc).__name__}: {reason}", permanent=False) from exc
    status = response.status_code
    if 200 <= status < 300:
        return
    answer = _printable(excerpt[:ANSWER_EXCERPT_BYTES].decode("utf-8", "replace"))[:200]
    detail = f"{status} {response.reason_phrase}" + (f": {answer}" if answer else "")
    if 300 <= status < 400:
        raise ChannelError(
            f"{status} {response.reason_phrase}: redirects are not followed; "
            "give the endpoint's final URL",
            permanent=True,
        )
    if status in TEMPORARY_STATUSES or status >= 500:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"), now=now)
        if retry_after is not None:
            detail += f" (retry after {retry_after:g} s)"
        raise ChannelError(detail, permanent=False, retry_after=retry_after)
    raise ChannelError(detail, permanent=True)
