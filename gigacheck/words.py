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
    # --- the report a person reads: banner, areas, cards (HTML and the terminal block) ---------------
    "area.config": {"en": "config", "ru": "настройки"},
    "area.network": {"en": "network", "ru": "сеть"},
    "area.oauth": {"en": "oauth", "ru": "OAuth"},
    "area.api": {"en": "api", "ru": "API"},
    "area.generation": {"en": "generation", "ru": "генерация"},
    "area.logs": {"en": "logs", "ru": "логи"},
    "area.other": {"en": "other", "ru": "прочее"},
    "verdict.passed": {"en": "Passed: the integration works", "ru": "Всё в порядке: интеграция работает"},
    "verdict.warnings": {"en": "Passed with warnings", "ru": "Работает, но есть предупреждения"},
    "verdict.failed": {"en": "Failed: the integration needs fixing", "ru": "Есть ошибки: интеграцию нужно чинить"},
    "mode.live": {"en": "LIVE run against the configured GigaChat hosts",
                  "ru": "LIVE: проверка настоящих серверов GigaChat"},
    "mode.mock": {"en": "MOCK run, scenario {scenario}: answers come from fixtures/, nothing was sent to GigaChat",
                  "ru": "MOCK, сценарий {scenario}: ответы взяты из fixtures/, в GigaChat ничего не отправлялось"},
    "counts": {"en": "{total}: {passed} passed, {failed} failed, {skipped} skipped, {warnings}",
               "ru": "{total}: пройдено {passed}, с ошибкой {failed}, пропущено {skipped}, {warnings}"},
    "counts.took": {"en": "{counts}; took {seconds} s", "ru": "{counts}; заняло {seconds} с"},
    "area.state.passed": {"en": "{passed} passed", "ru": "пройдено: {passed}"},
    "area.state.skipped": {"en": "{skipped} skipped", "ru": "пропущено: {skipped}"},
    "area.state.failed": {"en": "{failed} failed", "ru": "с ошибкой: {failed}"},
    "area.state.warned": {"en": "{warnings}", "ru": "{warnings}"},
    "html.title": {"en": "GigaChat health: {mode}", "ru": "Состояние GigaChat: {mode}"},
    "html.heading": {"en": "GigaChat health", "ru": "Состояние GigaChat"},
    "html.areas": {"en": "Areas", "ru": "Что проверено"},
    "html.failures": {"en": "What is wrong", "ru": "Что не так"},
    "html.warnings": {"en": "Warnings", "ru": "Предупреждения"},
    "html.picture": {"en": "Generated picture", "ru": "Сгенерированное изображение"},
    "html.run": {"en": "This run", "ru": "Этот прогон"},
    "html.started": {"en": "Started", "ru": "Начало"},
    "html.models": {"en": "Models", "ru": "Модели"},
    "html.log_source": {"en": "Log source", "ru": "Источник логов"},
    "html.log_source.mock": {"en": "embedded SQLite (mock)", "ru": "встроенная SQLite (mock)"},
    "html.log_source.none": {"en": "not configured", "ru": "не настроен"},
    "html.tls_off": {"en": "TLS verification is OFF (GIGACHAT_VERIFY_SSL_CERTS=false): GC011",
                     "ru": "Проверка TLS ОТКЛЮЧЕНА (GIGACHAT_VERIFY_SSL_CERTS=false): GC011"},
    "html.shown_above": {"en": "Shown above in \u201cWhat is wrong\u201d: {codes}",
                         "ru": "Показано выше, в разделе \u00abЧто не так\u00bb: {codes}"},
    "card.check": {"en": "Check", "ru": "Проверка"},
    "card.cause": {"en": "Cause", "ru": "Причина"},
    "card.remedy": {"en": "Remedy", "ru": "Что сделать"},
    "card.commands": {"en": "Commands", "ru": "Команды"},
    "card.evidence": {"en": "Evidence ({lines})", "ru": "Подробности ({lines})"},
    "term.requests": {"en": "GigaChat requests{mock}: oauth {oauth}, chat {chat}, files {files}{spent}",
                      "ru": "Запросы к GigaChat{mock}: oauth {oauth}, chat {chat}, files {files}{spent}"},
    "term.requests.mock": {"en": " (answered by the mock)", "ru": " (отвечал mock)"},
    "term.requests.unspent": {"en": " (no --spend: nothing spent)", "ru": " (без --spend: токены не потрачены)"},
    "term.report": {"en": "report: {paths}", "ru": "отчёт: {paths}"},
    # one root cause, one failure (causes.py): the site's log rows attached to the failure
    "causes.log_agrees": {
        "en": "The site's log agrees: rows since {since}: {counts}",
        "ru": "Журнал сайта подтверждает: записи с {since}: {counts}",
    },
    "causes.log_unread": {
        "en": "The site's log could not be read to confirm this ({headline}); the log checks say why",
        "ru": "Журнал сайта не удалось прочитать для подтверждения ({headline}); причину называют проверки журнала",
    },
    # issue 9: files read with bounds, refusals that keep secrets in, peer text cut
    "usage.report_json_dir": {"en": "--report-json {path}: is a directory; name a file, e.g. {example}",
                              "ru": "--report-json {path}: это папка; укажите файл, например {example}"},
    "file.missing": {"en": "no such file", "ru": "нет такого файла"},
    "file.is_dir": {"en": "is a directory", "ru": "это папка, а не файл"},
    "file.not_regular": {"en": "is not a regular file (a FIFO, socket or device)",
                         "ru": "это не обычный файл (FIFO, сокет или устройство)"},
    "file.too_big": {"en": "is larger than {kib} KiB", "ru": "больше {kib} КиБ"},
    "file.permission": {"en": "permission denied (the file, or a folder on its path, may not be read by this user)",
                        "ru": "нет доступа (этот пользователь не может прочитать файл или одну из папок на пути "
                              "к нему)"},
    "file.unreadable": {"en": "cannot be read ({why})", "ru": "не читается ({why})"},
    "tls.fallback_http": {"en": "fallback provider OFF (plain http://, refused: GC046)",
                          "ru": "у резервного провайдера выключено (открытый http://, отклонён: GC046)"},
    "models.refused": {"en": "{n} of the configured models refused: {shown}; checked instead: {models}",
                       "ru": "отклонено моделей из настроек: {n} ({shown}); вместо них проверены: {models}"},
    "fallback.http": {"en": "PROXY_API_BASE_URL {url}: PROXY_API_KEY was not sent",
                      "ru": "PROXY_API_BASE_URL {url}: PROXY_API_KEY не отправлялся"},
    "peer.cut": {"en": "... ({n} characters)", "ru": "... ({n} символов)"},
}

# Plural forms: English one/other; Russian one (1, 21), few (2-4, 22-24), many (5-20, 25, 11-14).
PLURALS = {
    "check": {"en": ("check", "checks"), "ru": ("проверка", "проверки", "проверок")},
    "row": {"en": ("row", "rows"), "ru": ("строка", "строки", "строк")},
    "warning": {"en": ("warning", "warnings"), "ru": ("предупреждение", "предупреждения", "предупреждений")},
    "line": {"en": ("line", "lines"), "ru": ("строка", "строки", "строк")},
}


def say(key: str, lang: str = "en", **fields) -> str:
    """The text of `key` in `lang`, its fields filled in."""
    entry = WORDS[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**fields) if fields else text


def plural(n: int, word: str, lang: str = "en") -> str:
    """`n` and the form of `word` that goes with it: 1 row, 2 rows; 1 строка, 2 строки, 5 строк."""
    forms = PLURALS[word].get(lang) or PLURALS[word]["en"]
    if len(forms) == 2:
        return f"{n} {forms[0] if n == 1 else forms[1]}"
    last2, last = abs(n) % 100, abs(n) % 10
    form = forms[0] if last == 1 and last2 != 11 else forms[1] if 2 <= last <= 4 and not 12 <= last2 <= 14 \
        else forms[2]
    return f"{n} {form}"


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
