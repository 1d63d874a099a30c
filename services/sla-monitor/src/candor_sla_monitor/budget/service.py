"""Rules of the error budget: a service's standing now, and the evaluation that publishes
burn-rate alerts and the budget at risk, each once per transition.

Downtime is what the agreement counts (:func:`..ledger.maintenance.agreement_availability`):
declared outages weighted by the ``downtime_fraction`` of their impact, the heaviest once
where they overlap, an open outage lasting until now; maintenance announced in time
excluded, late maintenance counted as downtime.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_shared.clock import Clock
from candor_shared.contract import AgreementTerms, ServiceRef, SlaAtRisk, SlaBurnRateAlert
from candor_shared.intervals import Interval, Window
from candor_sla_monitor.agreements import repository as agreements
from candor_sla_monitor.agreements.models import Agreement
from candor_sla_monitor.agreements.repository import Evaluated
from candor_sla_monitor.budget import events, repository
from candor_sla_monitor.budget.arithmetic import (
    LONGEST_WINDOW,
    RULES,
    BurnRateRule,
    ErrorBudget,
    budget_at_risk,
    burn_rate,
    error_budget,
    fires,
    has_budget,
)
from candor_sla_monitor.budget.models import BudgetAlert
from candor_sla_monitor.ledger import repository as ledger
from candor_sla_monitor.ledger.availability import current_period
from candor_sla_monitor.ledger.maintenance import (
    AgreementAvailability,
    MaintenanceSpan,
    agreement_availability,
)
from candor_sla_monitor.ledger.models import Outage
from candor_sla_monitor.maintenance import service as maintenance

log = structlog.get_logger(__name__)

EVALUATIONS = Counter(
    "candor_budget_evaluations_total", "Rounds of error-budget evaluation completed"
)
EVALUATION_FAILURES = Counter(
    "candor_budget_evaluation_failures_total", "Rounds of error-budget evaluation that failed"
)
SERVICE_FAILURES = Counter(
    "candor_budget_service_failures_total",
    "Evaluations of one service's error budget that failed (the round went on)",
)

AT_RISK = "at_risk"


@dataclass(frozen=True, slots=True)
class WindowBurn:
    """The burn rates of one rule's two windows, ending now."""

    rule: BurnRateRule
    long_burn_rate: float
    short_burn_rate: float

    @property
    def firing(self) -> bool:
        """Whether the rule fires: both windows burn faster than its factor."""
        return fires(
            self.rule, long_burn_rate=self.long_burn_rate, short_burn_rate=self.short_burn_rate
        )

    @property
    def alert(self) -> str:
        """The rule's name in the budget alerts table."""
        return f"burn_rate:{self.rule.name}"


@dataclass(frozen=True, slots=True)
class BudgetStanding:
    """An availability objective's error budget in its current period, and its burn rates."""

    terms: AgreementTerms
    adequate_percent: float
    period: Window
    observed_until: datetime
    budget: ErrorBudget
    burn: tuple[WindowBurn, ...]


class NoObjective(LookupError):
    """The service is unknown, its agreement sets no availability objective, or its stored
    terms no longer validate."""


def standing(
    *,
    terms: AgreementTerms,
    outages: Sequence[Outage],
    now: datetime,
    maintenance: Sequence[MaintenanceSpan] = (),
) -> BudgetStanding:
    """The budget of the period holding ``now`` and the burn rates of :data:`.RULES` at ``now``.

    Downtime and time are counted as the agreement's availability counts them
    (:func:`..ledger.maintenance.agreement_availability`): maintenance announced in time
    leaves both the downtime and the time counted, late maintenance is downtime. So the
    budget allows ``1 - adequate / 100`` of the whole period without its excluded
    maintenance (as announced so far), and consumed is the downtime from the period's start
    until now; a window's burn rate divides its downtime by its time not excluded.
    ``outages`` and ``maintenance`` may reach beyond the period and the longest burn
    window. Raises :class:`NoObjective` when the terms set no availability objective.
    """
    objective = terms.availability
    if objective is None:
        raise NoObjective("the agreement sets no availability objective")
    period = current_period(
        now, window=objective.window, timezone=terms.timezone, days=objective.rolling_days
    )
    declared = [(Interval(row.started_at, row.ended_at), row.impact) for row in outages]

    def counted(window: Window) -> AgreementAvailability:
        return agreement_availability(
            window=window, terms=terms, outages=declared, maintenance=maintenance
        )

    observed_until = min(max(now, period.start), period.end)
    consumed = timedelta(0)
    if observed_until > period.start:
        consumed = counted(Window(period.start, observed_until)).counted_downtime
    excluded = agreement_availability(
        window=period, terms=terms, outages=(), maintenance=maintenance
    ).excluded
    budget = error_budget(
        adequate_percent=objective.adequate_percent,
        period=max(period.length - excluded, timedelta(0)),
        consumed=consumed,
    )

    def rate(length: timedelta) -> float:
        window = counted(Window(now - length, now))
        if window.counted_period <= timedelta(0):
            return 0.0  # all of it excluded maintenance: nothing burns
        return burn_rate(
            downtime=window.counted_downtime,
            window=window.counted_period,
            adequate_percent=objective.adequate_percent,
        )

    burn = tuple(
        WindowBurn(rule, rate(rule.long_window), rate(rule.short_window)) for rule in RULES
    )
    return BudgetStanding(
        terms=terms,
        adequate_percent=objective.adequate_percent,
        period=period,
        observed_until=observed_until,
        budget=budget,
        burn=burn,
    )


async def _standing_of(
    session: AsyncSession, *, agreement: Agreement, terms: AgreementTerms, now: datetime
) -> BudgetStanding:
    objective = terms.availability
    if objective is None:
        raise NoObjective(f"service {agreement.service_slug!r} has no availability objective")
    period = current_period(
        now, window=objective.window, timezone=terms.timezone, days=objective.rolling_days
    )
    earliest = min(period.start, now - LONGEST_WINDOW)
    outages = await ledger.outages_overlapping(
        session, service_slug=agreement.service_slug, start=earliest, end=now
    )
    spans = await maintenance.spans_of(
        session=session,
        service_slug=agreement.service_slug,
        window=Window(earliest, max(period.end, now)),
    )
    return standing(terms=terms, outages=outages, now=now, maintenance=spans)


async def budget_of(
    *, session: AsyncSession, service_slug: str, now: datetime, group_id: str | None = None
) -> BudgetStanding:
    """The error budget and burn rates as of ``now`` of the service's own agreement, or with
    ``group_id`` of its agreement with that group; raises :class:`NoObjective` and
    :class:`.agreements.repository.UnknownGroupAgreement`."""
    agreement = await agreements.by_slug(session, service_slug)
    if agreement is None:
        raise NoObjective(f"service {service_slug!r}: no catalog entry")
    try:
        terms = agreements.one_of(agreement, group_id).validated()
    except ValidationError as error:
        # Stored before the contract checked it (an unknown timezone, say): no budget can
        # be worked out until the agreement is set again.
        raise NoObjective(
            f"service {service_slug!r}: its stored agreement no longer validates "
            f"({agreements.invalid_reasons(error)})"
        ) from None
    if terms is None:
        raise NoObjective(f"service {service_slug!r} has no agreement")
    return await _standing_of(session, agreement=agreement, terms=terms, now=now)


async def evaluate_service(
    *, session: AsyncSession, agreement: Agreement, now: datetime, at_risk_share: float
) -> list[SlaBurnRateAlert | SlaAtRisk]:
    """Publish what changed for each agreement of one service (its own and each group's)
    since its last evaluation; returns it. An agreement whose stored terms no longer
    validate is logged and skipped: the service's other agreements are still evaluated."""
    published: list[SlaBurnRateAlert | SlaAtRisk] = []
    for evaluated in agreements.evaluated(agreement):
        if evaluated.terms is None:
            continue
        try:
            evaluated.validated()
        except ValidationError as error:
            log.warning(
                "budget.terms_invalid",
                service=agreement.service_slug,
                group=evaluated.group_id or None,
                error=agreements.invalid_reasons(error),
            )
            continue
        published += await evaluate_agreement(
            session=session,
            agreement=agreement,
            evaluated=evaluated,
            now=now,
            at_risk_share=at_risk_share,
        )
    return published


async def evaluate_agreement(
    *,
    session: AsyncSession,
    agreement: Agreement,
    evaluated: Evaluated,
    now: datetime,
    at_risk_share: float,
) -> list[SlaBurnRateAlert | SlaAtRisk]:
    """Publish what changed for one agreement of a service since its last evaluation;
    returns it. Each agreement has its own alert states (keyed by its group).

    - A burn-rate rule publishes ``firing`` when it starts firing and ``resolved`` when it
      stops, once each (the budget alerts table remembers which rules fire).
    - The budget at risk is published once per period when the consumed share reaches
      ``at_risk_share``: in a calendar month, once in that month; in a rolling period,
      which has no fixed start, again only after the share fell back below it.

    Objectives of 100 % have no budget to burn and publish nothing here.
    """
    terms = evaluated.validated()
    objective = None if terms is None else terms.availability
    if terms is None or objective is None or not has_budget(objective.adequate_percent):
        return []
    current = await _standing_of(session, agreement=agreement, terms=terms, now=now)
    group_id = evaluated.group_id
    states = await repository.alerts_of(session, service_id=agreement.service_id, group_id=group_id)
    service = evaluated.service
    published: list[SlaBurnRateAlert | SlaAtRisk] = []
    for burn in current.burn:
        state = states.get(burn.alert)
        was_firing = state is not None and state.firing
        if burn.firing and not was_firing:
            changed = await repository.start_firing(
                session,
                service_id=service.id,
                service_slug=service.slug,
                alert=burn.alert,
                at=now,
                group_id=group_id,
            )
        elif was_firing and not burn.firing:
            changed = await repository.stop_firing(
                session, service_id=service.id, alert=burn.alert, at=now, group_id=group_id
            )
        else:
            continue
        if changed:
            published.append(
                SlaBurnRateAlert(
                    service=service,
                    status="firing" if burn.firing else "resolved",
                    long_window=burn.rule.long_window,
                    short_window=burn.rule.short_window,
                    factor=burn.rule.factor,
                    long_burn_rate=burn.long_burn_rate,
                    short_burn_rate=burn.short_burn_rate,
                    objective_percent=objective.adequate_percent,
                    at=now,
                    group=evaluated.group,
                )
            )
    if await _budget_at_risk_changed(
        session,
        current=current,
        state=states.get(AT_RISK),
        service=service,
        now=now,
        at_risk_share=at_risk_share,
        group_id=group_id,
    ):
        published.append(
            SlaAtRisk(
                scope="error_budget",
                service=service,
                consumed=current.budget.consumed_share,
                threshold=at_risk_share,
                period_start=current.period.start,
                period_end=current.period.end,
                group=evaluated.group,
            )
        )
    for data in published:
        events.publish(session, data, service=service)
        log.info(
            "budget.published",
            service=service.slug,
            group=group_id or None,
            event_type=data.event_type,
            status=getattr(data, "status", None),
            consumed_share=round(current.budget.consumed_share, 4),
        )
    return published


async def _budget_at_risk_changed(
    session: AsyncSession,
    *,
    current: BudgetStanding,
    state: BudgetAlert | None,
    service: ServiceRef,
    now: datetime,
    at_risk_share: float,
    group_id: str = "",
) -> bool:
    """Record the budget at-risk alert's transition; True when it is to be published."""
    assert current.terms.availability is not None
    per_calendar_month = current.terms.availability.window == "calendar_month"
    reached = budget_at_risk(current.budget.consumed_share, at_risk_share)
    firing = state is not None and state.firing
    if reached:
        announced = firing and (
            not per_calendar_month
            or (state is not None and state.period_start == current.period.start)
        )
        if announced:
            return False
        return await repository.start_firing(
            session,
            service_id=service.id,
            service_slug=service.slug,
            alert=AT_RISK,
            at=now,
            period_start=current.period.start,
            once_per_period=per_calendar_month,
            group_id=group_id,
        )
    if firing and not per_calendar_month:
        # A rolling period's share fell back below the threshold: rearm, publish nothing.
        await repository.stop_firing(
            session, service_id=service.id, alert=AT_RISK, at=now, group_id=group_id
        )
    return False


async def evaluate_all(
    *, sessions: async_sessionmaker[AsyncSession], now: datetime, at_risk_share: float
) -> int:
    """Evaluate every service with agreement terms, each in its own transaction; returns how
    many events were published. Terms that no longer validate are logged and skipped; a
    service whose evaluation fails otherwise is logged and counted, and the round goes on,
    so that one service never keeps the others' alerts from firing."""
    async with sessions() as session:
        services = await agreements.live_with_terms(session)
    published = 0
    for agreement in services:
        try:
            async with sessions() as session, session.begin():
                published += len(
                    await evaluate_service(
                        session=session, agreement=agreement, now=now, at_risk_share=at_risk_share
                    )
                )
        except ValidationError as error:
            log.warning("budget.terms_invalid", service=agreement.service_slug, error=str(error))
        except Exception:
            SERVICE_FAILURES.inc()
            log.exception("budget.service_evaluation_failed", service=agreement.service_slug)
    return published


async def run_evaluations(
    *,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    interval_seconds: float,
    at_risk_share: float,
    on_published: Callable[[], None] | None = None,
) -> None:
    """Evaluate every ``interval_seconds`` at ``clock()`` until cancelled.

    The state is in the database, not in this task: a round that fails (the database away)
    is logged and the next round catches up, and a restarted worker publishes nothing twice.
    ``on_published`` (the outbox relay's wake-up) is called after a round that published.
    """
    while True:
        try:
            published = await evaluate_all(
                sessions=sessions, now=clock(), at_risk_share=at_risk_share
            )
        except Exception:
            EVALUATION_FAILURES.inc()
            log.exception("budget.evaluation_failed")
        else:
            EVALUATIONS.inc()
            if published and on_published is not None:
                on_published()
        await asyncio.sleep(interval_seconds)
