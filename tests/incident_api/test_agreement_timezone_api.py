"""The agreement's timezone is refused by the contract model, so the API's 422 comes from it.

Names the tz database cannot even look up (a folder such as ``Europe``) used to raise an
OSError past the API's own check: a 500 for bad input. Now the model says what was wrong.
"""

from __future__ import annotations

import httpx
import pytest

from candor_incident_api.catalog.openslo_import import OpenSloRefused, import_objective
from tests.incident_api.test_openslo import slo, text


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe", "x" * 300])
async def test_an_unknown_zone_is_a_422_naming_the_field(
    operator: httpx.AsyncClient, zone: str
) -> None:
    created = await operator.put("/v1/services/email", json={"name": "Email"})
    assert created.status_code in (200, 201), created.text
    for body, field in (
        ({"timezone": zone}, ["body", "timezone"]),
        ({"business_hours": {"timezone": zone}}, ["body", "business_hours", "timezone"]),
    ):
        response = await operator.put("/v1/services/email/agreement", json=body)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert [error["loc"] for error in problem["errors"]] == [field], problem
        assert "timezone" in problem["detail"]
    assert (await operator.get("/v1/services/email/agreement")).status_code == 404


def test_an_openslo_calendar_in_a_folder_of_the_tz_database_is_refused_with_a_reason() -> None:
    calendar = {"startTime": "2024-01-01", "timeZone": "Europe"}
    document = slo(timeWindow=[{"duration": "1M", "calendar": calendar}])
    with pytest.raises(OpenSloRefused) as refused:
        import_objective(text(document), service="email")
    assert [str(reason) for reason in refused.value.reasons] == [
        "SLO 'mail': spec.timeWindow[0].calendar.timeZone: 'Europe' is not an IANA timezone "
        "name such as America/New_York"
    ]
