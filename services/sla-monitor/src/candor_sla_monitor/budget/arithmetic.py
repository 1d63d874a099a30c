"""Error budgets, burn rates and multi-window burn-rate alerts, free of I/O.

An availability objective of ``adequate_percent`` allows ``1 - adequate_percent / 100`` of
any stretch of time to be downtime: that share is the error budget. The burn rate over a
window is the share of the window that was down, divided by that allowance: at burn rate 1
the budget lasts exactly the period, at 14.4 a 30-day budget is gone in 50 hours.

The multi-window rule is the one of the Google SRE workbook, "Alerting on SLOs", section
"Multiwindow, multi-burn-rate alerts" (https://sre.google/workbook/alerting-on-slos/): an
alert fires while BOTH its long and its short window burn faster than its factor
(``long > factor and short > factor``, the workbook's Prometheus rule), and stops firing as
soon as either is at or below the factor. The long window says the burn matters (2 % of a
30-day budget in 1 hour at 14.4x, 5 % in 6 hours at 6x); the short window, 1/12 of the long
one, makes the alert resolve minutes after the trouble ends instead of an hour later: after
an outage it is the short window that drops first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class BurnRateRule:
    """Fire while the burn rate over ``long_window`` and over ``short_window`` both exceed
    ``factor``."""

    name: str
    long_window: timedelta
    short_window: timedelta
    factor: float


PAGE_FAST = BurnRateRule("1h/5m", timedelta(hours=1), timedelta(minutes=5), 14.4)
"""Page: 2 % of a 30-day budget spent in one hour."""

PAGE_SLOW = BurnRateRule("6h/30m", timedelta(hours=6), timedelta(minutes=30), 6.0)
"""Page: 5 % of a 30-day budget spent in six hours."""

RULES = (PAGE_FAST, PAGE_SLOW)
"""The workbook's two paging rules, evaluated for every availability objective."""

LONGEST_WINDOW = max(rule.long_window for rule in RULES)


@dataclass(frozen=True, slots=True)
class ErrorBudget:
    """The downtime an objective allows over a period, and how much of it was used."""

    allowed: timedelta
    consumed: timedelta

    @property
    def remaining(self) -> timedelta:
        """What is left; negative once the budget is overspent (the objective is broken)."""
        return self.allowed - self.consumed

    @property
    def consumed_share(self) -> float:
        """``consumed / allowed``: 1 means the budget is spent. An objective of 100 % allows
        nothing: any downtime consumes an infinite share, none consumes 0."""
        return _ratio(self.consumed, self.allowed)


def allowed_share(adequate_percent: float) -> float:
    """The share of time an objective allows to be down: ``1 - adequate_percent / 100``."""
    if not 0 < adequate_percent <= 100:
        raise ValueError(f"adequate_percent {adequate_percent}: between 0 (excluded) and 100")
    return max(1.0 - adequate_percent / 100.0, 0.0)


def has_budget(adequate_percent: float) -> bool:
    """False for an objective of 100 %: it allows no downtime, so nothing can burn slowly."""
    return allowed_share(adequate_percent) > 0


def error_budget(*, adequate_percent: float, period: timedelta, consumed: timedelta) -> ErrorBudget:
    """The error budget of a period of length ``period`` with ``consumed`` of downtime in it
    (a period wholly excluded, of length 0, allows nothing).

    ``allowed = (1 - adequate_percent / 100) * period``: 43.2 minutes for 99.9 % over 30 days.
    """
    if period < timedelta(0):
        raise ValueError("a period of negative length has no error budget")
    return ErrorBudget(allowed=period * allowed_share(adequate_percent), consumed=consumed)


def burn_rate(*, downtime: timedelta, window: timedelta, adequate_percent: float) -> float:
    """How fast ``downtime`` within a window of length ``window`` spends the budget:
    ``(downtime / window) / (1 - adequate_percent / 100)``.

    1 spends the budget exactly over the period; 0 without downtime; infinite for any
    downtime against an objective of 100 %.
    """
    if window <= timedelta(0):
        raise ValueError("a window of no length has no burn rate")
    share = min(max(downtime / window, 0.0), 1.0)
    allowed = allowed_share(adequate_percent)
    if allowed == 0:
        return math.inf if share > 0 else 0.0
    return share / allowed


def fires(rule: BurnRateRule, *, long_burn_rate: float, short_burn_rate: float) -> bool:
    """True while both windows of ``rule`` burn faster than its factor (strictly)."""
    return long_burn_rate > rule.factor and short_burn_rate > rule.factor


def budget_at_risk(consumed_share: float, threshold: float) -> bool:
    """True once ``threshold`` (0 to 1) of the budget or more is consumed."""
    return consumed_share >= threshold


def _ratio(part: timedelta, whole: timedelta) -> float:
    if whole <= timedelta(0):
        return math.inf if part > timedelta(0) else 0.0
    return max(part / whole, 0.0)
