# ruff: noqa: E501 (documented payloads are kept verbatim)
"""Azure Monitor common alert schema payloads."""

from __future__ import annotations

import copy
from typing import Any

# Verbatim: "Sample alert payload" of
# https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema
# (MicrosoftDocs/azure-monitor-docs, articles/azure-monitor/alerts/alerts-common-schema.md).
_RESOLVED: dict[str, Any] = {
    "schemaId": "azureMonitorCommonAlertSchema",
    "data": {
        "essentials": {
            "alertId": "/subscriptions/<subscription ID>/providers/Microsoft.AlertsManagement/alerts/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e",
            "alertRule": "WCUS-R2-Gen2",
            "alertRuleId": "/subscriptions/<subscription ID>/resourceGroups/<resource-group>/providers/microsoft.insights/metricAlerts/WCUS-R2-Gen2",
            "severity": "Sev3",
            "signalType": "Metric",
            "monitorCondition": "Resolved",
            "monitoringService": "Platform",
            "alertTargetIDs": [
                "/subscriptions/<subscription ID>/resourcegroups/pipelinealertrg/providers/microsoft.compute/virtualmachines/wcus-r2-gen2"
            ],
            "configurationItems": ["wcus-r2-gen2"],
            "originAlertId": "3f2d4487-b0fc-4125-8bd5-7ad17384221e_PipeLineAlertRG_microsoft.insights_metricAlerts_WCUS-R2-Gen2_-117781227",
            "firedDateTime": "2019-03-22T13:58:24.3713213Z",
            "resolvedDateTime": "2019-03-22T14:03:16.2246313Z",
            "description": "",
            "essentialsVersion": "1.0",
            "alertContextVersion": "1.0",
        },
        "alertContext": {
            "properties": None,
            "conditionType": "SingleResourceMultipleMetricCriteria",
            "condition": {
                "windowSize": "PT5M",
                "allOf": [
                    {
                        "metricName": "Percentage CPU",
                        "metricNamespace": "Microsoft.Compute/virtualMachines",
                        "operator": "GreaterThan",
                        "threshold": "25",
                        "timeAggregation": "Average",
                        "dimensions": [
                            {"name": "ResourceId", "value": "a0a0a0a0-bbbb-cccc-dddd-e1e1e1e1e1e1"}
                        ],
                        "metricValue": 7.727,
                    }
                ],
            },
        },
        "customProperties": {"Key1": "Value1", "Key2": "Value2"},
    },
}


def resolved() -> dict[str, Any]:
    """The documented sample, which is a resolution."""
    return copy.deepcopy(_RESOLVED)


def fired() -> dict[str, Any]:
    """The same alert as it fired: monitorCondition "Fired" and no resolvedDateTime (the
    documented meaning of both fields), the metric value over the threshold."""
    body = resolved()
    essentials = body["data"]["essentials"]
    essentials["monitorCondition"] = "Fired"
    del essentials["resolvedDateTime"]
    body["data"]["alertContext"]["condition"]["allOf"][0]["metricValue"] = 31.1105
    return body
