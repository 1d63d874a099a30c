"""A local HTTP catcher standing in for Slack, Teams and webhook receivers.

A real socket on 127.0.0.1 (HTTP/1.1, keep-alive): it records every request (path, headers,
exact body bytes) and answers 200, or what the test scripted for a path (429 with
Retry-After, 500, 410, a redirect).
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any


@dataclass(frozen=True)
class Caught:
    """One request as it arrived."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


class HookCatcher:
    """Collects requests; ``answer_next(path, ...)`` scripts the next answers to a path."""

    def __init__(self) -> None:
        self.requests: list[Caught] = []
        self.connections = 0
        self._answers: dict[str, deque[Answer]] = defaultdict(deque)
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer_next(
        self,
        path: str,
        *answers: int | tuple[int, dict[str, str]] | tuple[int, dict[str, str], bytes],
    ) -> None:
        """The next requests to ``path`` get these statuses (with headers, body), in order."""
        for answer in answers:
            if isinstance(answer, int):
                self._answers[path].append(Answer(answer))
            else:
                self._answers[path].append(Answer(*answer))

    def to(self, path: str) -> list[Caught]:
        """The requests that reached ``path``."""
        return [caught for caught in self.requests if caught.path == path]

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
                method, path, _ = request_line.split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                self.requests.append(Caught(method, path, headers, body))
                queued = self._answers[path]
                answer = queued.popleft() if queued else Answer(200)
                extra = "".join(f"{name}: {value}\r\n" for name, value in answer.headers.items())
                writer.write(
                    (
                        f"HTTP/1.1 {answer.status} {HTTPStatus(answer.status).phrase}\r\n"
                        f"Content-Length: {len(answer.body)}\r\n{extra}\r\n"
                    ).encode("latin-1")
                    + answer.body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
