"""OpenSLO v1 import and export of availability objectives, free of I/O: every official
example of the specification imports or is refused with its reasons, refusals name the field
and why, and what Candor exports imports back to the same objective and the same document
(hypothesis over the objective's values). The endpoints and the CLI are in
test_openslo_api.py."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from candor_incident_api.catalog.openslo import ExportError, dump, export_document
from candor_incident_api.catalog.openslo_import import (
    ImportedObjective,
    OpenSloRefused,
    import_objective,
)
from candor_shared.contract import AgreementTerms, AvailabilityObjective, ResponseTerms

EXAMPLES = Path(__file__).parent / "payloads" / "openslo"
OCCURRENCES = "budgeting-method--occurences-slo.yaml"
RATIO_TIMESLICES = "budgeting-method--ratio-timeslices.yaml"
TIMESLICES = "budgeting-method--timeslices-slo.yaml"
LOW_TRAFFIC = "treat-low-traffic-as-equally-important--timeslices-slo.yaml"


def example(name: str) -> str:
    return (EXAMPLES / name).read_text(encoding="utf-8")


def refusal(text: str, service: str = "email") -> list[str]:
    """The reasons ``text`` is refused, one string each (fails if it imports)."""
    with pytest.raises(OpenSloRefused) as refused:
        import_objective(text, service=service)
    return [str(reason) for reason in refused.value.reasons]


# ---- the specification's own examples --------------------------------------------------------


def test_every_official_example_is_covered_here() -> None:
    assert {path.name for path in EXAMPLES.glob("*.yaml")} == {
        OCCURRENCES,
        RATIO_TIMESLICES,
        TIMESLICES,
        LOW_TRAFFIC,
    }


def test_the_latency_example_is_refused_for_its_threshold_and_its_occurrences() -> None:
    reasons = refusal(example(OCCURRENCES))

    assert reasons == [
        "SLO 'search-slo': spec.indicator.spec.thresholdMetric: compares a measured value "
        "(such as a latency) with the objectives' op and value; Candor measures no values, "
        "only whether the service was available (from monitoring alerts and declared "
        "incidents)",
        "SLO 'search-slo': spec.budgetingMethod: Occurrences counts good events against all "
        "events (such as requests); Candor counts time, not events: use Timeslices or "
        "RatioTimeslices",
        "SLO 'search-slo': spec.objectives[0].value: 500 is a threshold for a measured value "
        "(op 'lt'); Candor measures no values, only availability",
    ]


def test_the_ratio_timeslices_example_imports_as_rolling_days_and_says_what_it_left() -> None:
    imported = import_objective(example(RATIO_TIMESLICES), service="email")

    assert (imported.slo, imported.adequate_percent, imported.desired_percent) == (
        "main-page",
        99.0,
        None,
    )
    assert (imported.window, imported.rolling_days, imported.timezone) == ("rolling", 14, None)
    assert imported.notes == [
        "spec.indicator: its metric source ('Any') is not queried: Candor judges availability "
        "from its own monitoring alerts and declared incidents",
        "spec.objectives[0].op: not kept: it compares threshold metrics, not ratios",
        "spec.service: 'web-shop': imported into 'email'",
    ]


def test_the_sla_example_is_refused_for_a_one_minute_window_beginning_at_noon() -> None:
    # The example means a month (its comment says so) but writes 1m, which is a minute.
    reasons = refusal(example(TIMESLICES))

    assert reasons == [
        "SLO 'service-availability': spec.timeWindow[0].duration: 1m is 1 minute (m is "
        "minutes; M is months: write 1M); Candor's calendar windows are single calendar "
        "months (1M) in the agreement's timezone: use 1M, or a rolling window of days",
        "SLO 'service-availability': spec.timeWindow[0].calendar.startTime: 2022-01-01 "
        "12:00:00 is not midnight on the 1st of a month, where Candor's calendar months begin "
        "(such as 2022-01-01 00:00:00)",
    ]


def test_the_sla_example_corrected_as_its_refusal_says_imports_both_levels() -> None:
    corrected = (
        example(TIMESLICES)
        .replace("duration: 1m ", "duration: 1M ")
        .replace("2022-01-01 12:00:00", "2022-01-01 00:00:00")
    )

    imported = import_objective(corrected, service="web-availability")

    # The SLA is the negotiated minimum; the stricter internal objective is what IT aims at.
    assert (imported.adequate_percent, imported.desired_percent) == (99.0, 99.5)
    assert (imported.window, imported.timezone) == ("calendar_month", "America/New_York")
    assert imported.notes[1].startswith(
        "spec.budgetingMethod: Timeslices counts each slice wholly good or bad"
    )
    assert "timeSliceTarget and timeSliceWindow are not kept" in imported.notes[1]


def test_the_low_traffic_example_is_refused_for_its_calendar_week() -> None:
    reasons = refusal(example(LOW_TRAFFIC))

    assert reasons[0] == (
        "SLO 'service-availability': spec.timeWindow[0].duration: 1w is 1 week; Candor's "
        "calendar windows are single calendar months (1M) in the agreement's timezone: use "
        "1M, or a rolling window of days"
    )
    assert "calendar.startTime: 2022-01-01 12:00:00 is not midnight" in reasons[1]


# ---- refusals name the field and why ---------------------------------------------------------


def slo(**spec: Any) -> dict[str, Any]:
    """An SLO Candor takes whole (rolling 28 days, 99.5 %), with ``spec`` fields replaced."""
    document: dict[str, Any] = {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": "mail"},
        "spec": {
            "service": "email",
            "indicator": {
                "metadata": {"name": "up"},
                "spec": {
                    "ratioMetric": {
                        "good": {"metricSource": {"type": "Prometheus", "spec": {"q": "up"}}},
                        "total": {"metricSource": {"type": "Prometheus", "spec": {"q": "1"}}},
                    }
                },
            },
            "timeWindow": [{"duration": "28d", "isRolling": True}],
            "budgetingMethod": "RatioTimeslices",
            "objectives": [{"target": 0.995, "timeSliceWindow": "1m"}],
        },
    }
    document["spec"].update(copy.deepcopy(spec))
    return document


def text(*documents: Any) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {"budgetingMethod": "Occurrences"},
            "spec.budgetingMethod: Occurrences counts good events against all events",
        ),
        ({"budgetingMethod": "Weekly"}, "spec.budgetingMethod: one of Occurrences, Timeslices"),
        ({"timeWindow": [{"duration": "1M", "isRolling": True}]}, "a rolling 1 month has no"),
        ({"timeWindow": [{"duration": "36h", "isRolling": True}]}, "36h (36 hours) is not a"),
        ({"timeWindow": [{"duration": "400d", "isRolling": True}]}, "from 1 to 366"),
        ({"timeWindow": [{"duration": "28d"}]}, "isRolling: true for a rolling window"),
        ({"timeWindow": [{"duration": "4 weeks", "isRolling": True}]}, "not '4 weeks'"),
        ({"timeWindow": []}, "spec.timeWindow: a list of exactly one window"),
        (
            {"timeWindow": [{"duration": "1Q", "calendar": {"startTime": "2024-01-01 00:00:00"}}]},
            "1Q is 1 quarter; Candor's calendar windows are single calendar months",
        ),
        (
            {
                "timeWindow": [
                    {
                        "duration": "1M",
                        "calendar": {"startTime": "2024-01-01", "timeZone": "Mars/Olympus"},
                    }
                ]
            },
            "calendar.timeZone: 'Mars/Olympus' is not an IANA timezone name",
        ),
        (
            {
                "timeWindow": [
                    {
                        "duration": "1M",
                        "isRolling": True,
                        "calendar": {"startTime": "2024-01-01", "timeZone": "UTC"},
                    }
                ]
            },
            "a rolling window has no calendar",
        ),
        ({"objectives": []}, "spec.objectives: one or two objectives"),
        ({"objectives": [{"target": 0.9}] * 3}, "one or two objectives (Candor's adequate"),
        ({"objectives": [{"target": 1}]}, "spec.objectives[0].target: a number above 0 and below"),
        ({"objectives": [{"target": 0}]}, "spec.objectives[0].target: a number above 0 and below"),
        ({"objectives": [{"target": True}]}, "below 1 (0.995 is 99.5 %), not True"),
        ({"objectives": [{"target": float("nan")}]}, "below 1 (0.995 is 99.5 %), not nan"),
        ({"objectives": [{"target": 10**400}]}, "spec.objectives[0].target: a number above 0"),
        ({"objectives": [{"targetPercent": float("inf")}]}, "above 0 and below 100, not inf"),
        ({"objectives": [{"targetPercent": 100}]}, "targetPercent: a number above 0 and below 100"),
        ({"objectives": [{"target": 0.9, "targetPercent": 90}]}, "target or targetPercent, not"),
        ({"objectives": [{"displayName": "x"}]}, "spec.objectives[0]: target (such as 0.995)"),
        ({"indicator": None}, "spec.indicator: required (or spec.indicatorRef naming an SLI)"),
        ({"indicatorRef": "up"}, "give spec.indicator or spec.indicatorRef, not both"),
    ],
)
def test_what_candor_cannot_honour_is_refused_with_the_field_and_why(
    spec: dict[str, Any], expected: str
) -> None:
    reasons = refusal(text(slo(**spec)))

    assert any(expected in reason for reason in reasons), reasons
    assert all(reason.startswith("SLO 'mail': ") for reason in reasons)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "the YAML holds no document; send one kind: SLO"),
        ("kind: SLO\nspec: [unclosed\n", "YAML: not valid YAML at line 3, column 1"),
        ("- just\n- a list\n", "document 1: a mapping with apiVersion, kind, metadata and spec"),
        (
            "apiVersion: openslo/v1\nkind: Service\n",
            "kind: no document of kind SLO (found 'Service')",
        ),
        ("[" * 5000 + "]" * 5000, "YAML: nested too deeply"),
    ],
)
def test_what_is_not_an_slo_is_refused_with_what_to_send(body: str, expected: str) -> None:
    assert any(reason.startswith(expected) for reason in refusal(body)), refusal(body)


def test_another_version_of_openslo_is_refused() -> None:
    document = slo()
    document["apiVersion"] = "openslo/v2alpha"

    assert (
        "apiVersion: Candor reads openslo/v1, not 'openslo/v2alpha'" in refusal(text(document))[0]
    )


def test_an_indicator_by_reference_is_read_from_the_sli_in_the_same_yaml() -> None:
    ratio = slo()["spec"]["indicator"]
    threshold = {"metadata": {"name": "latency"}, "spec": {"thresholdMetric": {"x": 1}}}
    by_reference = slo(indicator=None)
    del by_reference["spec"]["indicator"]
    by_reference["spec"]["indicatorRef"] = "up"

    imported = import_objective(
        text({"apiVersion": "openslo/v1", "kind": "SLI", **ratio}, by_reference), service="email"
    )
    to_threshold = copy.deepcopy(by_reference)
    to_threshold["spec"]["indicatorRef"] = "latency"

    assert imported.adequate_percent == 99.5
    assert "SLI 'up': its metric source ('Prometheus') is not queried" in imported.notes[0]
    assert "spec.indicatorRef: 'up' names no SLI in this YAML" in refusal(text(by_reference))[0]
    assert (
        "SLI 'latency' spec.thresholdMetric: compares a measured value"
        in refusal(text({"apiVersion": "openslo/v1", "kind": "SLI", **threshold}, to_threshold))[0]
    )


def test_a_metric_source_of_any_shape_is_only_noted() -> None:
    odd = {"spec": {"ratioMetric": {"good": {"metricSource": {"type": [1]}}}}}

    imported = import_objective(text(slo(indicator=odd)), service="email")

    assert imported.notes == [
        "spec.indicator: its metric source (a list) is not queried: Candor judges "
        "availability from its own monitoring alerts and declared incidents"
    ]


def test_of_several_slos_the_one_for_the_service_is_taken() -> None:
    email, vpn = slo(service="email"), slo(service="vpn")
    vpn["spec"]["objectives"] = [{"target": 0.98}]

    assert import_objective(text(email, vpn), service="vpn").adequate_percent == 98.0
    assert import_objective(text(email, vpn), service="email").adequate_percent == 99.5
    assert (
        "2 SLOs, none for service 'wiki' (they are for 'email', 'vpn')"
        in (refusal(text(email, vpn), service="wiki")[0])
    )
    assert "2 SLOs for service 'email'" in refusal(text(email, email))[0]


@pytest.mark.parametrize(
    ("duration", "days"), [("1d", 1), ("4w", 28), ("48h", 2), ("2880m", 2), ("366d", 366)]
)
def test_rolling_windows_in_whole_days_import_as_days(duration: str, days: int) -> None:
    document = slo(timeWindow=[{"duration": duration, "isRolling": True}])

    assert import_objective(text(document), service="email").rolling_days == days


def test_a_calendar_month_from_midnight_on_any_first_imports_with_its_timezone() -> None:
    window = {"duration": "1M", "calendar": {"startTime": "2023-07-01", "timeZone": "Asia/Tokyo"}}

    imported = import_objective(text(slo(timeWindow=[window])), service="email")
    terms = imported.applied_to(AgreementTerms(timezone="UTC"))

    assert (imported.window, imported.timezone) == ("calendar_month", "Asia/Tokyo")
    assert terms.timezone == "Asia/Tokyo"


def test_a_target_reads_as_the_percentage_it_writes() -> None:
    objectives = [{"target": 0.9995}, {"targetPercent": 99.99}]

    imported = import_objective(text(slo(objectives=objectives)), service="email")

    assert (imported.adequate_percent, imported.desired_percent) == (99.95, 99.99)


def test_values_too_large_for_python_are_refused_not_crashed_on() -> None:
    body = text(slo()).replace("target: 0.995", "target: " + "9" * 5000)

    assert refusal(body)[0].startswith("YAML: a value cannot be read")


# ---- export, and the round trip ------------------------------------------------------------


OTHER_TERMS = {
    "terms": {"major": ResponseTerms.model_validate({"acknowledge_within": "PT15M"})},
    "maintenance_notice": "P3D",
    "downtime_fraction": {"minor": 0.25},
}


def test_a_100_percent_objective_has_no_openslo_form() -> None:
    terms = AgreementTerms(availability=AvailabilityObjective(adequate_percent=100))

    with pytest.raises(ExportError, match="adequate_percent is 100: OpenSLO targets are below"):
        export_document(service="email", service_name="Email", terms=terms)


def test_without_an_availability_objective_there_is_nothing_to_export() -> None:
    with pytest.raises(ExportError, match="service 'email' has no availability objective"):
        export_document(service="email", service_name="Email", terms=AgreementTerms())


percents = st.floats(min_value=0, max_value=100, exclude_min=True, exclude_max=True)


@st.composite
def agreements(draw: st.DrawFn) -> AgreementTerms:
    adequate = draw(percents)
    desired = draw(st.none() | percents.filter(lambda value: value >= adequate))
    objective = AvailabilityObjective(
        adequate_percent=adequate,
        desired_percent=desired,
        window=draw(st.sampled_from(["calendar_month", "rolling"])),
        rolling_days=draw(st.integers(min_value=1, max_value=366)),
    )
    zone = draw(st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Pacific/Chatham"]))
    return AgreementTerms.model_validate(
        {"timezone": zone, "availability": objective, **OTHER_TERMS}
    )


@given(terms=agreements())
def test_what_candor_exports_imports_back_unchanged(terms: AgreementTerms) -> None:
    exported = dump(export_document(service="email", service_name="Email", terms=terms))

    imported = import_objective(exported, service="email")
    again = imported.applied_to(terms)

    assert imported.notes == []
    assert again == terms  # the objective, its timezone and every other term
    assert dump(export_document(service="email", service_name="Email", terms=again)) == exported


@given(terms=agreements())
def test_an_export_sets_the_same_objective_on_a_service_without_one(terms: AgreementTerms) -> None:
    exported = dump(export_document(service="email", service_name="Email", terms=terms))

    fresh = import_objective(exported, service="email").applied_to(None)

    assert fresh.availability is not None
    assert terms.availability is not None
    assert fresh.availability.adequate_percent == terms.availability.adequate_percent
    assert fresh.availability.desired_percent == terms.availability.desired_percent
    assert fresh.availability.window == terms.availability.window
    if terms.availability.window == "rolling":
        assert fresh.availability.rolling_days == terms.availability.rolling_days
    else:
        assert fresh.timezone == terms.timezone
    assert fresh.terms == {}


def test_the_export_is_the_documented_mapping() -> None:
    terms = AgreementTerms(
        timezone="Europe/Paris",
        availability=AvailabilityObjective(adequate_percent=99.5, desired_percent=99.9),
    )

    document = yaml.safe_load(
        dump(export_document(service="email", service_name="Email", terms=terms))
    )

    assert document["apiVersion"] == "openslo/v1"
    assert document["kind"] == "SLO"
    assert document["metadata"] == {"name": "email", "displayName": "Availability of Email"}
    spec = document["spec"]
    assert spec["service"] == "email"
    assert spec["budgetingMethod"] == "RatioTimeslices"
    assert spec["timeWindow"] == [
        {
            "duration": "1M",
            "isRolling": False,
            "calendar": {"startTime": "2020-01-01 00:00:00", "timeZone": "Europe/Paris"},
        }
    ]
    assert [(o["displayName"], o["target"]) for o in spec["objectives"]] == [
        ("Adequate (the negotiated minimum)", 0.995),
        ("Desired (what users would like)", 0.999),
    ]
    source = spec["indicator"]["spec"]["ratioMetric"]["good"]["metricSource"]
    assert source["type"] == "Candor"
    rolling = terms.model_copy(
        update={"availability": AvailabilityObjective(adequate_percent=99, window="rolling")}
    )
    assert yaml.safe_load(
        dump(export_document(service="email", service_name="Email", terms=rolling))
    )["spec"]["timeWindow"] == [{"duration": "30d", "isRolling": True}]


def test_a_percentage_that_target_cannot_carry_exactly_goes_as_target_percent() -> None:
    awkward = 5e-324  # target would be 5e-326, which is no float at all
    terms = AgreementTerms(availability=AvailabilityObjective(adequate_percent=awkward))

    exported = dump(export_document(service="email", service_name="Email", terms=terms))

    assert yaml.safe_load(exported)["spec"]["objectives"][0]["targetPercent"] == awkward
    assert import_objective(exported, service="email").adequate_percent == awkward


def test_an_imported_objective_keeps_the_rolling_days_a_calendar_month_does_not_use() -> None:
    terms = AgreementTerms(
        availability=AvailabilityObjective(adequate_percent=99, window="rolling", rolling_days=7)
    )
    month = ImportedObjective(
        slo="x",
        adequate_percent=99.9,
        desired_percent=None,
        window="calendar_month",
        rolling_days=None,
        timezone="Europe/Paris",
    )

    applied = month.applied_to(terms).availability

    assert applied is not None
    assert (applied.window, applied.rolling_days, applied.adequate_percent) == (
        "calendar_month",
        7,
        99.9,
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3)
    ),
    max_leaves=12,
)
slo_fields = st.sampled_from(
    ["indicator", "indicatorRef", "timeWindow", "budgetingMethod", "objectives", "service"]
)


@given(
    fields=st.dictionaries(slo_fields, json_values, max_size=3),
    window=st.dictionaries(
        st.sampled_from(["duration", "isRolling", "calendar"]), json_values, max_size=3
    ),
    objective=st.dictionaries(
        st.sampled_from(["target", "targetPercent", "op", "value", "timeSliceWindow"]),
        json_values,
        max_size=3,
    ),
)
def test_any_document_imports_or_is_refused_never_anything_else(
    fields: dict[str, Any], window: dict[str, Any], objective: dict[str, Any]
) -> None:
    document = slo(timeWindow=[window], objectives=[objective])
    document["spec"].update(fields)

    reasons: list[str] = []
    try:
        imported = import_objective(text(document), service="email")
    except OpenSloRefused as refused:
        reasons = [str(reason) for reason in refused.reasons]
        assert reasons
    else:
        assert 0 < imported.adequate_percent < 100
    assert all(reasons)
