"""The perception-gap arithmetic, free of I/O: what answers add up to, how facts and
perception read, and two months worked out by hand (a communication gap, and the reverse).

Both months are March 2026 in UTC (44 640 minutes), against adequate 99.5 % and desired
99.9 %.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import product
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor_shared.contract import ServiceReport
from candor_shared.contract.perception import Verdict
from candor_shared.contract.sla import TermCompliance
from candor_sla_monitor.ledger.models import AlertInterval
from candor_sla_monitor.perception.figures import perception_of
from candor_sla_monitor.perception.gap import (
    build_perception_report,
    communication_share,
    facts_verdict,
    flags_of,
    perceived_far_above,
    perception_verdict,
)
from candor_sla_monitor.perception.models import FeedbackAnswer
from tests.sla_monitor.helpers import SERVICE, at

A = "0195f0c2-aaaa-7000-8000-0000000000a1"
B = "0195f0c2-bbbb-7000-8000-0000000000b2"
ELSEWHERE = "0195f0c2-cccc-7000-8000-0000000000c3"
MIN = timedelta(minutes=1)


def answer(
    incident_id: str,
    respondent: str,
    *,
    kept_informed: int,
    perceived_minutes: int | None = None,
    disruption: int = 5,
    adequate: float = 99.0,
    desired: float = 99.9,
) -> FeedbackAnswer:
    return FeedbackAnswer(
        incident_id=incident_id,
        respondent=respondent,
        service_id=SERVICE.id,
        service_slug=SERVICE.slug,
        kept_informed=kept_informed,
        disruption=disruption,
        adequate_percent=adequate,
        desired_percent=desired,
        perceived_seconds=None if perceived_minutes is None else perceived_minutes * 60,
        answered_at=at("2026-04-02T09:00:00Z"),
    )


def alert(incident_id: str, starts: str, ends: str, fingerprint: str = "a1") -> AlertInterval:
    return AlertInterval(
        incident_id=incident_id,
        service_slug=SERVICE.slug,
        source="alertmanager",
        fingerprint=fingerprint,
        severity="critical",
        starts_at=at(starts),
        ends_at=at(ends),
    )


def march(
    *, zone: str, availability: float, compliance: list[dict[str, Any]], incidents: list[Any]
) -> ServiceReport:
    """March 2026's report as sla-monitor's reports make it (the facts side)."""
    declared = sum((timedelta(minutes=i[3]) for i in incidents), timedelta(0))
    return ServiceReport.model_validate(
        {
            "service": SERVICE,
            "period": "2026-03",
            "timezone": "UTC",
            "starts_at": "2026-03-01T00:00:00Z",
            "ends_at": "2026-04-01T00:00:00Z",
            "observed_until": "2026-04-01T00:00:00Z",
            "final": True,
            "generated_at": "2026-04-02T10:00:00Z",
            "adequate_percent": 99.5,
            "desired_percent": 99.9,
            "availability_percent": availability,
            "zone": zone,
            "measured_downtime": declared,
            "declared_downtime": declared,
            "compliance": compliance,
            "incidents": [
                {
                    "id": incident_id,
                    "impact": "major",
                    "started_at": at(started),
                    "ended_at": at(ended),
                    "downtime": timedelta(minutes=minutes),
                }
                for incident_id, started, ended, minutes in incidents
            ],
        }
    )


def compliance(term: str, met: int, breached: int) -> dict[str, Any]:
    return {
        "term": term,
        "applicable": met + breached,
        "met": met,
        "breached": breached,
        "pending": 0,
        "share_met": met / (met + breached) if met + breached else None,
    }


def test_a_month_with_good_facts_and_poor_perception_is_a_communication_gap() -> None:
    """Incident A: two overlapping alerts, 10:00-10:20 and 10:10-10:30, measure 30 minutes;
    three respondents felt 2 h, 3 h and 4 h (median 3 h) and kept-informed 2, 3, 2.
    Incident B: one alert of 10 minutes; one respondent, kept-informed 4, said no duration.
    Availability 99.91 % (40 of 44 640 minutes): above desired. First communication met for
    both incidents, updates 3 of 3: every communication term kept (share 1.0) — good facts.
    Kept-informed mean (2 + 3 + 2 + 4) / 4 = 2.75, at most 3; perceived 3 h against the
    30 measured minutes of the same incident: six times, 2 h 30 more — poor perception."""
    report = march(
        zone="above",
        availability=99.910394,
        compliance=[
            compliance("acknowledge", 1, 1),
            compliance("first_communication", 2, 0),
            compliance("update", 3, 0),
        ],
        incidents=[
            (A, "2026-03-10T10:00:00Z", "2026-03-10T10:30:00Z", 30),
            (B, "2026-03-20T14:00:00Z", "2026-03-20T14:10:00Z", 10),
        ],
    )
    alerts = [
        alert(A, "2026-03-10T10:00:00Z", "2026-03-10T10:20:00Z", "a1"),
        alert(A, "2026-03-10T10:10:00Z", "2026-03-10T10:30:00Z", "a2"),
        alert(B, "2026-03-20T14:00:00Z", "2026-03-20T14:10:00Z"),
    ]
    answers = [
        answer(A, "r1", kept_informed=2, perceived_minutes=120, disruption=6, adequate=99.5),
        answer(A, "r2", kept_informed=3, perceived_minutes=180, disruption=5, desired=99.5),
        answer(A, "r3", kept_informed=2, perceived_minutes=240, disruption=7),
        answer(B, "r1", kept_informed=4, disruption=2, adequate=98.0, desired=99.0),
        # About an incident of another month: not counted.
        answer(ELSEWHERE, "r1", kept_informed=7, perceived_minutes=1),
    ]

    gap = build_perception_report(report=report, alerts=alerts, answers=answers)

    assert gap.facts == "good"
    assert gap.perception == "poor"
    assert gap.flags == ["communication_gap"]
    assert gap.communication_share_met == 1.0
    assert [row.term for row in gap.communication] == ["first_communication", "update"]
    assert gap.answers == 4
    assert gap.kept_informed_mean == 2.75
    assert gap.disruption_mean == 5.0
    # Adequate 99.5, 99, 99, 98: median 99; desired 99.9, 99.5, 99.9, 99: median 99.7.
    assert gap.expected_adequate_percent == 99.0
    assert gap.expected_desired_percent == pytest.approx(99.7)
    assert gap.perceived_downtime == 180 * MIN
    assert gap.measured_downtime_answered == 30 * MIN
    assert gap.perceived_exceeds_measured is True
    first, second = gap.incidents
    assert (first.id, first.measured_downtime, first.declared_downtime) == (A, 30 * MIN, 30 * MIN)
    assert (first.perceived_downtime, first.respondents) == (180 * MIN, 3)
    assert first.kept_informed_mean == pytest.approx(7 / 3)
    assert (second.id, second.measured_downtime, second.perceived_downtime) == (B, 10 * MIN, None)
    assert (second.respondents, second.kept_informed_mean) == (1, 4.0)
    # The facts are the month report's own.
    assert (gap.availability_percent, gap.zone) == (99.910394, "above")
    assert gap.declared_downtime == 40 * MIN


def test_a_month_with_poor_facts_and_good_perception_is_the_reverse() -> None:
    """Incident A down 6 hours (360 of 44 640 minutes: 99.19 %, below adequate), users never
    told within the term (first communication breached: share 0) — poor facts. Two
    respondents, kept-informed 6 and 7 (mean 6.5), felt 5 h and 6 h (median 5 h 30): not
    above the measured 6 h — good perception."""
    report = march(
        zone="below",
        availability=99.193548,
        compliance=[compliance("first_communication", 0, 1), compliance("update", 0, 0)],
        incidents=[(A, "2026-03-12T08:00:00Z", "2026-03-12T14:00:00Z", 360)],
    )
    alerts = [alert(A, "2026-03-12T08:00:00Z", "2026-03-12T14:00:00Z")]
    answers = [
        answer(A, "r1", kept_informed=6, perceived_minutes=300),
        answer(A, "r2", kept_informed=7, perceived_minutes=360),
    ]

    gap = build_perception_report(report=report, alerts=alerts, answers=answers)

    assert (gap.facts, gap.perception) == ("poor", "good")
    assert gap.flags == ["perception_better_than_facts"]
    assert gap.communication_share_met == 0.0
    assert gap.kept_informed_mean == 6.5
    assert gap.perceived_downtime == 330 * MIN
    assert gap.measured_downtime_answered == 360 * MIN
    assert gap.perceived_exceeds_measured is False


def test_without_answers_perception_is_unknown_and_nothing_is_flagged() -> None:
    report = march(
        zone="above",
        availability=100.0,
        compliance=[],
        incidents=[(A, "2026-03-12T08:00:00Z", "2026-03-12T08:05:00Z", 5)],
    )

    gap = build_perception_report(report=report, alerts=[], answers=[])

    assert (gap.facts, gap.perception, gap.flags) == ("good", "unknown", [])
    assert (gap.answers, gap.kept_informed_mean, gap.perceived_downtime) == (0, None, None)
    assert gap.communication_share_met is None
    assert gap.incidents[0].measured_downtime == timedelta(0)


@pytest.mark.parametrize(
    ("zone", "share", "verdict"),
    [
        ("above", 1.0, "good"),
        ("within", 0.8, "good"),
        ("within", None, "good"),
        ("above", 0.79, "mixed"),
        ("above", 0.5, "mixed"),
        ("above", 0.49, "poor"),
        ("below", 1.0, "poor"),
        ("below", None, "poor"),
        (None, None, "unknown"),
        (None, 0.9, "mixed"),
        (None, 0.2, "poor"),
    ],
)
def test_how_the_facts_read(zone: str | None, share: float | None, verdict: Verdict) -> None:
    assert facts_verdict(zone, share) == verdict


@pytest.mark.parametrize(
    ("mean", "far_above", "verdict"),
    [
        (None, False, "unknown"),
        (None, True, "unknown"),
        (1.0, False, "poor"),
        (3.0, False, "poor"),
        (3.01, False, "mixed"),
        (4.99, False, "mixed"),
        (5.0, False, "good"),
        (7.0, True, "poor"),
    ],
)
def test_how_the_perception_reads(mean: float | None, far_above: bool, verdict: Verdict) -> None:
    assert perception_verdict(mean, far_above) == verdict


@pytest.mark.parametrize(
    ("perceived", "measured", "far"),
    [
        (None, 0, False),
        (60, 30, True),  # twice, and 30 minutes more
        (59, 30, False),  # not twice
        (20, 5, True),  # four times, and 15 minutes more
        (19, 5, False),  # 14 minutes more only
        (15, 0, True),  # users felt an outage monitoring did not see
        (10, 0, False),
    ],
)
def test_perceived_far_above_measured(perceived: int | None, measured: int, far: bool) -> None:
    felt = None if perceived is None else perceived * MIN
    assert perceived_far_above(felt, measured * MIN) is far


def test_flags_only_where_the_two_readings_oppose() -> None:
    verdicts: list[Verdict] = ["good", "mixed", "poor", "unknown"]
    for facts, perception in product(verdicts, verdicts):
        expected = {
            ("good", "poor"): ["communication_gap"],
            ("poor", "good"): ["perception_better_than_facts"],
        }.get((facts, perception), [])
        assert flags_of(facts, perception) == expected


def test_communication_share_counts_the_two_communication_terms_together() -> None:
    rows = [
        compliance("acknowledge", 0, 5),
        compliance("first_communication", 3, 1),
        compliance("update", 5, 1),
        compliance("restore", 0, 2),
    ]
    # Met 3 + 5 of decided 4 + 6: the other terms do not count.
    assert communication_share([TermCompliance(**row) for row in rows]) == 0.8


@given(
    st.lists(
        st.tuples(st.integers(1, 7), st.none() | st.integers(0, 100_000)), min_size=1, max_size=30
    )
)
def test_the_figures_of_any_answers_stay_within_what_was_answered(
    given_answers: list[tuple[int, int | None]],
) -> None:
    answers = [
        answer(A, f"r{n}", kept_informed=kept, perceived_minutes=minutes)
        for n, (kept, minutes) in enumerate(given_answers)
    ]
    figures = perception_of(answers)
    scores = [kept for kept, _ in given_answers]
    durations = [minutes * 60 for _, minutes in given_answers if minutes is not None]
    assert figures.respondents == len(answers)
    assert figures.kept_informed_mean is not None
    assert min(scores) <= figures.kept_informed_mean <= max(scores)
    assert figures.perceived_answers == len(durations)
    if durations:
        assert figures.perceived is not None
        assert min(durations) <= figures.perceived.total_seconds() <= max(durations)
    else:
        assert figures.perceived is None
