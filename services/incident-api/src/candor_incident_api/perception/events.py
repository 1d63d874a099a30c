"""The SLA-topic event incident-api keeps for perception: the reports sla-monitor makes."""

from __future__ import annotations

from candor_incident_api.perception import repository
from candor_incident_api.reports.events import keeping
from candor_shared.contract import PerceptionReportPublished
from candor_shared.kafka import Handler


def handlers() -> dict[str, Handler]:
    """Handlers by event type, for incident-api's consumer of the SLA topic.

    A perception report is kept unless the month's stored one was generated later.
    """
    return {
        PerceptionReportPublished.event_type: keeping(
            PerceptionReportPublished,
            keep=repository.keep,
            received_event="perception.received",
            facts=lambda data: {"flags": data.report.flags},
        )
    }
