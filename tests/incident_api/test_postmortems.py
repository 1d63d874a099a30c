"""Post-incident reports through the API: written as a draft, published once for a resolved
incident as IncidentReportPublished (public timeline only, never internal notes), follow-up
actions marked done afterwards; every refusal a clear 4xx."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from candor_incident_api.postmortems.scheduler import LOOKBACK, ReportScheduler
from candor_shared.contract import IncidentReportActionDone, IncidentReportPublished
from tests.conftest import HeldClock
from tests.kafka_helpers import read_events

INCIDENTS = "candor.incident.v1"
REPORT = {
    "impact": "For 47 minutes nobody could send email.",
    "cause": "A certificate on the outgoing mail relay expired.",
    "what_was_done": "We installed a new certificate and resent the waiting mail.",
    "follow_ups": ["Renew certificates automatically.", "Alert before a certificate expires."],
}


async def _incident(operator: httpx.AsyncClient) -> str:
    response = await operator.put("/v1/services/email", json={"name": "Email"})
    assert response.status_code in (200, 201), response.text
    opened = await operator.post(
        "/v1/incidents",
        json={
            "service": "email",
            "title": "Email cannot be sent",
            "public_message": "Sending email fails. We are looking into it.",
            "internal_note": "the relay's certificate, probably",
        },
    )
    assert opened.status_code == 201, opened.text
    path = f"/v1/incidents/{opened.json()['id']}"
    update = await operator.post(
        f"{path}/updates",
        json={"status": "identified", "internal_note": "renewing by hand now"},
    )
    assert update.status_code == 200, update.text
    return path


async def test_an_operator_writes_publishes_and_completes_a_report(
    operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    path = await _incident(operator)
    incident_id = path.rsplit("/", 1)[1]

    missing = await operator.get(f"{path}/report")
    assert missing.status_code == 404
    draft = await operator.put(f"{path}/report", json={**REPORT, "follow_ups": ["first try"]})
    assert draft.status_code == 201, draft.text
    written = await operator.put(f"{path}/report", json=REPORT)
    assert written.status_code == 200, written.text
    assert written.json()["version"] == 2
    assert [a["action"] for a in written.json()["follow_ups"]] == REPORT["follow_ups"]
    early = await operator.post(f"{path}/report/publish")
    assert early.status_code == 409
    assert "resolve" in early.json()["detail"]

    resolved = await operator.post(
        f"{path}/resolve",
        json={
            "summary": "Certificate renewed.",
            "public_message": "New certificate installed; mail flows again.",
            "internal_note": "renewal script was off",
        },
    )
    assert resolved.status_code == 200, resolved.text
    published = await operator.post(f"{path}/report/publish")
    assert published.status_code == 200, published.text
    assert published.json()["published_by"] == "admin"
    again = await operator.post(f"{path}/report/publish")
    assert again.status_code == 409
    rewrite = await operator.put(f"{path}/report", json=REPORT)
    assert rewrite.status_code == 409
    assert "PATCH" in rewrite.json()["detail"]

    done = await operator.patch(f"{path}/report/actions/2", json={"done": True})
    assert done.status_code == 200, done.text
    actions = done.json()["follow_ups"]
    assert actions[0]["done_at"] is None
    assert actions[1]["done_at"] is not None
    assert (
        await operator.patch(f"{path}/report/actions/3", json={"done": True})
    ).status_code == 404
    assert (
        await operator.patch(f"{path}/report/actions/1", json={"done": "yes"})
    ).status_code == 422
    shown = await operator.get(f"{path}/report")
    assert shown.json()["follow_ups"][1]["done_at"] == actions[1]["done_at"]
    kinds = [item["kind"] for item in (await operator.get(f"{path}/timeline")).json()["items"]]
    assert "report" in kinds
    assert "report.action" in kinds

    again_done = await operator.patch(f"{path}/report/actions/2", json={"done": True})
    assert again_done.json()["follow_ups"][1]["done_at"] == actions[1]["done_at"]
    undone = await operator.patch(f"{path}/report/actions/2", json={"done": False})
    assert undone.json()["follow_ups"][1]["done_at"] is None

    events = await read_events(broker, f"{topic_prefix}{INCIDENTS}", count=5)
    # Users hear of an action done once: not when marked again, nor when undone.
    (action_done,) = [e.data for e in events if isinstance(e.data, IncidentReportActionDone)]
    assert action_done.action.number == 2
    assert action_done.action.action == REPORT["follow_ups"][1]
    assert action_done.remaining == 1
    (report,) = [e.data for e in events if isinstance(e.data, IncidentReportPublished)]
    assert report.incident.id == incident_id
    assert report.published_by == "operator"
    assert report.cause == REPORT["cause"]
    assert [a.action for a in report.follow_ups] == REPORT["follow_ups"]
    assert [a.number for a in report.follow_ups] == [1, 2]
    told = [(entry.kind, entry.message) for entry in report.timeline]
    assert told == [
        ("opened", "Sending email fails. We are looking into it."),
        ("resolved", "New certificate installed; mail flows again."),
    ]
    assert "certificate, probably" not in report.model_dump_json()
    assert "renewal script" not in report.model_dump_json()


async def test_bad_reports_are_refused_with_the_reason(operator: httpx.AsyncClient) -> None:
    path = await _incident(operator)
    unknown = "/v1/incidents/01a207cd-858c-71ec-908f-d495eba38c5a"
    assert (await operator.put(f"{unknown}/report", json=REPORT)).status_code == 404
    assert (await operator.post(f"{unknown}/report/publish")).status_code == 404
    empty_action = await operator.put(f"{path}/report", json={"follow_ups": [""]})
    assert empty_action.status_code == 422
    assert "follow_ups" in empty_action.text
    extra = await operator.put(f"{path}/report", json={**REPORT, "secret": 1})
    assert extra.status_code == 422
    no_report = await operator.patch(f"{path}/report/actions/1", json={"done": True})
    assert no_report.status_code == 404
    assert (
        await operator.patch(f"{path}/report/actions/0", json={"done": True})
    ).status_code == 422


async def test_the_report_goes_automatically_after_the_delay_with_the_facts_known_so_far(
    api: Any, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    path = await _incident(operator)
    resolved = await operator.post(
        f"{path}/resolve",
        json={"summary": "Certificate renewed.", "public_message": "Mail flows again."},
    )
    assert resolved.status_code == 200, resolved.text
    resolved_at = datetime.fromisoformat(resolved.json()["resolved_at"])
    draft = await operator.put(f"{path}/report", json={"cause": REPORT["cause"]})
    assert draft.status_code == 201
    clock = HeldClock(resolved_at + timedelta(days=2) - timedelta(minutes=1))
    scheduler = ReportScheduler(
        sessions=api.app.state.candor.sessions, auto_after=timedelta(days=2), clock=clock
    )

    assert await scheduler.run_once() == 0  # a minute early
    # A scheduler made afresh (a restart) at the minute it is due publishes it, once.
    clock.now = resolved_at + timedelta(days=2)
    restarted = ReportScheduler(
        sessions=api.app.state.candor.sessions, auto_after=timedelta(days=2), clock=clock
    )
    assert await restarted.run_once() == 1
    assert await restarted.run_once() == 0
    clock.now += timedelta(days=1)
    assert await restarted.run_once() == 0

    shown = (await operator.get(f"{path}/report")).json()
    assert shown["published_by"] == "automatic"
    assert (await operator.post(f"{path}/report/publish")).status_code == 409
    events = await read_events(broker, f"{topic_prefix}{INCIDENTS}", count=4)
    (report,) = [e.data for e in events if isinstance(e.data, IncidentReportPublished)]
    assert report.published_by == "automatic"
    assert report.cause == REPORT["cause"]  # the draft's facts, as known so far
    assert report.published_at == resolved_at + timedelta(days=2)
    assert [entry.kind for entry in report.timeline] == ["opened", "resolved"]


async def test_no_automatic_report_after_an_operator_published_one_or_too_late(
    api: Any, operator: httpx.AsyncClient
) -> None:
    path = await _incident(operator)
    resolved = await operator.post(f"{path}/resolve", json={"summary": "done"})
    resolved_at = datetime.fromisoformat(resolved.json()["resolved_at"])
    sessions = api.app.state.candor.sessions
    late = HeldClock(resolved_at + timedelta(days=2) + LOOKBACK + timedelta(minutes=1))
    scheduler = ReportScheduler(sessions=sessions, auto_after=timedelta(days=2), clock=late)
    assert await scheduler.run_once() == 0  # more than a week overdue: not sent that late

    assert (await operator.put(f"{path}/report", json=REPORT)).status_code == 201
    assert (await operator.post(f"{path}/report/publish")).status_code == 200
    on_time = HeldClock(resolved_at + timedelta(days=2))
    scheduler = ReportScheduler(sessions=sessions, auto_after=timedelta(days=2), clock=on_time)
    assert await scheduler.run_once() == 0
    assert (await operator.get(f"{path}/report")).json()["published_by"] == "admin"
