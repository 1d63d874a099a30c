"""AWS SNS subscription confirmations: kept when SNS sends them, confirmed by an admin."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_incident_api.errors import ApiError
from candor_incident_api.ingest.auth import IngestCaller
from candor_incident_api.ingest.sns import SnsVerifier
from candor_incident_api.ingest.sources.cloudwatch import SnsMessage
from candor_incident_api.integrations import repository
from candor_incident_api.integrations.models import SubscriptionConfirmation
from candor_shared.clock import utcnow
from candor_shared.ids import uuid7


async def record(
    sessions: async_sessionmaker[AsyncSession], *, caller: IngestCaller, message: SnsMessage
) -> uuid.UUID:
    """Keep a (signature-checked) subscription confirmation; the same one again is kept once."""
    if not message.SubscribeURL:
        raise ApiError(
            422,
            "Invalid SNS message",
            "body.SubscribeURL: required for a SubscriptionConfirmation.",
        )
    async with sessions() as session, session.begin():
        known = await repository.pending_confirmation(
            session, caller.integration_id, message.SubscribeURL
        )
        if known is not None:
            return known.id
        confirmation = SubscriptionConfirmation(
            id=uuid7(),
            integration_id=caller.integration_id,
            topic_arn=message.TopicArn,
            subscribe_url=message.SubscribeURL,
            message=message.Message,
            received_at=utcnow(),
        )
        session.add(confirmation)
        return confirmation.id


async def confirm(
    *, session: AsyncSession, confirmation: SubscriptionConfirmation, verifier: SnsVerifier
) -> SubscriptionConfirmation:
    """Visit the SubscribeURL (SNS's only) and mark the confirmation done; idempotent."""
    if confirmation.confirmed_at is None:
        await verifier.confirm(confirmation.subscribe_url)
        confirmation.confirmed_at = utcnow()
        await session.flush()
    return confirmation
