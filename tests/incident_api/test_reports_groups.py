"""Reports against a group's agreement: asked for with ``group``, kept apart from the
service's own report of the same month, served as JSON and as the page."""

from __future__ import annotations

from typing import Any

import httpx

from candor_shared.contract import GroupRef, ServiceReport, Topics
from tests.conftest import RunningApi, eventually
from tests.incident_api.test_reports import _requests, create_email, march, publish_and_wait

FINANCE_TERMS: dict[str, Any] = {
    "timezone": "Europe/Paris",
    "availability": {"adequate_percent": 99.9, "desired_percent": 99.95},
}


async def finance_agreement(operator: httpx.AsyncClient) -> GroupRef:
    group = await operator.post("/v1/groups", json={"name": "Finance department"})
    assert group.status_code == 201, group.text
    finance = GroupRef(id=group.json()["id"], name="Finance department")
    put = await operator.put(f"/v1/services/email/agreements/{finance.id}", json=FINANCE_TERMS)
    assert put.status_code == 201, put.text
    return finance


async def test_a_report_against_a_group_agreement_is_asked_for_kept_and_served_apart(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    email = await create_email(operator)
    finance = await finance_agreement(operator)

    asked = await operator.post(
        "/v1/reports/email", params={"month": "2026-03", "group": finance.id}
    )
    assert asked.status_code == 202, asked.text
    url = f"/v1/reports/email?month=2026-03&group={finance.id}"
    assert asked.json()["report_url"] == url
    assert asked.json()["group"] == finance.model_dump()
    assert asked.headers["location"] == url
    topic = Topics(api.settings.kafka_topic_prefix).sla
    (request,) = await eventually(
        lambda: _requests(api.settings.kafka_bootstrap, topic, count=1), timeout=30
    )
    assert request.data.group == finance
    assert request.data.service == email

    own = march(email, generated="2026-03-31T22:15:00Z", percent=99.67)
    theirs = own.model_copy(
        update={"group": finance, "availability_percent": 99.37, "zone": "below"}
    )
    # Not made yet for the group: 404 saying how to ask.
    missing = await operator.get(
        "/v1/reports/email", params={"month": "2026-03", "group": finance.id}
    )
    assert missing.status_code == 404
    assert "Finance department" in missing.json()["detail"]
    await publish_and_wait(api, theirs)
    await publish_and_wait(api, own)

    served_own = await operator.get("/v1/reports/email", params={"month": "2026-03"})
    served_theirs = await operator.get(
        "/v1/reports/email", params={"month": "2026-03", "group": finance.id}
    )
    assert ServiceReport.model_validate(served_own.json()) == own
    assert ServiceReport.model_validate(served_theirs.json()) == theirs
    page = await operator.get(
        "/v1/reports/email",
        params={"month": "2026-03", "group": finance.id},
        headers={"Accept": "text/html"},
    )
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Against the agreement with Finance department" in page.text
    assert (
        "Finance department"
        not in (
            await operator.get(
                "/v1/reports/email", params={"month": "2026-03"}, headers={"Accept": "text/html"}
            )
        ).text
    )


async def test_a_group_without_an_agreement_or_unknown_is_404(
    operator: httpx.AsyncClient,
) -> None:
    await create_email(operator)
    group = await operator.post("/v1/groups", json={"name": "HR"})
    hr = group.json()["id"]
    unknown = "01a207cd-8501-733a-818b-9ecf802bbdf5"
    answers = [
        await operator.post("/v1/reports/email", params={"month": "2026-03", "group": hr}),
        await operator.get("/v1/reports/email", params={"month": "2026-03", "group": unknown}),
        await operator.post("/v1/reports/email", params={"month": "2026-03", "group": "nope"}),
    ]
    assert [a.status_code for a in answers] == [404, 404, 422]
    assert "no agreement with group 'HR'" in answers[0].json()["detail"]
