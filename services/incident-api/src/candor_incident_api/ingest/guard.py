"""What an integration's request must pass before its alerts are read: a rate limit per
integration and, when the integration has a signing secret, a fresh HMAC signature.

Signatures (any source): ``X-Candor-Timestamp: <unix seconds>`` and
``X-Candor-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>``. Grafana
integrations may instead use Grafana's own webhook signature: hex HMAC-SHA256 of
``"<timestamp>:<raw body>"`` in ``X-Grafana-Alerting-Signature`` with the timestamp in
``X-Grafana-Alerting-Timestamp``. Either way the timestamp must be within
:data:`SIGNATURE_WINDOW_SECONDS` of this server's clock, so a captured request cannot be
replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

SIGNATURE_WINDOW_SECONDS = 300
CANDOR_TIMESTAMP = "X-Candor-Timestamp"
CANDOR_SIGNATURE = "X-Candor-Signature"
GRAFANA_SIGNATURES = ("X-Grafana-Alerting-Signature", "X-Grafana-Alert-Signature")
GRAFANA_TIMESTAMP = "X-Grafana-Alerting-Timestamp"


def candor_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Candor-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def grafana_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature Grafana sends with a timestamp header configured."""
    return hmac.new(secret.encode(), timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()


def _fresh(timestamp: str, now: float) -> str | None:
    if not timestamp.isdigit() or len(timestamp) > 12:
        return "the timestamp must be the time of sending in whole seconds since 1970 (UTC)"
    if abs(now - int(timestamp)) > SIGNATURE_WINDOW_SECONDS:
        return (
            f"the timestamp is more than {SIGNATURE_WINDOW_SECONDS // 60} minutes away from "
            "this server's clock: a replayed request, or a sender whose clock is wrong"
        )
    return None


def signature_problem(
    *, secret: str, body: bytes, headers: Mapping[str, str], now: float, grafana: bool = False
) -> str | None:
    """Why the request is not correctly signed with ``secret``, or None when it is.

    ``headers`` must look names up case-insensitively (as Starlette's ``Headers`` do).
    """
    signature = headers.get(CANDOR_SIGNATURE)
    if signature is None and grafana:
        for name in GRAFANA_SIGNATURES:
            offered = headers.get(name)
            if offered is None:
                continue
            timestamp = headers.get(GRAFANA_TIMESTAMP)
            if timestamp is None:
                return (
                    f"set the contact point's HMAC Timestamp Header to {GRAFANA_TIMESTAMP}: "
                    "a signature without a timestamp could be replayed forever"
                )
            stale = _fresh(timestamp.strip(), now)
            if stale:
                return stale
            expected = grafana_signature(secret, timestamp.strip(), body)
            if hmac.compare_digest(offered.strip().lower().encode(), expected.encode()):
                return None
            return f"the {name} header does not match the body and the signing secret"
    if signature is None:
        return (
            f"this integration requires signed requests: send {CANDOR_TIMESTAMP} and "
            f"{CANDOR_SIGNATURE} (sha256=<hex HMAC-SHA256 of '<timestamp>.<body>'>)"
        )
    timestamp = headers.get(CANDOR_TIMESTAMP)
    if timestamp is None:
        return f"send the {CANDOR_TIMESTAMP} header with the signature"
    stale = _fresh(timestamp.strip(), now)
    if stale:
        return stale
    expected = candor_signature(secret, timestamp.strip(), body)
    if hmac.compare_digest(signature.strip().encode(), expected.encode()):
        return None
    return f"the {CANDOR_SIGNATURE} header does not match the body and the signing secret"


@dataclass(slots=True)
class _Bucket:
    limit: int
    tokens: float
    at: float


class RateLimiter:
    """Token buckets, one per integration, in this process's memory.

    A bucket holds ``limit`` requests and refills at ``limit`` per minute, so a source may
    burst up to its per-minute limit and then continue at its rate. With several replicas
    each enforces the limit on its own share of the traffic.
    """

    def __init__(
        self, *, default_per_minute: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.default_per_minute = default_per_minute
        self._clock = clock
        self._buckets: dict[uuid.UUID, _Bucket] = {}

    def retry_after(self, integration_id: uuid.UUID, per_minute: int | None) -> int | None:
        """Take one request from the integration's bucket: None if allowed, else the
        seconds to wait. ``per_minute`` None means the default; 0 means unlimited."""
        limit = self.default_per_minute if per_minute is None else per_minute
        if limit <= 0:
            return None
        now = self._clock()
        bucket = self._buckets.get(integration_id)
        if bucket is None or bucket.limit != limit:
            if len(self._buckets) >= 10_000:
                self._buckets.clear()
            bucket = self._buckets[integration_id] = _Bucket(limit=limit, tokens=limit, at=now)
        else:
            bucket.tokens = min(limit, bucket.tokens + (now - bucket.at) * limit / 60)
            bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return max(1, math.ceil((1 - bucket.tokens) * 60 / limit))
