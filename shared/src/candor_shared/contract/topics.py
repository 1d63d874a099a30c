"""Topic names; a prefix (``CANDOR_KAFKA_TOPIC_PREFIX``) lets installations share a cluster."""

from __future__ import annotations

from dataclasses import dataclass

INCIDENT = "candor.incident.v1"
CATALOG = "candor.catalog.v1"
MAINTENANCE = "candor.maintenance.v1"
SLA = "candor.sla.v1"
DELIVERY = "candor.delivery.v1"
DEAD_LETTER_SUFFIX = ".dlt"


@dataclass(frozen=True, slots=True)
class Topics:
    """The topic names of one installation."""

    prefix: str = ""

    @property
    def incident(self) -> str:
        """Incident and alert events, keyed by incident id."""
        return f"{self.prefix}{INCIDENT}"

    @property
    def catalog(self) -> str:
        """Service and subscriber events, keyed by the entity's id."""
        return f"{self.prefix}{CATALOG}"

    @property
    def maintenance(self) -> str:
        """Maintenance window events, keyed by window id."""
        return f"{self.prefix}{MAINTENANCE}"

    @property
    def sla(self) -> str:
        """What sla-monitor concludes: deadlines, burn-rate alerts, reports (key: incident
        id for incident deadlines, service id for service-wide events)."""
        return f"{self.prefix}{SLA}"

    @property
    def delivery(self) -> str:
        """Delivery facts the notifier reports back, keyed by incident id."""
        return f"{self.prefix}{DELIVERY}"

    def resolve(self, logical: str) -> str:
        """The physical name of a logical topic name (one of the constants above)."""
        return f"{self.prefix}{logical}"

    @staticmethod
    def dead_letter(topic: str) -> str:
        """Where messages of ``topic`` that cannot be handled are parked."""
        return f"{topic}{DEAD_LETTER_SUFFIX}"
