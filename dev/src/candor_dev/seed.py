"""Load a catalog file (services, subscribers, integrations) into a running incident-api.

Everything goes through the operator API over HTTP, as an operator's script would. Loading
the same file twice changes nothing and does not fail: services and subscribers are matched
by slug and address (the API answers 200 instead of 201), and an integration is matched by
name. An integration's key is shown by the API only when it is created, so one whose key
is not fixed in advance (``key_env``) is revoked and created again on every load: the key
this module returns always works.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from candor_incident_api.integrations.keys import KEY_PREFIX, MIN_KEY_LENGTH, display_prefix

_KEY_PATTERN = re.compile(rf"^{KEY_PREFIX}[A-Za-z0-9_-]+$")


class ServiceEntry(BaseModel):
    """A service of the catalog file."""

    model_config = ConfigDict(extra="forbid")

    slug: str
    name: str


class SubscriberEntry(BaseModel):
    """A subscriber of the catalog file; ``services`` are slugs."""

    model_config = ConfigDict(extra="forbid")

    email: str
    services: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    language: str = "en"


class IntegrationEntry(BaseModel):
    """An integration of the catalog file; ``key_env`` names a variable holding its key."""

    model_config = ConfigDict(extra="forbid")

    name: str
    source: Literal["alertmanager"]
    default_service: str | None = None
    key_env: str | None = Field(
        default=None,
        description="Environment variable holding a pre-shared key; a fresh key when unset.",
    )


class Catalog(BaseModel):
    """The whole catalog file."""

    model_config = ConfigDict(extra="forbid")

    services: list[ServiceEntry] = Field(default_factory=list)
    subscribers: list[SubscriberEntry] = Field(default_factory=list)
    integrations: list[IntegrationEntry] = Field(default_factory=list)


class SeedError(Exception):
    """The catalog could not be read or loaded; the message says what and where."""


@dataclass
class SeedResult:
    """What a load did, and the key of every integration it ensured."""

    services: dict[str, int] = field(default_factory=lambda: {"created": 0, "existing": 0})
    subscribers: dict[str, int] = field(default_factory=lambda: {"created": 0, "existing": 0})
    keys: dict[str, str] = field(default_factory=dict)
    revoked: int = 0


def load_catalog(path: Path) -> Catalog:
    """Read and check a catalog file; raises SeedError naming the file and the field."""
    try:
        document: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SeedError(f"cannot read the catalog {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise SeedError(f"{path} is not valid YAML: {error}") from None
    try:
        return Catalog.model_validate(document or {})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        raise SeedError(f"{path}: {problems}") from None


def check_key(key: str, *, where: str) -> str:
    """``key`` when it is a valid pre-shared integration key; SeedError saying why otherwise."""
    if len(key) < MIN_KEY_LENGTH or not _KEY_PATTERN.match(key):
        raise SeedError(
            f"{where} must start with {KEY_PREFIX!r}, be at least {MIN_KEY_LENGTH} characters "
            "long and contain only letters, digits, '-' and '_'"
        )
    return key


def fixed_keys(catalog: Catalog, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The pre-shared keys the environment gives the catalog's integrations, by name."""
    environ = os.environ if environ is None else environ
    keys: dict[str, str] = {}
    for integration in catalog.integrations:
        if integration.key_env and environ.get(integration.key_env):
            keys[integration.name] = check_key(
                environ[integration.key_env], where=integration.key_env
            )
    return keys


def _problem(response: httpx.Response, what: str) -> SeedError:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    return SeedError(f"{what}: HTTP {response.status_code}: {detail}")


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any], what: str) -> bool:
    """POST an idempotent upsert; True when it created something, False when it existed."""
    response = await client.post(path, json=body)
    if response.status_code not in (200, 201):
        raise _problem(response, what)
    return response.status_code == 201


async def _ensure_integration(
    client: httpx.AsyncClient,
    entry: IntegrationEntry,
    *,
    fixed_key: str | None,
    result: SeedResult,
) -> None:
    listed = await client.get("/v1/integrations")
    if listed.status_code != 200:
        raise _problem(listed, "listing integrations")
    active = [
        item
        for item in listed.json()
        if item["name"] == entry.name and item.get("revoked_at") is None
    ]
    body: dict[str, Any] = {"name": entry.name, "source": entry.source}
    if entry.default_service:
        body["default_service"] = entry.default_service
    keep: set[str] = set()
    if fixed_key is not None:
        body["key"] = fixed_key
        response = await client.post("/v1/integrations", json=body)
        if response.status_code == 201:
            keep.add(response.json()["id"])
        elif response.status_code == 409:
            # The key is active already (created by an earlier load): it works as it is.
            prefix = display_prefix(fixed_key)
            keep.update(item["id"] for item in active if item["key_prefix"] == prefix)
        else:
            raise _problem(response, f"integration {entry.name!r}")
        key = fixed_key
    else:
        response = await client.post("/v1/integrations", json=body)
        if response.status_code != 201:
            raise _problem(response, f"integration {entry.name!r}")
        keep.add(response.json()["id"])
        key = response.json()["key"]
    # Earlier copies hold keys nobody can print any more: revoke them.
    for item in active:
        if item["id"] not in keep:
            revoked = await client.delete(f"/v1/integrations/{item['id']}")
            if revoked.status_code not in (204, 404):
                raise _problem(revoked, f"revoking integration {item['id']}")
            result.revoked += 1
    result.keys[entry.name] = key


async def seed(
    *, client: httpx.AsyncClient, catalog: Catalog, keys: Mapping[str, str] | None = None
) -> SeedResult:
    """Load ``catalog`` through ``client`` (base URL and operator token set); idempotent.

    ``keys`` gives pre-shared keys by integration name (see :func:`fixed_keys`); the result
    carries a working key for every integration of the catalog.
    """
    keys = keys or {}
    result = SeedResult()
    for service in catalog.services:
        created = await _post(
            client, "/v1/services", service.model_dump(), f"service {service.slug!r}"
        )
        result.services["created" if created else "existing"] += 1
    for subscriber in catalog.subscribers:
        created = await _post(
            client, "/v1/subscribers", subscriber.model_dump(), f"subscriber {subscriber.email!r}"
        )
        result.subscribers["created" if created else "existing"] += 1
    for integration in catalog.integrations:
        await _ensure_integration(
            client, integration, fixed_key=keys.get(integration.name), result=result
        )
    return result


def operator_client(api_url: str, token: str, *, timeout: float = 30.0) -> httpx.AsyncClient:
    """An HTTP client for the operator API at ``api_url`` with ``token``."""
    return httpx.AsyncClient(
        base_url=api_url.rstrip("/"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
    )
