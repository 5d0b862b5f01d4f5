"""Every word gigacheck says outside the diagnosis catalog, in English and Russian.

One table, so a new output path cannot forget a language: `say(key, lang, **fields)`.
The catalog of codes (`diagnosis.CATALOG`) holds the findings' own words; this holds the
rest (banners, area names, headings, the terminal block, skip reasons, usage errors).
Plain data: no pytest here.
"""

from __future__ import annotations

import os
from typing import Mapping, Optional

LANGS = ("en", "ru")

WORDS = {
    # key: {"en": ..., "ru": ...}; str.format fields are named the same in both
    "lang.help": {
        "en": "language of the report, verdicts and remedies: ru or en "
              "(default: ru where LC_ALL, LC_MESSAGES or LANG starts with ru, else en)",
        "ru": "язык отчёта, вердиктов и рекомендаций: ru или en "
              "(по умолчанию ru, если LC_ALL, LC_MESSAGES или LANG начинается с ru, иначе en)",
    },
    # one root cause, one failure (causes.py): the site's log rows attached to the failure
    "causes.log_agrees": {
        "en": "The site's log agrees: rows since {since}: {counts}",
        "ru": "Журнал сайта подтверждает: записи с {since}: {counts}",
    },
    "causes.log_unread": {
        "en": "The site's log could not be read to confirm this ({headline}); the log checks say why",
        "ru": "Журнал сайта не удалось прочитать для подтверждения ({headline}); причину называют проверки журнала",
    },
}


def say(key: str, lang: str = "en", **fields) -> str:
    """The text of `key` in `lang`, its fields filled in."""
    entry = WORDS[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**fields) if fields else text


def default_lang(environ: Optional[Mapping[str, str]] = None) -> str:
    """ru where the locale is Russian (LC_ALL, then LC_MESSAGES, then LANG: the first one set decides)."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "ru" if value.lower().startswith("ru") else "en"
    return "en"


def choose_lang(option: Optional[str], ini: Optional[str], environ: Optional[Mapping[str, str]] = None) -> str:
    """--lang wins over the ini option, which wins over the locale."""
    for value in (option, ini):
        if value:
            value = value.strip().lower()
            if value not in LANGS:
                raise ValueError(f"unknown language {value!r}: use ru or en")
            return value
    return default_lang(environ)
