"""The event contract shared by Candor's services: CloudEvents 1.0, one model per event type.

Type names carry their version (``candor.incident.opened.v1``). Fields are added, never
changed in meaning; consumers ignore fields they do not know.
"""

from candor_shared.contract.catalog import (
    AgreementTerms,
    AvailabilityObjective,
    BusinessHours,
    ComponentRef,
    DependencyRef,
    IntegrationChanged,
    ResponseTerms,
    ServiceDeleted,
    ServiceUpserted,
    SubscriberErased,
    SubscriberUpserted,
)
from candor_shared.contract.envelope import (
    CloudEvent,
    EventData,
    UnknownEventTypeError,
    event_model,
    from_kafka,
    new_event,
    to_kafka,
)
from candor_shared.contract.incidents import (
    AffectedService,
    AlertFired,
    AlertResolved,
    IncidentOpened,
    IncidentReopened,
    IncidentResolved,
    IncidentSnapshot,
    IncidentUpdated,
    ServiceRef,
)
from candor_shared.contract.maintenance import (
    MaintenanceCancelled,
    MaintenanceCompleted,
    MaintenanceScheduled,
    MaintenanceSnapshot,
    MaintenanceStarted,
    MaintenanceUpdated,
)
from candor_shared.contract.topics import Topics

__all__ = [
    "AffectedService",
    "AgreementTerms",
    "AlertFired",
    "AlertResolved",
    "AvailabilityObjective",
    "BusinessHours",
    "CloudEvent",
    "ComponentRef",
    "DependencyRef",
    "EventData",
    "IncidentOpened",
    "IncidentReopened",
    "IncidentResolved",
    "IncidentSnapshot",
    "IncidentUpdated",
    "IntegrationChanged",
    "MaintenanceCancelled",
    "MaintenanceCompleted",
    "MaintenanceScheduled",
    "MaintenanceSnapshot",
    "MaintenanceStarted",
    "MaintenanceUpdated",
    "ResponseTerms",
    "ServiceDeleted",
    "ServiceRef",
    "ServiceUpserted",
    "SubscriberErased",
    "SubscriberUpserted",
    "Topics",
    "UnknownEventTypeError",
    "event_model",
    "from_kafka",
    "new_event",
    "to_kafka",
]
