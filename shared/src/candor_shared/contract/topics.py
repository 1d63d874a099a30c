"""Topic names; a prefix (``CANDOR_KAFKA_TOPIC_PREFIX``) lets installations share a cluster."""

from __future__ import annotations

from dataclasses import dataclass

INCIDENT = "candor.incident.v1"
CATALOG = "candor.catalog.v1"
MAINTENANCE = "candor.maintenance.v1"
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

    def resolve(self, logical: str) -> str:
        """The physical name of a logical topic name (one of the constants above)."""
        return f"{self.prefix}{logical}"

    @staticmethod
    def dead_letter(topic: str) -> str:
        """Where messages of ``topic`` that cannot be handled are parked."""
        return f"{topic}{DEAD_LETTER_SUFFIX}"
