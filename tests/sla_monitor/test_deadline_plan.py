"""The rules of deadlines, without I/O: rounds from the facts, timing, outcomes, what is owed."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from candor_sla_monitor.deadlines import plan
from candor_sla_monitor.deadlines.plan import Episode, IncidentFacts, Round
from candor_sla_monitor.ledger.calendar import BusinessCalendar
from tests.sla_monitor.helpers import at

AROUND_THE_CLOCK = BusinessCalendar.of(None)


def facts(
    *episodes: tuple[str, str | None], acknowledged: str | None = None, told: tuple[str, ...] = ()
) -> IncidentFacts:
    return IncidentFacts(
        started_at=at(episodes[0][0]) - timedelta(minutes=10),
        opened_at=at(episodes[0][0]),
        acknowledged_at=at(acknowledged) if acknowledged else None,
        episodes=[Episode(at(start), at(end) if end else None) for start, end in episodes],
        communications=sorted(at(moment) for moment in told),
    )


def rounds(found: IncidentFacts, term: str) -> list[tuple[int, str, str | None, str | None]]:
    def hhmm(moment: datetime | None) -> str | None:
        return None if moment is None else moment.strftime("%H:%M")

    return [
        (r.number, r.started_at.strftime("%H:%M"), hhmm(r.met_at), hhmm(r.ended_at))
        for r in plan.rounds_of(found)
        if r.term == term
    ]


def test_an_open_incident_nobody_answered_has_one_running_round_of_each_term() -> None:
    found = facts(("08:00", None))
    assert [(r.term, r.number, r.met_at, r.ended_at) for r in plan.rounds_of(found)] == [
        ("acknowledge", 1, None, None),
        ("first_communication", 1, None, None),
        ("update", 1, None, None),
        ("restore", 1, None, None),
    ]
    [restore] = [r for r in plan.rounds_of(found) if r.term == "restore"]
    assert restore.started_at == at("07:50")  # from the start of the trouble


def test_each_communication_meets_the_round_and_starts_the_next() -> None:
    # Two notices at the same minute are one moment of communication, not two rounds.
    found = facts(("08:00", "11:00"), told=("08:30", "09:10", "09:10", "10:40", "11:05"))
    assert rounds(found, "update") == [
        (1, "08:00", "08:30", None),
        (2, "08:30", "09:10", None),
        (3, "09:10", "10:40", None),
        (4, "10:40", None, "11:00"),  # the notice after the resolution starts nothing
    ]
    assert rounds(found, "first_communication") == [(1, "08:00", "08:30", None)]


def test_a_communication_at_the_resolution_ends_the_rounds() -> None:
    found = facts(("08:00", "09:00"), told=("09:00",))
    assert rounds(found, "update") == [(1, "08:00", "09:00", None)]


def test_a_reopening_restarts_updates_and_what_was_never_met() -> None:
    # Resolved at 08:20 before anyone acknowledged or told users; back at 08:40; a notice at
    # exactly 08:40 (the reopening notice) and an acknowledgement at 08:45.
    found = facts(("08:00", "08:20"), ("08:40", None), acknowledged="08:45", told=("08:40",))
    assert rounds(found, "acknowledge") == [
        (1, "08:00", None, "08:20"),
        (2, "08:40", "08:45", None),
    ]
    assert rounds(found, "first_communication") == [
        (1, "08:00", None, "08:20"),
        (2, "08:40", "08:40", None),
    ]
    assert rounds(found, "update") == [
        (1, "08:00", None, "08:20"),
        (2, "08:40", "08:40", None),
        (3, "08:40", None, None),
    ]
    assert rounds(found, "restore") == [(1, "07:50", None, None)]


def test_users_who_heard_before_the_reopening_need_no_new_first_communication() -> None:
    # The resolution notice at 08:25 told users something: no first-communication round for
    # the second episode, though the first one's round was cancelled at 08:20.
    found = facts(("08:00", "08:20"), ("08:40", "09:00"), told=("08:25",))
    assert rounds(found, "first_communication") == [(1, "08:00", None, "08:20")]
    assert rounds(found, "restore") == [(1, "07:50", "09:00", None)]


def test_the_holding_update_lead_is_at_most_half_the_interval() -> None:
    def update_due(every: timedelta) -> datetime | None:
        return plan.timing(
            term="update",
            started_at=at("08:00"),
            allowed=every,
            calendar=AROUND_THE_CLOCK,
            business_hours_only=False,
            update_lead=timedelta(minutes=5),
            at_risk_share=0.75,
        ).update_due_at

    assert update_due(timedelta(hours=1)) == at("08:55")
    assert update_due(timedelta(minutes=6)) == at("08:03")
    acknowledge = plan.timing(
        term="acknowledge",
        started_at=at("08:00"),
        allowed=timedelta(minutes=20),
        calendar=AROUND_THE_CLOCK,
        business_hours_only=False,
        update_lead=timedelta(minutes=5),
        at_risk_share=0.75,
    )
    assert (acknowledge.update_due_at, acknowledge.at_risk_at) == (None, at("08:15"))


def test_outcomes() -> None:
    due = at("09:00")
    assert (
        plan.outcome_of(due_at=due, met_at=at("09:00"), ended_at=None, breach_published=False)
        == "met"
    )
    assert (
        plan.outcome_of(due_at=due, met_at=at("09:01"), ended_at=None, breach_published=True)
        == "breached"
    )
    assert (
        plan.outcome_of(due_at=due, met_at=None, ended_at=at("08:59"), breach_published=False)
        == "cancelled"
    )
    assert (
        plan.outcome_of(due_at=due, met_at=None, ended_at=at("09:00"), breach_published=False)
        == "breached"
    )
    assert (
        plan.outcome_of(due_at=due, met_at=None, ended_at=None, breach_published=False) == "pending"
    )
    assert (
        plan.outcome_of(due_at=due, met_at=None, ended_at=None, breach_published=True) == "breached"
    )


def test_what_a_deadline_owes() -> None:
    def owes(**facts_of_row: object) -> plan.Owed:
        row: dict[str, object] = {
            "outcome": "pending",
            "due_at": at("09:00"),
            "update_due_at": at("08:55"),
            "met_at": None,
            "ended_at": None,
            "update_due_published": False,
            "at_risk_published": False,
            "breach_published": False,
        }
        row.update(facts_of_row)
        return plan.owed(**row)  # type: ignore[arg-type]

    assert owes() == plan.Owed(running=True, update_due=True, at_risk=True, breached=True)
    # Met in time: nothing more. Met late: only the breach.
    assert owes(met_at=at("08:50"), outcome="met") == plan.Owed(False, False, False, False)
    assert owes(met_at=at("09:10"), outcome="breached") == plan.Owed(False, False, False, True)
    # Cancelled by the resolution: nothing; resolved after the due time: the breach.
    assert owes(ended_at=at("08:40"), outcome="cancelled") == plan.Owed(False, False, False, False)
    assert owes(ended_at=at("09:05"), outcome="breached") == plan.Owed(False, False, False, True)
    # Once the breach is out, at risk is not owed any more.
    assert owes(breach_published=True, outcome="breached").at_risk is False


MOMENTS = st.integers(min_value=0, max_value=600).map(lambda m: at("08:00") + timedelta(minutes=m))


@given(
    bounds=st.lists(MOMENTS, min_size=1, max_size=6, unique=True).map(sorted),
    open_now=st.booleans(),
    told=st.lists(MOMENTS, max_size=12),
)
def test_update_rounds_chain_within_each_episode(
    bounds: list[datetime], open_now: bool, told: list[datetime]
) -> None:
    # Episodes from consecutive bounds: [b0, b1], [b2, b3], ... the last open if asked.
    episodes = []
    for index in range(0, len(bounds), 2):
        start = bounds[index]
        end = bounds[index + 1] if index + 1 < len(bounds) else None
        episodes.append(Episode(start, end))
    if not open_now and episodes[-1].end is None:
        episodes[-1] = Episode(episodes[-1].start, episodes[-1].start + timedelta(minutes=1))
    found = IncidentFacts(
        started_at=bounds[0],
        opened_at=bounds[0],
        acknowledged_at=None,
        episodes=episodes,
        communications=sorted(told),
    )
    updates: list[Round] = [r for r in plan.rounds_of(found) if r.term == "update"]
    assert [r.number for r in updates] == list(range(1, len(updates) + 1))
    for episode in episodes:
        inside = [r for r in updates if episode.holds(r.started_at)]
        assert inside[0].started_at == episode.start
        # Every round but the last of an episode is met, and the next starts where it was.
        for current, following in itertools.pairwise(inside):
            assert current.met_at == following.started_at
        for r in inside:
            # Met within the episode, or stopped unmet at its end, or still running.
            if r.met_at is not None:
                assert r.ended_at is None
                assert episode.holds(r.met_at)
            else:
                assert r.ended_at == episode.end
        # The episode's communications are exactly the rounds' meetings (repeats aside).
        assert sorted({m for m in told if episode.holds(m)}) == [
            r.met_at for r in inside if r.met_at is not None
        ]
