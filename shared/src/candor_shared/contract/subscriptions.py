"""Self-service subscriptions (catalog topic, key = the pending subscription's id).

incident-api never talks SMTP: it asks the notifier to send the confirmation email of a
double opt-in. The event carries the one address it is about, and the signed link; it is the
only message an unconfirmed address ever receives.
"""

from __future__ import annotations

from pydantic import Field

from candor_shared.contract import topics
from candor_shared.contract.envelope import EventData


class SubscriptionConfirmationRequested(EventData):
    """Someone asked, on the subscribe page, for notices at ``address``: email them the link
    that confirms it. A transactional email, not a notice: no ledger, no unsubscribe."""

    event_type = "candor.subscription.confirmation_requested.v1"
    topic = topics.CATALOG

    id: str = Field(description="The pending subscription's id.")
    address: str
    confirm_url: str
    expires_at: str = Field(description="When the link stops working (RFC 3339, UTC).")
    language: str = "en"
    services: list[str] = Field(default_factory=list, description="Names of what was chosen.")
