"""``candor apply``: make the catalog what the file says, through the operator API.

Idempotent: every entry is compared with what the API holds and written only when it
differs, so a second run changes nothing and publishes nothing. Nothing absent from the file
is deleted. Services go in dependency order, so a file may describe a service before the
ones it depends on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from candor_incident_api.catalog.schemas import ServiceOut, canonical, spec_of
from candor_incident_api.cli.document import (
    CatalogDocument,
    CatalogError,
    IntegrationEntry,
    ServiceEntry,
)
from candor_incident_api.cli.http import entity_tag, expect, get_all, refusal
from candor_incident_api.integrations.keys import display_prefix
from candor_incident_api.routing.schemas import RuleIn

Action = Literal["created", "changed", "replaced", "unchanged"]


@dataclass(frozen=True)
class Change:
    """What apply did (or would do) to one thing."""

    kind: str
    name: str
    action: Action
    detail: str = ""


@dataclass
class ApplyReport:
    """Everything apply did, and the keys it knows for the file's integrations."""

    dry_run: bool = False
    changes: list[Change] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)
    new_keys: dict[str, str] = field(default_factory=dict)
    revoked: int = 0

    def add(self, kind: str, name: str, action: Action, detail: str = "") -> None:
        """Record one outcome."""
        self.changes.append(Change(kind, name, action, detail))

    def count(self, kind: str, action: Action) -> int:
        """How many ``kind`` entries ended with ``action``."""
        return sum(1 for c in self.changes if c.kind == kind and c.action == action)

    @property
    def changed_anything(self) -> bool:
        """Whether anything was (or would be) written."""
        return self.revoked > 0 or any(c.action != "unchanged" for c in self.changes)


def in_dependency_order(slugs: Sequence[str], depends_on: Mapping[str, Iterable[str]]) -> list[str]:
    """``slugs`` with every service after those it depends on (among ``slugs``).

    Raises CatalogError naming the cycle when services depend on each other in a circle.
    """
    known = set(slugs)
    ordered: list[str] = []
    state: dict[str, str] = {}

    def visit(slug: str, trail: list[str]) -> None:
        if state.get(slug) == "done":
            return
        if state.get(slug) == "visiting":
            cycle = [*trail[trail.index(slug) :], slug]
            raise CatalogError(f"services depend on each other in a cycle: {' → '.join(cycle)}")
        state[slug] = "visiting"
        for target in depends_on.get(slug, ()):
            if target in known:
                visit(target, [*trail, slug])
        state[slug] = "done"
        ordered.append(slug)

    for slug in slugs:
        visit(slug, [])
    return ordered


async def _apply_service(
    client: httpx.AsyncClient, entry: ServiceEntry, report: ApplyReport
) -> None:
    what = f"service {entry.slug!r}"
    path = f"/v1/services/{entry.slug}"
    body = entry.model_dump(mode="json", exclude={"slug"})
    found = await client.get(path)
    if found.status_code == 404:
        if not report.dry_run:
            expect(await client.put(path, json=body), what, 201, 200)
        report.add("service", entry.slug, "created")
        return
    have = ServiceOut.model_validate(expect(found, what, 200))
    etag = found.headers.get("etag") or entity_tag(have.id, have.version)
    theirs, ours = canonical(spec_of(have)), canonical(entry)
    differ = [name for name in ours if ours[name] != theirs[name]]
    if not differ:
        report.add("service", entry.slug, "unchanged")
        return
    if not report.dry_run:
        headers = {"If-Match": etag}
        expect(await client.put(path, json=body, headers=headers), what, 200)
    report.add("service", entry.slug, "changed", ", ".join(differ))


async def _apply_subscribers(
    client: httpx.AsyncClient, document: CatalogDocument, report: ApplyReport
) -> None:
    if not document.subscribers:
        return
    listed = await get_all(client, "/v1/subscribers", what="listing subscribers")
    current = {item["email"]: item for item in listed}
    for entry in document.subscribers:
        what = f"subscriber {entry.email!r}"
        want = {
            "services": sorted(set(entry.services)),
            "timezone": entry.timezone,
            "language": entry.language,
        }
        have = current.get(entry.email)
        if have is not None:
            differ = [name for name, value in want.items() if have.get(name) != value]
            if not differ:
                report.add("subscriber", entry.email, "unchanged")
                continue
        if not report.dry_run:
            expect(await client.post("/v1/subscribers", json=entry.model_dump()), what, 201, 200)
        if have is None:
            report.add("subscriber", entry.email, "created")
        else:
            report.add("subscriber", entry.email, "changed", ", ".join(differ))


def _rules(items: Iterable[Mapping[str, Any] | RuleIn]) -> list[dict[str, Any]]:
    """Rules in one normal form (stored ones carry an id and position, left out)."""
    return [
        (
            item
            if isinstance(item, RuleIn)
            else RuleIn.model_validate(
                {key: item.get(key) for key in ("matchers", "service", "component")}
            )
        ).model_dump(mode="json")
        for item in items
    ]


async def _apply_rules(
    client: httpx.AsyncClient,
    path: str,
    rules: list[RuleIn],
    report: ApplyReport,
    *,
    name: str,
    exists: bool = True,
) -> None:
    """Replace the rules at ``path`` when they differ from ``rules``."""
    what = f"routing rules of {name}"
    want = _rules(rules)
    have: list[dict[str, Any]] = []
    if exists:
        found = await client.get(path)
        if found.status_code == 200:
            have = _rules(found.json())
        elif not (report.dry_run and found.status_code in (404, 405)):
            raise refusal(found, what)
    if have == want:
        report.add("routing rules", name, "unchanged")
        return
    if not report.dry_run:
        expect(await client.put(path, json=want), what, 200)
    report.add("routing rules", name, "changed" if have else "created", f"{len(want)} rules")


def _held(integration: Mapping[str, Any], name: str) -> Any:
    """What the server holds for a setting (an API without the field holds ``...``)."""
    value = integration.get(name, ...)
    return sorted(value) if name == "services" and isinstance(value, list) else value


async def _revoke(client: httpx.AsyncClient, integration: Mapping[str, Any]) -> None:
    response = await client.delete(f"/v1/integrations/{integration['id']}")
    if response.status_code not in (204, 404):
        raise refusal(response, f"revoking integration {integration['id']}")


async def _apply_integration(
    client: httpx.AsyncClient,
    entry: IntegrationEntry,
    active: list[dict[str, Any]],
    *,
    key: str | None,
    secret: str | None,
    replace_unknown_keys: bool,
    report: ApplyReport,
) -> None:
    what = f"integration {entry.name!r}"
    if len(active) > 1 and not replace_unknown_keys:
        raise CatalogError(
            f"{what}: {len(active)} active integrations have this name; revoke all but one "
            "(DELETE /v1/integrations/{id}) so that the file names one."
        )
    keep: dict[str, Any] | None = None
    if key is not None:
        keep = next((i for i in active if i["key_prefix"] == display_prefix(key)), None)
    elif active and not replace_unknown_keys:
        keep = active[0]
    settings = entry.settings()

    if keep is None:
        integration_id = None
        if not report.dry_run:
            body: dict[str, Any] = {"name": entry.name, "source": entry.source, **settings}
            body = {name: value for name, value in body.items() if value is not None}
            if key is not None:
                body["key"] = key
            if secret is not None:
                body["signing_secret"] = secret
            created = expect(await client.post("/v1/integrations", json=body), what, 201)
            integration_id = created["id"]
            report.keys[entry.name] = created["key"]
            if key is None:
                report.new_keys[entry.name] = created["key"]
            for old in active:
                await _revoke(client, old)
        report.revoked += len(active)
        detail = f"key from ${entry.key_env}" if key is not None else "new key"
        report.add("integration", entry.name, "replaced" if active else "created", detail)
        if entry.routing_rules:
            await _apply_rules(
                client,
                f"/v1/integrations/{integration_id}/routing-rules",
                entry.routing_rules,
                report,
                name=entry.name,
                exists=False,
            )
        return

    if key is not None:
        report.keys[entry.name] = key
    if keep.get("source") != entry.source:
        raise CatalogError(
            f"{what}: its source is {keep.get('source')!r} on the server and {entry.source!r} "
            "in the file; a source cannot change: revoke the integration and apply again."
        )
    differ = {name: value for name, value in settings.items() if _held(keep, name) != value}
    if secret is not None and not keep.get("signed", False):
        differ["signing_secret"] = secret
    if differ:
        if not report.dry_run:
            headers = (
                {"If-Match": entity_tag(keep["id"], keep["version"])} if "version" in keep else {}
            )
            response = await client.patch(
                f"/v1/integrations/{keep['id']}", json=differ, headers=headers
            )
            if response.status_code in (404, 405):
                raise CatalogError(
                    f"{what}: its {', '.join(differ)} differs from the file and this API "
                    "cannot change an integration in place; revoke it and apply again."
                )
            expect(response, what, 200)
        report.add("integration", entry.name, "changed", ", ".join(differ))
    else:
        report.add("integration", entry.name, "unchanged")
    for other in active:
        if other is not keep:
            if not report.dry_run:
                await _revoke(client, other)
            report.revoked += 1
    if entry.routing_rules is not None:
        await _apply_rules(
            client,
            f"/v1/integrations/{keep['id']}/routing-rules",
            entry.routing_rules,
            report,
            name=entry.name,
        )


async def apply(
    *,
    client: httpx.AsyncClient,
    document: CatalogDocument,
    keys: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    dry_run: bool = False,
    replace_unknown_keys: bool = False,
) -> ApplyReport:
    """Make the catalog behind ``client`` match ``document``; returns what changed.

    ``keys`` gives pre-shared integration keys by name (see ``keys_from_env``): an active
    integration whose key prefix differs is replaced by one with that key. An integration
    without a known key is left as it is, unless ``replace_unknown_keys`` (the development
    launcher, which must print a working key): then it is replaced and its key returned.
    ``secrets`` gives signing secrets by name, set on creation or on an unsigned integration.
    With ``dry_run`` nothing is written and the report says what would be.
    """
    keys = keys or {}
    secrets = secrets or {}
    report = ApplyReport(dry_run=dry_run)
    by_slug = {entry.slug: entry for entry in document.services}
    order = in_dependency_order(
        list(by_slug), {slug: [d.service for d in e.depends_on] for slug, e in by_slug.items()}
    )
    for slug in order:
        await _apply_service(client, by_slug[slug], report)
    await _apply_subscribers(client, document, report)
    if document.integrations:
        listed = await get_all(
            client, "/v1/integrations", what="listing integrations", params={"revoked": "false"}
        )
        active: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in listed:
            if item.get("revoked_at") is None:
                active[item["name"]].append(item)
        for entry in document.integrations:
            await _apply_integration(
                client,
                entry,
                active.get(entry.name, []),
                key=keys.get(entry.name),
                secret=secrets.get(entry.name),
                replace_unknown_keys=replace_unknown_keys,
                report=report,
            )
    if document.routing_rules is not None:
        await _apply_rules(
            client, "/v1/routing-rules", document.routing_rules, report, name="all integrations"
        )
    return report
