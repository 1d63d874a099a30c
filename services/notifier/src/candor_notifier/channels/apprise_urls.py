"""The long tail (Mattermost, Discord, Matrix, Telegram, ntfy, …) through Apprise URLs.

Apprise's ``notify`` blocks (it sends with ``requests``), so it runs in a worker thread.
Before each send the URL's hosts are checked and resolved again
(:mod:`candor_shared.apprise_targets`); what cannot be checked is said there. Apprise tells
only whether it delivered, not why not, so every failure counts as temporary and ends after
``CANDOR_DELIVERY_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import asyncio

from candor_notifier.channels.notice import ChannelNotice
from candor_notifier.channels.post import ChannelError
from candor_shared.apprise_targets import check_resolving
from candor_shared.outbound import AllowlistLike, OutboundRefused


def _notify(url: str, notice: ChannelNotice, seconds: float) -> bool:
    import apprise

    # Nothing written to disk: Apprise's persistent store would keep tokens in files.
    asset = apprise.AppriseAsset(storage_mode="memory", allow_templates=False)
    sender = apprise.Apprise(asset=asset)
    if not sender.add(url):
        raise ChannelError("Apprise no longer understands this URL", permanent=True)
    result = sender.notify(
        body=notice.text,
        title=notice.subject,
        body_format=apprise.NotifyFormat.TEXT,
        timeout=seconds,
    )
    return bool(result)


async def notify_apprise(
    url: str, notice: ChannelNotice, *, allowlist: AllowlistLike, seconds: float
) -> None:
    """Send the notice through Apprise within ``seconds``; raise :class:`ChannelError` when
    it did not go."""
    try:
        target = await check_resolving(url, allowlist, resolve_seconds=seconds)
    except OutboundRefused as exc:
        raise ChannelError(f"refused by the outbound guard: {exc}", permanent=True) from exc
    delivered = await asyncio.to_thread(_notify, url, notice, seconds)
    if not delivered:
        raise ChannelError(f"Apprise could not deliver to {target.service}", permanent=False)
