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
    # --- the site's SDK: other ways to authenticate, its default host, its chat API (issue 12) ---
    "skip.no_key_needed.password": {
        "en": "no key needed: GIGACHAT_USER and GIGACHAT_PASSWORD are set (the SDK's password authentication)",
        "ru": "ключ авторизации не нужен: заданы GIGACHAT_USER и GIGACHAT_PASSWORD (вход по логину и паролю в SDK)",
    },
    "skip.no_key_needed.mtls": {
        "en": "no key needed: GIGACHAT_CERT_FILE is set (the SDK's mTLS authentication by client certificate)",
        "ru": "ключ авторизации не нужен: задан GIGACHAT_CERT_FILE (вход в SDK по клиентскому сертификату, mTLS)",
    },
    "skip.no_oauth.password": {
        "en": "OAuth is not called: the SDK asks the API host for a token with GIGACHAT_USER and GIGACHAT_PASSWORD",
        "ru": "OAuth не вызывается: SDK получает токен у хоста API по логину и паролю (GIGACHAT_USER и "
              "GIGACHAT_PASSWORD)",
    },
    "skip.no_oauth.mtls": {
        "en": "OAuth is not called: the SDK authenticates by client certificate (GIGACHAT_CERT_FILE)",
        "ru": "OAuth не вызывается: SDK входит по клиентскому сертификату (GIGACHAT_CERT_FILE)",
    },
    "skip.no_v2_chat": {
        "en": "the site's SDK does not use the v2 chat API ({why}); the v1 chat check covers it",
        "ru": "SDK сайта не использует чат API v2 ({why}); его покрывает проверка чата v1",
    },
    "header.api_host": {
        "en": "API host {url} ({why})",
        "ru": "хост API {url} ({why})",
    },
    "header.auth_method": {
        "en": "authentication: {method}",
        "ru": "вход: {method}",
    },
    "auth.key": {"en": "authorization key (OAuth)", "ru": "ключ авторизации (OAuth)"},
    "auth.password": {"en": "user and password (POST /token)", "ru": "логин и пароль (POST /token)"},
    "auth.token": {"en": "a ready access token (GIGACHAT_ACCESS_TOKEN)",
                   "ru": "готовый токен доступа (GIGACHAT_ACCESS_TOKEN)"},
    "auth.mtls": {"en": "client certificate (mTLS)", "ru": "клиентский сертификат (mTLS)"},
    "sdk.documented": {
        "en": "GIGACHAT_BASE_URL unset: the documented default, no gigachat SDK installed here",
        "ru": "GIGACHAT_BASE_URL не задан: документированное значение по умолчанию, SDK gigachat здесь не установлен",
    },
    "sdk.installed": {
        "en": "GIGACHAT_BASE_URL unset: the default of the installed gigachat {version}",
        "ru": "GIGACHAT_BASE_URL не задан: значение по умолчанию установленного gigachat {version}",
    },
    "sdk.set": {
        "en": "GIGACHAT_BASE_URL from the {source}",
        "ru": "GIGACHAT_BASE_URL из {source}",
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
