"""The ``candor`` command: config as code and a quick look at incidents, over the operator API."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import httpx
import typer

from candor_incident_api.catalog.openslo_import import (
    ImportedObjective,
    OpenSloRefused,
    import_objective,
)
from candor_incident_api.catalog.schemas import SLUG_PATTERN
from candor_incident_api.cli.apply import ApplyReport, apply
from candor_incident_api.cli.document import (
    CatalogError,
    dump_document,
    keys_from_env,
    load_document,
    secrets_from_env,
)
from candor_incident_api.cli.export import export
from candor_incident_api.cli.http import expect, get_all, operator_client, refusal
from candor_incident_api.cli.subscribers_import import (
    ImportReport,
    import_subscribers,
    read_rows,
)

T = TypeVar("T")

app = typer.Typer(
    help="Candor's operator CLI: apply and export the catalog as code, look at incidents.",
    no_args_is_help=True,
    add_completion=False,
)
incidents_app = typer.Typer(help="Incidents.", no_args_is_help=True)
app.add_typer(incidents_app, name="incidents")
slo_app = typer.Typer(
    help="A service's availability objective as OpenSLO v1 YAML (kind: SLO).",
    no_args_is_help=True,
)
app.add_typer(slo_app, name="slo")
subscribers_app = typer.Typer(help="Subscribers.", no_args_is_help=True)
app.add_typer(subscribers_app, name="subscribers")

Url = Annotated[
    str,
    typer.Option(
        "--url", envvar="CANDOR_API_URL", help="incident-api's base URL.", show_envvar=True
    ),
]
Token = Annotated[
    str,
    typer.Option(
        "--token",
        envvar=["CANDOR_TOKEN", "CANDOR_ADMIN_TOKEN"],
        help="An operator token (admin for apply and slo import).",
        show_default=False,
    ),
]
DEFAULT_URL = "http://127.0.0.1:8000"


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"candor: {message}", err=True)
    return typer.Exit(code)


def _run(url: str, token: str, work: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    """Run ``work`` with a client of the API; every failure becomes one clear line."""
    if not token:
        raise _fail("give an operator token with --token or CANDOR_TOKEN", 2)

    async def main() -> T:
        async with operator_client(url, token) as client:
            return await work(client)

    try:
        return asyncio.run(main())
    except CatalogError as error:
        raise _fail(str(error)) from None
    except httpx.TransportError as error:
        raise _fail(f"cannot reach the API at {url}: {error!r}") from None


_VERBS = {
    "created": ("created", "would create"),
    "changed": ("changed", "would change"),
    "replaced": ("replaced", "would replace"),
    "unchanged": ("unchanged", "unchanged"),
}

_TALLY = {
    "created": "to create",
    "changed": "to change",
    "replaced": "to replace",
    "unchanged": "unchanged",
}


def print_report(report: ApplyReport, *, source: str) -> None:
    """What apply did, one line per entry, then a summary."""
    for change in report.changes:
        verb = _VERBS[change.action][1 if report.dry_run else 0]
        detail = f" ({change.detail})" if change.detail and change.action != "unchanged" else ""
        label = "routing rules of" if change.kind == "routing rules" else change.kind
        typer.echo(f"{label} {change.name}: {verb}{detail}")
        if change.kind == "integration" and change.name in report.new_keys:
            typer.echo(f"  key: {report.new_keys[change.name]}  (shown once: store it now)")
    if report.revoked:
        verb = "would revoke" if report.dry_run else "revoked"
        typer.echo(f"{verb} {report.revoked} superseded integration key(s)")
    summary = []
    for kind, plural in (
        ("service", "services"),
        ("subscriber", "subscribers"),
        ("integration", "integrations"),
        ("routing rules", "routing rules"),
    ):
        counts = [
            f"{report.count(kind, action)} {_TALLY[action] if report.dry_run else action}"
            for action in ("created", "changed", "replaced", "unchanged")
            if report.count(kind, action)
        ]
        if counts:
            summary.append(f"{plural}: {', '.join(counts)}")
    if summary:
        typer.echo("; ".join(summary))
    if report.dry_run:
        typer.echo("Dry run: nothing was written.")
    elif not report.changed_anything:
        typer.echo(f"Nothing to change: the catalog already matches {source}.")


@app.command("apply")
def apply_command(
    file: Annotated[Path, typer.Option("--file", "-f", help="The catalog file (YAML).")],
    url: Url = DEFAULT_URL,
    token: Token = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; write nothing.")
    ] = False,
) -> None:
    """Create or update services, subscribers and integrations so they match the file.

    Safe to run again: what already matches is left alone. Nothing missing from the file is
    deleted. A new integration's key is printed once; `key_env: VAR` in the file uses the
    key in $VAR instead.
    """
    try:
        document = load_document(file)
        keys = keys_from_env(document)
        secrets = secrets_from_env(document)
    except CatalogError as error:
        raise _fail(str(error)) from None
    report = _run(
        url,
        token,
        lambda client: apply(
            client=client, document=document, keys=keys, secrets=secrets, dry_run=dry_run
        ),
    )
    print_report(report, source=str(file))


@app.command("export")
def export_command(
    url: Url = DEFAULT_URL,
    token: Token = "",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write the current catalog as YAML that `candor apply` takes back unchanged."""
    document = _run(url, token, export)
    text = (
        "# Exported from "
        + url
        + " at "
        + datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        + "\n# Integration keys are not exported; add `key_env: VAR` to pre-share one.\n"
        + dump_document(document)
    )
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


Service = Annotated[str, typer.Option("--service", "-s", help="The service's slug.")]


def _slug(service: str) -> str:
    if re.fullmatch(SLUG_PATTERN, service) is None:
        raise _fail(f"--service {service!r}: a slug, such as email", 2)
    return service


def _levels(imported: ImportedObjective) -> str:
    """The objective in words: "adequate 99.5%, desired 99.9%, calendar months in UTC"."""
    levels = f"adequate {imported.adequate_percent:g}%"
    if imported.desired_percent is not None:
        levels += f", desired {imported.desired_percent:g}%"
    if imported.window == "rolling":
        return f"{levels}, the last {imported.rolling_days} days"
    return f"{levels}, calendar months in {imported.timezone}"


@slo_app.command("import")
def slo_import(
    file: Annotated[Path, typer.Argument(help="OpenSLO v1 YAML holding the SLO.")],
    service: Service,
    url: Url = DEFAULT_URL,
    token: Token = "",
) -> None:
    """Set the service's availability objective from an OpenSLO SLO; its other terms stay.

    The file is checked here first: an SLO asking for what Candor does not measure (a
    latency threshold, occurrences of events, a window other than calendar months or
    rolling days) is refused with every reason, and nothing is sent.
    """
    slug = _slug(service)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(f"cannot read {file}: {error}") from None
    try:
        imported = import_objective(text, service=slug)
    except OpenSloRefused as refused:
        reasons = "".join(f"\n  {reason}" for reason in refused.reasons)
        raise _fail(f"{file}: not imported:{reasons}") from None

    async def send(client: httpx.AsyncClient) -> None:
        response = await client.put(
            f"/v1/services/{slug}/agreement/openslo",
            content=text.encode("utf-8"),
            headers={"Content-Type": "application/yaml"},
        )
        if response.status_code != 200:
            raise refusal(response, f"service {slug!r}")

    _run(url, token, send)
    typer.echo(
        f"service {slug}: availability objective set from SLO {imported.slo!r}: {_levels(imported)}"
    )
    for note in imported.notes:
        typer.echo(f"  not kept: {note}")


@slo_app.command("export")
def slo_export(
    service: Service,
    url: Url = DEFAULT_URL,
    token: Token = "",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write the service's availability objective as an OpenSLO v1 SLO, which `candor slo
    import` takes back unchanged."""
    slug = _slug(service)

    async def fetch(client: httpx.AsyncClient) -> str:
        response = await client.get(
            f"/v1/services/{slug}/agreement/openslo", headers={"Accept": "application/yaml"}
        )
        if response.status_code != 200:
            raise refusal(response, f"service {slug!r}")
        return response.text

    text = _run(url, token, fetch)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


def _ago(value: str | None, now: datetime) -> str:
    """``value`` (ISO 8601) relative to ``now``: "5m ago", "in 2h"."""
    if not value:
        return "-"
    seconds = int((now - datetime.fromisoformat(value)).total_seconds())
    span = abs(seconds)
    text = f"{span}s"
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if span >= size:
            text = f"{span // size}{unit}"
            break
    return f"{text} ago" if seconds >= 0 else f"in {text}"


@incidents_app.command("list")
def incidents_list(
    url: Url = DEFAULT_URL,
    token: Token = "",
    status: Annotated[
        str | None, typer.Option(help="open, investigating, identified, monitoring, resolved")
    ] = None,
    service: Annotated[str | None, typer.Option(help="Only this service (slug).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """List incidents, newest first."""
    params: dict[str, Any] = {"limit": limit}
    if status:
        params["status"] = status
    if service:
        params["service"] = service

    async def fetch(client: httpx.AsyncClient) -> list[dict[str, Any]]:
        response = await client.get("/v1/incidents", params=params)
        items: list[dict[str, Any]] = expect(response, "listing incidents", 200)["items"]
        return items

    items = _run(url, token, fetch)
    if as_json:
        typer.echo(json.dumps(items, indent=2))
        return
    if not items:
        typer.echo("No incidents.")
        return
    now = datetime.now(UTC)
    typer.echo(f"{'ID':<36}  {'STATUS':<13} {'IMPACT':<8} {'SERVICE':<16} {'OPENED':<9} TITLE")
    for item in items:
        typer.echo(
            f"{item['id']:<36}  {item['status']:<13} {item['impact']:<8} "
            f"{item['service']:<16} {_ago(item.get('opened_at'), now):<9} {item['title']}"
        )


@app.command("status")
def status_command(url: Url = DEFAULT_URL, token: Token = "") -> None:
    """One screen: the open incidents, worst first, and whether someone is on them."""

    async def fetch(client: httpx.AsyncClient) -> list[dict[str, Any]]:
        return await get_all(
            client, "/v1/incidents", what="listing open incidents", params={"status": "open"}
        )

    items = _run(url, token, fetch)
    if not items:
        typer.echo("All clear: no open incidents.")
        return
    rank = {"critical": 0, "major": 1, "minor": 2, "none": 3}
    items.sort(key=lambda i: (rank.get(i.get("impact", ""), 4), i.get("opened_at", "")))
    now = datetime.now(UTC)
    typer.echo(f"{len(items)} open incident{'s' if len(items) != 1 else ''}:")
    for item in items:
        typer.echo(
            f"\n  [{item['impact'].upper()}] {item.get('service_name', item['service'])}: "
            f"{item['title']}"
        )
        acknowledged = (
            f"acknowledged by {item['acknowledged_by']}"
            if item.get("acknowledged_by")
            else "NOT acknowledged"
        )
        line = f"    {item['status']}, opened {_ago(item.get('opened_at'), now)}, {acknowledged}"
        if item.get("next_update_at"):
            line += f", next update {_ago(item['next_update_at'], now)}"
        typer.echo(line)
        typer.echo(f"    id {item['id']}")


PROGRESS_LINES = 20
"""Without a terminal, progress is printed as this many plain lines at most."""


class _Progress:
    """A bar on a terminal; a few plain lines (for logs and CI) otherwise. On stderr, so
    that stdout keeps only the summary."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self._said = total, 0, 0
        self._bar: Any = None
        if sys.stderr.isatty():
            self._bar = typer.progressbar(
                length=total, label="Importing subscribers", file=sys.stderr
            )
            self._bar.__enter__()

    def advance(self, rows: int) -> None:
        self.done += rows
        if self._bar is not None:
            self._bar.update(rows)
            return
        step = max(1, -(-self.total // PROGRESS_LINES))
        while self._said + step <= self.done or (self.done == self.total > self._said):
            self._said = min(self.total, self._said + step)
            percent = 100 * self._said // max(self.total, 1)
            typer.echo(
                f"importing subscribers: {self._said}/{self.total} rows ({percent}%)", err=True
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def print_import_report(report: ImportReport, *, source: str) -> None:
    """What the import did, then every rejected row with its line and reason."""
    typer.echo(
        f"{source}: {report.total} rows: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.rejected)} rejected"
    )
    for line, reason in report.rejected:
        typer.echo(f"  line {line}: {reason}")


@subscribers_app.command("import")
def subscribers_import(
    file: Annotated[Path, typer.Argument(help="CSV with a header line; email is required.")],
    url: Url = DEFAULT_URL,
    token: Token = "",
) -> None:
    """Create or update subscribers from a CSV file (admin token).

    Columns: email,name,services,components,timezone,language,groups; lists in a cell are
    separated by ';' (services: slugs; components: service/component; groups: names). A
    column left out keeps what subscribers have; an empty services cell follows nothing.
    Rows the API already matches are not sent: importing the same file again changes
    nothing. Rejected rows are listed with their line and reason, the others imported, and
    the exit status is 1 when any row was rejected.
    """
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(f"cannot read {file}: {error}") from None
    try:
        rows, rejected = read_rows(text)
    except CatalogError as error:
        raise _fail(f"{file}: {error}") from None
    progress = _Progress(len(rows) + len(rejected))
    try:
        report = _run(
            url,
            token,
            lambda client: import_subscribers(
                client=client, rows=rows, rejected=rejected, advance=progress.advance
            ),
        )
    finally:
        progress.close()
    print_import_report(report, source=str(file))
    if report.rejected:
        raise typer.Exit(1)
