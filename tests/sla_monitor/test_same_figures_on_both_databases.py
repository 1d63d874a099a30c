"""The same month's figures are equal on SQLite and PostgreSQL, in one test run.

The month of ``test_reports`` (March 2026 in Europe/Paris, worked out by hand there) goes
through two sla-monitors, one on a SQLite file and one on PostgreSQL, each on topics of its
own. Each is asked the same questions at the same instants: the report of March and the
facts endpoint on 31 March at 21:30 UTC (the month so far), then again on 1 April at 10:00
(the final report). Every answer must be equal field by field across the two databases,
and the final report must be the one worked out by hand.

PostgreSQL is the one at ``CANDOR_TEST_DATABASE_URL`` (``make test-postgres``), else the
server at 127.0.0.1:5432 (``make test``), in a schema of this test's own, dropped after.
Only when no server answers is the test skipped, saying so.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from candor_dev.pgtest import ensure_database
from candor_dev.ports import free_port
from candor_shared.db import create_engine
from candor_sla_monitor.settings import SlaSettings
from tests.conftest import PG_URL, HeldClock, eventually
from tests.sla_monitor.helpers import SERVICE, at, serving_worker
from tests.sla_monitor.test_reports import (
    check_march,
    published_reports,
    requested,
    send,
    the_month_by_hand,
)

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/candor_test"
SO_FAR = at("2026-03-31T21:30:00+00:00")
AFTER = at("2026-04-01T10:00:00+00:00")


@pytest.fixture
async def postgres_schema() -> AsyncIterator[tuple[str, str]]:
    """``(url, schema)`` on a PostgreSQL server: a schema of this test's own, dropped after."""
    url = PG_URL or DEFAULT_PG_URL
    try:
        await ensure_database(url)
    except asyncpg.DuplicateDatabaseError:
        pass  # another suite on this machine created it at the same moment
    except OSError as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        pytest.skip(f"no PostgreSQL server answers at {shown}: {exc}")
    schema = f"t{uuid.uuid4().hex[:8]}_same_figures"
    try:
        yield url, schema
    finally:
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            await engine.dispose()


async def _answers(settings: SlaSettings) -> dict[str, Any]:
    """The month of ``test_reports`` through one sla-monitor; what it answers, and when."""
    clock = HeldClock(SO_FAR)
    answers: dict[str, Any] = {}
    async with serving_worker(settings, clock=clock) as worker:
        await the_month_by_hand(worker)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{settings.sla_monitor_port}"
        ) as client:
            for asked, (label, now) in enumerate((("so far", SO_FAR), ("final", AFTER)), 1):
                clock.now = now
                facts = await client.get(f"/v1/services/{SERVICE.slug}/facts")
                assert facts.status_code == 200, facts.text
                answers[f"facts {label}"] = facts.json()
                await send(worker, lambda topics: topics.sla, requested("2026-03"))
                reports = await eventually(lambda n=asked: _reports(settings, n), timeout=30)
                answers[f"report {label}"] = reports[-1].report
    return answers


async def _reports(settings: SlaSettings, count: int) -> list[Any] | None:
    reports = await published_reports(settings)
    return reports if len(reports) >= count else None


async def test_the_same_months_figures_on_sqlite_and_on_postgresql(
    make_settings: Callable[..., Any],
    postgres_schema: tuple[str, str],
    tmp_path: Any,
) -> None:
    pg_url, pg_schema = postgres_schema
    locations = {
        "sqlite": (f"sqlite+aiosqlite:///{tmp_path / 'same-figures.db'}", ""),
        "postgresql": (pg_url, pg_schema),
    }
    answers: dict[str, dict[str, Any]] = {}
    for name, (url, schema) in locations.items():
        settings: SlaSettings = make_settings(
            SlaSettings,
            "sla-monitor",
            database_url=url,
            database_schema=schema,
            kafka_topic_prefix=f"t{uuid.uuid4().hex[:10]}.",
            sla_monitor_port=free_port(),
        )
        answers[name] = await _answers(settings)

    sqlite, postgresql = answers["sqlite"], answers["postgresql"]
    assert (
        sqlite.keys()
        == postgresql.keys()
        == {
            "facts so far",
            "report so far",
            "facts final",
            "report final",
        }
    )
    for question, answer in sqlite.items():
        other = postgresql[question]
        if question.startswith("report"):
            # Field by field, so that a difference names its field.
            for field, value in answer.model_dump().items():
                assert other.model_dump()[field] == value, (question, field)
            assert other == answer
        else:
            assert other == answer, question

    # And the figures are the right ones: the final report as worked out by hand, and the
    # month so far as test_facts_vs_report works it out (115 minutes counted).
    for database in (sqlite, postgresql):
        check_march(database["report final"])
        so_far = database["report so far"]
        assert so_far.declared_downtime.total_seconds() == 115 * 60
        assert database["facts so far"]["agreement"]["availability_percent"] == pytest.approx(
            so_far.availability_percent
        )
