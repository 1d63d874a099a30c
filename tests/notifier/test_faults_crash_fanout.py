"""The notifier killed (SIGKILL) in the middle of a 1,000-recipient fan-out: after a restart
every recipient has exactly one message, except at most those in flight at the kill (the
relay had accepted them, the ledger did not know yet). How many got two is printed."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.catalog import service as catalog
from candor_notifier.worker import MIGRATIONS, VERSION_TABLE
from candor_shared.clock import utcnow
from candor_shared.contract.sla import NoticeSettled
from candor_shared.db import transaction
from candor_shared.runtime import migrate
from tests.conftest import eventually
from tests.notifier.helpers import (
    deliveries,
    delivery_topic,
    notifier_process,
    opened,
    publish,
    snapshot,
)
from tests.notifier.test_crash_recovery import ledger  # noqa: F401  (a fixture)
from tests.processes import SLOW

RECIPIENTS = 1000
KILL_AFTER = 300
FAST_LEASE = {
    "delivery_lease_seconds": 2,
    "smtp_timeout_seconds": 1,
    "channel_timeout_seconds": 1,
}


async def _followers_known(settings: Any, sessions: Any) -> None:
    await migrate(settings, script_location=MIGRATIONS, version_table=VERSION_TABLE)
    async with transaction(sessions) as session:
        for n in range(RECIPIENTS):
            await catalog.upsert_subscriber(
                session=session,
                subscriber_id=str(uuid.UUID(int=n + 1)),
                email=f"p{n:04}@example.org",
                timezone="UTC",
                language="en",
                service_slugs=["email"],
                now=utcnow(),
            )


async def _settled(settings: Any) -> list[NoticeSettled] | None:
    found = [
        event.data
        for event in await delivery_topic(settings)
        if isinstance(event.data, NoticeSettled) and event.data.settled
    ]
    return found or None


async def _sent(sessions: Any) -> bool:
    rows = await deliveries(sessions)
    return len(rows) == RECIPIENTS and all(row.state == "sent" for row in rows)


async def test_killed_mid_fan_out_every_recipient_gets_one_message_but_those_in_flight(
    notifier_settings: Any,
    ledger: Any,  # noqa: F811
    mail: MailCatcher,
    tmp_path: Path,
) -> None:
    settings = notifier_settings
    await _followers_known(settings, ledger)
    await publish(settings, opened(snapshot()))
    doomed = notifier_process(settings, tmp_path / "notifier.log", **FAST_LEASE)
    survivor = notifier_process(settings, tmp_path / "notifier.log", **FAST_LEASE)
    try:
        await doomed.start()
        await eventually(lambda: len(mail.mails) >= KILL_AFTER, timeout=SLOW)
        await doomed.kill()  # SIGKILL: no clean-up, no release of its claims
        at_kill = len(mail.mails)
        in_hand = [row for row in await deliveries(ledger) if row.state == "sending"]

        await survivor.start()
        await eventually(lambda: _sent(ledger), timeout=SLOW * 2)
        (summary,) = await eventually(lambda: _settled(settings), timeout=SLOW)
        assert await survivor.terminate() == 0
    finally:
        await doomed.kill()
        await survivor.kill()

    received = Counter(recipient for caught in mail.mails for recipient in caught.recipients)
    twice = sorted(address for address, count in received.items() if count == 2)
    print(
        f"\nkilled after {at_kill} of {RECIPIENTS} messages ({len(in_hand)} claimed, unrecorded); "
        f"{len(twice)} recipient(s) got two messages"
    )
    assert len(received) == RECIPIENTS
    assert max(received.values()) <= 2
    # A duplicate is a message the relay took while the ledger did not record it: one per
    # SMTP connection at most, each of them claimed by the killed sender.
    assert len(twice) <= settings.smtp_max_connections
    in_hand_addresses = {
        f"p{uuid.UUID(row.recipient_id).int - 1:04}@example.org" for row in in_hand
    }
    assert set(twice) <= in_hand_addresses
    # The delivery counts tell every recipient reached, once each.
    assert (summary.recipients, summary.delivered, summary.failed) == (RECIPIENTS, RECIPIENTS, 0)
    # The copies carry the same Message-ID: clients can tell them from new notices.
    for address in twice:
        ids = {c.message["Message-ID"] for c in mail.mails if address in c.recipients}
        assert len(ids) == 1
