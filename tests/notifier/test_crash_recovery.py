"""The notifier killed mid-work loses nothing and sends again only in one narrow window.

The notifier runs as a process of its own; ``CANDOR_FAILPOINTS`` makes it exit at once (as if
killed) at a named step.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.catalog import service as catalog
from candor_notifier.worker import MIGRATIONS, VERSION_TABLE
from candor_shared.clock import utcnow
from candor_shared.db import create_engine, session_factory, transaction
from candor_shared.runtime import migrate
from tests.conftest import eventually
from tests.notifier.helpers import deliveries, notifier_process, opened, publish, snapshot
from tests.processes import KILLED, SLOW


async def _subscriber_known(settings: Any, sessions: Any) -> None:
    """Migrate, and put the subscriber in the notifier's replica as its catalog handler would.

    With nothing but the incident's event on the broker, the failpoint meets that event.
    """
    await migrate(settings, script_location=MIGRATIONS, version_table=VERSION_TABLE)
    async with transaction(sessions) as session:
        await catalog.upsert_subscriber(
            session=session,
            subscriber_id=str(uuid.uuid4()),
            email="ana@example.org",
            timezone="UTC",
            language="en",
            service_slugs=["email"],
            now=utcnow(),
        )


@pytest.fixture
async def ledger(notifier_settings: Any) -> AsyncIterator[Any]:
    """Sessions on the notifier's database, for the test to read what the processes wrote."""
    engine = create_engine(notifier_settings.database_url, schema=notifier_settings.database_schema)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def test_killed_before_the_commit_sends_exactly_once(
    notifier_settings: Any, ledger: Any, mail: MailCatcher, tmp_path: Path
) -> None:
    settings = notifier_settings
    await _subscriber_known(settings, ledger)
    await publish(settings, opened(snapshot()))
    doomed = notifier_process(
        settings, tmp_path / "notifier.log", failpoints="consumer.before_commit"
    )
    survivor = notifier_process(settings, tmp_path / "notifier.log")
    try:
        await doomed.start()
        assert await doomed.exited() == KILLED

        assert await deliveries(ledger) == []
        assert mail.mails == []
        await survivor.start()
        await eventually(lambda: len(mail.mails) >= 1, timeout=SLOW)
        await eventually(lambda: _states(ledger, ["sent"]), timeout=SLOW)
        assert await survivor.terminate() == 0
    finally:
        await doomed.kill()
        await survivor.kill()
    assert len(mail.mails) == 1


async def test_killed_between_smtp_and_ledger_sends_twice_with_one_message_id(
    notifier_settings: Any, ledger: Any, mail: MailCatcher, tmp_path: Path
) -> None:
    # The only window for a duplicate: the relay accepted the message, the ledger does not
    # know yet. The restarted notifier sends it again once the dead sender's lease ran out.
    settings = notifier_settings
    fast_lease = {
        "delivery_lease_seconds": 2,
        "smtp_timeout_seconds": 1,
        "channel_timeout_seconds": 1,  # the lease must outlast every channel's timeout
    }
    await _subscriber_known(settings, ledger)
    await publish(settings, opened(snapshot()))
    doomed = notifier_process(
        settings,
        tmp_path / "notifier.log",
        failpoints="notifier.after_smtp_before_ledger",
        **fast_lease,
    )
    survivor = notifier_process(settings, tmp_path / "notifier.log", **fast_lease)
    try:
        await doomed.start()
        assert await doomed.exited() == KILLED

        assert len(mail.mails) == 1
        assert await _states(ledger, ["sending"])
        await survivor.start()
        await eventually(lambda: len(mail.mails) >= 2, timeout=SLOW)
        await eventually(lambda: _states(ledger, ["sent"]), timeout=SLOW)
        assert await survivor.terminate() == 0
    finally:
        await doomed.kill()
        await survivor.kill()
    first, second = mail.mails
    assert first.message["Message-ID"] == second.message["Message-ID"]
    (row,) = await deliveries(ledger)
    assert row.attempts == 2


async def _states(sessions: Any, expected: list[str]) -> bool:
    return [row.state for row in await deliveries(sessions)] == expected
