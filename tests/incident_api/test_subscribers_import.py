"""`candor subscribers import FILE.csv`, run as a process against a running incident-api:
good rows are imported (components and groups included), bad ones listed with their line
and reason, progress is shown, and importing the same file again changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import RunningApi
from tests.incident_api.test_cli import candor, published

CSV = """\
email,name,services,components,timezone,language,groups
ana@example.org,Ana,email;payroll,,Europe/Paris,fr,Finance department
bob@example.org,,,email/outgoing,America/New_York,en,
not-an-address,Nobody,email,,,,
cy@example.org,Cy,nope,,,,
dee@example.org,Dee,email,,Mars/Olympus,,
eve@example.org,Eve,,,,,Accounting
ana@example.org,Ana again,email,,,,
fay@example.org,Fay,,email/nope,UTC,de,

gus@example.org,Gus,email,,UTC,en,Finance department
"""


@pytest.fixture
async def catalog(operator: httpx.AsyncClient) -> None:
    email = {
        "slug": "email",
        "name": "Email",
        "components": [{"slug": "outgoing", "name": "Outgoing mail"}],
    }
    for body in (email, {"slug": "payroll", "name": "Payroll"}):
        assert (await operator.post("/v1/services", json=body)).status_code == 201
    group = {"name": "Finance department", "services": ["payroll"]}
    assert (await operator.post("/v1/groups", json=group)).status_code == 201


async def test_import_takes_good_rows_reports_bad_ones_and_is_idempotent(
    api: RunningApi,
    operator: httpx.AsyncClient,
    catalog: None,
    tmp_path: Path,
    broker: str,
    topic_prefix: str,
) -> None:
    file = tmp_path / "people.csv"
    file.write_text(CSV, encoding="utf-8")

    run = await candor(api, "subscribers", "import", str(file))

    assert run.code == 1, run.err
    assert run.out.splitlines() == [
        f"{file}: 9 rows: 3 created, 0 updated, 0 unchanged, 6 rejected",
        "  line 4: email: not an email address like name@example.org",
        "  line 5: body.services: no service with slug 'nope'; create it first with "
        "POST /v1/services.",
        "  line 6: timezone: not an IANA timezone name such as Europe/Paris",
        "  line 7: body.groups: no group named 'Accounting'; create it first with POST /v1/groups.",
        "  line 8: ana@example.org is on line 2 already",
        "  line 9: body.components: no component 'email/nope'; components are "
        "service-slug/component-slug as GET /v1/services/{slug} lists them.",
    ]
    # Progress on stderr, ending at every row.
    assert "importing subscribers: 9/9 rows (100%)" in run.err
    subscribers = {s["email"]: s for s in (await operator.get("/v1/subscribers")).json()["items"]}
    assert sorted(subscribers) == ["ana@example.org", "bob@example.org", "gus@example.org"]
    ana = subscribers["ana@example.org"]
    assert (ana["name"], ana["services"], ana["timezone"], ana["language"], ana["groups"]) == (
        "Ana",
        ["email", "payroll"],
        "Europe/Paris",
        "fr",
        ["Finance department"],
    )
    assert subscribers["bob@example.org"]["components"] == ["email/outgoing"]
    assert subscribers["bob@example.org"]["services"] == []
    before = await published(api, broker, topic_prefix)

    again = await candor(api, "subscribers", "import", str(file))

    assert again.out.splitlines()[0] == (
        f"{file}: 9 rows: 0 created, 0 updated, 3 unchanged, 6 rejected"
    )
    assert await published(api, broker, topic_prefix) == before
    after = {s["email"]: s for s in (await operator.get("/v1/subscribers")).json()["items"]}
    assert after == subscribers


async def test_a_changed_row_updates_only_that_subscriber(
    api: RunningApi, operator: httpx.AsyncClient, catalog: None, tmp_path: Path
) -> None:
    file = tmp_path / "people.csv"
    file.write_text("email,services\nana@example.org,email\nbob@example.org,email\n")
    assert (await candor(api, "subscribers", "import", str(file))).code == 0
    file.write_text("email,services\nana@example.org,email;payroll\nbob@example.org,email\n")

    run = await candor(api, "subscribers", "import", str(file))

    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        f"{file}: 2 rows: 0 created, 1 updated, 1 unchanged, 0 rejected"
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "the file is empty"),
        ("name,services\nAna,email\n", "no email column"),
        ("email,phone\na@example.org,123\n", "unknown column 'phone'"),
    ],
)
async def test_a_file_that_cannot_be_read_imports_nothing(
    api: RunningApi, tmp_path: Path, text: str, says: str, catalog: None
) -> None:
    file = tmp_path / "people.csv"
    file.write_text(text)

    run = await candor(api, "subscribers", "import", str(file))

    assert run.code == 1
    assert says in run.err
    assert run.out == ""


async def test_cells_with_more_values_than_columns_are_refused(
    api: RunningApi, tmp_path: Path, catalog: None, operator: Any
) -> None:
    file = tmp_path / "people.csv"
    file.write_text("email,services\nana@example.org,email,payroll\n")

    run = await candor(api, "subscribers", "import", str(file))

    assert run.code == 1
    assert "line 2: more cells than columns" in run.out
