"""What an Apprise URL will contact, so that the outbound guard can check it.

Apprise carries Candor's notices to the long tail of chat services (Mattermost, Discord,
Matrix, Telegram, ntfy, …) through its own HTTP stack (``requests``), not through the client
of :mod:`candor_shared.outbound`; the guard cannot step in when Apprise connects. What can be
known beforehand is checked, when the URL is saved and again before each send:

- the URL must be one Apprise understands (one of its plugins takes it);
- plugins that notify the machine Candor runs on (desktop, D-Bus, syslog) are refused;
- when the host Apprise contacts comes from the URL (self-hosted services: ``mmosts://``,
  ``matrixs://``, ``ntfys://host``, ``json://``, the SMTP server of ``mailto://``), it is
  checked like any outbound host: no loopback, private, link-local or metadata address in
  any spelling unless ``CANDOR_OUTBOUND_ALLOWLIST`` names it; :func:`check_resolving` also
  resolves it and refuses a name that resolves to such an address;
- hosted services (``discord://``, ``tgram://``, …) contact the plugin's own public host.

What cannot be checked: the address Apprise's connection finally uses (a name may resolve
differently between the check and the connection), and redirects, which ``requests``
follows. Prefer the native webhook channel where that matters.

Apprise is imported when first needed: it loads every plugin, which takes a moment (so
:func:`check_resolving` parses in a worker thread, not on the event loop).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpcore

from candor_shared.outbound import AllowlistLike, OutboundRefused, check_host, resolve_checked

# Plugins that notify this machine rather than a service; no subscriber wants those.
_LOCAL_PLUGINS = frozenset(
    {"NotifyDBus", "NotifyGLib", "NotifyGnome", "NotifyMacOSX", "NotifyWindows", "NotifySyslog"}
    | {"NotifyBlink1"}
)
# Attributes of a plugin that hold a host taken from the URL.
_HOST_ATTRIBUTES = ("host", "smtp_host")


@dataclass(frozen=True)
class AppriseTarget:
    """An Apprise URL understood: the service it notifies, and the hosts it names."""

    service: str
    hosts: tuple[str, ...]
    """Hosts taken from the URL that Apprise will contact (empty for hosted services)."""
    port: int | None = None


def instantiate(url: str) -> Any:
    """The Apprise plugin that takes ``url``; raise OutboundRefused if none does."""
    import apprise

    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        raise OutboundRefused(
            "not an Apprise URL that Apprise understands (see https://appriseit.com/services/)"
        )
    return plugin


def target_of(url: str, allowlist: AllowlistLike = "") -> AppriseTarget:
    """What ``url`` will contact, checked without DNS; raise OutboundRefused with the reason."""
    plugin = instantiate(url)
    name = type(plugin).__name__
    if name in _LOCAL_PLUGINS:
        raise OutboundRefused(
            f"Apprise's {plugin.service_name} notifies the machine Candor runs on, not a person"
        )
    tokens: dict[str, Any] = getattr(plugin, "template_tokens", {}) or {}
    hosts: list[str] = []
    for attribute in _HOST_ATTRIBUTES:
        if attribute == "host" and "host" not in tokens:
            # The plugin's own service host; the URL's "host" is a token or an id.
            continue
        value = getattr(plugin, attribute, None)
        if isinstance(value, str) and value and value not in hosts:
            hosts.append(value)
    for host in hosts:
        check_host(host, allowlist)
    port = getattr(plugin, "port", None)
    return AppriseTarget(
        service=str(plugin.service_name),
        hosts=tuple(hosts),
        port=port if isinstance(port, int) else None,
    )


async def check_resolving(
    url: str, allowlist: AllowlistLike = "", *, resolve_seconds: float | None = None
) -> AppriseTarget:
    """:func:`target_of`, then resolve each host now and refuse if any address is not public.

    A name that does not resolve (within ``resolve_seconds``, when given) is let through: some
    plugins take a topic or an id where a host would be (``ntfy://topic``), Apprise fails by
    itself on a real name that does not resolve, and the check runs again before each send.
    Parsing and the checks without DNS always run to the end.
    """
    # In a thread: the first use loads every Apprise plugin, which takes a second or two.
    target = await asyncio.to_thread(target_of, url, allowlist)
    for host in target.hosts:
        try:
            async with asyncio.timeout(resolve_seconds):
                await resolve_checked(host, target.port or 0, allowlist)
        except (httpcore.ConnectError, TimeoutError):
            continue
    return target
