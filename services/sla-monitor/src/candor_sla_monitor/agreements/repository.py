"""Writes and reads of agreements; writes are single upserts with the version check inside."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract import AgreementTerms, GroupRef, ServiceRef
from candor_sla_monitor.agreements.models import Agreement


class UnknownGroupAgreement(LookupError):
    """The service has no agreement with this group (or sla-monitor has not heard of it)."""


@dataclass(frozen=True)
class Evaluated:
    """One agreement under evaluation: the service's own (``group`` None) or a group's.

    A group agreement is complete terms that apply to that group instead of the service's
    own: nothing is inherited, so each is evaluated exactly like a service's agreement.
    """

    service: ServiceRef
    group: GroupRef | None
    terms: dict[str, Any] | None

    @property
    def group_id(self) -> str:
        """The group's id, or "" for the service's own agreement (as keys store it)."""
        return "" if self.group is None else self.group.id

    def validated(self) -> AgreementTerms | None:
        """The terms as the contract reads them (None: none)."""
        return None if self.terms is None else AgreementTerms.model_validate(self.terms)


def invalid_reasons(error: ValidationError) -> str:
    """What is wrong with stored terms that no longer validate (an unknown timezone stored
    before the contract checked zones, say): one clause per field, the input not echoed."""
    return "; ".join(
        f"{'.'.join(str(part) for part in detail['loc']) or 'terms'}: {detail['msg']}"
        for detail in error.errors()
    )


def service_ref(agreement: Agreement) -> ServiceRef:
    """The service as events name it."""
    return ServiceRef(id=agreement.service_id, slug=agreement.service_slug, name=agreement.name)


def groups_of(agreement: Agreement) -> list[Evaluated]:
    """The service's agreements with groups of users, by group name."""
    service = service_ref(agreement)
    found = [
        Evaluated(
            service=service,
            group=GroupRef(id=group_id, name=str(entry.get("name") or group_id)),
            terms=entry.get("terms"),
        )
        for group_id, entry in (agreement.group_agreements or {}).items()
        if isinstance(entry, dict) and entry.get("terms") is not None
    ]
    return sorted(found, key=lambda e: (e.group.name if e.group else "", e.group_id))


def evaluated(agreement: Agreement) -> list[Evaluated]:
    """Every agreement of the service: its own first (terms None when it has none), then
    each group's."""
    own = Evaluated(service=service_ref(agreement), group=None, terms=agreement.terms)
    return [own, *groups_of(agreement)]


def one_of(agreement: Agreement, group_id: str | None) -> Evaluated:
    """The service's own agreement (``group_id`` None or "") or its agreement with the
    group; raises :class:`UnknownGroupAgreement`."""
    if not group_id:
        return Evaluated(service=service_ref(agreement), group=None, terms=agreement.terms)
    for candidate in groups_of(agreement):
        if candidate.group_id == group_id:
            return candidate
    raise UnknownGroupAgreement(
        f"service {agreement.service_slug!r} has no agreement with group {group_id!r}"
    )


def _insert(session: AsyncSession) -> Any:
    table = cast(Table, Agreement.__table__)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def upsert(
    session: AsyncSession,
    *,
    service_id: str,
    service_slug: str,
    name: str,
    terms: dict[str, Any] | None,
    version: int,
    group_agreements: dict[str, Any] | None = None,
) -> bool:
    """Record the service's terms (its own, and its groups' as ``{group id: {"name",
    "terms"}}``) unless a newer version (or its deletion) is recorded.

    Returns True when the row changed.
    """
    values = {
        "service_slug": service_slug,
        "name": name,
        "terms": terms,
        "group_agreements": group_agreements or {},
        "version": version,
    }
    statement = _insert(session).values(service_id=service_id, deleted=False, **values)
    statement = statement.on_conflict_do_update(
        index_elements=[Agreement.service_id],
        set_={key: statement.excluded[key] for key in values},
        where=(Agreement.version < statement.excluded.version) & Agreement.deleted.is_(False),
    ).returning(Agreement.service_id)
    return (await session.execute(statement)).first() is not None


async def mark_deleted(session: AsyncSession, *, service_id: str, service_slug: str) -> bool:
    """Record that the service is gone (whatever arrived before or arrives later)."""
    statement = _insert(session).values(
        service_id=service_id,
        service_slug=service_slug,
        name=service_slug,
        terms=None,
        version=0,
        deleted=True,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Agreement.service_id],
        set_={"deleted": True, "terms": None, "group_agreements": {}},
        where=Agreement.deleted.is_(False),
    ).returning(Agreement.service_id)
    return (await session.execute(statement)).first() is not None


async def by_slug(session: AsyncSession, service_slug: str) -> Agreement | None:
    """The live service with this slug (the newest, should a slug have been reused)."""
    rows = await session.scalars(
        select(Agreement)
        .where(Agreement.service_slug == service_slug, Agreement.deleted.is_(False))
        .order_by(Agreement.version.desc())
        .limit(1)
    )
    return rows.first()


async def live_with_terms(session: AsyncSession) -> list[Agreement]:
    """Every live service that has agreement terms (its own, or a group's), by slug."""
    rows = await session.scalars(
        select(Agreement).where(Agreement.deleted.is_(False)).order_by(Agreement.service_slug)
    )
    # A JSON column may hold JSON null rather than SQL NULL: filter after loading.
    return [row for row in rows if row.terms is not None or row.group_agreements]
