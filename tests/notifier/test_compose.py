"""The pure parts: header safety, durations in words, SMTP URLs, retry delays, settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from candor_notifier.deliveries.service import retry_delay
from candor_notifier.mail.compose import duration_in_words, header_safe
from candor_notifier.mail.smtp import SmtpServer
from candor_notifier.settings import NotifierSettings


@given(st.text())
def test_header_safe_never_leaves_a_line_break_or_control_character(value: str) -> None:
    flat = header_safe(value)

    assert not any(char in flat for char in "\r\n\x0b\x0c\x85\u2028\u2029\x00\t")
    assert flat == flat.strip()


@given(st.text())
def test_header_safe_leaves_nothing_that_reads_as_an_encoded_word(value: str) -> None:
    assert "=?" not in header_safe(value)


def test_header_safe_keeps_words_and_shortens_with_an_ellipsis() -> None:
    assert header_safe("Disk  full\r\nBcc: x@example.org") == "Disk full Bcc: x@example.org"
    assert header_safe("a" * 10, limit=5) == "aaaa…"


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(seconds=20), "less than a minute"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=22), "22 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=1, minutes=5), "1 hour and 5 minutes"),
        (timedelta(days=2, hours=3, minutes=4), "2 days and 3 hours"),
        (timedelta(days=1, minutes=4), "1 day"),
        (timedelta(days=3, hours=1), "3 days and 1 hour"),
    ],
)
def test_duration_in_words(span: timedelta, words: str) -> None:
    assert duration_in_words(span) == words


def test_smtp_urls() -> None:
    assert SmtpServer.from_url("smtp://127.0.0.1:1025") == SmtpServer(
        host="127.0.0.1", port=1025, implicit_tls=False
    )
    secure = SmtpServer.from_url("smtps://candor%40example.org:p%3Ass@mail.example.org")
    assert (secure.host, secure.port, secure.implicit_tls) == ("mail.example.org", 465, True)
    assert (secure.username, secure.password) == ("candor@example.org", "p:ss")
    assert "p:ss" not in repr(secure)


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://mail.example.org", "must start with smtp:// or smtps://"),
        ("smtp://", "has no host"),
        ("smtp://mail.example.org:port", "invalid port"),
    ],
)
def test_bad_smtp_urls_are_refused_with_the_reason(url: str, complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        NotifierSettings(smtp_url=url)


def test_a_lease_shorter_than_a_send_is_refused() -> None:
    with pytest.raises(ValidationError, match="delivery_lease_seconds must be longer"):
        NotifierSettings(delivery_lease_seconds=5, smtp_timeout_seconds=10)


@given(st.integers(min_value=1, max_value=200), st.floats(min_value=0, max_value=1))
def test_retry_delay_grows_then_stays_capped(attempts: int, draw: float) -> None:
    delay = retry_delay(attempts=attempts, base_seconds=5, max_seconds=900, rng=lambda: draw)

    ceiling = min(900, 5 * 2 ** (attempts - 1))
    assert ceiling / 2 <= delay <= ceiling
