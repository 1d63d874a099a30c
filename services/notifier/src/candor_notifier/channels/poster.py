"""Dispatch by channel: one notice, one target, the right message and the right way to post.

One HTTP client for every post, from :func:`candor_shared.outbound.new_outbound_client`:
each connection is resolved and checked when it is made and goes to the address checked,
and redirects come back unfollowed.
"""

from __future__ import annotations

import logging
from datetime import datetime

import httpx

from candor_notifier.channels import slack, teams, webhook
from candor_notifier.channels.apprise_urls import notify_apprise
from candor_notifier.channels.notice import ChannelNotice, ChannelTarget
from candor_notifier.channels.post import ChannelError, encode, post_json
from candor_shared.outbound import Allowlist, new_outbound_client

USER_AGENT = "Candor-Notifier"

# httpx logs every request with its URL at INFO, and chat webhook URLs are secrets: keep its
# warnings only. (Apprise logs URLs at DEBUG only.)
logging.getLogger("httpx").setLevel(logging.WARNING)


class ChannelPoster:
    """Posts notices to Slack, Teams, webhooks and Apprise URLs."""

    def __init__(self, *, allowlist: str, timeout: float, max_connections: int) -> None:
        self._allowlist = Allowlist.parse(allowlist)
        self._timeout = timeout
        self._client: httpx.AsyncClient = new_outbound_client(
            self._allowlist,
            timeout=timeout,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"User-Agent": USER_AGENT},
        )

    async def deliver(self, target: ChannelTarget, notice: ChannelNotice, *, now: datetime) -> None:
        """Return once the endpoint accepted the notice; raise :class:`ChannelError` if not."""
        if target.type == "slack":
            await post_json(self._client, target.url, encode(slack.slack_message(notice)), now=now)
        elif target.type == "teams":
            await post_json(self._client, target.url, encode(teams.teams_message(notice)), now=now)
        elif target.type == "webhook":
            if not target.secret:
                raise ChannelError("the webhook has no signing secret", permanent=True)
            body = encode(webhook.webhook_payload(notice))
            headers = webhook.signed_headers(
                secret=target.secret, message_id=str(notice.delivery_id), now=now, body=body
            )
            await post_json(self._client, target.url, body, now=now, headers=headers)
        elif target.type == "apprise":
            await notify_apprise(
                target.url, notice, allowlist=self._allowlist, seconds=self._timeout
            )
        else:
            raise ChannelError(f"no such channel type: {target.type[:32]!r}", permanent=True)

    async def close(self) -> None:
        """Close the connections kept open."""
        await self._client.aclose()
