"""Erasure leaves the address nowhere: after DELETE /v1/subscribers/{id}, a dump of every
table of the three services' databases (every row of every table, read by reflection) holds
no trace of it — the subscriber, their unconfirmed request, the outbox rows that carried it
(published, or scrubbed before), the notifier's replica and delivery ledger, the inboxes,
and the answer kept for the ``Idempotency-Key`` of the POST that created them: its body is
sealed under the operator's token, so the dump opens it with that token (whoever holds it
could replay it), and the request's fingerprint (a hash of a body naming the address) must
be gone too. On SQLite the database files themselves are searched too, with the WAL
checkpointed."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.engine import make_url

from candor_dev.mailcatcher import MailCatcher
from candor_incident_api.idempotency import sealing
from candor_incident_api.settings import ApiSettings
from candor_notifier.catalog import repository as replica
from candor_notifier.settings import NotifierSettings
from candor_shared.db import create_engine
from tests.conftest import ADMIN_TOKEN, RunningNotifier, eventually
from tests.incident_api.helpers import outbox_empty, post_alert, setup_email
from tests.linked import linked_api_settings, linked_notifier_settings
from tests.notifier.helpers import bodies, deliveries
from tests.payloads import alertmanager

SECRET = "erasure-secret-of-the-test"
ADDRESS = "ana.erased@example.org"


@pytest.fixture
def api_settings(make_settings: Callable[..., Any]) -> ApiSettings:
    return linked_api_settings(make_settings, SECRET)


@pytest.fixture
def notifier_settings(
    make_settings: Callable[..., Any], mail: MailCatcher, api_settings: ApiSettings
) -> NotifierSettings:
    return linked_notifier_settings(make_settings, mail, api_settings, SECRET)


def _opened(table: str, row: Any) -> str:
    """An idempotency record's sealed body opened with the operator's token, when it is
    theirs ("" otherwise)."""
    if table != "idempotency_keys":
        return ""
    token = ADMIN_TOKEN.encode()
    if row.principal != hashlib.sha256(token).hexdigest():
        return ""
    body = sealing.unseal(
        sealing.sealing_key(token), row.body, bound_to=f"{row.principal}\0{row.key}".encode()
    )
    return body.decode("utf-8", "replace")


async def _dump(settings: Any) -> tuple[str, bytes]:
    """Every row of every table of a service's database as text (idempotency answers opened
    with the operator's token), and on SQLite the bytes of the database file and its WAL
    after a checkpoint."""
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    rows: list[str] = []
    raw = b""
    try:
        async with engine.connect() as connection:
            metadata = MetaData(schema=settings.database_schema or None)
            await connection.run_sync(metadata.reflect)
            assert metadata.tables, "no tables reflected"
            for table in metadata.sorted_tables:
                for row in await connection.execute(select(table)):
                    rows.append(f"{table.name}: {tuple(row)!s} {_opened(table.name, row)}")
        if engine.dialect.name == "sqlite":
            database = Path(make_url(settings.database_url).database or "")
            # Outside any transaction (the engine begins each with BEGIN IMMEDIATE).
            checkpoint = sqlite3.connect(database, isolation_level=None)
            try:
                checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                checkpoint.close()
            for path in (database, Path(f"{database}-wal"), Path(f"{database}-journal")):
                if path.exists():
                    raw += path.read_bytes()
            assert raw, "the database file was not found"
    finally:
        await engine.dispose()
    return "\n".join(rows), raw


async def test_erasure_leaves_the_address_in_no_table_of_any_service(
    api: Any,
    operator: httpx.AsyncClient,
    notifier: RunningNotifier,
    sla_monitor: Any,
    mail: MailCatcher,
) -> None:
    key = await setup_email(operator)
    # First subscribed by an operator with an Idempotency-Key: the answer, naming the
    # address, is kept for a retry.
    body = json.dumps({"email": ADDRESS, "services": ["email"]}).encode()
    created = await operator.post(
        "/v1/subscribers",
        content=body,
        headers={"Content-Type": "application/json", "Idempotency-Key": '"ana-1"'},
    )
    assert created.status_code == 201, created.text
    fingerprint = hashlib.sha256(b"POST\0/v1/subscribers\0\0\0" + body).hexdigest()
    async with api.client(token=None) as browser:
        # Subscribed the self-service way: the confirmation email carried the address
        # through incident-api's outbox and the notifier.
        form = {"email": ADDRESS, "service": "email", "timezone": "UTC", "language": "en"}
        assert (await browser.post("/subscribe", data=form)).status_code == 200
        await eventually(lambda: [m for m in mail.mails if m.recipients == (ADDRESS,)])
        text_part = bodies(mail.mails[0].message)[0]
        found = re.search(r"(http://\S+/subscribe/confirm/\S+)", text_part)
        assert found is not None
        assert (await browser.get(found[1])).status_code == 200
        # And asked again, never confirmed: a pending request holds the address too.
        assert (await browser.post("/subscribe", data=form)).status_code == 200
    listed = (await operator.get("/v1/subscribers")).json()["items"]
    (ana,) = [s["id"] for s in listed if s["email"] == ADDRESS]

    # A notice delivered to the address: a row of the notifier's ledger.
    await post_alert(api, key, alertmanager(starts_at="2025-11-24T09:58:00Z"))

    async def delivered() -> bool:
        rows = await deliveries(notifier.sessions)
        return any(row.state == "sent" for row in rows)

    await eventually(delivered)
    await eventually(lambda: len(mail.mails) == 3)

    before, _ = await _dump(notifier.settings)
    assert ADDRESS in before  # the dump does see it while it is held
    kept, _ = await _dump(api.settings)
    assert fingerprint in kept
    assert f'"email":"{ADDRESS}"' in kept  # opened with the token
    assert (await operator.delete(f"/v1/subscribers/{ana}")).status_code == 204

    async def forgotten() -> bool:
        async with notifier.sessions() as session:
            gone = await replica.get_subscriber(session, ana) is None
        return gone and not await deliveries(notifier.sessions)

    await eventually(forgotten)
    await eventually(lambda: outbox_empty(api))
    await notifier.stop()
    await api.stop()

    for settings in (api.settings, notifier.settings, sla_monitor.settings):
        rows, raw = await _dump(settings)
        assert ADDRESS not in rows, (settings.database_schema, rows)
        assert ADDRESS.encode() not in raw
        assert ADDRESS.upper() not in rows.upper()
        assert fingerprint not in rows
