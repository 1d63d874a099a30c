"""Outbound HTTP that cannot be turned against our own network (server-side request forgery).

Webhook, Slack, Teams and Apprise URLs come from users and admins; without a guard, a URL
such as ``http://169.254.169.254/`` or ``http://2130706433/`` would make the notifier fetch
cloud credentials or poke internal services. Two layers:

- :func:`check_url` refuses a URL when it is saved: a scheme other than http(s), user
  information, or a host that *is* a non-public address in any spelling the resolver would
  accept (decimal, octal, hex, short forms, IPv4-mapped/compatible, NAT64 and 6to4 IPv6,
  trailing dots) or a ``localhost`` name. :func:`check_url_resolving` also resolves the name.
  :func:`check_host` does the same for the host of a non-http URL (Apprise's ``mmost://``):
  Apprise connects through its own HTTP stack, so for it only these checks apply, not the
  connect-time one below.
- :func:`new_outbound_client` gives an ``httpx.AsyncClient`` whose transport resolves each
  host itself when it connects, refuses if any resolved address is not public, and connects
  to the address it checked (TLS still verifies, and SNI and ``Host`` still carry, the
  original name). A name that resolved to a public address when saved and to ``127.0.0.1``
  now (DNS rebinding) is refused. Redirects are not followed: a 3xx comes back as it is.

The admin allowlist (``CANDOR_OUTBOUND_ALLOWLIST``) names hosts or CIDR ranges that may be
reached even though they are not public (an intranet webhook relay, for example).

Written by hand: the httpx SSRF packages on PyPI either only wrap GET and resolve through a
public DNS server (safehttpx), patch a client's internals without CIDR allowlists
(httpx-secure), or are young single-release projects; this module is small enough to own.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import anyio
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})
OUTBOUND_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


class OutboundRefused(ValueError):
    """An outbound URL or address that Candor will not contact, with the reason in words."""


# Ranges that are not the public internet, with the words used in refusals. Checked on top
# of the ``ipaddress`` predicates so the rule does not depend on the Python patch release.
_V4_BLOCKED: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (ipaddress.IPv4Network(cidr), reason)
    for cidr, reason in (
        ("0.0.0.0/8", "unspecified ('this network')"),
        ("10.0.0.0/8", "private (RFC 1918)"),
        ("100.64.0.0/10", "shared address space (CGNAT, RFC 6598)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.169.254/32", "link-local (cloud metadata service)"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        ("192.0.0.0/24", "reserved (IETF protocol assignments)"),
        ("192.0.2.0/24", "reserved (documentation)"),
        ("192.88.99.0/24", "reserved (6to4 relay anycast)"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("198.18.0.0/15", "reserved (benchmarking)"),
        ("198.51.100.0/24", "reserved (documentation)"),
        ("203.0.113.0/24", "reserved (documentation)"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved (including broadcast)"),
    )
)
_V6_BLOCKED: tuple[tuple[ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.IPv6Network(cidr), reason)
    for cidr, reason in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "reserved (IPv4-compatible)"),
        ("64:ff9b:1::/48", "reserved (local-use NAT64)"),
        ("100::/64", "reserved (discard-only)"),
        ("2001::/23", "reserved (IETF protocol assignments, Teredo)"),
        ("2001:db8::/32", "reserved (documentation)"),
        ("3fff::/20", "reserved (documentation)"),
        ("fc00::/7", "private (unique local, ULA)"),
        ("fd00:ec2::254/128", "unique local (cloud metadata service)"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "reserved (site-local)"),
        ("ff00::/8", "multicast"),
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LOCALHOST_NAMES = re.compile(r"^(?:.+\.)?localhost$|^localhost\.localdomain$")
_HOST_NAME = re.compile(r"^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$")
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")


@dataclass(frozen=True)
class Allowlist:
    """Hosts and CIDR ranges an admin allows despite not being public addresses."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str | Iterable[str]) -> Allowlist:
        """Read ``"hooks.intranet, 10.20.0.0/16, [::1]"``; a bad entry raises ValueError."""
        entries = text.split(",") if isinstance(text, str) else list(text)
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            try:
                host = _canonical_host(httpx.URL(f"http://{entry}/"))
            except httpx.InvalidURL as exc:
                raise ValueError(
                    f"outbound allowlist entry {entry!r} is not a host or CIDR"
                ) from exc
            if not _HOST_NAME.match(host) or any(c in entry for c in "/:@?#"):
                raise ValueError(f"outbound allowlist entry {entry!r} is not a host or CIDR")
            hosts.add(host)
        return cls(hosts=frozenset(hosts), networks=tuple(networks))

    def allows_host(self, host: str) -> bool:
        """Whether the admin named this host (compared without case or trailing dot)."""
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        """Whether a named CIDR range holds the address, or the IPv4 address it embeds."""
        candidates: list[IPAddress] = [address]
        embedded = _embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
        if embedded is not None:
            candidates.append(embedded)
        return any(
            a in net for a in candidates for net in self.networks if a.version == net.version
        )


AllowlistLike = Allowlist | str | Iterable[str]


def _as_allowlist(allowlist: AllowlistLike) -> Allowlist:
    return allowlist if isinstance(allowlist, Allowlist) else Allowlist.parse(allowlist)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries: mapped, compatible, NAT64 or 6to4."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (int(address) >> 32 == 0 and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _ipv4_refusal(address: ipaddress.IPv4Address) -> str | None:
    for network, reason in _V4_BLOCKED:
        if address in network:
            return reason
    if not address.is_global or address.is_multicast or address.is_reserved:
        return "not a public address"
    return None


def address_refusal(address: IPAddress) -> str | None:
    """Why this address must not be contacted (loopback, private, …), or None if it is public."""
    if isinstance(address, ipaddress.IPv4Address):
        return _ipv4_refusal(address)
    if address.scope_id:
        return "an IPv6 address with a zone (link-scoped)"
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        reason = _ipv4_refusal(embedded)
        if reason is not None:
            return f"{reason}, written as IPv6 ({embedded} inside {address})"
        if address.ipv4_mapped is not None or address.sixtofour is not None or address in _NAT64:
            return None
    for network, why in _V6_BLOCKED:
        if address in network:
            return why
    if not address.is_global or address.is_multicast or address.is_reserved:
        return "not a public address"
    return None


def _check_address(address: IPAddress, host: str, allowlist: Allowlist) -> None:
    reason = address_refusal(address)
    if reason is not None and not allowlist.allows_address(address):
        shown = host if host == str(address) else f"{host} ({address})"
        raise OutboundRefused(
            f"refusing to contact {shown}: {reason}; "
            "an admin may allow it in CANDOR_OUTBOUND_ALLOWLIST"
        )


def parse_loose_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address ``inet_aton`` would read in ``host`` (``127.1``, ``0x7f.1``, ``2130706433``,
    ``0177.0.0.1``), or None when the host is not written as numbers."""
    labels = host.split(".")
    if not 1 <= len(labels) <= 4 or not all(_NUMERIC_LABEL.match(label) for label in labels):
        return None
    try:
        parts = [
            int(label, 16)
            if label.startswith("0x")
            else int(label, 8)
            if len(label) > 1 and label.startswith("0")
            else int(label)
            for label in labels
        ]
    except ValueError:
        return None
    *head, last = parts
    if any(p > 0xFF for p in head) or last >= 256 ** (5 - len(parts)):
        return None
    value = 0
    for p in head:
        value = value << 8 | p
    value = value << 8 * (5 - len(parts)) | last
    return ipaddress.IPv4Address(value)


def _canonical_host(url: httpx.URL) -> str:
    return url.raw_host.decode("ascii").lower().rstrip(".")


def _literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, in any spelling the resolver accepts."""
    try:
        return ipaddress.ip_address(host.replace("%25", "%"))
    except ValueError:
        return parse_loose_ipv4(host)


def _parse(url: str | httpx.URL) -> httpx.URL:
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise OutboundRefused(f"not a valid URL: {exc}") from exc
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise OutboundRefused(f"only http and https URLs are allowed, not {parsed.scheme!r}")
    if parsed.userinfo:
        raise OutboundRefused("URLs with a user name or password before the host are not allowed")
    if not parsed.raw_host:
        raise OutboundRefused("the URL has no host")
    return parsed


def check_url(url: str | httpx.URL, allowlist: AllowlistLike = "") -> None:
    """Raise OutboundRefused unless the URL is http(s), has no user info, and its host is not a
    non-public address or a localhost name (in any spelling), or is allowlisted. No DNS lookup:
    names are checked again, resolved, by the client from :func:`new_outbound_client`."""
    check_host(_canonical_host(_parse(url)), allowlist)


def check_host(host: str, allowlist: AllowlistLike = "") -> None:
    """Raise OutboundRefused if the host (a name or an address in any spelling, without port)
    is a non-public address or a localhost name and is not allowlisted. No DNS lookup; for
    non-http URLs (Apprise's ``mmost://host/...``) call it with the URL's host."""
    allowed = _as_allowlist(allowlist)
    host = host.strip("[]").lower().rstrip(".")
    if allowed.allows_host(host):
        return
    address = _literal_address(host)
    if address is not None:
        _check_address(address, host, allowed)
        return
    if _LOCALHOST_NAMES.match(host):
        raise OutboundRefused(
            f"refusing to contact {host}: loopback name; "
            "an admin may allow it in CANDOR_OUTBOUND_ALLOWLIST"
        )
    if _NUMERIC_LABEL.match(host.rsplit(".", 1)[-1]):
        raise OutboundRefused(f"{host!r} is neither a valid IPv4 address nor a host name")


async def resolve_checked(host: str, port: int, allowlist: AllowlistLike = "") -> list[IPAddress]:
    """Resolve the host and return its addresses, raising OutboundRefused if any of them is not
    public and not allowlisted (every address is checked, so none can be picked later)."""
    allowed = _as_allowlist(allowlist)
    name = host.lower().rstrip(".")
    literal = _literal_address(name)
    if literal is not None:
        if not allowed.allows_host(name):
            _check_address(literal, name, allowed)
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and len(sockaddr) >= 4 and sockaddr[3]:
            address = ipaddress.IPv6Address(f"{address}%{sockaddr[3]}")
        if address not in addresses:
            addresses.append(address)
    if not allowed.allows_host(name):
        for address in addresses:
            _check_address(address, name, allowed)
    return addresses


async def check_url_resolving(url: str | httpx.URL, allowlist: AllowlistLike = "") -> None:
    """check_url, then resolve the host now and refuse if any address is not public."""
    check_url(url, allowlist)
    parsed = _parse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        await resolve_checked(parsed.raw_host.decode("ascii"), port, allowlist)
    except httpcore.ConnectError as exc:
        raise OutboundRefused(str(exc)) from exc


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks and connects to the checked address."""

    def __init__(
        self, allowlist: AllowlistLike = "", inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self._allowlist = _as_allowlist(allowlist)
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await resolve_checked(host, port, self._allowlist)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout}s") from exc
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundRefused("outbound requests may not use Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx transport that checks each request's URL and every address it connects to."""

    def __init__(
        self,
        allowlist: AllowlistLike = "",
        *,
        verify: ssl.SSLContext | str | bool = True,
        limits: httpx.Limits = OUTBOUND_LIMITS,
        http2: bool = False,
    ) -> None:
        super().__init__(verify=verify, limits=limits, http2=http2, trust_env=False)
        self._allowlist = _as_allowlist(allowlist)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=GuardedNetworkBackend(self._allowlist),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        check_url(request.url, self._allowlist)
        return await super().handle_async_request(request)


def new_outbound_client(
    allowlist: AllowlistLike = "",
    *,
    timeout: float | httpx.Timeout = 10.0,
    limits: httpx.Limits = OUTBOUND_LIMITS,
    verify: ssl.SSLContext | str | bool = True,
    headers: dict[str, str] | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient for user-supplied URLs: every connection checked against SSRF, no redirects
    followed (a 3xx is returned as it is), no proxies from the environment. Refusals raise
    OutboundRefused (a ValueError), before anything is sent."""
    return httpx.AsyncClient(
        transport=GuardedTransport(allowlist, verify=verify, limits=limits),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers=headers,
    )
