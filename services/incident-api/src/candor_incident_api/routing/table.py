"""The routing table: rules read from the database, cached briefly, applied in order.

An alert goes to the first of: a matching rule of its integration, a matching global rule,
its own ``service`` label, the integration's default service. The rules are cached for
``ttl`` seconds per process (like integration keys) and dropped at once when this process
changes them; another replica sees a change within ``ttl``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_incident_api.integrations.models import RoutingRule
from candor_incident_api.routing.matchers import CompiledMatcher, Matcher


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule ready to apply."""

    id: uuid.UUID
    integration_id: uuid.UUID | None
    matchers: tuple[CompiledMatcher, ...]
    service_id: uuid.UUID
    component_id: uuid.UUID | None

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether every matcher holds (a rule without matchers matches everything)."""
        return all(matcher.matches(labels) for matcher in self.matchers)


@dataclass(frozen=True, slots=True)
class Rules:
    """Every rule, by integration (None: global), each list in position order."""

    by_integration: dict[uuid.UUID | None, tuple[Rule, ...]]

    def for_integration(self, integration_id: uuid.UUID | None) -> tuple[Rule, ...]:
        """The integration's own rules."""
        return self.by_integration.get(integration_id, ()) if integration_id else ()

    @property
    def global_rules(self) -> tuple[Rule, ...]:
        """Rules for alerts of any integration."""
        return self.by_integration.get(None, ())

    def first_match(self, integration_id: uuid.UUID | None, labels: dict[str, str]) -> Rule | None:
        """The rule that places an alert with ``labels``, if any."""
        for rule in (*self.for_integration(integration_id), *self.global_rules):
            if rule.matches(labels):
                return rule
        return None


async def load_rules(session: AsyncSession) -> Rules:
    """All rules, compiled."""
    rows = await session.scalars(
        select(RoutingRule).order_by(RoutingRule.integration_id, RoutingRule.position)
    )
    grouped: dict[uuid.UUID | None, list[Rule]] = {}
    for row in rows:
        grouped.setdefault(row.integration_id, []).append(
            Rule(
                id=row.id,
                integration_id=row.integration_id,
                matchers=tuple(Matcher.model_validate(m).compiled() for m in row.matchers),
                service_id=row.service_id,
                component_id=row.component_id,
            )
        )
    return Rules(by_integration={key: tuple(rules) for key, rules in grouped.items()})


class RoutingTable:
    """The rules, reloaded at most every ``ttl`` seconds."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, ttl: float = 5.0) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._rules: Rules | None = None
        self._expires = 0.0

    async def rules(self, session: AsyncSession) -> Rules:
        """The current rules (read with ``session`` when the cache is stale)."""
        now = time.monotonic()
        if self._rules is None or now >= self._expires:
            self._rules = await load_rules(session)
            self._expires = now + self._ttl
        return self._rules

    def invalidate(self) -> None:
        """Forget the cached rules (after this process changed them)."""
        self._rules = None
