"""Each recipient reads Candor's words in their language; operators' words stay as written."""

from __future__ import annotations

import email
import email.policy
import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import candor_notifier
from candor_dev.mailcatcher import MailCatcher
from candor_notifier.mail.compose import NoticeKind, Recipient, compose, subject_of
from candor_notifier.mail.languages import (
    LOCALES,
    available_languages,
    catalog_path,
    duration_in_words,
    language_for,
    local_time,
)
from candor_shared.contract import IncidentSnapshot
from tests.conftest import eventually
from tests.incident_api.helpers import post_alert, setup_email
from tests.notifier.helpers import bodies, deliveries, snapshot
from tests.payloads import alertmanager

STARTS = "2025-11-24T09:58:00Z"
ENDS = "2025-11-24T10:20:00Z"
TITLE = "Outgoing mail is not being delivered"
KINDS: tuple[NoticeKind, ...] = ("opened", "updated", "resolved", "reopened")
TRANSLATED = sorted(available_languages() - {"en"})
PACKAGE = Path(candor_notifier.__file__).parent
NBSP = "\N{NO-BREAK SPACE}"  # CLDR keeps some French numbers with their unit


async def test_each_subscriber_reads_the_incident_in_their_language(
    api: Any, operator: httpx.AsyncClient, notifier: Any, mail: MailCatcher
) -> None:
    key = await setup_email(operator)
    for address, timezone, language in [
        ("amelie@example.org", "Europe/Paris", "fr"),
        ("gaston@example.org", "America/Montreal", "fr-CA"),
        ("xena@example.org", "UTC", "xx"),
    ]:
        response = await operator.post(
            "/v1/subscribers",
            json={
                "email": address,
                "services": ["email"],
                "timezone": timezone,
                "language": language,
            },
        )
        assert response.status_code == 201, response.text

    await post_alert(api, key, alertmanager(starts_at=STARTS))
    await eventually(lambda: len(mail.mails) >= 3)
    await post_alert(api, key, alertmanager(status="resolved", starts_at=STARTS, ends_at=ENDS))
    await eventually(lambda: len(mail.mails) >= 6)
    await eventually(lambda: _all_sent(notifier.sessions, count=6))
    await notifier.stop()

    caught: dict[str, list[EmailMessage]] = {}
    for item in mail.mails:
        (address,) = item.recipients
        caught.setdefault(address, []).append(_reparsed(item.raw))
    opened, resolved = caught["amelie@example.org"]
    assert opened["Subject"] == f"[Analyse en cours] Email — {TITLE}"
    assert opened["Content-Language"] == "fr"
    text, html = bodies(opened)
    assert "Email ne fonctionne pas normalement." in text
    assert "Début : lundi 24 novembre 2025 à 10:58 CET" in text
    assert "État : Analyse en cours : nous savons que quelque chose ne va pas" in text
    assert '<html lang="fr">' in html
    assert "lundi 24 novembre 2025 à 10:58 CET" in html
    assert "<strong>Analyse en cours</strong> : nous savons" in html
    assert "We will write again" not in text + html

    assert resolved["Subject"] == f"[Résolu] Email — {TITLE}"
    text, html = bodies(resolved)
    assert "Email fonctionne de nouveau normalement." in text
    assert "Fin : lundi 24 novembre 2025 à 11:20 CET" in text
    assert "Cela a duré 22 minutes." in text
    assert "Cela a duré 22 minutes." in html

    canadian, _ = caught["gaston@example.org"]
    assert canadian["Subject"] == f"[Analyse en cours] Email — {TITLE}"
    text, _ = bodies(canadian)
    assert "Début : lundi 24 novembre 2025 à 04:58 EST" in text

    unknown, _ = caught["xena@example.org"]
    assert unknown["Subject"] == f"[Investigating] Email — {TITLE}"
    assert unknown["Content-Language"] == "en"
    text, html = bodies(unknown)
    assert "Started: Monday 24 November 2025 at 09:58 UTC" in text
    assert '<html lang="en">' in html


@pytest.mark.parametrize(
    ("requested", "language"),
    [
        ("fr", "fr"),
        ("fr-CA", "fr"),
        ("fr_CA", "fr"),
        ("FR", "fr"),
        ("de-AT", "de"),
        ("en-GB", "en"),
        ("xx", "en"),
        ("", "en"),
    ],
)
def test_the_closest_language_is_chosen_then_english(requested: str, language: str) -> None:
    assert language_for(requested) == language


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Monday 23 November 2026 at 10:58 CET"),
        ("fr", "lundi 23 novembre 2026 à 10:58 CET"),
        ("de", "Montag, 23. November 2026 um 10:58 CET"),
    ],
)
def test_a_moment_reads_as_the_language_says_it_in_the_recipients_zone(
    language: str, words: str
) -> None:
    moment = datetime(2026, 11, 23, 9, 58, tzinfo=UTC)

    assert local_time(moment, zoneinfo.ZoneInfo("Europe/Paris"), language) == words


@pytest.mark.parametrize(
    ("span", "french", "german"),
    [
        (
            timedelta(seconds=20),
            "moins d\N{RIGHT SINGLE QUOTATION MARK}une minute",
            "weniger als eine Minute",
        ),
        (timedelta(minutes=1), "1 minute", "1 Minute"),
        (timedelta(minutes=22), "22 minutes", "22 Minuten"),
        (timedelta(hours=1, minutes=5), f"1{NBSP}heure et 5 minutes", "1 Stunde und 5 Minuten"),
        (
            timedelta(days=2, hours=3, minutes=4),
            f"2{NBSP}jours et 3{NBSP}heures",
            "2 Tage und 3 Stunden",
        ),
        (timedelta(days=1, minutes=4), f"1{NBSP}jour", "1 Tag"),
    ],
)
def test_durations_read_naturally(span: timedelta, french: str, german: str) -> None:
    assert duration_in_words(span, "fr") == french
    assert duration_in_words(span, "de") == german


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("kind", KINDS)
def test_every_notice_is_wholly_translated(kind: NoticeKind, language: str) -> None:
    message = _compose(kind, _incident(), language=language)

    text, html = bodies(message)
    leftovers = [
        english
        for english in _source_messages()
        if "%" not in english and len(english) > 6 and (english in text or english in html)
    ]
    assert leftovers == []
    assert f'<html lang="{language}">' in html
    assert message["Content-Language"] == language


@pytest.mark.parametrize(
    ("language", "promise", "without"),
    [
        ("en", "next update by 11:30 CET", "engineers are still working on “Mail delays”."),
        ("fr", "ici 11:30 CET", "toujours sur « Mail delays »."),
        ("de", "spätestens 11:30 CET", "weiter an „Mail delays“."),
    ],
)
def test_a_holding_update_written_after_its_promise_promises_nothing(
    language: str, promise: str, without: str
) -> None:
    """Held back by quiet hours (or retried) past 10:30 UTC, the update would promise a time
    gone by: it says only that nothing changed."""
    incident = _incident(title="Mail delays")
    on_time = bodies(_compose("holding", incident, language=language))
    late = bodies(
        _compose(
            "holding", incident, language=language, now=datetime(2025, 11, 24, 11, 0, tzinfo=UTC)
        )
    )
    for body in on_time:
        assert promise in body
    for body in late:
        assert promise not in body
        assert "11:30" not in body
        assert without in body


@pytest.mark.parametrize("kind", KINDS)
def test_an_unknown_language_reads_exactly_as_english(kind: NoticeKind) -> None:
    incident = _incident()

    unknown = _compose(kind, incident, language="xx")
    english = _compose(kind, incident, language="en")

    assert [(name, str(value)) for name, value in unknown.items()] == [
        (name, str(value)) for name, value in english.items()
    ]
    assert bodies(unknown) == bodies(english)


@pytest.mark.parametrize("language", ["en", *TRANSLATED])
def test_operators_words_stay_as_written_escaped_in_html_and_on_one_header_line(
    language: str,
) -> None:
    incident = _incident(title="Mail <script>x</script>\r\nBcc: eve@example.org")

    message = _compose("updated", incident, language=language)

    raw = _reparsed(message.as_bytes())
    assert raw["Bcc"] is None
    assert "\n" not in str(raw["Subject"])
    assert str(raw["Subject"]).endswith("Email — Mail <script>x</script> Bcc: eve@example.org")
    text, html = bodies(raw)
    assert "Mail <script>x</script>" in text
    assert "<script>" not in html
    assert "Mail &lt;script&gt;x&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("kind", "status", "subject"),
    [
        ("opened", "identified", f"[Cause identifiée] Email — {TITLE}"),
        ("updated", "monitoring", f"[Sous surveillance] Mise à jour : Email — {TITLE}"),
        ("resolved", "monitoring", f"[Résolu] Email — {TITLE}"),
        ("reopened", "investigating", f"[Problème revenu] Email — {TITLE}"),
    ],
)
def test_french_subjects_carry_status_and_service(
    kind: NoticeKind, status: str, subject: str
) -> None:
    assert subject_of(kind=kind, incident=_incident(status=status), language="fr-CA") == subject


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_catalog_covers_exactly_the_words_in_use(language: str) -> None:
    catalog = _catalog(language)
    translated = {message.id for message in catalog if message.id}

    assert translated == set(_source_messages()), "update the catalog from the sources"
    unfinished = [m.id for m in catalog if m.id and (m.fuzzy or not m.string)]
    assert unfinished == []
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []
    for message in catalog:
        if message.id:
            assert _placeholders(str(message.id)) == _placeholders(str(message.string))


def test_every_catalog_language_has_its_dates_from_babel() -> None:
    moment = datetime(2026, 11, 23, 9, 58, tzinfo=UTC)
    for language in TRANSLATED:
        assert "2026" in local_time(moment, zoneinfo.ZoneInfo("UTC"), language)
        assert catalog_path(language).is_file()


def _incident(**changes: Any) -> IncidentSnapshot:
    base = snapshot(status=changes.pop("status", "investigating"), **changes)
    data = base.model_dump()
    data.update(
        public_message="Queue is draining",
        next_update_at="2025-11-24T10:30:00+00:00",
        resolved_at="2025-11-24T11:03:00+00:00",
        impacts=[
            {
                "service": {"id": "crm", "slug": "crm", "name": "CRM"},
                "impact": "minor",
                "wording": "no receipts",
            }
        ],
    )
    return IncidentSnapshot.model_validate(data)


def _compose(
    kind: NoticeKind,
    incident: IncidentSnapshot,
    *,
    language: str,
    now: datetime = datetime(2025, 11, 24, 10, 5, tzinfo=UTC),
) -> EmailMessage:
    """The notice as written at ``now`` (before the next update promised at 10:30 UTC)."""
    return compose(
        kind=kind,
        incident=incident,
        recipient=Recipient(email="ana@example.org", timezone="Europe/Paris", language=language),
        sender="Candor <candor@localhost>",
        message_id="<1@candor.localhost>",
        in_reply_to=None,
        public_url="http://status.example.org/",
        now=now,
    )


def _reparsed(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _source_messages() -> list[str]:
    """Every word the templates and the mail code mark for translation, as ``pybabel`` sees it."""
    with (LOCALES / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    found = extract_from_dir(str(PACKAGE), method_map=method_map, options_map=options_map)
    return sorted({str(message) for _, _, message, _, _ in found})


def _catalog(language: str) -> Catalog:
    with catalog_path(language).open("rb") as source:
        return read_po(source, locale=language)


def _placeholders(message: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)s", message))


async def _all_sent(sessions: Any, *, count: int) -> Any:
    rows = await deliveries(sessions)
    if len(rows) == count and all(row.state == "sent" for row in rows):
        return rows
    return None
