"""The catalog file of ``candor apply`` and ``candor export``: one YAML document.

Services are the bodies of ``PUT /v1/services/{slug}`` plus their slug; subscribers and
integrations are matched by address and by name. An integration's key never appears in the
file: ``key_env`` names the environment variable that holds it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from candor_incident_api.catalog.schemas import SLUG_PATTERN, ServiceIn
from candor_incident_api.routing.schemas import RuleIn
from candor_incident_api.subscribers.schemas import SubscriberIn

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class CatalogError(Exception):
    """The catalog could not be read or applied; the message says what and where."""


class ServiceEntry(ServiceIn):
    """A service of the file: its slug and everything ``PUT /v1/services/{slug}`` takes."""


class SubscriberEntry(SubscriberIn):
    """A subscriber of the file, found by address; ``services`` are slugs (they replace what
    they followed). Other channels are managed through the API: a webhook's secret is shown
    once, which a file applied again and again cannot do."""

    email: str = Field(max_length=320, description="Where notices are sent; who this is.")

    @model_validator(mode="after")
    def _email_only(self) -> SubscriberEntry:
        if self.channels is not None:
            raise ValueError(
                "channels: the file names subscribers by email address only; "
                "manage their other channels with POST /v1/subscribers"
            )
        return self


class IntegrationEntry(BaseModel):
    """A monitoring source of the file, matched by name among integrations not revoked.

    Fields left out of the file are left as they are on the server (``source`` and ``name``
    excepted); the key and the signing secret come from environment variables, never from
    the file.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=32, examples=["alertmanager"])
    default_service: str | None = Field(default=None, pattern=SLUG_PATTERN)
    services: list[str] | None = Field(
        default=None, description="Further services it may post for (slugs)."
    )
    rate_limit_per_minute: int | None = Field(
        default=None, ge=0, description="Requests a minute; null: the server's default."
    )
    key_env: str | None = Field(
        default=None,
        pattern=_ENV_NAME,
        description="Environment variable holding a pre-shared key; unset: Candor makes one.",
    )
    signing_secret_env: str | None = Field(
        default=None,
        pattern=_ENV_NAME,
        description="Environment variable holding the HMAC signing secret, if requests are signed.",
    )
    routing_rules: list[RuleIn] | None = Field(
        default=None, description="Replace the integration's rules; absent: leave them alone."
    )

    def settings(self) -> dict[str, Any]:
        """The API fields the file sets (``default_service`` always: absent means none)."""
        fields: dict[str, Any] = {"default_service": self.default_service}
        if "services" in self.model_fields_set and self.services is not None:
            fields["services"] = sorted(set(self.services))
        if "rate_limit_per_minute" in self.model_fields_set:
            fields["rate_limit_per_minute"] = self.rate_limit_per_minute
        return fields


class CatalogDocument(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid")

    services: list[ServiceEntry] = Field(default_factory=list)
    subscribers: list[SubscriberEntry] = Field(default_factory=list)
    integrations: list[IntegrationEntry] = Field(default_factory=list)
    routing_rules: list[RuleIn] | None = Field(
        default=None, description="Global rules, tried after an integration's own; absent: leave."
    )

    @model_validator(mode="after")
    def _each_once(self) -> CatalogDocument:
        for what, names in (
            ("services", [s.slug for s in self.services]),
            ("subscribers", [s.email for s in self.subscribers]),
            ("integrations", [i.name for i in self.integrations]),
        ):
            twice = sorted({name for name in names if names.count(name) > 1})
            if twice:
                raise ValueError(f"{what}: {', '.join(map(repr, twice))} is listed twice")
        return self


class _Loader(yaml.SafeLoader):
    """YAML without base-60 numbers, so that ``end: 18:00`` is "18:00" and not 1080."""


_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _INT,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def parse_document(text: str, *, where: str) -> CatalogDocument:
    """Check a catalog document; CatalogError naming ``where`` and the field otherwise."""
    try:
        raw: Any = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as error:
        raise CatalogError(f"{where} is not valid YAML: {error}") from None
    if raw is not None and not isinstance(raw, dict):
        raise CatalogError(f"{where}: expected a mapping with services, subscribers, integrations")
    try:
        return CatalogDocument.model_validate(raw or {})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or '(top)'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise CatalogError(f"{where}: {problems}") from None


def load_document(path: Path) -> CatalogDocument:
    """Read and check a catalog file; CatalogError naming the file and the field otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CatalogError(f"cannot read the catalog {path}: {error.strerror}") from None
    return parse_document(text, where=str(path))


def dump_document(document: Mapping[str, Any]) -> str:
    """YAML for a document built by ``export`` (keys in the order given)."""
    return yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=100)


def keys_from_env(
    document: CatalogDocument, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The pre-shared keys the environment gives the document's integrations, by name.

    Their form is checked by the API when an integration is created with one.
    """
    environ = os.environ if environ is None else environ
    return {
        integration.name: environ[integration.key_env].strip()
        for integration in document.integrations
        if integration.key_env and environ.get(integration.key_env, "").strip()
    }


def secrets_from_env(
    document: CatalogDocument, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The signing secrets the environment gives the document's integrations, by name.

    A ``signing_secret_env`` naming an unset variable is an error: requests would go
    unsigned while the file says they are signed.
    """
    environ = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for integration in document.integrations:
        if integration.signing_secret_env:
            value = environ.get(integration.signing_secret_env, "")
            if not value:
                raise CatalogError(
                    f"integration {integration.name!r}: ${integration.signing_secret_env} "
                    "(its signing_secret_env) is not set"
                )
            found[integration.name] = value
    return found
