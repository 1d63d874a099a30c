"""The rules of deadlines, free of I/O: which rounds of which terms an incident's facts make,
when each falls due under the agreement, how it ended, and which of its events are owed.

The rounds follow from the facts alone (episodes, acknowledgement, communications); the
terms only give each round its allowed time. So a change of impact or of agreement moves the
due times of the rounds still pending and leaves the decided ones as they were decided.

- **acknowledge**: from ``opened_at``, met at ``acknowledged_at``.
- **first_communication**: from ``opened_at``, met by the first communication.
- **update**: round 1 runs from ``opened_at`` (users must hear within one interval of the
  opening, whether or not they heard already); each communication meets the round in
  progress and starts the next one; no round starts once the incident is resolved.
- **restore**: from ``started_at`` (when the trouble began), met when the incident is
  resolved. A reopened incident was not restored: its restore deadline runs on, as the
  ledger counts a flapping service as one outage.

A resolution ends the acknowledge, first-communication and update rounds still running:
cancelled if it came before their due time, breached (never met) otherwise. Reopening
starts again what applies: the update rounds, and a round from the reopening for
acknowledge or first communication if nobody had acknowledged, or users had heard nothing,
before it came back.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, cast, get_args

from candor_shared.contract import AgreementTerms, ResponseTerms
from candor_shared.contract.sla import Term
from candor_sla_monitor.ledger.calendar import BusinessCalendar

TERMS: tuple[Term, ...] = cast(tuple[Term, ...], get_args(Term))
Outcome = Literal["pending", "met", "breached", "cancelled"]
DECIDED: frozenset[str] = frozenset({"met", "breached"})
"""Outcomes whose allowed time is kept whatever the terms become afterwards."""

ON_TIME = timedelta(minutes=1)
"""Promises are made to the minute ("next update by 10:30"), so one is kept by anything that
happens within its due minute: a holding update sent at 10:30 and delivered at 10:30:02 is on
time. A deadline is late, and its breach published, only once ``due_at + ON_TIME`` passed."""


def late_after(due_at: datetime) -> datetime:
    """The instant from which a deadline due at ``due_at`` is breached."""
    return due_at + ON_TIME


# The terms users hear about before they fall due: a holding update can still save them.
_UPDATE_DUE_TERMS: frozenset[str] = frozenset({"first_communication", "update"})


@dataclass(frozen=True, slots=True)
class Episode:
    """A stretch of time the incident was open; ``end`` None while it still is."""

    start: datetime
    end: datetime | None

    def holds(self, moment: datetime) -> bool:
        """Whether ``moment`` lies in the episode (its end included)."""
        return self.start <= moment and (self.end is None or moment <= self.end)


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What the deadlines of one incident are computed from."""

    started_at: datetime
    opened_at: datetime
    acknowledged_at: datetime | None
    episodes: Sequence[Episode]
    communications: Sequence[datetime]
    """When users were told something, in order."""


@dataclass(frozen=True, slots=True)
class Round:
    """One round of one term as the facts make it: it ran from ``started_at`` and was met
    at ``met_at``, or stopped unmet at ``ended_at`` (both None: still running)."""

    term: Term
    number: int
    started_at: datetime
    met_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Timing:
    """When a round's events fall due: ``update_due_at`` (None for terms without a holding
    update), ``at_risk_at`` and ``due_at``."""

    allowed: timedelta
    business_hours_only: bool
    due_at: datetime
    at_risk_at: datetime
    update_due_at: datetime | None


def rounds_of(facts: IncidentFacts) -> list[Round]:
    """Every round of every term the facts make, terms in the order of :data:`TERMS`."""
    return [
        *_once_per_episode(
            "acknowledge",
            facts.episodes,
            # An acknowledgement stamped before the opening counts as made at the opening.
            [] if facts.acknowledged_at is None else [max(facts.acknowledged_at, facts.opened_at)],
        ),
        *_once_per_episode("first_communication", facts.episodes, facts.communications),
        *_update_rounds(facts.episodes, facts.communications),
        *_restore(facts),
    ]


def _first_in(
    episode: Episode, moments: Sequence[datetime], *, start: datetime, inclusive: bool
) -> datetime | None:
    """The first of the sorted ``moments`` after ``start`` (or at it, if ``inclusive``) that
    lies in ``episode``."""
    find = bisect.bisect_left if inclusive else bisect.bisect_right
    index = find(moments, start)
    if index < len(moments) and episode.holds(moments[index]):
        return moments[index]
    return None


def _once_per_episode(
    term: Term, episodes: Sequence[Episode], moments: Sequence[datetime]
) -> list[Round]:
    """Rounds of a term met once per incident: one per episode until one is met."""
    rounds: list[Round] = []
    for episode in episodes:
        met = _first_in(episode, moments, start=episode.start, inclusive=True)
        if met is None and moments and moments[0] < episode.start and rounds:
            break  # met between two episodes: nothing left to meet
        rounds.append(
            Round(
                term,
                len(rounds) + 1,
                episode.start,
                met_at=met,
                ended_at=None if met is not None else episode.end,
            )
        )
        if met is not None:
            break
    return rounds


def _update_rounds(episodes: Sequence[Episode], moments: Sequence[datetime]) -> list[Round]:
    """The update cadence: within each episode, rounds from its start and from each
    communication, until the episode ends."""
    rounds: list[Round] = []
    for episode in episodes:
        start, inclusive = episode.start, True
        while True:
            met = _first_in(episode, moments, start=start, inclusive=inclusive)
            if met is None:
                rounds.append(Round("update", len(rounds) + 1, start, ended_at=episode.end))
                break
            rounds.append(Round("update", len(rounds) + 1, start, met_at=met))
            if episode.end is not None and met >= episode.end:
                break
            start, inclusive = met, False
    return rounds


def _restore(facts: IncidentFacts) -> list[Round]:
    last = facts.episodes[-1] if facts.episodes else None
    return [Round("restore", 1, facts.started_at, met_at=None if last is None else last.end)]


def terms_for(agreement: AgreementTerms | None, impact: str) -> ResponseTerms | None:
    """The response terms of ``impact`` (None: the incident has no impact, or the
    agreement promises nothing for it)."""
    if agreement is None or impact not in ("minor", "major", "critical"):
        return None
    return agreement.terms.get(cast(Literal["minor", "major", "critical"], impact))


LONGEST_TERM = timedelta(days=3660)
"""Allowed times are kept to ten years. The contract takes any duration from a minute up,
but a due time must stay a date (years to 9999), a number of seconds the database's
integer holds, and a walk over business days that ends; no incident stays open so long
that a longer promise could fall due."""


def allowed_for(terms: ResponseTerms | None, term: Term) -> timedelta | None:
    """The allowed time of ``term`` under ``terms`` (None: not promised), in whole seconds,
    at most :data:`LONGEST_TERM`."""
    if terms is None:
        return None
    allowed = {
        "acknowledge": terms.acknowledge_within,
        "first_communication": terms.first_communication_within,
        "update": terms.update_every,
        "restore": terms.restore_within,
    }[term]
    if allowed is None:
        return None
    return timedelta(seconds=int(min(allowed, LONGEST_TERM).total_seconds()))


def timing(
    *,
    term: Term,
    started_at: datetime,
    allowed: timedelta,
    calendar: BusinessCalendar,
    business_hours_only: bool,
    update_lead: timedelta,
    at_risk_share: float,
) -> Timing:
    """When a round that started at ``started_at`` falls due, is at risk (``at_risk_share``
    of its allowed time consumed) and, for first communication and updates, when the holding
    update is due: ``update_lead`` before, never more than half the allowed time."""
    clock = calendar if business_hours_only else BusinessCalendar.of(None)
    due_at = clock.add(started_at, allowed)
    at_risk_at = clock.add(started_at, allowed * at_risk_share)
    update_due_at = None
    if term in _UPDATE_DUE_TERMS:
        update_due_at = due_at - min(update_lead, allowed / 2)
    return Timing(allowed, business_hours_only, due_at, at_risk_at, update_due_at)


def outcome_of(
    *,
    due_at: datetime,
    met_at: datetime | None,
    ended_at: datetime | None,
    breach_published: bool,
) -> Outcome:
    """How a round stands: decided by the facts, or ``breached`` once its due time passed
    unmet and the breach was published."""
    if met_at is not None:
        return "met" if met_at < late_after(due_at) else "breached"
    if ended_at is not None:
        return "cancelled" if ended_at < due_at else "breached"
    return "breached" if breach_published else "pending"


@dataclass(frozen=True, slots=True)
class Owed:
    """The events a deadline still owes, and whether it is still running (unmet, unended)."""

    running: bool
    update_due: bool
    at_risk: bool
    breached: bool


def owed(
    *,
    outcome: str,
    due_at: datetime,
    update_due_at: datetime | None,
    met_at: datetime | None,
    ended_at: datetime | None,
    update_due_published: bool,
    at_risk_published: bool,
    breach_published: bool,
) -> Owed:
    """Which events a deadline still owes. Warnings (update due, at risk) only while it runs:
    one met or ended before their instant came has no use for them; the breach whenever the
    due time passed unmet (a deadline met late still owes it, with by how much)."""
    running = met_at is None and ended_at is None and outcome != "cancelled"
    breach_owed = (
        not breach_published
        and outcome != "cancelled"
        and (met_at is None or met_at >= late_after(due_at))
        and (ended_at is None or ended_at >= due_at)
    )
    return Owed(
        running=running,
        update_due=running and update_due_at is not None and not update_due_published,
        # Once the breach is out, being at risk is old news.
        at_risk=running and not at_risk_published and not breach_published,
        breached=breach_owed,
    )


def next_fire_at(
    owes: Owed, *, due_at: datetime, at_risk_at: datetime, update_due_at: datetime | None
) -> datetime | None:
    """The earliest instant at which an owed event falls due (None: nothing owed)."""
    instants = []
    if owes.update_due and update_due_at is not None:
        instants.append(update_due_at)
    if owes.at_risk:
        instants.append(at_risk_at)
    if owes.breached:
        instants.append(late_after(due_at))
    return min(instants, default=None)


def calendar_of(agreement: AgreementTerms | None) -> BusinessCalendar:
    """The agreement's business hours (around the clock when it names none)."""
    return BusinessCalendar.of(None if agreement is None else agreement.business_hours)
