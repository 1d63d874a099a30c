"""Events about the service catalog and subscribers, on the catalog topic (key = entity id).

Subscriber events carry the address the notifier needs and nothing more; erasure is an event
followed by a tombstone, so that a compacted topic forgets the address too.
"""

from __future__ import annotations

from candor_shared.contract import topics
from candor_shared.contract.envelope import EventData


class ServiceUpserted(EventData):
    """A service was created or changed."""

    event_type = "candor.service.upserted.v1"
    topic = topics.CATALOG

    id: str
    slug: str
    name: str


class SubscriberUpserted(EventData):
    """A subscriber was created or changed; ``services`` is the full set of slugs."""

    event_type = "candor.subscriber.upserted.v1"
    topic = topics.CATALOG

    id: str
    email: str
    services: list[str]
    timezone: str = "UTC"
    language: str = "en"


class SubscriberErased(EventData):
    """A subscriber asked to be forgotten: every copy of their data must go."""

    event_type = "candor.subscriber.erased.v1"
    topic = topics.CATALOG

    id: str
