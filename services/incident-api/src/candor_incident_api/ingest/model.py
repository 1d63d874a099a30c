"""The one internal alert model every monitoring source maps to."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

AlertStatus = Literal["firing", "resolved", "acknowledged"]


@dataclass(frozen=True, slots=True)
class InboundAlert:
    """One alert as a monitoring source reported it, before routing."""

    source: str
    fingerprint: str
    status: AlertStatus
    summary: str
    starts_at: datetime
    ends_at: datetime | None = None
    severity: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    service_slug: str | None = None
    """The service the source itself names (Alertmanager's ``service`` label, ...)."""
    component_slug: str | None = None
    """The component the source names (a ``component`` label), if any."""
    service_pinned: bool = False
    """The source already knows the service (``service_slug``): routing rules are skipped.

    Set for a PagerDuty acknowledge or resolve, which goes where its trigger went: its labels
    are only its ``dedup_key``, which a catch-all or negative rule could send elsewhere.
    """


def fingerprint_of(labels: dict[str, str]) -> str:
    """A stable fingerprint from a label set, for sources that send none."""
    canonical = json.dumps(labels, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]
