"""AWS CloudWatch alarms through SNS: signatures checked (versions 1 and 2), subscription
confirmations kept, listed and confirmed, forgeries refused. A local HTTPS server with a
throw-away certificate authority stands in for Amazon SNS's certificate and SubscribeURL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import RunningApi
from tests.incident_api.helpers import row_counts
from tests.incident_api.payloads import cloudwatch
from tests.incident_api.sources.helpers import incident, new_integration, post
from tests.incident_api.sources.sns_fake import FakeSns

TEXT = {"content-type": "text/plain; charset=UTF-8"}


@pytest.fixture
def fake_sns() -> Iterator[FakeSns]:
    fake = FakeSns()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
async def sns_api(api_settings: Any, fake_sns: FakeSns) -> AsyncIterator[RunningApi]:
    """incident-api trusting 127.0.0.1 as SNS's host (the setting) and the test CA."""
    settings = api_settings.model_copy(update={"sns_cert_host_pattern": r"^127\.0\.0\.1$"})
    running = RunningApi(settings)
    running.app.state.sns.client_factory = fake_sns.client
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def _cloudwatch_key(api: RunningApi) -> tuple[str, str]:
    async with api.client() as operator:
        created = await new_integration(operator, "cloudwatch")
    return created["id"], created["key"]


@pytest.mark.parametrize("version", ["1", "2"])
async def test_signed_alarm_opens_and_ok_resolves(
    sns_api: RunningApi, fake_sns: FakeSns, version: str
) -> None:
    _, key = await _cloudwatch_key(sns_api)
    alarm = fake_sns.sign(
        cloudwatch.notification(cloudwatch.alarm(), cert_url=fake_sns.cert_url), version=version
    )

    fired = await post(sns_api, "/v1/ingest/cloudwatch", alarm, params={"key": key}, headers=TEXT)

    assert fired.status_code == 202, fired.text
    assert fired.json()["sns_type"] == "Notification"
    (incident_id,) = fired.json()["incidents"]
    async with sns_api.client() as operator:
        opened = await incident(operator, incident_id)
    assert opened["title"] == "EXAMPLE"
    assert opened["started_at"] == "2015-06-03T17:43:27.123000Z"
    assert opened["alerts"][0]["labels"]["InstanceId"] == "TestInstance"
    assert opened["alerts"][0]["labels"]["metric_name"] == "NetworkOut"

    ok = fake_sns.sign(
        cloudwatch.notification(cloudwatch.ok(), cert_url=fake_sns.cert_url), version=version
    )
    cleared = await post(sns_api, "/v1/ingest/cloudwatch", ok, params={"key": key}, headers=TEXT)

    assert cleared.status_code == 202, cleared.text
    async with sns_api.client() as operator:
        closed = await incident(operator, incident_id)
    assert closed["status"] == "resolved"
    assert closed["resolved_at"] == "2015-06-03T18:03:27.123000Z"


async def test_subscription_confirmation_is_kept_listed_and_confirmed(
    sns_api: RunningApi, fake_sns: FakeSns
) -> None:
    integration_id, key = await _cloudwatch_key(sns_api)
    subscribe_url = fake_sns.subscribe_url("2336412f37fb687f5d51e6e241d0")
    confirmation = fake_sns.sign(
        cloudwatch.subscription_confirmation(
            cert_url=fake_sns.cert_url, subscribe_url=subscribe_url
        )
    )

    first = await post(sns_api, "/v1/ingest/cloudwatch", confirmation, params={"key": key})
    again = await post(sns_api, "/v1/ingest/cloudwatch", confirmation, params={"key": key})

    assert first.status_code == 202, first.text
    assert first.json()["sns_type"] == "SubscriptionConfirmation"
    assert again.json()["confirmation_id"] == first.json()["confirmation_id"]
    confirmation_id = first.json()["confirmation_id"]
    base = f"/v1/integrations/{integration_id}/sns-confirmations"
    async with sns_api.client() as operator:
        listed = (await operator.get(base)).json()["items"]
        assert [item["id"] for item in listed] == [confirmation_id]
        assert listed[0]["subscribe_url"] == subscribe_url
        assert listed[0]["topic_arn"] == "arn:aws:sns:us-west-2:123456789012:MyTopic"
        assert listed[0]["confirmed_at"] is None
        assert fake_sns.confirmed == []

        confirmed = await operator.post(f"{base}/{confirmation_id}/confirm")
        twice = await operator.post(f"{base}/{confirmation_id}/confirm")

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["confirmed_at"] is not None
    assert twice.json()["confirmed_at"] == confirmed.json()["confirmed_at"]
    assert len(fake_sns.confirmed) == 1
    assert fake_sns.confirmed[0] == subscribe_url.removeprefix(fake_sns.base)


async def test_forged_or_untrusted_messages_are_refused(
    sns_api: RunningApi, fake_sns: FakeSns
) -> None:
    _, key = await _cloudwatch_key(sns_api)
    genuine = fake_sns.sign(cloudwatch.notification(cloudwatch.alarm(), cert_url=fake_sns.cert_url))
    tampered = {**genuine, "Message": genuine["Message"].replace("ALARM", "OK", 1)}
    wrong_version = {**genuine, "SignatureVersion": "2"}
    plain_http = fake_sns.sign(
        cloudwatch.notification(
            cloudwatch.alarm(), cert_url=fake_sns.cert_url.replace("https", "http")
        )
    )
    other_host = fake_sns.sign(
        cloudwatch.notification(
            cloudwatch.alarm(), cert_url=fake_sns.cert_url.replace("127.0.0.1", "localhost")
        )
    )
    not_base64 = {**genuine, "Signature": "%%%"}

    for forged in (tampered, wrong_version, plain_http, other_host, not_base64):
        response = await post(sns_api, "/v1/ingest/cloudwatch", forged, params={"key": key})
        assert response.status_code == 401, (forged["SigningCertURL"], response.text)
        assert "Not a genuine SNS message" in response.json()["detail"]
    assert (await row_counts(sns_api))["alerts"] == 0


async def test_amazon_hosts_only_by_default(api: RunningApi, fake_sns: FakeSns) -> None:
    async with api.client() as operator:
        key = (await new_integration(operator, "cloudwatch"))["key"]
    message = fake_sns.sign(cloudwatch.notification(cloudwatch.alarm(), cert_url=fake_sns.cert_url))

    response = await post(api, "/v1/ingest/cloudwatch", message, params={"key": key})

    assert response.status_code == 401
    assert "sns\\.[a-z0-9-]+\\.amazonaws\\.com" in response.json()["detail"]


async def test_malformed_envelope_or_alarm_gets_422_naming_the_field(
    sns_api: RunningApi, fake_sns: FakeSns
) -> None:
    _, key = await _cloudwatch_key(sns_api)
    bad_type = {**cloudwatch.notification(cloudwatch.alarm(), cert_url=fake_sns.cert_url)}
    bad_type["Type"] = "Broadcast"
    bad_state = cloudwatch.alarm()
    bad_state["NewStateValue"] = "BURNING"
    bad_alarm = fake_sns.sign(cloudwatch.notification(bad_state, cert_url=fake_sns.cert_url))
    not_json_message = fake_sns.sign(
        {**cloudwatch.notification(cloudwatch.alarm(), cert_url=fake_sns.cert_url), "Message": "hi"}
    )

    cases = [
        (bad_type, ["body", "Type"]),
        (b"{not json", ["body"]),
        (bad_alarm, ["body", "Message", "NewStateValue"]),
        (not_json_message, ["body", "Message"]),
    ]
    for payload, loc in cases:
        response = await post(sns_api, "/v1/ingest/cloudwatch", payload, params={"key": key})
        assert response.status_code == 422, (loc, response.text)
        assert any(error["loc"][: len(loc)] == loc for error in response.json()["errors"]), (
            loc,
            response.json(),
        )


async def test_key_is_required(sns_api: RunningApi, fake_sns: FakeSns) -> None:
    message = fake_sns.sign(cloudwatch.notification(cloudwatch.alarm(), cert_url=fake_sns.cert_url))

    missing = await post(sns_api, "/v1/ingest/cloudwatch", message)
    wrong = await post(sns_api, "/v1/ingest/cloudwatch", message, params={"key": "x" * 40})

    assert missing.status_code == 401
    assert "'key' query parameter" in missing.json()["detail"]
    assert wrong.status_code == 401


def test_string_to_sign_is_the_documented_canonical_form() -> None:
    # The example of https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
    from candor_incident_api.ingest.sns import string_to_sign
    from candor_incident_api.ingest.sources.cloudwatch import SnsMessage

    message = SnsMessage.model_validate(
        {
            "Type": "Notification",
            "MessageId": "4d4dc071-ddbf-465d-bba8-08f81c89da64",
            "TopicArn": "arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P",
            "Subject": "My subject",
            "Message": "My Test Message",
            "Timestamp": "2012-06-05T04:37:04.321Z",
            "SignatureVersion": "1",
            "Signature": "x",
            "SigningCertURL": "https://sns.us-east-2.amazonaws.com/x.pem",
        }
    )

    assert string_to_sign(message) == (
        b"Message\nMy Test Message\nMessageId\n4d4dc071-ddbf-465d-bba8-08f81c89da64\n"
        b"Subject\nMy subject\nTimestamp\n2012-06-05T04:37:04.321Z\n"
        b"TopicArn\narn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\n"
        b"Type\nNotification\n"
    )
    assert json.loads(json.dumps(message.model_dump()))["Subject"] == "My subject"
    assert isinstance(httpx.AsyncClient, type)
