"""``candor subscribers import FILE.csv``: subscribers from a spreadsheet, through the API.

Columns: ``email`` (required), ``name``, ``services``, ``components``, ``timezone``,
``language``, ``groups``; lists inside a cell are separated by ``;``. Each row is checked
here first with the API's own model, then sent as ``POST /v1/subscribers``. A row the API
already matches is not sent at all, so that importing the same file again changes nothing
and publishes nothing. Rejected rows are reported with their line number and reason; the
others are imported.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import ValidationError

from candor_incident_api.cli.document import CatalogError
from candor_incident_api.cli.http import get_all
from candor_incident_api.subscribers.schemas import SubscriberIn

COLUMNS = ("email", "name", "services", "components", "timezone", "language", "groups")
LIST_COLUMNS = ("services", "components", "groups")
MAX_ROWS = 100_000
CONCURRENT_REQUESTS = 8


@dataclass(frozen=True)
class Row:
    """One data row of the file: its line number and what it asks for."""

    line: int
    data: SubscriberIn


@dataclass
class ImportReport:
    """What the import did, and every row it refused with why."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Rows read, rejected ones included."""
        return self.created + self.updated + self.unchanged + len(self.rejected)


def _cell_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(";") if item.strip()]


def _reason(error: ValidationError) -> str:
    """Pydantic's errors as one line: ``field: message; field: message``."""
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"] if not isinstance(part, int))
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def read_rows(text: str) -> tuple[list[Row], list[tuple[int, str]]]:
    """The valid rows of the CSV ``text`` and the refused ones (line, reason).

    Raises CatalogError when the file as a whole cannot be read: no header, no ``email``
    column, an unknown column, or more than MAX_ROWS rows.
    """
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), restkey="_extra")
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if not header:
        raise CatalogError("the file is empty: the first line names the columns, email first")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise CatalogError(
            f"unknown column {', '.join(map(repr, unknown))}; the columns are {', '.join(COLUMNS)}"
        )
    if "email" not in header:
        raise CatalogError("no email column: it says who each row is")
    reader.fieldnames = header
    rows: list[Row] = []
    rejected: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    line = 1
    for record in reader:
        line = reader.line_num
        if len(rows) + len(rejected) >= MAX_ROWS:
            raise CatalogError(f"more than {MAX_ROWS} rows; split the file")
        if record.get("_extra"):
            rejected.append((line, "more cells than columns (a comma inside a cell needs quotes)"))
            continue
        cells = {key: (value or "").strip() for key, value in record.items() if key in COLUMNS}
        if not any(cells.values()):
            continue  # a blank line
        body: dict[str, Any] = {"email": cells.get("email", "")}
        for name in LIST_COLUMNS:
            if name in header:
                body[name] = _cell_list(cells.get(name, ""))
        for name in ("name", "timezone", "language"):
            if cells.get(name):
                body[name] = cells[name]
        try:
            data = SubscriberIn.model_validate(body)
        except ValidationError as error:
            rejected.append((line, _reason(error)))
            continue
        assert data.email is not None
        if data.email in seen:
            rejected.append((line, f"{data.email} is on line {seen[data.email]} already"))
            continue
        seen[data.email] = line
        rows.append(Row(line=line, data=data))
    return rows, rejected


def _matches(existing: dict[str, Any], data: SubscriberIn) -> bool:
    """Whether the subscriber the API has is already what the row asks for."""
    wanted = data.model_dump(exclude_unset=True, exclude={"email"})
    for name in ("services", "components", "groups"):
        if name in wanted:
            wanted[name] = sorted(set(wanted[name]))
    wanted.setdefault("services", [])
    wanted.setdefault("timezone", "UTC")
    wanted.setdefault("language", "en")
    return all(existing.get(name) == value for name, value in wanted.items())


async def import_subscribers(
    *,
    client: httpx.AsyncClient,
    rows: list[Row],
    rejected: list[tuple[int, str]],
    advance: Callable[[int], None],
) -> ImportReport:
    """Send each row the API does not match yet; ``advance`` is told of every row done."""
    report = ImportReport(rejected=list(rejected))
    advance(len(rejected))
    existing = {
        item["email"]: item
        for item in await get_all(client, "/v1/subscribers", what="listing subscribers")
        if item.get("email")
    }
    pending: list[Row] = []
    for row in rows:
        known = existing.get(row.data.email or "")
        if known is not None and _matches(known, row.data):
            report.unchanged += 1
            advance(1)
        else:
            pending.append(row)
    limit = asyncio.Semaphore(CONCURRENT_REQUESTS)

    async def send(row: Row) -> None:
        async with limit:
            response = await client.post(
                "/v1/subscribers", json=row.data.model_dump(mode="json", exclude_unset=True)
            )
        if response.status_code == 201:
            report.created += 1
        elif response.status_code == 200:
            report.updated += 1
        elif response.status_code in (400, 409, 422):
            report.rejected.append((row.line, _api_detail(response)))
        else:
            raise CatalogError(
                f"line {row.line}: HTTP {response.status_code}: {_api_detail(response)}"
            )
        advance(1)

    await asyncio.gather(*(send(row) for row in pending))
    report.rejected.sort()
    return report


def _api_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):  # FastAPI's own validation errors
        return "; ".join(str(item.get("msg", item)) for item in detail)
    return str(detail or response.text[:300])
