"""A big fan-out does not hold up another incident's notice: batches are shared between the
incidents with due deliveries, so the second incident's notice goes in the very next batch
even though all of the first one's deliveries were due earlier.

No timing: both notices are planned before the sender runs, and the sender is driven one
batch at a time on a held clock.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.catalog import service as catalog
from candor_notifier.deliveries.sender import DeliverySender
from candor_notifier.incidents.events import handlers as incident_handlers
from candor_notifier.worker import MIGRATIONS, VERSION_TABLE
from candor_shared.contract import ServiceRef
from candor_shared.db import create_engine, session_factory, transaction
from candor_shared.runtime import migrate
from tests.notifier.helpers import deliveries, opened, snapshot

BIG = 300
WEB = ServiceRef(id=str(uuid.UUID(int=2)), slug="web", name="Web")


async def test_another_incidents_notice_goes_in_the_next_batch(
    notifier_settings: Any, mail: MailCatcher
) -> None:
    settings = notifier_settings.model_copy(
        update={"delivery_batch_size": 20, "smtp_max_connections": 2}
    )
    now = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)
    clock = [now]
    await migrate(settings, script_location=MIGRATIONS, version_table=VERSION_TABLE)
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    sessions = session_factory(engine)
    try:
        async with transaction(sessions) as session:
            for n in range(BIG):
                await catalog.upsert_subscriber(
                    session=session,
                    subscriber_id=str(uuid.UUID(int=1000 + n)),
                    email=f"p{n:04}@example.org",
                    timezone="UTC",
                    language="en",
                    service_slugs=["email"],
                    now=now,
                )
            await catalog.upsert_subscriber(
                session=session,
                subscriber_id=str(uuid.UUID(int=9)),
                email="web@example.org",
                timezone="UTC",
                language="en",
                service_slugs=["web"],
                now=now,
            )
        handle = incident_handlers(message_domain="example.org", clock=lambda: clock[0])
        big, small = opened(snapshot()), opened(snapshot(service=WEB))
        for event in (big, small):
            async with transaction(sessions) as session:
                await handle[event.type](session=session, event=event)
            clock[0] += timedelta(seconds=1)  # the small one's deliveries are due later

        sender = DeliverySender(settings=settings, sessions=sessions, clock=lambda: clock[0])
        claimed = await sender.send_due()

        first_batch = {r for caught in mail.mails for r in caught.recipients}
        assert claimed == 20
        assert "web@example.org" in first_batch
        while await sender.send_due():
            pass
        rows = await deliveries(sessions)
    finally:
        await engine.dispose()
    assert len(rows) == BIG + 1
    assert {row.state for row in rows} == {"sent"}
    assert len(mail.mails) == BIG + 1
