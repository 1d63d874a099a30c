"""What ``GET /v1/services/{slug}/budget`` answers."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from candor_shared.contract import GroupRef
from candor_sla_monitor.budget.service import BudgetStanding, WindowBurn


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


class BurnRateOut(BaseModel):
    """One multi-window burn-rate rule and its two windows' burn rates, ending now."""

    rule: str = Field(examples=["1h/5m"])
    long_window_seconds: float
    short_window_seconds: float
    factor: float = Field(description="The rule fires while both burn rates exceed it.")
    long_burn_rate: float | None = Field(
        description="(Downtime in the long window / its length) / (1 - adequate / 100); null "
        "for an objective of 100 % with downtime (it burns without end)."
    )
    short_burn_rate: float | None = Field(description="The same over the short window.")
    firing: bool = Field(
        description="What the rule says now; the sla.burn_rate events follow at the next "
        "evaluation."
    )

    @classmethod
    def of(cls, burn: WindowBurn) -> BurnRateOut:
        """The answer for one rule."""
        return cls(
            rule=burn.rule.name,
            long_window_seconds=burn.rule.long_window.total_seconds(),
            short_window_seconds=burn.rule.short_window.total_seconds(),
            factor=burn.rule.factor,
            long_burn_rate=_finite(burn.long_burn_rate),
            short_burn_rate=_finite(burn.short_burn_rate),
            firing=burn.firing,
        )


class BudgetOut(BaseModel):
    """A service's error budget in the current period of its availability objective."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service": "email",
                    "generated_at": "2026-03-09T00:00:00Z",
                    "window": "calendar_month",
                    "timezone": "Europe/Paris",
                    "adequate_percent": 99.9,
                    "period_start": "2026-02-28T23:00:00Z",
                    "period_end": "2026-03-31T22:00:00Z",
                    "observed_until": "2026-03-09T00:00:00Z",
                    "allowed_seconds": 2674.8,
                    "consumed_seconds": 600.0,
                    "remaining_seconds": 2074.8,
                    "consumed_share": 0.22432,
                    "at_risk_share": 0.75,
                    "at_risk": False,
                    "burn_rates": [
                        {
                            "rule": "1h/5m",
                            "long_window_seconds": 3600.0,
                            "short_window_seconds": 300.0,
                            "factor": 14.4,
                            "long_burn_rate": 0.0,
                            "short_burn_rate": 0.0,
                            "firing": False,
                        }
                    ],
                }
            ]
        }
    )

    service: str = Field(description="The service's slug.")
    group: GroupRef | None = Field(
        default=None,
        description="The group of users whose agreement this budget is of; null: the "
        "service's own agreement.",
    )
    generated_at: datetime
    window: Literal["calendar_month", "rolling"]
    timezone: str = Field(description="Where the calendar month begins and ends.")
    adequate_percent: float = Field(description="The objective the budget is derived from.")
    period_start: datetime
    period_end: datetime
    observed_until: datetime = Field(description="Downtime is counted up to here (now).")
    allowed_seconds: float = Field(
        description="(1 - adequate / 100) * the whole period's length without the "
        "maintenance announced in time: the downtime the objective allows in the period."
    )
    consumed_seconds: float = Field(
        description="Declared downtime of the period so far, weighted by the agreement's "
        "downtime_fraction of each impact (overlaps once, the heaviest); maintenance "
        "announced in time excluded, late maintenance counted."
    )
    remaining_seconds: float = Field(description="Negative once the budget is overspent.")
    consumed_share: float | None = Field(
        description="consumed / allowed (1: spent); null for an objective of 100 % with downtime."
    )
    at_risk_share: float = Field(description="CANDOR_BUDGET_AT_RISK_SHARE.")
    at_risk: bool = Field(description="consumed_share has reached at_risk_share.")
    burn_rates: list[BurnRateOut] = Field(
        description="The multi-window rules of the Google SRE workbook: 1h/5m at 14.4 and "
        "6h/30m at 6."
    )

    @classmethod
    def of(
        cls,
        *,
        service: str,
        now: datetime,
        standing: BudgetStanding,
        at_risk_share: float,
        group: GroupRef | None = None,
    ) -> BudgetOut:
        """The whole answer."""
        objective = standing.terms.availability
        assert objective is not None
        budget = standing.budget
        share = budget.consumed_share
        return cls(
            service=service,
            group=group,
            generated_at=now,
            window=objective.window,
            timezone=standing.terms.timezone,
            adequate_percent=standing.adequate_percent,
            period_start=standing.period.start,
            period_end=standing.period.end,
            observed_until=standing.observed_until,
            allowed_seconds=budget.allowed.total_seconds(),
            consumed_seconds=budget.consumed.total_seconds(),
            remaining_seconds=budget.remaining.total_seconds(),
            consumed_share=_finite(share),
            at_risk_share=at_risk_share,
            at_risk=share >= at_risk_share,
            burn_rates=[BurnRateOut.of(burn) for burn in standing.burn],
        )
