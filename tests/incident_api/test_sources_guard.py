"""Per-integration rate limit (429 with Retry-After) and optional inbound HMAC signatures
(Candor's headers, or Grafana's own), over HTTP and as properties of the pure checks."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import Headers

from candor_incident_api.ingest.guard import (
    RateLimiter,
    candor_signature,
    grafana_signature,
    signature_problem,
)
from tests.conftest import RunningApi
from tests.incident_api.helpers import row_counts
from tests.incident_api.payloads import generic, grafana
from tests.incident_api.sources.helpers import new_integration, post

SECRET = "s3cret-shared-with-the-sender"


def signed(body: bytes, *, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    timestamp = str(int(time.time()) if at is None else at)
    return {
        "X-Candor-Timestamp": timestamp,
        "X-Candor-Signature": candor_signature(secret, timestamp, body),
    }


@pytest.fixture
async def strict_api(api_settings: Any) -> AsyncIterator[RunningApi]:
    """incident-api whose default rate limit is 2 requests a minute."""
    running = RunningApi(api_settings.model_copy(update={"ingest_rate_limit_per_minute": 2}))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_rate_limit_answers_429_with_retry_after(strict_api: RunningApi) -> None:
    async with strict_api.client() as operator:
        limited = (await new_integration(operator, "generic"))["key"]
        own_limit = (await new_integration(operator, "generic", rate_limit_per_minute=3))["key"]
        unlimited = (await new_integration(operator, "generic", rate_limit_per_minute=0))["key"]

    answers = [
        await post(strict_api, "/v1/ingest/generic", generic.firing(), key=limited)
        for _ in range(3)
    ]
    own = [
        await post(strict_api, "/v1/ingest/generic", generic.firing(), key=own_limit)
        for _ in range(4)
    ]
    free = [
        await post(strict_api, "/v1/ingest/generic", generic.firing(), key=unlimited)
        for _ in range(5)
    ]

    assert [a.status_code for a in answers] == [202, 202, 429]
    refused = answers[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 30
    assert "2 requests a minute" in refused.json()["detail"]
    assert [a.status_code for a in own] == [202, 202, 202, 429]
    assert {a.status_code for a in free} == {202}


async def test_signed_integration_refuses_unsigned_bad_and_replayed_requests(
    api: Any, operator: httpx.AsyncClient
) -> None:
    created = await new_integration(operator, "generic", signing_secret=SECRET)
    key = created["key"]
    shown = (await operator.get(f"/v1/integrations/{created['id']}")).json()
    body = json.dumps(generic.firing()).encode()
    six_minutes_ago = int(time.time()) - 360

    unsigned = await post(api, "/v1/ingest/generic", body, key=key)
    wrong_secret = await post(
        api, "/v1/ingest/generic", body, key=key, headers=signed(body, secret="not-the-secret!")
    )
    altered = await post(
        api,
        "/v1/ingest/generic",
        body.replace(b"critical", b"warning"),
        key=key,
        headers=signed(body),
    )
    replayed = await post(
        api, "/v1/ingest/generic", body, key=key, headers=signed(body, at=six_minutes_ago)
    )
    not_a_time = await post(
        api,
        "/v1/ingest/generic",
        body,
        key=key,
        headers={**signed(body), "X-Candor-Timestamp": "yesterday"},
    )

    for refused in (unsigned, wrong_secret, altered, replayed, not_a_time):
        assert refused.status_code == 401, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    assert "X-Candor-Signature" in unsigned.json()["detail"]
    assert "replayed" in replayed.json()["detail"]
    assert (await row_counts(api))["alerts"] == 0

    good = await post(api, "/v1/ingest/generic", body, key=key, headers=signed(body))

    assert good.status_code == 202, good.text
    assert shown["signed"] is True
    assert SECRET not in json.dumps(shown)
    assert "signing_secret" not in shown


async def test_grafana_may_sign_the_way_grafana_does(api: Any, operator: httpx.AsyncClient) -> None:
    key = (await new_integration(operator, "grafana", signing_secret=SECRET))["key"]
    body = json.dumps(grafana.firing()).encode()
    now = str(int(time.time()))
    grafana_headers = {
        "X-Grafana-Alerting-Signature": grafana_signature(SECRET, now, body),
        "X-Grafana-Alerting-Timestamp": now,
    }

    without_timestamp = await post(
        api,
        "/v1/ingest/grafana",
        body,
        key=key,
        headers={"X-Grafana-Alerting-Signature": grafana_headers["X-Grafana-Alerting-Signature"]},
    )
    wrong = await post(
        api,
        "/v1/ingest/grafana",
        body,
        key=key,
        headers={**grafana_headers, "X-Grafana-Alerting-Signature": "0" * 64},
    )
    good = await post(api, "/v1/ingest/grafana", body, key=key, headers=grafana_headers)
    candor_style = await post(api, "/v1/ingest/grafana", body, key=key, headers=signed(body))

    assert without_timestamp.status_code == 401
    assert "X-Grafana-Alerting-Timestamp" in without_timestamp.json()["detail"]
    assert wrong.status_code == 401
    assert good.status_code == 202, good.text
    assert candor_style.status_code == 202, candor_style.text


# ---- the pure checks ----------------------------------------------------------------------

secrets_ = st.text(min_size=16, max_size=64).filter(lambda s: "\x00" not in s)
bodies = st.binary(max_size=2048)


@given(secret=secrets_, body=bodies, skew=st.integers(-300, 300))
def test_a_fresh_candor_signature_is_accepted(secret: str, body: bytes, skew: int) -> None:
    now = 1_800_000_000
    headers = Headers(signed(body, secret=secret, at=now + skew))

    assert signature_problem(secret=secret, body=body, headers=headers, now=now) is None


@given(
    secret=secrets_, body=bodies.filter(bool), index=st.integers(0, 2047), flip=st.integers(1, 255)
)
def test_any_changed_byte_is_refused(secret: str, body: bytes, index: int, flip: int) -> None:
    now = 1_800_000_000
    headers = Headers(signed(body, secret=secret, at=now))
    position = index % len(body)
    changed = body[:position] + bytes([body[position] ^ flip]) + body[position + 1 :]

    assert signature_problem(secret=secret, body=changed, headers=headers, now=now) is not None


@given(secret=secrets_, body=bodies, age=st.integers(301, 10**9))
def test_an_old_or_future_timestamp_is_refused(secret: str, body: bytes, age: int) -> None:
    now = 2_000_000_000
    for at in (now - age, now + age):
        headers = Headers(signed(body, secret=secret, at=at))
        assert signature_problem(secret=secret, body=body, headers=headers, now=now) is not None


@given(secret=secrets_, body=bodies, skew=st.integers(-300, 300))
def test_grafana_signature_accepted_only_for_grafana(secret: str, body: bytes, skew: int) -> None:
    now = 1_800_000_000
    timestamp = str(now + skew)
    headers = Headers(
        {
            "X-Grafana-Alerting-Signature": grafana_signature(secret, timestamp, body),
            "X-Grafana-Alerting-Timestamp": timestamp,
        }
    )

    assert (
        signature_problem(secret=secret, body=body, headers=headers, now=now, grafana=True) is None
    )
    assert signature_problem(secret=secret, body=body, headers=headers, now=now) is not None


@given(limit=st.integers(1, 500), burst=st.integers(0, 600))
def test_bucket_allows_its_limit_then_says_when_to_retry(limit: int, burst: int) -> None:
    clock = [1000.0]
    limiter = RateLimiter(default_per_minute=limit, clock=lambda: clock[0])
    integration = uuid.uuid4()

    results = [limiter.retry_after(integration, None) for _ in range(burst)]

    allowed = [r for r in results if r is None]
    assert len(allowed) == min(burst, limit)
    if burst > limit:
        wait = results[-1]
        assert wait is not None
        assert wait >= 1
        clock[0] += wait
        assert limiter.retry_after(integration, None) is None
    assert limiter.retry_after(uuid.uuid4(), 0) is None
