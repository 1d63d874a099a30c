"""A subscriber's channels when they are saved: URLs checked against server-side request
forgery, and the signing secrets of webhooks.

Each URL is checked here with :mod:`candor_shared.outbound` (and Apprise URLs with
:mod:`candor_shared.apprise_targets`): http(s) only, https unless the host is in
``CANDOR_OUTBOUND_ALLOWLIST``, no user information, and no loopback, private, link-local or
metadata address in any spelling (decimal, octal, IPv4-mapped IPv6, …) unless allowlisted.
A name is resolved too, and refused if it resolves to such an address; a name that does not
resolve now is accepted. None of this is trusted later: the notifier checks every address
again when it connects, since DNS can change in between.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import secrets

import httpcore
import httpx

from candor_shared.apprise_targets import check_resolving
from candor_shared.outbound import (
    Allowlist,
    OutboundRefused,
    check_url,
    parse_loose_ipv4,
    resolve_checked,
)

WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix the specification gives
WEBHOOK_SECRET_BYTES = 32
RESOLVE_SECONDS = 5.0


def new_webhook_secret() -> str:
    """A webhook's signing secret as Standard Webhooks writes it: ``whsec_`` and base64 of
    32 random bytes (the specification asks for 24 to 64)."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(
        secrets.token_bytes(WEBHOOK_SECRET_BYTES)
    ).decode("ascii")


def _allowlisted(host: str, allowlist: Allowlist) -> bool:
    if allowlist.allows_host(host):
        return True
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(
            host.strip("[]")
        )
    except ValueError:
        address = parse_loose_ipv4(host)
    return address is not None and allowlist.allows_address(address)


async def check_channel_url(*, channel_type: str, url: str, allowlist: Allowlist) -> None:
    """Raise OutboundRefused, saying why, unless Candor may post to ``url``."""
    if channel_type == "apprise":
        await check_resolving(url, allowlist, resolve_seconds=RESOLVE_SECONDS)
        return
    check_url(url, allowlist)
    parsed = httpx.URL(url)
    if parsed.scheme != "https" and not _allowlisted(parsed.host, allowlist):
        raise OutboundRefused(
            "https is required; plain http only to hosts named in CANDOR_OUTBOUND_ALLOWLIST"
        )
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            await resolve_checked(parsed.host, port, allowlist)
    except (httpcore.ConnectError, TimeoutError):
        # Not resolvable now: the notifier resolves and checks again on every send.
        return
