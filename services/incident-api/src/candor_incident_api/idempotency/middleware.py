"""``Idempotency-Key`` on the operator API's POSTs: a retry gets the first answer, not a
second effect (IETF draft "The Idempotency-Key HTTP Header Field").

What a client sees
------------------
- ``Idempotency-Key: "<key>"`` (a Structured Fields string; a bare value is accepted too),
  1 to 255 printable ASCII characters, on any POST except ``/v1/ingest/*`` and
  ``/v2/enqueue`` (monitoring sources have dedup keys of their own). It is optional; an
  invalid one gets 400.
- Keys belong to the caller: records are kept per principal (SHA-256 of the bearer token)
  and key, with a fingerprint of the request (SHA-256 of method, path, query, ``If-Match``
  and body bytes).
- A retry with the same key and the same request, once the first has completed, gets the
  first answer again (status, ``Content-Type``, ``Location``, ``ETag``, body) with
  ``Idempotent-Replayed: true``. The same key with another request: 422. While the first is
  still in flight: 409 with ``Retry-After: 1``.
- Answers kept: 2xx and final 4xx, and only for a caller the operator API admitted
  (``dependencies.current_operator`` marks the request's transaction): a 404, 405 or
  malformed-JSON 422 answered before authentication is not kept, so that any bearer string
  with a fresh key each time cannot fill the table. Not kept either, so that a retry runs
  again: 5xx, and 401, 403, 408, 412, 425 and 429 (they depend on credentials, timing or a
  version the client must read again).
- Stored bodies are encrypted under a key derived from the caller's token (``sealing.py``):
  the token a ``POST /v1/tokens`` answer carries can be replayed, yet rests nowhere in clear.
- A record whose answer carries a subscriber's data names the subscriber (``subjects.py``);
  erasing them deletes it, so that no replay hands their address back afterwards.
- Records are kept ``CANDOR_IDEMPOTENCY_TTL_HOURS`` (24); an older one is ignored and
  replaced, and each replica deletes expired ones at most every 5 minutes after a write.

Why a crash cannot give a second effect
---------------------------------------
The middleware opens the request's database transaction itself and hands it down (see
``dependencies.RequestTransaction``): the handler writes its changes and outbox rows into it
through ``SessionDep`` as usual, but the dependency does not commit. Once the response is
complete (serialised, dependency exited, not yet sent), the middleware adds the record to
that same transaction and commits once. The effect, its events and the remembered answer
are one commit: a crash before it leaves nothing (a retry runs afresh, correctly); after
it, a retry finds the record. There is no state in between, so nothing to repair.

A handler that raised (an ``ApiError``, a validation error) is rolled back, as without the
header; its final 4xx answer is then stored in a transaction of its own, as it had no effect.
Background tasks of the response run after the commit, as they do without the header.
Handlers must write through ``SessionDep`` (the project's rule anyway): a session of their
own would commit outside the pair.

Concurrency: a replica keeps the keys it is serving in memory (409 at once); on PostgreSQL
a transaction-scoped advisory lock on (schema, principal, key) gives the same 409 across
replicas. Should two requests with one key still both run (two keys whose 32-bit lock ids
collide), the primary key (principal, key) fails the second commit, which is rolled back and
answers with the first one's record: one effect in every case.

Pure ASGI rather than ``BaseHTTPMiddleware``: a request without the header costs one scan
of its headers and nothing else (no task, no wrapped body stream); only requests with the
header have their body read (already capped by ``BodySizeLimit``) and their answer buffered
(operator answers are small JSON documents).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from candor_incident_api.dependencies import (
    REQUEST_TRANSACTION,
    AppState,
    RequestTransaction,
    drop_after_commit,
    run_after_commit,
)
from candor_incident_api.errors import problem
from candor_incident_api.idempotency import repository, sealing, subjects
from candor_incident_api.idempotency.models import IdempotencyRecord

log = structlog.get_logger(__name__)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
EXEMPT_PREFIXES = ("/v1/ingest/", "/v2/enqueue", "/unsubscribe/", "/subscribe", "/preferences/")
"""POSTs of monitoring sources, which carry dedup keys of their own, one-click unsubscribe,
which mail clients send without such a key and which is idempotent itself, and the
self-service forms, which browsers send without one (sign-ups are limited instead)."""
KEPT_HEADERS = (b"content-type", b"location", b"etag")
NOT_KEPT_4XX = frozenset({401, 403, 408, 412, 425, 429})
PRUNE_EVERY_SECONDS = 300.0
DOCS = "https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/"


def applies_to(method: str, path: str) -> bool:
    """Whether ``Idempotency-Key`` is honoured on this operation."""
    return method == "POST" and not path.startswith(EXEMPT_PREFIXES)


def parse_key(raw: bytes) -> str | None:
    """The key of a header value (sf-string, or a bare value); None when it is not valid."""
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        chars: list[str] = []
        escaped = False
        for char in text[1:-1]:
            if escaped:
                if char not in '"\\':
                    return None
                chars.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                return None
            else:
                chars.append(char)
        if escaped:
            return None
        key = "".join(chars)
    else:
        key = text
        if '"' in key:
            return None
    if not 1 <= len(key) <= 255 or any(not " " <= char <= "~" for char in key):
        return None
    return key


def kept(status: int) -> bool:
    """Whether an answer with ``status`` is remembered for retries."""
    return 200 <= status < 300 or (400 <= status < 500 and status not in NOT_KEPT_4XX)


@dataclass
class _Request:
    """One POST carrying a valid key, as the middleware tracks it."""

    scope: Scope
    receive: Receive
    send: Send
    principal: str
    key: str
    fingerprint: str
    sealing_key: bytes
    state: AppState
    settled: Callable[[], None]
    """Called once the request's transaction is over: a retry may now be answered."""


@dataclass
class _Answer:
    """A response buffered until the transaction behind it is settled."""

    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: list[bytes] = field(default_factory=list)


class IdempotencyKeys:
    """ASGI middleware honouring ``Idempotency-Key`` on operator-API POSTs (module docstring)."""

    def __init__(self, app: ASGIApp, *, ttl_hours: int) -> None:
        self.app = app
        self.ttl = timedelta(hours=ttl_hours)
        self._in_flight: set[tuple[str, str]] = set()
        self._next_prune = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not applies_to(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        values: list[bytes] = []
        authorization = if_match = b""
        for name, value in scope["headers"]:
            if name == b"idempotency-key":
                values.append(value)
            elif name == b"authorization":
                authorization = value
            elif name == b"if-match":
                if_match = value
        scheme, _, token = authorization.partition(b" ")
        if not values or scheme.lower() != b"bearer" or not token.strip():
            # Without a key nothing changes; without credentials the answer is a 401 anyway.
            # A bearer string is not yet a caller: the answer is kept only if the request is
            # then admitted as an operator's (RequestTransaction.admitted).
            await self.app(scope, receive, send)
            return
        key = parse_key(values[0]) if len(values) == 1 else None
        if key is None:
            await _problem(
                scope,
                receive,
                send,
                400,
                "Invalid Idempotency-Key",
                "Send one Idempotency-Key header: a quoted string of 1 to 255 printable ASCII "
                'characters, e.g. Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324".',
            )
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away
        fingerprint = hashlib.sha256(
            b"\0".join(
                [scope["method"].encode(), scope["path"].encode(), scope["query_string"], if_match]
            )
            + b"\0"
            + body
        ).hexdigest()
        principal = hashlib.sha256(token.strip()).hexdigest()
        slot = (principal, key)
        request = _Request(
            scope=scope,
            receive=_replaying(body, receive),
            send=send,
            principal=principal,
            key=key,
            fingerprint=fingerprint,
            sealing_key=sealing.sealing_key(token.strip()),
            state=scope["app"].state.candor,
            settled=lambda: self._in_flight.discard(slot),
        )
        if slot in self._in_flight:
            await _in_flight(request)
            return
        self._in_flight.add(slot)
        try:
            stored = await self._serve(request)
        finally:
            self._in_flight.discard(slot)
        if stored:
            await self._prune_if_due(request.state)

    async def _serve(self, request: _Request) -> bool:
        """Answer from the record, or run the request and settle it; True if it was stored."""
        state = request.state
        is_postgres = state.engine.dialect.name == "postgresql"
        async with state.sessions() as session:
            if is_postgres:
                # Lock, then look, in the request's own transaction: no other replica can
                # be between its look and its commit for this key while we hold the lock.
                if not await repository.try_lock(session, lock_id=self._lock_id(request)):
                    await _in_flight(request)
                    return False
                record = await self._current_record(session, request)
            else:
                # SQLite's writers take the database lock at BEGIN: look in a short
                # transaction of its own, so that the handler's other sessions (token
                # lookups) do not wait for ours. The primary key settles any race left.
                async with state.sessions() as lookup:
                    record = await self._current_record(lookup, request)
                    await lookup.commit()
            if record is not None:
                if record in session:
                    session.expunge(record)  # a rollback would expire it
                await session.rollback()
                await _answer_from(record, request)
                return False
            transaction = RequestTransaction(session=session)
            answer = _Answer()
            stored = False

            async def buffering_send(message: Message) -> None:
                nonlocal stored
                if message["type"] == "http.response.start":
                    answer.status = message["status"]
                    answer.headers = list(message.get("headers", []))
                elif message["type"] == "http.response.body":
                    answer.body.append(message.get("body", b""))
                    if not message.get("more_body", False):
                        stored = await self._settle(session, transaction, answer, request)

            scope = {**request.scope, REQUEST_TRANSACTION: transaction}
            await self.app(scope, request.receive, buffering_send)
        return stored

    async def _current_record(
        self, session: AsyncSession, request: _Request
    ) -> IdempotencyRecord | None:
        """The unexpired record of the request's key; an expired one is deleted."""
        record = await repository.get(session, principal=request.principal, key=request.key)
        if record is not None and record.created_at < datetime.now(UTC) - self.ttl:
            await session.delete(record)
            await session.flush()
            return None
        return record

    async def _settle(
        self,
        session: AsyncSession,
        transaction: RequestTransaction,
        answer: _Answer,
        request: _Request,
    ) -> bool:
        """Commit (or roll back) the request with its record, then send the answer.

        True when a record was written. Only answers to an admitted operator are kept.
        """
        keep = kept(answer.status) and transaction.admitted
        body = b"".join(answer.body)
        record = IdempotencyRecord(
            principal=request.principal,
            key=request.key,
            method=request.scope["method"],
            path=request.scope["path"][:500],
            request_hash=request.fingerprint,
            status_code=answer.status,
            headers={
                name.decode("latin-1"): value.decode("latin-1")
                for name, value in answer.headers
                if name.lower() in KEPT_HEADERS
            },
            body=sealing.seal(request.sealing_key, body, bound_to=_binding(request)),
            created_at=datetime.now(UTC),
            subscriber_id=subjects.subscriber_of(session),
        )
        if transaction.failed or answer.status >= 500:
            await session.rollback()
            drop_after_commit(session)
            written = keep and await _store_alone(session, record)
            request.settled()
            await _send(request.send, answer.status, answer.headers, body)
            return written
        try:
            await session.flush()  # the handler's own changes: their errors are not ours
        except sa_exc.SQLAlchemyError as error:
            await session.rollback()
            drop_after_commit(session)
            await _database_problem(request, error)
            return False
        if keep:
            session.add(record)
            try:
                await session.flush()
            except sa_exc.IntegrityError:
                # Another replica committed this key first: ours never happened.
                await session.rollback()
                drop_after_commit(session)
                first = await repository.get(session, principal=record.principal, key=record.key)
                if first is not None:
                    session.expunge(first)  # a rollback would expire it
                await session.rollback()
                if first is None:
                    await _in_flight(request)
                else:
                    await _answer_from(first, request)
                return False
        try:
            await session.commit()
        except sa_exc.SQLAlchemyError as error:
            await session.rollback()
            drop_after_commit(session)
            await _database_problem(request, error)
            return False
        run_after_commit(session)
        request.settled()
        if session.info.get("outbox_written"):
            request.state.relay.wake()
        await _send(request.send, answer.status, answer.headers, body)
        return keep

    def _lock_id(self, request: _Request) -> int:
        schema = request.state.settings.database_schema
        digest = hashlib.sha256(f"{schema}\0{request.principal}\0{request.key}".encode()).digest()
        return int.from_bytes(digest[:4], "big", signed=True)

    async def _prune_if_due(self, state: AppState) -> None:
        now = time.monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY_SECONDS
        try:
            async with state.sessions() as session, session.begin():
                pruned = await repository.prune(session, older_than=datetime.now(UTC) - self.ttl)
        except (sa_exc.SQLAlchemyError, OSError) as error:
            log.warning("idempotency.prune_failed", error=repr(error))
            return
        if pruned:
            log.info("idempotency.pruned", records=pruned)


async def _store_alone(session: AsyncSession, record: IdempotencyRecord) -> bool:
    """Keep the answer of a request that changed nothing; False if the key was taken."""
    session.add(record)
    try:
        await session.commit()
    except sa_exc.IntegrityError:
        await session.rollback()
        return False
    return True


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the already-read body to the app, then waits as usual."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _answer_from(record: IdempotencyRecord, request: _Request) -> None:
    """The first answer again, or 422 when the key was used for another request."""
    if record.request_hash != request.fingerprint:
        await _problem(
            request.scope,
            request.receive,
            request.send,
            422,
            "Idempotency-Key reused",
            f"This Idempotency-Key was first used for another request ({record.method} "
            f"{record.path} with another body or If-Match). Send a new key for a new request.",
        )
        return
    body = sealing.unseal(request.sealing_key, record.body, bound_to=_binding(request))
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in record.headers.items()
    ]
    headers += [
        (b"content-length", str(len(body)).encode()),
        (REPLAYED.lower().encode(), b"true"),
    ]
    await _send(request.send, record.status_code, headers, body)


async def _in_flight(request: _Request) -> None:
    await _problem(
        request.scope,
        request.receive,
        request.send,
        409,
        "Request in progress",
        "A request with this Idempotency-Key is still being processed. Retry it unchanged "
        "in a moment to get its answer.",
        headers={"Retry-After": "1"},
    )


async def _problem(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
) -> None:
    links = {"Link": f'<{DOCS}>; rel="describedby"'}
    response = problem(status, title, detail, headers={**links, **(headers or {})})
    await response(scope, receive, send)


async def _database_problem(request: _Request, error: sa_exc.SQLAlchemyError) -> None:
    """The answer the app's own handler gives to ``error`` (503 when transient, ...)."""
    handlers: dict[Any, Any] = request.scope["app"].exception_handlers
    for kind in type(error).__mro__:
        handler = handlers.get(kind)
        if handler is not None:
            respond = cast(Callable[[Request, Exception], Awaitable[Response]], handler)
            response = await respond(Request(request.scope), error)
            await response(request.scope, request.receive, request.send)
            return
    raise error


def _binding(request: _Request) -> bytes:
    """What a sealed body belongs to: its principal and key."""
    return f"{request.principal}\0{request.key}".encode()
