"""Past incidents link their published post-incident report, and the report has a public page
of its own: the report's words and what users were told, no internal note, no JavaScript
needed. A report still a draft, or none at all, is linked from nowhere and not served."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.incident_api.helpers import parsed_page, words

INTERNAL = "sw-42 rebooted by hand, ask Bob (internal)"
REPORT = {
    "impact": "For 47 minutes nobody could send email.",
    "cause": "A certificate on the outgoing mail relay expired.",
    "what_was_done": "We installed a new certificate and resent the waiting mail.",
    "follow_ups": ["Renew certificates automatically.", "Alert before a certificate expires."],
}


async def _resolved_incident(operator: httpx.AsyncClient, title: str) -> str:
    opened = await operator.post(
        "/v1/incidents",
        json={
            "service": "email",
            "title": title,
            "public_message": "Sending email fails. We are looking into it.",
            "internal_note": INTERNAL,
        },
    )
    assert opened.status_code == 201, opened.text
    incident_id: str = opened.json()["id"]
    update = await operator.post(
        f"/v1/incidents/{incident_id}/updates",
        json={
            "status": "identified",
            "public_message": "The mail relay's certificate is being renewed.",
            "internal_note": INTERNAL,
        },
    )
    assert update.status_code == 200, update.text
    resolved = await operator.post(
        f"/v1/incidents/{incident_id}/resolve",
        json={
            "summary": "Certificate renewed.",
            "public_message": "Mail flows again.",
            "internal_note": INTERNAL,
        },
    )
    assert resolved.status_code == 200, resolved.text
    return incident_id


async def test_a_past_incident_links_its_published_report_and_the_page_shows_it(
    api: Any, operator: httpx.AsyncClient
) -> None:
    assert (await operator.put("/v1/services/email", json={"name": "Email"})).status_code == 201
    published = await _resolved_incident(operator, "Email cannot be sent")
    drafted = await _resolved_incident(operator, "Email is slow")
    bare = await _resolved_incident(operator, "Email bounces")
    written = await operator.put(f"/v1/incidents/{published}/report", json=REPORT)
    assert written.status_code == 201, written.text
    assert (await operator.post(f"/v1/incidents/{published}/report/publish")).status_code == 200
    done = await operator.patch(f"/v1/incidents/{published}/report/actions/1", json={"done": True})
    assert done.status_code == 200, done.text
    draft = await operator.put(f"/v1/incidents/{drafted}/report", json=REPORT)
    assert draft.status_code == 201, draft.text

    report_url = f"{api.settings.public_url}/status/incidents/{published}/report"
    async with api.client(token=None) as public:
        status = await public.get("/status")
        summary = (await public.get("/status/summary.json")).json()
        # The page links the public URL; this test's server listens elsewhere.
        report = await public.get(urlsplit(report_url).path)
        not_published = await public.get(f"/status/incidents/{drafted}/report")
        never_written = await public.get(f"/status/incidents/{bare}/report")
        not_an_id = await public.get("/status/incidents/not-an-id/report")

    assert status.status_code == 200, status.text
    page = parsed_page(status.text)
    report_links = [(href, words(text)) for href, text in page.links if "/report" in href]
    assert report_links == [(report_url, "Read the incident report: Email cannot be sent")]
    assert "Read the incident report" in words(page.text_by_id[f"incident-{published}"])
    for other in (drafted, bare):
        assert "report" not in page.text_by_id[f"incident-{other}"]
    urls = {item["id"]: item["report_url"] for item in summary["past_incidents"]}
    assert urls == {published: report_url, drafted: None, bare: None}

    assert report.status_code == 200, report.text
    assert report.headers["content-type"].startswith("text/html")
    assert report.headers["cache-control"] == "public, max-age=30"
    shown = parsed_page(report.text)
    text = words(shown.text)
    assert "Incident report: Email cannot be sent" in text
    assert "Services affected Email" in text
    assert words(shown.text_by_id["impact"]) == f"What you could not do {REPORT['impact']}"
    assert words(shown.text_by_id["cause"]) == f"Why it happened {REPORT['cause']}"
    assert words(shown.text_by_id["done"]) == f"What was done {REPORT['what_was_done']}"
    follow_ups = words(shown.text_by_id["follow-ups"])
    assert "Renew certificates automatically. — done on" in follow_ups
    assert "Alert before a certificate expires. — not done yet" in follow_ups
    told = words(shown.text_by_id["told"])
    # What users were told, in order, whatever JavaScript does with the times.
    messages = [
        "Sending email fails. We are looking into it.",
        "The mail relay's certificate is being renewed.",
        "Mail flows again.",
    ]
    positions = [told.index(message) for message in messages]
    assert positions == sorted(positions)
    assert "UTC" in told
    assert INTERNAL not in report.text
    assert "Back to the status of every service" in text

    for missing in (not_published, never_written, not_an_id):
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("text/html")
        assert "There is no published report for this incident." in words(
            parsed_page(missing.text).text
        )
        assert REPORT["cause"] not in missing.text
