"""``candor export``: the catalog as a file that ``candor apply`` takes back unchanged.

Defaults are left out so that the file reads like one written by hand. Integration keys
and signing secrets cannot be exported (keys are stored only as hashes; secrets are never
shown): an exported integration is matched by name on apply and keeps both.
"""

from __future__ import annotations

from typing import Any

import httpx

from candor_incident_api.catalog.schemas import ServiceOut
from candor_incident_api.cli.apply import in_dependency_order
from candor_incident_api.cli.http import expect, get_all


def service_entry(service: ServiceOut) -> dict[str, Any]:
    """One service as the file writes it: slug first, then only what differs from defaults."""
    entry: dict[str, Any] = {"slug": service.slug, "name": service.name}
    if service.description:
        entry["description"] = service.description
    if service.owners:
        entry["owners"] = list(service.owners)
    if service.impact_wording:
        entry["impact_wording"] = dict(service.impact_wording)
    if service.notification_delay_seconds:
        entry["notification_delay_seconds"] = service.notification_delay_seconds
    if service.flap_window_seconds:
        entry["flap_window_seconds"] = service.flap_window_seconds
    if service.agreement is not None:
        entry["agreement"] = service.agreement.model_dump(mode="json", exclude_defaults=True)
    if service.components:
        components = []
        for index, component in enumerate(service.components):
            item: dict[str, Any] = {"slug": component.slug, "name": component.name}
            if component.description:
                item["description"] = component.description
            if component.position != index:
                item["position"] = component.position
            components.append(item)
        entry["components"] = components
    if service.depends_on:
        entry["depends_on"] = [
            dependency.model_dump(exclude_none=True) for dependency in service.depends_on
        ]
    return entry


def _rule_entries(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "matchers": rule["matchers"],
            "service": rule["service"],
            **({"component": rule["component"]} if rule.get("component") else {}),
        }
        for rule in rules
    ]


async def export(client: httpx.AsyncClient) -> dict[str, Any]:
    """The catalog behind ``client`` as a document for ``candor apply``."""
    services = [
        ServiceOut.model_validate(item)
        for item in await get_all(client, "/v1/services", what="listing services")
    ]
    by_slug = {service.slug: service for service in services}
    order = in_dependency_order(
        list(by_slug), {slug: [d.service for d in s.depends_on] for slug, s in by_slug.items()}
    )
    document: dict[str, Any] = {"services": [service_entry(by_slug[slug]) for slug in order]}

    subscribers = []
    for item in await get_all(client, "/v1/subscribers", what="listing subscribers"):
        if not item.get("email"):
            continue  # reached only by chat or webhook: managed through the API, not the file
        entry: dict[str, Any] = {"email": item["email"], "services": sorted(item["services"])}
        if item.get("timezone", "UTC") != "UTC":
            entry["timezone"] = item["timezone"]
        if item.get("language", "en") != "en":
            entry["language"] = item["language"]
        subscribers.append(entry)
    document["subscribers"] = subscribers

    integrations = []
    for item in await get_all(client, "/v1/integrations", what="listing integrations"):
        if item.get("revoked_at") is not None:
            continue
        entry = {"name": item["name"], "source": item["source"]}
        if item.get("default_service"):
            entry["default_service"] = item["default_service"]
        if item.get("services"):
            entry["services"] = sorted(item["services"])
        if item.get("rate_limit_per_minute") is not None:
            entry["rate_limit_per_minute"] = item["rate_limit_per_minute"]
        rules = expect(
            await client.get(f"/v1/integrations/{item['id']}/routing-rules"),
            f"routing rules of integration {item['name']!r}",
            200,
        )
        if rules:
            entry["routing_rules"] = _rule_entries(rules)
        integrations.append(entry)
    document["integrations"] = integrations

    global_rules = expect(await client.get("/v1/routing-rules"), "global routing rules", 200)
    if global_rules:
        document["routing_rules"] = _rule_entries(global_rules)
    return document
