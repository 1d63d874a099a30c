"""The outbound guard: no user-supplied URL reaches loopback, private or metadata addresses.

Real sockets throughout: listeners on 127.0.0.1, 127.0.0.2 and ::1 count every connection
they get, so a refusal that happened too late (after connecting) would show.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
import trustme
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from candor_shared.outbound import (
    Allowlist,
    OutboundRefused,
    address_refusal,
    check_host,
    check_url,
    check_url_resolving,
    new_outbound_client,
    parse_loose_ipv4,
)
from candor_shared.settings import CandorSettings


@dataclass
class Listener:
    """A tiny HTTP server that answers every request the same way and counts connections."""

    answer: bytes
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    port: int = 0
    server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.requests.append(head)
            writer.write(self.answer)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def start_listener(host: str, answer: bytes) -> Listener:
    listener = Listener(answer=answer)
    listener.server = await asyncio.start_server(listener.handle, host, 0)
    listener.port = listener.server.sockets[0].getsockname()[1]
    return listener


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


def redirect_to(url: str) -> bytes:
    return (
        f"HTTP/1.1 302 Found\r\nLocation: {url}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    ).encode()


@pytest.fixture
async def listeners() -> AsyncIterator[tuple[Listener, Listener]]:
    v4 = await start_listener("127.0.0.1", OK)
    v6 = await start_listener("::1", OK)
    yield v4, v6
    for listener in (v4, v6):
        assert listener.server is not None
        listener.server.close()
        await listener.server.wait_closed()


REFUSED = [
    "http://127.0.0.1:{port}/",
    "http://127.0.0.1.:{port}/",
    "http://2130706433:{port}/",
    "http://0x7f000001:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://0x7f.1:{port}/",
    "http://127.1:{port}/",
    "http://0:{port}/",
    "http://0.0.0.0:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::ffff:7f00:1]:{port}/",
    "http://[::127.0.0.1]:{port}/",
    "http://[64:ff9b::7f00:1]:{port}/",
    "http://[2002:7f00:1::]:{port}/",
    "http://localhost:{port}/",
    "http://localhost.:{port}/",
    "http://LocalHost:{port}/",
    "http://api.localhost:{port}/",
    "http://[::1]:{port6}/",
    "http://[0:0:0:0:0:0:0:1]:{port6}/",
    "http://10.0.0.1:{port}/",
    "http://172.16.5.4:{port}/",
    "http://192.168.1.1:{port}/",
    "http://100.64.0.1:{port}/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[fe80::1%25lo]:{port6}/",
    "http://[fc00::1]/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://999.0.0.1/",
    "ftp://example.com/",
    "file:///etc/passwd",
    "gopher://example.com/",
    "http://user:secret@example.com/",
    "http://example.com@127.0.0.1:{port}/",
    "http:///nohost",
]


async def test_every_spelling_of_an_internal_address_is_refused_and_nothing_connects(
    listeners: tuple[Listener, Listener],
) -> None:
    v4, v6 = listeners
    async with new_outbound_client("", timeout=5) as client:
        for template in REFUSED:
            url = template.format(port=v4.port, port6=v6.port)
            with pytest.raises(OutboundRefused):
                check_url(url)
            # httpx itself rejects a few spellings (0177.0.0.1) before any transport runs.
            with pytest.raises((OutboundRefused, httpx.InvalidURL)):
                await client.post(url, json={"incident": "inc_1"})
    assert (v4.connections, v6.connections) == (0, 0)


async def test_refusal_says_why_and_how_to_allow() -> None:
    with pytest.raises(OutboundRefused, match=r"cloud metadata.*CANDOR_OUTBOUND_ALLOWLIST"):
        check_url("http://169.254.169.254/")
    with pytest.raises(OutboundRefused, match=r"loopback, written as IPv6"):
        check_url("http://[::ffff:7f00:1]/")
    with pytest.raises(OutboundRefused, match="only http and https"):
        check_url("file:///etc/passwd")


async def test_a_name_that_resolves_to_an_internal_address_is_refused_when_connecting(
    listeners: tuple[Listener, Listener],
) -> None:
    # The machine's own name resolves (through /etc/hosts here) to a loopback or private
    # address: check_url, which does no lookup, lets the name through when it is saved; the
    # client resolves it again when connecting and refuses.
    name = socket.gethostname()
    addresses = {
        str(info[4][0]) for info in socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    }
    if any(address_refusal(ipaddress.ip_address(a.split("%")[0])) is None for a in addresses):
        pytest.skip(f"{name} resolves to a public address here: {addresses}")
    v4, _ = listeners
    url = f"http://{name}:{v4.port}/hook"
    check_url(url)
    with pytest.raises(OutboundRefused, match=re.escape(name)):
        await check_url_resolving(url)
    async with new_outbound_client("", timeout=5) as client:
        with pytest.raises(OutboundRefused, match=re.escape(name)):
            await client.post(url, content=b"{}")
    assert v4.connections == 0


@pytest.mark.parametrize(
    ("allowlist", "template"),
    [
        ("127.0.0.1", "http://127.0.0.1:{port}/hook"),
        ("127.0.0.0/8", "http://2130706433:{port}/hook"),
        ("127.0.0.0/8", "http://127.1:{port}/hook"),
        ("10.0.0.0/8, 127.0.0.0/8", "http://[::ffff:127.0.0.1]:{port}/hook"),
        ("localhost", "http://localhost:{port}/hook"),
        ("LOCALHOST.", "http://localhost.:{port}/hook"),
        ("[::1]", "http://[::1]:{port6}/hook"),
    ],
)
async def test_the_allowlist_lets_named_hosts_and_ranges_through(
    listeners: tuple[Listener, Listener], allowlist: str, template: str
) -> None:
    v4, v6 = listeners
    url = template.format(port=v4.port, port6=v6.port)
    check_url(url, allowlist)
    await check_url_resolving(url, allowlist)
    async with new_outbound_client(allowlist, timeout=5) as client:
        response = await client.post(url, json={"incident": "inc_1"})
    assert response.status_code == 200
    received = v6.requests if "port6" in template else v4.requests
    assert len(received) == 1
    assert received[0].startswith(b"POST /hook HTTP/1.1")
    host = httpx.URL(url).netloc.decode()
    assert f"host: {host}".encode() in received[0].lower()


async def test_an_allowlisted_range_does_not_open_its_neighbours(
    listeners: tuple[Listener, Listener],
) -> None:
    v4, _ = listeners
    async with new_outbound_client("127.0.0.2/32, hooks.example", timeout=5) as client:
        with pytest.raises(OutboundRefused):
            await client.get(f"http://127.0.0.1:{v4.port}/")
    assert v4.connections == 0


async def test_redirects_to_loopback_are_returned_not_followed() -> None:
    target = await start_listener("127.0.0.2", OK)
    redirector = await start_listener(
        "127.0.0.1", redirect_to(f"http://127.0.0.2:{target.port}/latest/meta-data/")
    )
    try:
        async with new_outbound_client("127.0.0.1/32", timeout=5) as client:
            response = await client.post(f"http://127.0.0.1:{redirector.port}/hook", json={})
            assert response.status_code == 302
            assert response.headers["location"].startswith("http://127.0.0.2:")
            # Even a caller asking to follow redirects gets every hop checked when connecting.
            with pytest.raises(OutboundRefused, match=r"127\.0\.0\.2"):
                await client.get(f"http://127.0.0.1:{redirector.port}/", follow_redirects=True)
        assert redirector.connections == 2
        assert target.connections == 0
    finally:
        for listener in (target, redirector):
            assert listener.server is not None
            listener.server.close()
            await listener.server.wait_closed()


async def test_https_connects_to_the_checked_address_and_verifies_the_original_name() -> None:
    # The transport dials 127.0.0.1 itself, yet TLS must still send SNI "localhost" and check
    # the certificate against "localhost" — otherwise pinning the address would break HTTPS.
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_context)
    server_names: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _ctx: server_names.append(name)
    listener = Listener(answer=OK)
    listener.server = await asyncio.start_server(
        listener.handle, "127.0.0.1", 0, ssl=server_context
    )
    port = listener.server.sockets[0].getsockname()[1]
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    try:
        async with new_outbound_client("localhost", timeout=5, verify=client_context) as client:
            response = await client.post(f"https://localhost:{port}/hook", json={})
            assert response.status_code == 200
            # The same server reached by its address does not hold a certificate for it.
            async with new_outbound_client(
                "127.0.0.1", timeout=5, verify=client_context
            ) as by_address:
                with pytest.raises(httpx.ConnectError, match="certificate"):
                    await by_address.post(f"https://127.0.0.1:{port}/hook", json={})
        assert server_names[0] == "localhost"
        assert f"host: localhost:{port}".encode() in listener.requests[0].lower()
    finally:
        listener.server.close()
        await listener.server.wait_closed()


def test_public_addresses_pass() -> None:
    for url in (
        "https://hooks.slack.com/services/T000/B000/XXX",
        "https://93.184.216.34/hook",
        "http://[2606:2800:220:1:248:1893:25c8:1946]/",
        "http://[::ffff:93.184.216.34]/",
        "https://bücher.example/hook",
    ):
        check_url(url)


def test_hosts_of_other_schemes_can_be_checked_alone() -> None:
    for host in ("127.1", "[::1]", "LOCALHOST.", "0x7f000001", "169.254.169.254", "fd00::1"):
        with pytest.raises(OutboundRefused):
            check_host(host)
    check_host("mattermost.example.com")
    check_host("10.1.2.3", "10.0.0.0/8")
    check_host("chat.intranet", "chat.intranet")


def test_loose_ipv4_spellings_read_as_inet_aton_does() -> None:
    expected = ipaddress.IPv4Address("127.0.0.1")
    for spelling in ("127.0.0.1", "127.1", "127.0.1", "2130706433", "0x7f000001", "0177.0.0.1"):
        assert parse_loose_ipv4(spelling) == expected, spelling
    assert parse_loose_ipv4("0x7f.1") == expected
    assert parse_loose_ipv4("256.0.0.1") is None
    assert parse_loose_ipv4("example.com") is None


def test_allowlist_parsing() -> None:
    allowlist = Allowlist.parse(" hooks.Intranet. , 10.20.0.0/16,[fd00::1],, ")
    assert allowlist.hosts == frozenset({"hooks.intranet"})
    assert allowlist.allows_address(ipaddress.ip_address("10.20.3.4"))
    assert allowlist.allows_address(ipaddress.ip_address("::ffff:10.20.3.4"))
    assert allowlist.allows_address(ipaddress.ip_address("fd00::1"))
    assert not allowlist.allows_address(ipaddress.ip_address("10.21.0.1"))
    for bad in ("http://hooks/", "10.0.0.0/33", "a b", "user@host"):
        with pytest.raises(ValueError, match="not a host or CIDR"):
            Allowlist.parse(bad)


def test_the_setting_is_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANDOR_OUTBOUND_ALLOWLIST", "hooks.intranet,10.20.0.0/16")
    assert CandorSettings().outbound_allowlist == "hooks.intranet,10.20.0.0/16"
    monkeypatch.setenv("CANDOR_OUTBOUND_ALLOWLIST", "not a host")
    with pytest.raises(ValidationError, match="not a host or CIDR"):
        CandorSettings()
    monkeypatch.delenv("CANDOR_OUTBOUND_ALLOWLIST")
    assert CandorSettings().outbound_allowlist == ""


PRIVATE_V4 = [
    ipaddress.IPv4Network(cidr)
    for cidr in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]


@st.composite
def private_ipv4(draw: st.DrawFn) -> ipaddress.IPv4Address:
    network = draw(st.sampled_from(PRIVATE_V4))
    offset = draw(st.integers(min_value=0, max_value=network.num_addresses - 1))
    return ipaddress.IPv4Address(int(network.network_address) + offset)


def spellings(address: ipaddress.IPv4Address) -> list[str]:
    value = int(address)
    high, low = value >> 16, value & 0xFFFF
    return [
        str(address),
        str(value),
        hex(value),
        f"[::ffff:{address}]",
        f"[::ffff:{high:x}:{low:x}]",
        f"[0:0:0:0:0:ffff:{high:x}:{low:x}]",
        f"[64:ff9b::{high:x}:{low:x}]",
        f"[2002:{high:x}:{low:x}::1]",
        ".".join(f"0{int(octet):o}" for octet in str(address).split(".")),
        f"{address}.",
    ]


@given(private_ipv4(), st.sampled_from(["http", "https"]))
def test_private_ipv4_in_any_spelling_is_refused(
    address: ipaddress.IPv4Address, scheme: str
) -> None:
    for host in spellings(address):
        with pytest.raises(OutboundRefused):
            check_url(f"{scheme}://{host}/hook")


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_every_spelling_of_an_ipv4_address_gets_the_same_answer(value: int) -> None:
    address = ipaddress.IPv4Address(value)
    expected_refused = address_refusal(address) is not None
    for host in spellings(address)[:6]:
        try:
            check_url(f"http://{host}/")
            refused = False
        except OutboundRefused:
            refused = True
        assert refused == expected_refused, host
