"""OpenSLO over HTTP and from the `candor` CLI, on the real database and broker: an official
example sets the availability objective and keeps the other terms, the sla-monitor's event
carries it, what GET gives PUT takes back without a change, refusals answer 422 with every
reason and write nothing, YAML only (415), roles and If-Match as for the agreement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml

from candor_shared.contract import ServiceUpserted
from tests.conftest import RunningApi
from tests.incident_api.test_cli import candor, lines
from tests.incident_api.test_openslo import EXAMPLES, OCCURRENCES, RATIO_TIMESLICES, example
from tests.kafka_helpers import read_events

TERMS: dict[str, Any] = {
    "timezone": "Europe/Paris",
    "availability": {"adequate_percent": 99.5, "desired_percent": 99.9},
    "terms": {"major": {"acknowledge_within": "PT15M", "update_every": "PT1H"}},
    "maintenance_notice": "P3D",
}
YAML = {"Content-Type": "application/yaml"}


async def email_with_terms(operator: httpx.AsyncClient) -> None:
    created = await operator.put("/v1/services/email", json={"name": "Email", "agreement": TERMS})
    assert created.status_code == 201, created.text


async def put_openslo(
    operator: httpx.AsyncClient, body: str, *, slug: str = "email", **headers: str
) -> httpx.Response:
    return await operator.put(
        f"/v1/services/{slug}/agreement/openslo",
        content=body.encode(),
        headers={**YAML, **headers},
    )


async def test_an_official_example_sets_the_objective_and_keeps_the_other_terms(
    operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await email_with_terms(operator)

    answer = await put_openslo(operator, example(RATIO_TIMESLICES))

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/yaml"
    assert answer.text.startswith("# Set from SLO 'main-page'.\n# Not kept:\n# - spec.indicator:")
    document = yaml.safe_load(answer.text)
    assert document["spec"]["timeWindow"] == [{"duration": "14d", "isRolling": True}]
    assert [objective["target"] for objective in document["spec"]["objectives"]] == [0.99]
    agreement = (await operator.get("/v1/services/email/agreement")).json()
    assert agreement["availability"] == {
        "adequate_percent": 99.0,
        "desired_percent": None,
        "window": "rolling",
        "rolling_days": 14,
    }
    assert agreement["terms"]["major"]["acknowledge_within"] == "PT15M"
    assert agreement["maintenance_notice"] == "P3D"
    assert agreement["timezone"] == "Europe/Paris"  # a rolling window names no timezone
    assert answer.headers["etag"] == (await operator.get("/v1/services/email")).headers["etag"]
    events = await read_events(broker, f"{topic_prefix}candor.catalog.v1", count=2)
    latest = [e.data for e in events if isinstance(e.data, ServiceUpserted)][-1]
    assert latest.version == 2
    assert latest.agreement is not None
    assert latest.agreement.availability is not None
    assert latest.agreement.availability.rolling_days == 14


async def test_what_get_gives_put_takes_back_without_a_change(
    operator: httpx.AsyncClient,
) -> None:
    await email_with_terms(operator)

    got = await operator.get("/v1/services/email/agreement/openslo")
    as_text = await operator.get(
        "/v1/services/email/agreement/openslo", headers={"Accept": "text/yaml"}
    )
    back = await put_openslo(operator, got.text, **{"If-Match": got.headers["etag"]})

    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/yaml"
    assert as_text.headers["content-type"].startswith("text/yaml")
    assert as_text.text == got.text
    document = yaml.safe_load(got.text)
    assert document["metadata"] == {"name": "email", "displayName": "Availability of Email"}
    assert document["spec"]["timeWindow"][0]["calendar"]["timeZone"] == "Europe/Paris"
    assert back.status_code == 200, back.text
    assert back.text == "# Set from SLO 'email'.\n" + got.text  # nothing left out
    assert back.headers["etag"] == got.headers["etag"]  # the same version: nothing changed
    service = (await operator.get("/v1/services/email")).json()
    assert service["version"] == 1
    assert service["agreement"]["availability"]["adequate_percent"] == 99.5


async def test_a_refusal_answers_every_reason_and_writes_nothing(
    operator: httpx.AsyncClient,
) -> None:
    await email_with_terms(operator)

    refused = await put_openslo(operator, example(OCCURRENCES))
    broken = await put_openslo(operator, "spec: [unclosed\n")
    not_utf8 = await operator.put(
        "/v1/services/email/agreement/openslo", content=b"\xff\xfe", headers=YAML
    )

    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert body["title"] == "Not importable"
    assert body["detail"].startswith(
        "SLO 'search-slo': spec.indicator.spec.thresholdMetric: compares a measured value "
        "(such as a latency)"
    )
    assert [error["loc"] for error in body["errors"]] == [
        "SLO 'search-slo': spec.indicator.spec.thresholdMetric",
        "SLO 'search-slo': spec.budgetingMethod",
        "SLO 'search-slo': spec.objectives[0].value",
    ]
    assert broken.status_code == 422
    assert "YAML: not valid YAML at line 2, column 1" in broken.json()["detail"]
    assert not_utf8.status_code == 422
    assert "YAML in UTF-8" in not_utf8.json()["detail"]
    service = (await operator.get("/v1/services/email")).json()
    assert service["version"] == 1
    assert service["agreement"]["availability"]["adequate_percent"] == 99.5


async def test_only_yaml_is_taken(operator: httpx.AsyncClient) -> None:
    await email_with_terms(operator)
    body = example(RATIO_TIMESLICES)

    as_json = await put_openslo(operator, body, **{"Content-Type": "application/json"})
    untyped = await operator.put("/v1/services/email/agreement/openslo", content=body.encode())
    text_yaml = await put_openslo(operator, body, **{"Content-Type": "text/yaml; charset=utf-8"})

    assert as_json.status_code == 415
    assert as_json.json()["detail"].startswith(
        "Send the OpenSLO document as YAML with Content-Type: application/yaml (or text/yaml), "
        "not application/json"
    )
    assert untyped.status_code == 415
    assert text_yaml.status_code == 200, text_yaml.text


async def test_missing_objectives_and_unexportable_ones_are_said_so(
    operator: httpx.AsyncClient,
) -> None:
    await operator.put("/v1/services/email", json={"name": "Email"})
    no_agreement = await operator.get("/v1/services/email/agreement/openslo")
    await operator.put("/v1/services/email/agreement", json={"maintenance_notice": "P1D"})
    no_objective = await operator.get("/v1/services/email/agreement/openslo")
    await operator.put(
        "/v1/services/email/agreement", json={"availability": {"adequate_percent": 100}}
    )
    perfect = await operator.get("/v1/services/email/agreement/openslo")
    unknown = await operator.get("/v1/services/wiki/agreement/openslo")
    unknown_put = await put_openslo(operator, example(RATIO_TIMESLICES), slug="wiki")

    for answer in (no_agreement, no_objective):
        assert answer.status_code == 404
        assert answer.json()["detail"].startswith(
            "Service 'email' has no availability objective; set one with PUT"
        )
    assert perfect.status_code == 409
    assert "adequate_percent is 100: OpenSLO targets are below 100 %" in perfect.json()["detail"]
    assert unknown.status_code == 404
    assert unknown_put.status_code == 404
    assert unknown_put.json()["detail"] == "No service 'wiki' exists."


async def test_a_new_objective_on_a_service_without_agreement_and_roles_and_if_match(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    await operator.put("/v1/services/email", json={"name": "Email"})
    issued = await operator.post("/v1/tokens", json={"name": "helpdesk", "role": "operator"})
    month = (
        example(RATIO_TIMESLICES)
        .replace("   - duration: 2w\n     isRolling: true\n", "   - duration: 1M\n")
        .replace(
            "  budgetingMethod:",
            "     calendar: {startTime: 2024-02-01 00:00:00, timeZone: Asia/Tokyo}\n"
            "  budgetingMethod:",
        )
    )
    async with api.client(issued.json()["token"]) as helpdesk:
        as_operator = await put_openslo(helpdesk, month)
        created = await put_openslo(operator, month)
        read = await helpdesk.get("/v1/services/email/agreement/openslo")
    stale = await put_openslo(operator, month, **{"If-Match": 'W/"stale-1"'})

    assert as_operator.status_code == 403
    assert created.status_code == 200, created.text
    assert read.status_code == 200
    agreement = (await operator.get("/v1/services/email/agreement")).json()
    assert agreement["timezone"] == "Asia/Tokyo"
    assert agreement["availability"]["window"] == "calendar_month"
    assert agreement["terms"] == {}
    assert stale.status_code == 412


async def test_the_cli_imports_exports_and_refuses_before_sending(
    api: RunningApi, operator: httpx.AsyncClient, tmp_path: Path
) -> None:
    await email_with_terms(operator)
    exported = tmp_path / "email-slo.yaml"

    imported = await candor(
        api, "slo", "import", str(EXAMPLES / RATIO_TIMESLICES), "--service", "email"
    )
    export = await candor(api, "slo", "export", "--service", "email", "-o", str(exported))
    again = await candor(api, "slo", "import", str(exported), "-s", "email")
    printed = await candor(api, "slo", "export", "-s", "email")
    refused = await candor(api, "slo", "import", str(EXAMPLES / OCCURRENCES), "-s", "email")
    missing = await candor(api, "slo", "import", str(exported), "-s", "wiki")
    bad_slug = await candor(api, "slo", "export", "-s", "Not A Slug")

    assert imported.code == 0, imported.err
    assert lines(imported)[0] == (
        "service email: availability objective set from SLO 'main-page': adequate 99%, "
        "the last 14 days"
    )
    assert lines(imported)[1].startswith("  not kept: spec.indicator: its metric source ('Any')")
    assert export.code == 0, export.err
    assert yaml.safe_load(exported.read_text())["spec"]["timeWindow"][0]["duration"] == "14d"
    assert again.code == 0, again.err
    assert lines(again) == [
        "service email: availability objective set from SLO 'email': adequate 99%, the last 14 days"
    ]
    assert printed.out == exported.read_text()  # the round trip changed nothing
    assert refused.code == 1
    assert refused.err.splitlines()[0] == f"candor: {EXAMPLES / OCCURRENCES}: not imported:"
    assert "  SLO 'search-slo': spec.budgetingMethod: Occurrences counts" in refused.err
    assert missing.code == 1
    assert "candor: service 'wiki': HTTP 404: No service 'wiki' exists." in missing.err
    assert bad_slug.code == 2
    service = (await operator.get("/v1/services/email")).json()
    assert service["version"] == 2  # the example, then nothing: the refusal was never sent
