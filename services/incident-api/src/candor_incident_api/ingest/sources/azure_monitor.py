"""Azure Monitor alerts in the common alert schema, from an action group's webhook.

See https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema. Turn on
"Enable the common alert schema" on the webhook action. ``monitorCondition`` ``Fired`` fires
and ``Resolved`` resolves the alert named by ``essentials.alertId``. Custom properties
``service`` and ``component`` (set on the alert rule) name the Candor service and component.
An action group webhook cannot send headers: put the key in the URL (``?key=...``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from candor_incident_api.ingest.model import InboundAlert
from candor_incident_api.ingest.sources.common import (
    fingerprint_from_key,
    labels_from,
    no_nul,
    required_utc,
    slug_or_none,
    summary_of,
    utc,
)

EXAMPLE: dict[str, Any] = {
    "schemaId": "azureMonitorCommonAlertSchema",
    "data": {
        "essentials": {
            "alertId": (
                "/subscriptions/<subscription ID>/providers/Microsoft.AlertsManagement/alerts/"
                "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e"
            ),
            "alertRule": "Mail queue CPU",
            "severity": "Sev1",
            "signalType": "Metric",
            "monitorCondition": "Fired",
            "monitoringService": "Platform",
            "alertTargetIDs": [
                "/subscriptions/<subscription ID>/resourcegroups/mail/providers/"
                "microsoft.compute/virtualmachines/mx1"
            ],
            "configurationItems": ["mx1"],
            "originAlertId": "3f2d4487-b0fc-4125-8bd5-7ad17384221e_mail_metricAlerts_mx1",
            "firedDateTime": "2026-11-23T09:58:24.3713213Z",
            "description": "Outgoing mail is not being delivered",
            "essentialsVersion": "1.0",
            "alertContextVersion": "1.0",
        },
        "alertContext": {"conditionType": "SingleResourceMultipleMetricCriteria"},
        "customProperties": {"service": "email"},
    },
}

_SEVERITY = {"Sev0": "critical", "Sev1": "error", "Sev2": "warning", "Sev3": "info", "Sev4": "info"}


class AzureEssentials(BaseModel):
    """The ``essentials`` section every alert type shares."""

    model_config = ConfigDict(extra="allow")

    alertId: str = Field(min_length=1, max_length=1024)
    alertRule: str = Field(default="", max_length=1024)
    severity: Literal["Sev0", "Sev1", "Sev2", "Sev3", "Sev4"] = "Sev3"
    signalType: str = Field(default="", max_length=64)
    monitorCondition: Literal["Fired", "Resolved"]
    monitoringService: str = Field(default="", max_length=256)
    alertTargetIDs: list[str] = Field(default_factory=list, max_length=100)
    configurationItems: list[str] = Field(default_factory=list, max_length=100)
    targetResourceGroup: str | None = Field(default=None, max_length=1024)
    targetResourceType: str | None = Field(default=None, max_length=1024)
    firedDateTime: datetime
    resolvedDateTime: datetime | None = None
    description: str | None = Field(default=None, max_length=4096)

    _id = field_validator("alertId", "alertRule")(no_nul)
    _fired = field_validator("firedDateTime")(required_utc)

    @field_validator("resolvedDateTime")
    @classmethod
    def _resolved(cls, value: datetime | None) -> datetime | None:
        return utc(value)


class AzureAlertData(BaseModel):
    """``data``: essentials, the context of the alert type, and the rule's custom properties."""

    model_config = ConfigDict(extra="allow")

    essentials: AzureEssentials
    alertContext: dict[str, Any] | None = None
    customProperties: dict[str, Any] | None = None


class AzureMonitorAlert(BaseModel):
    """The body of an action group webhook with the common alert schema."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [EXAMPLE]})

    schemaId: Literal["azureMonitorCommonAlertSchema"] = Field(
        description="Turn on the common alert schema on the action group's webhook."
    )
    data: AzureAlertData


def to_alerts(alert: AzureMonitorAlert) -> list[InboundAlert]:
    """The alert instance, fired or resolved."""
    essentials = alert.data.essentials
    custom = alert.data.customProperties or {}
    labels = labels_from(
        custom,
        {
            "alert_rule": essentials.alertRule or None,
            "severity": essentials.severity,
            "signal_type": essentials.signalType or None,
            "monitoring_service": essentials.monitoringService or None,
            "configuration_items": ",".join(essentials.configurationItems) or None,
            "target_resource_group": essentials.targetResourceGroup,
            "target_resource_type": essentials.targetResourceType,
        },
    )
    resolved = essentials.monitorCondition == "Resolved"
    properties = {key.lower(): value for key, value in custom.items()}
    service = properties.get("service")
    component = properties.get("component")
    return [
        InboundAlert(
            source="azure-monitor",
            fingerprint=fingerprint_from_key(essentials.alertId),
            status="resolved" if resolved else "firing",
            summary=summary_of(essentials.description, essentials.alertRule),
            starts_at=essentials.firedDateTime,
            ends_at=essentials.resolvedDateTime if resolved else None,
            severity=_SEVERITY[essentials.severity],
            labels=labels,
            service_slug=slug_or_none(service) if isinstance(service, str) else None,
            component_slug=slug_or_none(component) if isinstance(component, str) else None,
        )
    ]
