"""Load a catalog file into a running incident-api: ``candor apply``, as the launcher needs it.

Everything goes through the operator API over HTTP (``candor_incident_api.cli.apply``).
Loading the same file twice changes nothing. One difference from ``candor apply``: the
launcher must print a working key for the demo integration, and an integration's key is
shown only when it is created, so an integration whose key is not fixed in advance
(``key_env``) is replaced on every load and its earlier copies revoked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from candor_incident_api.cli.apply import ApplyReport, apply
from candor_incident_api.cli.document import (
    CatalogDocument,
    CatalogError,
    keys_from_env,
    load_document,
    secrets_from_env,
)
from candor_incident_api.cli.http import operator_client
from candor_incident_api.integrations.keys import KEY_PREFIX, MIN_KEY_LENGTH

__all__ = [
    "Catalog",
    "SeedError",
    "SeedResult",
    "check_key",
    "fixed_keys",
    "load_catalog",
    "operator_client",
    "seed",
]

Catalog = CatalogDocument
SeedError = CatalogError
load_catalog = load_document

_KEY_PATTERN = re.compile(rf"^{KEY_PREFIX}[A-Za-z0-9_-]+$")


@dataclass
class SeedResult:
    """What a load did, and the key of every integration it ensured."""

    services: dict[str, int] = field(default_factory=lambda: {"created": 0, "existing": 0})
    subscribers: dict[str, int] = field(default_factory=lambda: {"created": 0, "existing": 0})
    keys: dict[str, str] = field(default_factory=dict)
    revoked: int = 0
    report: ApplyReport | None = None


def check_key(key: str, *, where: str) -> str:
    """``key`` when it is a valid pre-shared Candor key; SeedError saying why otherwise."""
    if len(key) < MIN_KEY_LENGTH or not _KEY_PATTERN.match(key):
        raise SeedError(
            f"{where} must start with {KEY_PREFIX!r}, be at least {MIN_KEY_LENGTH} characters "
            "long and contain only letters, digits, '-' and '_'"
        )
    return key


def fixed_keys(catalog: Catalog, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The pre-shared keys the environment gives the catalog's integrations, by name."""
    names = {i.name: i.key_env for i in catalog.integrations}
    return {
        name: check_key(key, where=names[name] or name)
        for name, key in keys_from_env(catalog, environ).items()
    }


async def seed(
    *, client: httpx.AsyncClient, catalog: Catalog, keys: Mapping[str, str] | None = None
) -> SeedResult:
    """Load ``catalog`` through ``client`` (base URL and operator token set); idempotent.

    ``keys`` gives pre-shared keys by integration name (see :func:`fixed_keys`); the result
    carries a working key for every integration of the catalog.
    """
    report = await apply(
        client=client,
        document=catalog,
        keys=keys,
        secrets=secrets_from_env(catalog),
        replace_unknown_keys=True,
    )
    result = SeedResult(keys=dict(report.keys), revoked=report.revoked, report=report)
    for kind, counts in (("service", result.services), ("subscriber", result.subscribers)):
        counts["created"] = report.count(kind, "created")
        counts["existing"] = report.count(kind, "changed") + report.count(kind, "unchanged")
    return result
