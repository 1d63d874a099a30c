r"""The recipient's language: message catalogs, dates and durations as its readers write them.

The mechanism is the standard one for Python and Jinja2: GNU gettext message catalogs,
read and formatted with Babel.

- English is the source language: the templates and this package are written in it and
  need no catalog. Every other language has one ``.po`` file,
  ``locales/<language>/LC_MESSAGES/candor.po``, that translators edit with any gettext tool.
- The ``.po`` files are compiled in memory with Babel when a language is first used (a few
  milliseconds for a catalog this size), so no compiled ``.mo`` file is committed and no build
  step can be forgotten: what is in the ``.po`` file is what recipients read. Fuzzy entries
  are left out, as ``msgfmt`` would.
- Templates mark their words with ``_()`` (Jinja2's ``jinja2.ext.i18n`` extension, "new
  style" gettext: values are passed by name and HTML-escaped when the template autoescapes).
  Python code marks words with :func:`N_` and translates them at the last moment.
- Dates come from Babel and the CLDR data (day and month names in the language), with a
  pattern the catalog may adapt ("EEEE d MMMM y 'à' HH:mm"), followed by the zone's
  abbreviation from the IANA database; durations are CLDR units joined as the language
  joins lists ("1 hour and 5 minutes", "1 heure et 5 minutes").
- A recipient's language tag is matched to a catalog by the closest fit: ``fr-CA`` and
  ``fr_CA`` read French, an unknown language reads English.

After changing words in the templates or the code, bring the catalogs up to date with
Babel's own tool, from ``services/notifier/src/candor_notifier``::

    pybabel extract -F mail/locales/babel.cfg -c Translators: --strip-comment-tags \
        --no-location -o /tmp/candor.pot .
    pybabel update -i /tmp/candor.pot -d mail/locales -D candor -w 100 --ignore-obsolete

then translate the new or ``fuzzy`` entries. To add a language, run
``pybabel init -i /tmp/candor.pot -d mail/locales -D candor -l <language>`` instead of
``update``. ``tests/notifier/test_languages.py`` fails while a catalog misses a word, keeps an
unused or fuzzy one, or changes a placeholder.
"""

from __future__ import annotations

import functools
import io
import zoneinfo
from datetime import datetime, timedelta
from pathlib import Path

from babel.dates import format_datetime, format_time
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from babel.units import format_unit

SOURCE_LANGUAGE = "en"
LOCALES = Path(__file__).with_name("locales")
CATALOG_DOMAIN = "candor"


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it yet."""
    return message


# Translators: a Babel (CLDR) date pattern; keep the letters, translate the quoted word.
DATE_PATTERN = N_("EEEE d MMMM y 'at' HH:mm")


def catalog_path(language: str) -> Path:
    """Where the catalog of ``language`` lives (it may not exist)."""
    return LOCALES / language / "LC_MESSAGES" / f"{CATALOG_DOMAIN}.po"


@functools.cache
def available_languages() -> frozenset[str]:
    """English and every language with a catalog."""
    found = {path.parent.parent.name for path in LOCALES.glob(f"*/LC_MESSAGES/{CATALOG_DOMAIN}.po")}
    return frozenset({SOURCE_LANGUAGE, *found})


def language_for(requested: str) -> str:
    """The closest language we write: ``fr-CA`` → ``fr``, ``DE`` → ``de``, ``xx`` → ``en``."""
    tag = requested.strip().replace("_", "-").lower()
    available = available_languages()
    if tag in available:
        return tag
    primary = tag.split("-", 1)[0]
    return primary if primary in available else SOURCE_LANGUAGE


@functools.cache
def translations_for(language: str) -> NullTranslations:
    """The compiled catalog of ``language`` (English needs none and translates to itself)."""
    if language == SOURCE_LANGUAGE or language not in available_languages():
        return NullTranslations()
    with catalog_path(language).open("rb") as source:
        catalog = read_po(source, locale=language, domain=CATALOG_DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=CATALOG_DOMAIN)


def local_time(moment: datetime, zone: zoneinfo.ZoneInfo, language: str = SOURCE_LANGUAGE) -> str:
    """``Monday 23 November 2026 at 10:58 CET``: a moment as a reader in ``zone`` says it.

    The zone's abbreviation is the IANA one (``CET``, ``EST``, ``UTC``) in every language.
    """
    local = moment.astimezone(zone)
    pattern = translations_for(language).gettext(DATE_PATTERN)
    return f"{format_datetime(local, pattern, tzinfo=zone, locale=language)} {local.tzname()}"


def clock_time(
    moment: datetime,
    zone: zoneinfo.ZoneInfo,
    language: str = SOURCE_LANGUAGE,
    *,
    today: datetime,
) -> str:
    """``10:30 CET`` when ``moment`` falls on the reader's day of ``today``; otherwise the
    whole :func:`local_time`, so that a time of another day never reads as today's."""
    local = moment.astimezone(zone)
    if local.date() != today.astimezone(zone).date():
        return local_time(moment, zone, language)
    return f"{format_time(local, 'HH:mm', tzinfo=zone, locale=language)} {local.tzname()}"


def duration_in_words(span: timedelta, language: str = SOURCE_LANGUAGE) -> str:
    """``22 minutes``, ``1 hour and 5 minutes``, ``2 days and 3 hours`` (to the minute)."""
    minutes = round(span.total_seconds() / 60)
    if minutes < 1:
        return translations_for(language).gettext(N_("less than a minute"))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = [
        (days, "duration-day"),
        (hours, "duration-hour"),
        (0 if days else minutes, "duration-minute"),
    ]
    words = [format_unit(count, unit, locale=language) for count, unit in units if count]
    return format_list(words, locale=language)
