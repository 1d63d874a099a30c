"""AWS CloudWatch alarms, delivered by an SNS topic to an HTTPS subscription.

SNS posts an envelope (``Type`` ``SubscriptionConfirmation``, ``Notification`` or
``UnsubscribeConfirmation``; https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html)
whose ``Message``, for a notification, is the alarm as JSON: ``NewStateValue`` ``ALARM``
fires and ``OK`` resolves the alarm; ``INSUFFICIENT_DATA`` reports nothing. The envelope's
signature is checked in ``ingest/sns.py`` before anything is read. An alarm dimension named
``service`` (or ``component``) names the Candor service (component); otherwise the
integration's default service or a routing rule on ``alarm_name`` applies.
"""

from __future__ import annotations

import json
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
)

ALARM_EXAMPLE: dict[str, Any] = {
    "AlarmName": "mail-queue-depth",
    "AlarmDescription": "Outgoing mail is not being delivered",
    "AWSAccountId": "123456789012",
    "NewStateValue": "ALARM",
    "NewStateReason": "Threshold Crossed: 1 datapoint [1234.0] was greater than the threshold.",
    "StateChangeTime": "2026-11-23T09:58:27.123+0000",
    "Region": "EU (Ireland)",
    "AlarmArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:mail-queue-depth",
    "OldStateValue": "OK",
    "Trigger": {
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Namespace": "AWS/SQS",
        "Dimensions": [{"name": "service", "value": "email"}],
    },
}

EXAMPLE: dict[str, Any] = {
    "Type": "Notification",
    "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
    "TopicArn": "arn:aws:sns:eu-west-1:123456789012:candor",
    "Subject": 'ALARM: "mail-queue-depth" in EU (Ireland)',
    "Message": json.dumps(ALARM_EXAMPLE),
    "Timestamp": "2026-11-23T09:58:27.825Z",
    "SignatureVersion": "2",
    "Signature": "EXAMPLEw6JRN...",
    "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000.pem",
    "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=...",
}


class SnsMessage(BaseModel):
    """An SNS message to an HTTP(S) endpoint (the fields the signature covers and more)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [EXAMPLE]})

    Type: Literal["SubscriptionConfirmation", "Notification", "UnsubscribeConfirmation"]
    MessageId: str = Field(min_length=1, max_length=128)
    TopicArn: str = Field(min_length=1, max_length=300)
    Message: str = Field(max_length=262_144)
    Timestamp: str = Field(min_length=1, max_length=64)
    SignatureVersion: Literal["1", "2"]
    Signature: str = Field(min_length=1, max_length=4096)
    SigningCertURL: str = Field(min_length=1, max_length=2048)
    Subject: str | None = Field(default=None, max_length=1024)
    SubscribeURL: str | None = Field(default=None, max_length=4096)
    Token: str | None = Field(default=None, max_length=4096)
    UnsubscribeURL: str | None = Field(default=None, max_length=4096)

    _storable = field_validator("MessageId", "TopicArn", "Message")(no_nul)


class AlarmDimension(BaseModel):
    """A metric dimension of the alarm."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(max_length=256)
    value: str = Field(max_length=1024)


class AlarmTrigger(BaseModel):
    """The metric condition of a metric alarm (composite alarms have none)."""

    model_config = ConfigDict(extra="allow")

    MetricName: str | None = Field(default=None, max_length=256)
    Namespace: str | None = Field(default=None, max_length=256)
    Dimensions: list[AlarmDimension] = Field(default_factory=list, max_length=30)


class CloudWatchAlarm(BaseModel):
    """The alarm state change CloudWatch publishes to SNS (the notification's ``Message``)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [ALARM_EXAMPLE]})

    AlarmName: str = Field(min_length=1, max_length=255)
    AlarmDescription: str | None = Field(default=None, max_length=1024)
    AWSAccountId: str = Field(default="", max_length=32)
    NewStateValue: Literal["ALARM", "OK", "INSUFFICIENT_DATA"]
    NewStateReason: str = Field(default="", max_length=4096)
    StateChangeTime: datetime
    Region: str = Field(default="", max_length=64)
    AlarmArn: str | None = Field(default=None, max_length=1024)
    OldStateValue: str | None = Field(default=None, max_length=32)
    Trigger: AlarmTrigger | None = None

    _name = field_validator("AlarmName")(no_nul)
    _time = field_validator("StateChangeTime")(required_utc)


def alarm_to_alerts(alarm: CloudWatchAlarm) -> list[InboundAlert]:
    """ALARM fires, OK resolves, INSUFFICIENT_DATA reports nothing."""
    if alarm.NewStateValue == "INSUFFICIENT_DATA":
        return []
    dimensions = {d.name: d.value for d in alarm.Trigger.Dimensions} if alarm.Trigger else {}
    labels = labels_from(
        dimensions,
        {
            "alarm_name": alarm.AlarmName,
            "account": alarm.AWSAccountId or None,
            "region": alarm.Region or None,
            "namespace": alarm.Trigger.Namespace if alarm.Trigger else None,
            "metric_name": alarm.Trigger.MetricName if alarm.Trigger else None,
            "reason": alarm.NewStateReason or None,
        },
    )
    resolved = alarm.NewStateValue == "OK"
    key = alarm.AlarmArn or f"{alarm.AWSAccountId}:{alarm.Region}:{alarm.AlarmName}"
    return [
        InboundAlert(
            source="cloudwatch",
            fingerprint=fingerprint_from_key(key),
            status="resolved" if resolved else "firing",
            summary=summary_of(alarm.AlarmDescription, alarm.AlarmName),
            starts_at=alarm.StateChangeTime,
            ends_at=alarm.StateChangeTime if resolved else None,
            severity="critical",
            labels=labels,
            service_slug=slug_or_none(dimensions.get("service")),
            component_slug=slug_or_none(dimensions.get("component")),
        )
    ]


def to_alerts(message: SnsMessage) -> list[InboundAlert]:
    """The alerts of a (signature-checked) notification; none for other message types.

    Raises pydantic's ``ValidationError`` when the notification's ``Message`` is not an alarm.
    """
    if message.Type != "Notification":
        return []
    return alarm_to_alerts(CloudWatchAlarm.model_validate_json(message.Message))
