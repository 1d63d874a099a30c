# ruff: noqa: E501 (documented payloads are kept verbatim)
"""CloudWatch alarms and the SNS envelopes that carry them."""

from __future__ import annotations

import copy
import json
from typing import Any

# The alarm of AWS's own test event aws/aws-lambda-go,
# events/testdata/cloudwatch-alarm-sns-payload-single-metric.json (the Sns.Message).
ALARM: dict[str, Any] = {
    "AlarmName": "EXAMPLE",
    "AlarmDescription": "EXAMPLE",
    "AWSAccountId": "123456789012",
    "NewStateValue": "ALARM",
    "NewStateReason": "Threshold Crossed: 1 out of the last 1 datapoints [1234.0 (06/03/15 17:43:27)] was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).",
    "StateChangeTime": "2015-06-03T17:43:27.123+0000",
    "Region": "EXAMPLE",
    "AlarmArn": "arn:aws:cloudwatch:REGION:ACCOUNT_NUMBER:alarm:EXAMPLE",
    "OldStateValue": "INSUFFICIENT_DATA",
    "Trigger": {
        "MetricName": "NetworkOut",
        "Namespace": "AWS/EC2",
        "StatisticType": "Statistic",
        "Statistic": "AVERAGE",
        "Unit": "Bytes",
        "Dimensions": [{"value": "TestInstance", "name": "InstanceId"}],
        "Period": 60,
        "EvaluationPeriods": 1,
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 0.0,
        "TreatMissingData": "- TreatMissingData:                    missing",
        "EvaluateLowSampleCountPercentile": "",
    },
}


def alarm() -> dict[str, Any]:
    """The alarm going to ALARM."""
    return copy.deepcopy(ALARM)


def ok() -> dict[str, Any]:
    """The same alarm back to OK twenty minutes later (changed: states, reason, time)."""
    body = alarm()
    body.update(
        NewStateValue="OK",
        OldStateValue="ALARM",
        NewStateReason="Threshold Crossed: 1 out of the last 1 datapoints [0.0] was not greater than the threshold (0.0).",
        StateChangeTime="2015-06-03T18:03:27.123+0000",
    )
    return body


def notification(message: dict[str, Any], *, cert_url: str) -> dict[str, Any]:
    """The HTTP/HTTPS notification example of
    https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
    (awsdocs/amazon-sns-developer-guide, doc_source/sns-message-and-json-formats.md) carrying
    ``message``; the signature fields are filled in by the test's signer."""
    return {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
        "Subject": f'{message["NewStateValue"]}: "{message["AlarmName"]}" in US West (Oregon)',
        "Message": json.dumps(message),
        "Timestamp": "2012-05-02T00:54:06.655Z",
        "SignatureVersion": "1",
        "Signature": "",
        "SigningCertURL": cert_url,
        "UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96",
    }


def subscription_confirmation(*, cert_url: str, subscribe_url: str) -> dict[str, Any]:
    """The SubscriptionConfirmation example of the same page (SubscribeURL pointed at the
    test's server)."""
    return {
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
        "Message": "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
        "SubscribeURL": subscribe_url,
        "Timestamp": "2012-04-26T20:45:04.751Z",
        "SignatureVersion": "1",
        "Signature": "",
        "SigningCertURL": cert_url,
    }
