"""Every word gigacheck says outside the diagnosis catalog, in English and Russian.

One table, so a new output path cannot forget a language: `say(key, lang, **fields)`.
The catalog of codes (`diagnosis.CATALOG`) holds the findings' own words; this holds the
rest (banners, area names, headings, the terminal block, skip reasons, usage errors).
Plain data: no pytest here.
"""

from __future__ import annotations

import contextvars
import os
from contextlib import contextmanager
from typing import Iterator, Mapping, Optional

LANGS = ("en", "ru")

WORDS = {
    # key: {"en": ..., "ru": ...}; str.format fields are named the same in both
    "lang.help": {
        "en": "language of the report, verdicts and remedies: ru or en "
              "(default: ru where LC_ALL, LC_MESSAGES or LANG starts with ru, else en)",
        "ru": "язык отчёта, вердиктов и рекомендаций: ru или en "
              "(по умолчанию ru, если LC_ALL, LC_MESSAGES или LANG начинается с ru, иначе en)",
    },
    # a finding, rendered (diagnosis.render) and the README's table of codes
    "label.cause": {"en": "Cause:", "ru": "Причина:"},
    "label.remedy": {"en": "Remedy:", "ru": "Что сделать:"},
    "label.evidence": {"en": "Evidence:", "ru": "Подтверждение:"},
    "codes.table.head": {"en": "| code | finding | severity | remedy |",
                         "ru": "| код | что не так | уровень | что сделать |"},
    # README's compact table (the front door): the remedies are in docs/codes.md
    "codes.compact.head": {"en": "| code | finding |", "ru": "| код | что не так |"},
    "severity.fail": {"en": "fail", "ru": "ошибка"},
    "severity.warn": {"en": "warn", "ru": "предупреждение"},
    # skip reasons (after `[CODE] `)
    "skip.key_not_needed": {"en": "no key needed: GIGACHAT_ACCESS_TOKEN is set, so OAuth is not called",
                            "ru": "ключ авторизации не нужен: задан GIGACHAT_ACCESS_TOKEN, поэтому OAuth не "
                                  "вызывается"},
    "skip.oauth_not_called": {"en": "OAuth is not called: GIGACHAT_ACCESS_TOKEN is set",
                              "ru": "OAuth не вызывается: задан GIGACHAT_ACCESS_TOKEN"},
    "skip.gigachat_off": {"en": "GigaChat is turned off (ENABLE_GIGACHAT=false): nothing to check",
                          "ru": "GigaChat выключен (ENABLE_GIGACHAT=false): проверять нечего"},
    "config.gigachat_off": {"en": "ENABLE_GIGACHAT=false: the site does not call GigaChat; its checks are skipped",
                            "ru": "ENABLE_GIGACHAT=false: сайт не обращается к GigaChat; его проверки пропущены"},
    "skip.balance_403": {"en": "GET /balance answered 403: a pay-as-you-go account has no prepaid balance to check",
                         "ru": "GET /balance ответил 403: у аккаунта с оплатой по факту нет предоплаченного "
                               "баланса, проверять нечего"},
    "skip.min_balance_unset": {"en": "GIGACHECK_MIN_BALANCE is not set, nothing to compare with (balance: {shown})",
                               "ru": "GIGACHECK_MIN_BALANCE не задан, сравнивать не с чем (баланс: {shown})"},
    "skip.no_fallback": {"en": "PROXY_API_BASE_URL is not set: the site has no fallback provider to check",
                         "ru": "PROXY_API_BASE_URL не задан: у сайта нет резервного провайдера, проверять нечего"},
    "skip.logs_file_only": {"en": "DATABASE_URL is not set: the log checks read GIGACHECK_LOG_FILE only",
                            "ru": "DATABASE_URL не задан: проверки логов читают только GIGACHECK_LOG_FILE"},
    "skip.reported_by": {"en": "{headline} (reported by {first})",
                         "ru": "{headline} (об этом уже сообщила проверка {first})"},
    "skip.inactive": {"en": "gigacheck is not active in this run (run `pytest checks/`)",
                      "ru": "gigacheck в этом запуске не активен (запустите `pytest checks/`)"},
    # what the spending checks cost (--spend)
    "spend.skip": {"en": "spends tokens: {this}. Run with --spend to enable; all spending checks: {estimate}",
                   "ru": "тратит токены: {this}. Чтобы включить, запустите с --spend; все платные проверки "
                         "вместе: {estimate}"},
    "spend.header.on": {"en": "--spend: the spending checks may use {estimate}",
                        "ru": "--spend: платные проверки могут потратить {estimate}"},
    "spend.header.off": {"en": "spending checks off, nothing is spent; --spend would use {estimate}",
                         "ru": "платные проверки выключены, ничего не тратится; с --spend ушло бы {estimate}"},
    "spend.tokens": {"en": "GigaChat tokens", "ru": "токены GigaChat"},
    "spend.chat": {"en": "1 chat completion with {model}, max_tokens {max_tokens}",
                   "ru": "1 запрос к чату с {model}, max_tokens {max_tokens}"},
    "spend.image": {"en": "1 image generation with {model}{more} + 1 file download",
                    "ru": "1 генерация изображения с {model}{more} + 1 скачивание файла"},
    "spend.image.more": {"en": " (up to {n} when a model fails, as the site falls back)",
                         "ru": " (до {n}, если модель не справится и сайт перейдёт к следующей)"},
    "spend.estimate": {"en": "{chats} ({models}; max_tokens {max_tokens}{apis}) + {image}",
                       "ru": "{chats} ({models}; max_tokens {max_tokens}{apis}) + {image}"},
    "n.chats": {"en": "{n} chat completion|{n} chat completions",
                "ru": "{n} запрос к чату|{n} запроса к чату|{n} запросов к чату"},
    # the pytest header (after `gigacheck: `)
    "header.hosts": {"en": "auth {auth} · api {api} · models {models}",
                     "ru": "авторизация {auth} · API {api} · модели {models}"},
    "header.env_file": {"en": "env file {path}", "ru": "env-файл {path}"},
    "env.unread_lines": {"en": "{names}: the value written cannot be read, so it is never used (by the site "
                               "nor by these checks)",
                         "ru": "{names}: записанное значение нельзя прочитать, поэтому оно не используется (ни "
                               "сайтом, ни этими проверками)"},
    "setting.form": {"en": "{name}={value}: {form}", "ru": "{name}={value}: {form}"},
    "form.tokens": {"en": "give a number of tokens, e.g. GIGACHECK_MIN_BALANCE=10000",
                    "ru": "укажите число токенов, например GIGACHECK_MIN_BALANCE=10000"},
    "form.sdk": {"en": "give the site's gigachat SDK version, e.g. GIGACHECK_SDK_VERSION=0.1.42 (or none: no SDK)",
                 "ru": "укажите версию SDK gigachat сайта, например GIGACHECK_SDK_VERSION=0.1.42 (или none: без SDK)"},
    "form.bool": {"en": "write true or false (read as {default} until then)",
                  "ru": "пишите true или false (до тех пор читается как {default})"},
    "header.mock_logs": {"en": "log checks: the scenario's own rows (an embedded SQLite seeded from fixtures/), "
                               "never the site's log{ignored}",
                         "ru": "проверки логов: собственные строки сценария (встроенная SQLite из fixtures/), "
                               "а не лог сайта{ignored}"},
    "header.mock_logs.ignored": {"en": "; not read in a mock run: {names}",
                                 "ru": "; в mock-прогоне не читаются: {names}"},
    "header.tls_off": {"en": "TLS VERIFICATION IS OFF (GIGACHAT_VERIFY_SSL_CERTS=false)",
                       "ru": "ПРОВЕРКА TLS-СЕРТИФИКАТОВ ОТКЛЮЧЕНА (GIGACHAT_VERIFY_SSL_CERTS=false)"},
    "settings.not_a_number": {"en": "{name}={value} is not a number; ignored",
                              "ru": "{name}={value} не число; значение не учтено"},
    "settings.spelled": {"en": "written {name}, read as the SDK reads it", "ru": "записано как {name}; SDK читает и так"},
    # usage errors
    "usage.unknown_scenario": {"en": "--mock: unknown scenario {scenario}{hint}; known: {known}",
                               "ru": "--mock: неизвестный сценарий {scenario}{hint}; есть такие: {known}"},
    "usage.mock_hint": {"en": " (put --mock after the paths, or write --mock=SCENARIO)",
                        "ru": " (поставьте --mock после путей или пишите --mock=SCENARIO)"},
    "usage.hours": {"en": "--hours {hours}: give a number of hours above 0 (0.5 is 30 minutes)",
                    "ru": "--hours {hours}: укажите число часов больше 0 (0.5 — это 30 минут)"},
    "usage.limit": {"en": "--limit {limit}: give a whole number from 0 to {max}",
                    "ru": "--limit {limit}: укажите целое число от 0 до {max}"},
    "usage.hours_form": {"en": "{value} is no number of hours: give a number above 0 (0.5 is 30 minutes)",
                         "ru": "{value} — не число часов: укажите число больше 0 (0.5 — это 30 минут)"},
    "usage.limit_form": {"en": "{value} is no whole number: give one from 0 to {max} (0: every row)",
                         "ru": "{value} — не целое число: укажите число от 0 до {max} (0 — все строки)"},
    "usage.level": {"en": "unknown level {level}: use one of {levels}",
                    "ru": "неизвестный уровень {level}: используйте один из {levels}"},
    # gigacheck's pytest options (--help is built before the run's language is known: the locale's)
    "help.group": {"en": "gigacheck: GigaChat integration checks", "ru": "gigacheck: проверки интеграции с GigaChat"},
    "help.env_file": {"en": "env file with the site's settings (default: ./.env when it exists); "
                            "variables set in the process win",
                      "ru": "env-файл с настройками сайта (по умолчанию ./.env, если он есть); переменные "
                            "окружения процесса важнее"},
    "help.mock": {"en": "answer GigaChat HTTP from fixtures/ (no network); SCENARIO defaults to 'healthy'. "
                        "Use --mock=SCENARIO",
                  "ru": "отвечать на запросы к GigaChat из fixtures/ (без сети); по умолчанию сценарий "
                        "'healthy'. Пишите --mock=SCENARIO"},
    "help.spend": {"en": "run the checks that spend GigaChat tokens (chat per model, image generation)",
                   "ru": "запускать платные проверки, которые тратят токены GigaChat (чат с каждой моделью, "
                         "генерация изображения)"},
    "help.report_json": {"en": "write a machine-readable summary of the run to PATH",
                         "ru": "записать итоги запуска в машиночитаемом виде (JSON) в PATH"},
    "help.logs_group": {"en": "gigacheck logs: the site's log table and log file",
                        "ru": "gigacheck logs: таблица логов сайта и файл логов"},
    "help.hours": {"en": "the window: the last H hours (a float: 0.5 is 30 minutes; default 24)",
                   "ru": "период: последние H часов (дробное число: 0.5 это 30 минут; по умолчанию 24)"},
    "help.level": {"en": "show log rows of this level and above: {levels} (narrows the rows shown, not the counts)",
                   "ru": "показывать строки лога этого уровня и выше: {levels} (сужает показанные строки, "
                         "а не подсчёт)"},
    "help.search": {"en": "show only log rows containing TEXT (literal, any case)",
                    "ru": "показывать только строки лога, содержащие TEXT (как есть, без учёта регистра)"},
    "help.thresholds": {"en": "CODE=N per line (e.g. LG014=5): a log check fails when its count in the window is "
                              "above N (default 0)",
                        "ru": "CODE=N по одному в строке (например, LG014=5): проверка логов падает, если записей "
                              "за период больше N (по умолчанию 0)"},
    "help.columns": {"en": "the log table's timestamp, level and message columns (default: timestamp level message)",
                     "ru": "столбцы времени, уровня и сообщения в таблице логов (по умолчанию: timestamp level "
                           "message)"},
    "help.query_timeout": {"en": "seconds each log query may run on the database server (default 10)",
                           "ru": "сколько секунд может выполняться каждый запрос к логам на сервере БД "
                                 "(по умолчанию 10)"},
    "help.limit": {"en": "log rows shown per finding, newest first (default 50)",
                   "ru": "сколько строк лога показывать на находку, сначала новые (по умолчанию 50)"},
    # python -m gigacheck
    "main.description": {"en": "gigacheck: GigaChat integration checks (run the checks with `pytest checks/`)",
                         "ru": "gigacheck: проверки интеграции с GigaChat (сами проверки запускает `pytest checks/`)"},
    "codes.help": {"en": "print the table of diagnosis codes (Markdown)",
                   "ru": "напечатать таблицу кодов диагностики (Markdown)"},
    "codes.help.readme": {"en": "rewrite README's compact table between {start} and {end} in PATH instead, and "
                                "the full tables of docs/codes.md beside it",
                          "ru": "вместо этого переписать краткую таблицу README между {start} и {end} в PATH, "
                                "а рядом с ним и полные таблицы docs/codes.md"},
    "codes.help.docs": {"en": "rewrite the full tables (English and Russian) of the codes reference PATH "
                              "(docs/codes.md) instead",
                        "ru": "вместо этого переписать полные таблицы (английскую и русскую) справочника кодов "
                              "PATH (docs/codes.md)"},
    "codes.help.compact": {"en": "print README's compact table (code and finding)",
                           "ru": "напечатать краткую таблицу README (код и что не так)"},
    "codes.help.lang": {"en": "print the table in this language (default en)",
                        "ru": "напечатать таблицу на этом языке (по умолчанию en)"},
    # python -m gigacheck logs
    "viewer.help": {"en": "show the site's GigaChat log rows (like manage.py view_gigachat_logs)",
                    "ru": "показать строки лога сайта о GigaChat (как manage.py view_gigachat_logs)"},
    "viewer.description": {"en": "Prints the rows that command shows (messages about GigaChat, images, "
                                 "generate_and_save_image) in the window, newest first, as `YYYY-MM-DD HH:MM:SS "
                                 "[LEVEL] message` in the log zone; `--summary` prints the count of each LG code "
                                 "instead; `--json` gives both as JSON.",
                           "ru": "Печатает строки, которые показывает эта команда (сообщения о GigaChat, "
                                 "изображениях, generate_and_save_image) за период, сначала новые, в виде "
                                 "`YYYY-MM-DD HH:MM:SS [LEVEL] message` в часовом поясе логов; `--summary` вместо "
                                 "этого печатает число записей по каждому коду LG; `--json` выдаёт то и другое "
                                 "в JSON."},
    "viewer.help.hours": {"en": "the last H hours (0.5 is 30 minutes; default 24)",
                          "ru": "последние H часов (0.5 это 30 минут; по умолчанию 24)"},
    "viewer.help.level": {"en": "this level and above: {levels}", "ru": "этот уровень и выше: {levels}"},
    "viewer.help.limit": {"en": "at most N rows, newest first (default 50; 0: every row of the window); the rows "
                                "left out are counted on stderr",
                          "ru": "не больше N строк, сначала новые (по умолчанию 50; 0 — все строки окна); сколько "
                                "строк не показано, пишется в stderr"},
    "viewer.help.env_file": {"en": "env file with DATABASE_URL etc. (default ./.env when it exists; "
                                   "the environment wins)",
                             "ru": "env-файл с DATABASE_URL и другими настройками (по умолчанию ./.env, если он "
                                   "есть; переменные окружения важнее)"},
    "viewer.help.json": {"en": "print JSON", "ru": "печатать JSON"},
    "viewer.help.summary": {"en": "print the count of each LG code in the window",
                            "ru": "напечатать число записей по каждому коду LG за период"},
    "viewer.help.mock": {"en": "read the embedded log rows of a mock scenario (default healthy) when DATABASE_URL "
                               "is unset",
                         "ru": "читать встроенные строки лога mock-сценария (по умолчанию healthy), если "
                               "DATABASE_URL не задан"},
    "viewer.mock": {"en": "MOCK: log rows of scenario '{scenario}' from fixtures/, not the site's",
                    "ru": "MOCK: строки лога сценария '{scenario}' из fixtures/, а не сайта"},
    "viewer.error": {"en": "gigacheck logs: error: {message}", "ru": "gigacheck logs: ошибка: {message}"},
    "viewer.unexpected": {"en": "unexpected {kind}: {message}", "ru": "непредвиденная ошибка {kind}: {message}"},
    "viewer.cut": {"en": "{shown} of the {total} matching rows of the last {hours} h shown, {left} left out by --limit: "
                         "--limit 0 shows every row (or --limit {total})",
                   "ru": "показано {shown} из {total} подходящих строк за последние {hours} ч, {left} не показано "
                         "из-за --limit: --limit 0 покажет все строки (или --limit {total})"},
    "viewer.no_rows": {"en": "no matching log rows in the last {hours} h",
                       "ru": "за последние {hours} ч подходящих строк лога нет"},
    "logs.no_source": {"en": "DATABASE_URL is not set (nor GIGACHECK_LOG_FILE): there is no log to read",
                       "ru": "не задан ни DATABASE_URL, ни GIGACHECK_LOG_FILE: читать нечего"},
    # a log check's detail
    "logs.entries": {"en": "{entries} in the last {hours} h{above}", "ru": "{entries} за последние {hours} ч{above}"},
    "logs.threshold": {"en": " (threshold {limit})", "ru": " (порог {limit})"},
    "n.entries": {"en": "{n} entry|{n} entries", "ru": "{n} запись|{n} записи|{n} записей"},
    "n.gigachat_entries": {"en": "{n} GigaChat entry|{n} GigaChat entries",
                           "ru": "{n} запись о GigaChat|{n} записи о GigaChat|{n} записей о GigaChat"},
    "logs.no_image_saved": {"en": "{entries} in the last {hours} h and no `Изображение сохранено`",
                            "ru": "{entries} за последние {hours} ч и ни одного `Изображение сохранено`"},
    "logs.index_field_generic": {
        "en": "Django, Asistent/models.py, class SystemLog: add db_index=True to the arguments {column} already has, "
              "keeping each of them (auto_now_add=True stays): {column} = models.DateTimeField(<its arguments>, "
              "db_index=True)",
        "ru": "Django, Asistent/models.py, class SystemLog: добавьте db_index=True к уже заданным аргументам {column}, "
              "не меняя их (auto_now_add=True остаётся): {column} = models.DateTimeField(<его аргументы>, "
              "db_index=True)"},
    "logs.no_index": {"en": "{column} has no index: the site's own log queries (view_gigachat_logs, the admin) read "
                            "the whole table; {ours}",
                      "ru": "у {column} нет индекса: собственные запросы сайта к логам (view_gigachat_logs, "
                            "админка) читают всю таблицу; {ours}"},
    "logs.ours_by_pk": {"en": "gigacheck reads the window by primary-key range",
                        "ru": "gigacheck читает окно по диапазону первичного ключа"},
    "logs.ours_scan": {"en": "so do these checks (the table has no integer id to read by range either)",
                       "ru": "как и эти проверки (у таблицы нет и целочисленного id, чтобы читать по диапазону)"},
    # what a peer or the network did (the peer's own words stay quoted as they are)
    "http.answered": {"en": "{request} answered {status}", "ru": "{request} ответил {status}"},
    "http.retry_after": {"en": "; Retry-After {retry} s", "ru": "; Retry-After {retry} с"},
    "http.no_retry_after": {"en": "; no Retry-After given", "ru": "; Retry-After не указан"},
    "http.redirect": {"en": "{said}: a redirect to {location}; not followed",
                      "ru": "{said}: перенаправление на {location}; по нему не переходили"},
    "net.tls_handshake": {"en": "TLS handshake failed", "ru": "не удалось установить TLS-соединение"},
    "net.other_host": {"en": "the certificate is for another host name", "ru": "сертификат выдан на другое имя хоста"},
    "net.timeout.connect": {"en": "no answer within the timeout while connecting",
                            "ru": "нет ответа за время ожидания при подключении"},
    "net.timeout.answer": {"en": "no answer within the timeout while waiting for the answer",
                           "ru": "нет ответа за время ожидания: ответ так и не пришёл"},
    "net.dns": {"en": "the host name cannot be resolved (DNS)", "ru": "имя хоста не резолвится (DNS)"},
    "net.refused": {"en": "the connection was refused", "ru": "в соединении отказано"},
    "net.proxy": {"en": "the proxy refused or failed the connection",
                  "ru": "прокси отказал в соединении или не смог его установить"},
    "net.cut_off": {"en": "the answer was cut off or cannot be decoded", "ru": "ответ оборван или не декодируется"},
    "net.closed": {"en": "the connection was closed by the other side", "ru": "соединение закрыто другой стороной"},
    "net.failed": {"en": "the request failed ({kind})", "ru": "запрос не прошёл ({kind})"},
    "net.bad_url": {"en": "the URL cannot be used ({kind})", "ru": "этот адрес нельзя использовать ({kind})"},
    "net.not_sent": {"en": "the request could not be made ({error})", "ru": "запрос не удалось отправить ({error})"},
    "net.after_status": {"en": " (after the status line {status})", "ru": " (после строки статуса {status})"},
    "net.body_late": {"en": "the answer's body did not arrive within {seconds} s",
                      "ru": "тело ответа не пришло за {seconds} с"},
    # the way to GigaChat as the site's client takes it: its proxy and its trust store (netcause.py, truststore.py)
    "net.proxy_failed": {"en": "the proxy {variable} ({proxy}) cannot be used: {why}",
                         "ru": "прокси {variable} ({proxy}) недоступен: {why}"},
    "net.proxy_407": {"en": "the proxy {variable} ({proxy}) answered 407 Proxy Authentication Required: it wants "
                            "proxy credentials",
                      "ru": "прокси {variable} ({proxy}) ответил 407 Proxy Authentication Required: он требует "
                            "логин и пароль прокси"},
    "net.proxy_status": {"en": "the proxy {variable} ({proxy}) refused the tunnel: {status}",
                         "ru": "прокси {variable} ({proxy}) не открыл туннель: {status}"},
    "net.proxy_target": {"en": ", on the way to {host}", "ru": ", по пути к {host}"},
    "net.via_proxy": {"en": " (through the proxy {variable}, {proxy})", "ru": " (через прокси {variable}, {proxy})"},
    "net.tls_failed": {"en": "the TLS handshake failed ({reason})", "ru": "TLS-рукопожатие не удалось ({reason})"},
    "net.not_tls": {"en": "what answers on this port does not speak TLS ({reason}): plain HTTP or another service",
                    "ru": "на этом порту отвечают не по TLS ({reason}): обычный HTTP или другая служба"},
    "net.tls_closed": {"en": "the connection was closed during the TLS handshake",
                       "ru": "соединение закрыто во время TLS-рукопожатия"},
    "trust.off_not_applied": {"en": "; GIGACHAT_VERIFY_SSL_CERTS=false is not applied: the SDK verifies with "
                                    "GIGACHAT_CA_BUNDLE_FILE whenever it is set",
                              "ru": "; GIGACHAT_VERIFY_SSL_CERTS=false не действует: SDK проверяет сертификаты по "
                                    "GIGACHAT_CA_BUNDLE_FILE, если он задан"},
    "trust.names": {"en": "; the certificate presented is for {names}", "ru": "; предъявленный сертификат выдан на {names}"},
    "trust.names_unknown": {"en": "other names", "ru": "другие имена"},
    "trust.lacks": {"en": "the server presented a certificate issued by {issuer}, which {store} does not hold",
                    "ru": "сервер предъявил сертификат, выданный {issuer}, а в {store} такого нет"},
    "trust.issuer_unknown": {"en": "for GigaChat's hosts: the Russian Trusted Root CA",
                             "ru": "для хостов GigaChat: Russian Trusted Root CA, НУЦ Минцифры"},
    "trust.lacks_unread": {"en": "{store} does not hold the issuer of the server's certificate",
                           "ru": "в {store} нет издателя сертификата сервера"},
    "ca.no_dir": {"en": "is not a folder", "ru": "не папка"},
    "ca.no_hash": {"en": "is a folder without OpenSSL's hash names (<hash>.0, made by openssl rehash): no certificate "
                         "in it can be found",
                   "ru": "папка без хеш-имён OpenSSL (<хеш>.0, их создаёт openssl rehash): ни один сертификат в ней не "
                         "найдётся"},
    "trust.off": {"en": "none: TLS verification is off", "ru": "нет: проверка TLS отключена"},
    "trust.from": {"en": "{variable} ({path})", "ru": "{variable} ({path})"},
    "trust.certifi": {"en": "certifi's bundle ({path}), httpx's default",
                      "ru": "набор certifi ({path}), по умолчанию в httpx"},
    "trust.ignored": {"en": "; set, but not read by the SDK's httpx: {names}",
                      "ru": "; задано, но httpx в SDK это не читает: {names}"},
    "trust.not_read": {"en": "{name} is set, but the SDK's httpx does not read it",
                       "ru": "{name} задан, но httpx в SDK его не читает"},
    "header.proxy": {"en": "proxy, as the SDK's httpx picks it (HTTPS_PROXY, ALL_PROXY, NO_PROXY): {proxies}",
                     "ru": "прокси, как его выбирает httpx в SDK (HTTPS_PROXY, ALL_PROXY, NO_PROXY): {proxies}"},
    "header.trust": {"en": "TLS trust store, as the SDK's httpx reads it: {store}",
                     "ru": "доверенные сертификаты, как их читает httpx в SDK: {store}"},
    "http.too_large": {"en": "the answer from {url} is larger than {kib} KiB; read no further",
                       "ru": "ответ от {url} больше {kib} КиБ; дальше его не читали"},
    "http.not_json": {"en": "{request} answered {what}, not JSON (Content-Type: {ctype})",
                      "ru": "{request} ответил не JSON (Content-Type: {ctype}): {what}"},
    "http.not_shape": {"en": "{request} did not answer {shape}", "ru": "{request} ответил не в виде {shape}"},
    "body.html": {"en": "an HTML page", "ru": "HTML-страница"},
    "body.not_utf8": {"en": "bytes that are not UTF-8", "ru": "байты не в UTF-8"},
    "body.not_json": {"en": "a body that is not JSON", "ru": "тело ответа не JSON"},
    "body.empty": {"en": "an empty body", "ru": "пустое тело ответа"},
    "oauth.not_json": {"en": "OAuth answered {status} with {what}, not JSON (Content-Type: {ctype})",
                       "ru": "OAuth ответил {status} не JSON (Content-Type: {ctype}): {what}"},
    "oauth.no_token": {"en": "OAuth answered without access_token", "ru": "OAuth ответил без access_token"},
    "oauth.no_expiry": {"en": "OAuth answered without a numeric expires_at ({kind})",
                        "ru": "в ответе OAuth нет числового expires_at ({kind})"},
    "oauth.seconds": {"en": "expires_at {value} has {digits}: seconds, not milliseconds",
                      "ru": "в expires_at {value} {digits}: это секунды, а не миллисекунды"},
    "n.digits": {"en": "{n} digit|{n} digits", "ru": "{n} цифра|{n} цифры|{n} цифр"},
    "oauth.past": {"en": "expires_at is {seconds} s in the past", "ru": "expires_at на {seconds} с в прошлом"},
    "oauth.clock": {"en": " (expires_at {expires}, this machine's clock {now}: check the clock, NTP)",
                    "ru": " (expires_at {expires}, часы этой машины {now}: проверьте часы, NTP)"},
    # what the settings rules found (rules.py)
    "key.not_set": {"en": "{variable} is not set", "ru": "{variable} не задан"},
    "key.empty": {"en": "{variable} is set but empty", "ru": "{variable} задан, но пуст"},
    "key.prefix": {"en": "{variable} starts with '{prefix} '; the client adds the scheme itself",
                   "ru": "{variable} начинается с '{prefix} '; клиент сам добавляет схему"},
    "key.has": {"en": "{variable} has {what}", "ru": "в {variable}: {what}"},
    "chars.lead": {"en": "whitespace at the start", "ru": "пробелы в начале"},
    "chars.trailing_break": {"en": "a line break at the end", "ru": "перенос строки в конце"},
    "chars.trail": {"en": "whitespace at the end", "ru": "пробелы в конце"},
    "chars.inner_break": {"en": "a line break inside", "ru": "перенос строки внутри"},
    "chars.spaces": {"en": "spaces inside", "ru": "пробелы внутри"},
    "chars.quotes": {"en": "quote characters", "ru": "кавычки"},
    "chars.other": {"en": "characters that do not belong in a key", "ru": "символы, которых в ключе быть не должно"},
    "key.length": {"en": "{variable} is {length} long{why}", "ru": "в {variable} {length}{why}"},
    "n.chars": {"en": "{n} character|{n} characters", "ru": "{n} символ|{n} символа|{n} символов"},
    "key.placeholder": {"en": " and looks like a placeholder", "ru": ", и это похоже на заглушку"},
    "key.real_length": {"en": "; a real key is 100", "ru": "; в настоящем ключе их 100"},
    "key.jwt": {"en": "{variable} starts with 'eyJ' or has {parts} dot-separated parts: an access token/JWT "
                      "({masked})",
                "ru": "{variable} начинается с 'eyJ' или состоит из {parts} частей через точку: это токен "
                      "доступа/JWT ({masked})"},
    "key.problem": {"en": "{variable} {problem}", "ru": "{variable}: {problem}"},
    "key.bare_uuid": {"en": "is a bare UUID: the client ID or client secret alone, not the key",
                      "ru": "это просто UUID: один Client ID или Client Secret, а не ключ авторизации"},
    "key.not_base64": {"en": "is not valid base64", "ru": "это некорректный base64"},
    "key.binary": {"en": "decodes to binary bytes, not client_id:client_secret",
                   "ru": "декодируется в двоичные байты, а не в client_id:client_secret"},
    "key.twice": {"en": "is encoded twice (base64 of base64): use the inner value",
                  "ru": "закодирован дважды (base64 от base64): используйте внутреннее значение"},
    "key.one_uuid": {"en": "decodes to a single UUID: a client ID or secret was encoded alone",
                     "ru": "декодируется в один UUID: закодировали только Client ID или Client Secret"},
    "key.no_colon": {"en": "decodes to {length} with no ':' between client_id and client_secret",
                     "ru": "декодируется в {length} без ':' между client_id и client_secret"},
    "key.empty_part": {"en": "decodes to client_id:client_secret with an empty part",
                       "ru": "декодируется в client_id:client_secret с пустой частью"},
    "key.disagree": {"en": "GIGACHAT_TOKEN is {token}, GIGACHAT_CREDENTIALS is {creds}; the checks use "
                           "GIGACHAT_CREDENTIALS",
                     "ru": "GIGACHAT_TOKEN = {token}, GIGACHAT_CREDENTIALS = {creds}; проверки берут "
                           "GIGACHAT_CREDENTIALS"},
    "scope.is": {"en": "GIGACHAT_SCOPE is {scope}", "ru": "GIGACHAT_SCOPE = {scope}"},
    "scope.empty": {"en": "GIGACHAT_SCOPE is set but empty: the SDK sends an empty scope, which OAuth refuses "
                          "(code 5, scope is empty)",
                    "ru": "GIGACHAT_SCOPE задан, но пуст: SDK отправит пустой scope, а OAuth его отклонит "
                          "(code 5, scope is empty)"},
    "setting.problem": {"en": "{variable} {value} {problem}", "ru": "{variable} {value}: {problem}"},
    "url.blank": {"en": "has spaces or is empty", "ru": "содержит пробелы или пуст"},
    "url.unparsable": {"en": "cannot be parsed ({error})", "ru": "не разбирается ({error})"},
    "url.no_host": {"en": "has no scheme or host (expected https://host/...)",
                    "ru": "нет схемы или хоста (ожидается https://host/...)"},
    "url.credentials": {"en": "carries credentials in the URL (user:password@): put them in their own variables",
                        "ru": "в адресе учётные данные (user:password@): вынесите их в отдельные переменные"},
    "url.scheme": {"en": "uses {scheme}://, not https://", "ru": "использует {scheme}://, а не https://"},
    "url.other_provider": {"en": "points at {host}, another provider's host",
                           "ru": "указывает на {host}, хост другого провайдера"},
    "url.not_oauth": {"en": "path {path} does not end in /oauth", "ru": "путь {path} не заканчивается на /oauth"},
    "url.wrong_host": {"en": "points at {host}, a known wrong host",
                       "ru": "указывает на {host}, заведомо неверный хост"},
    "url.wrong_path": {"en": "path {path} is a known wrong path (expected /api/v1 or /v1)",
                       "ru": "путь {path} заведомо неверный (ожидается /api/v1 или /v1)"},
    "url.not_v1": {"en": "path {path} does not end in /v1", "ru": "путь {path} не заканчивается на /v1"},
    "ca.missing": {"en": "does not exist", "ru": "не существует"},
    "ca.directory": {"en": "is a directory", "ru": "это каталог, а не файл"},
    "ca.unreadable": {"en": "cannot be read ({error})", "ru": "не читается ({error})"},
    "ca.no_pem": {"en": "holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                  "ru": "в нём нет сертификата PEM (-----BEGIN CERTIFICATE-----)"},
    "ca.bad_pem": {"en": "is not a valid PEM bundle ({kind})",
                   "ru": "это некорректный набор сертификатов PEM ({kind})"},
    # the fallback provider (fallback.py)
    "fallback.not_url": {"en": "PROXY_API_BASE_URL {url} is not an http(s) URL",
                         "ru": "PROXY_API_BASE_URL {url} не адрес http(s)"},
    "fallback.unreachable": {"en": "it cannot be reached ({detail})", "ru": "до него не достучаться ({detail})"},
    "fallback.rejects_key": {"en": "it rejects PROXY_API_KEY", "ru": "он не принимает PROXY_API_KEY"},
    "fallback.wants_key": {"en": "PROXY_API_KEY is not set and it wants a key",
                           "ru": "PROXY_API_KEY не задан, а провайдер требует ключ"},
    "fallback.wrong_path": {"en": "PROXY_API_BASE_URL's path is wrong (OpenAI-compatible APIs usually end in /v1)",
                            "ru": "неверный путь в PROXY_API_BASE_URL (у OpenAI-совместимых API он обычно "
                                  "заканчивается на /v1)"},
    "fallback.not_list": {"en": "{said} but not a model list ({shape})",
                          "ru": "{said}, но не список моделей ({shape})"},
    "fallback.no_model": {"en": "the fallback provider does not list PROXY_API_MODEL {model}; it lists {listed}",
                          "ru": "в списке резервного провайдера нет PROXY_API_MODEL {model}; там есть: {listed}"},
    "fallback.nothing": {"en": "nothing", "ru": "ничего"},
    # the log settings (logs/store.py, logs/file.py)
    "logs.bad_zone": {"en": "GIGACHECK_LOG_TIMEZONE={zone} is not a time zone (use e.g. UTC, Europe/Moscow or "
                            "+03:00)",
                      "ru": "GIGACHECK_LOG_TIMEZONE={zone} не часовой пояс (пишите, например, UTC, Europe/Moscow "
                            "или +03:00)"},
    # the site's clock (logs/clock.py): the table's zone, rows ahead of now (LG008), stamps that are no date (LG009)
    "clock.bad_zone": {"en": "{variable}={zone} is not a time zone: write an IANA name (Europe/Moscow), UTC, or an "
                             "offset from -14:00 to +14:00 as +03:00",
                       "ru": "{variable}={zone} не часовой пояс: пишите имя IANA (Europe/Moscow), UTC или смещение "
                             "от -14:00 до +14:00 в виде +03:00"},
    "clock.default": {"en": "default: no GIGACHECK_LOG_TIMEZONE, no Django TIME_ZONE with USE_TZ=False",
                      "ru": "по умолчанию: нет GIGACHECK_LOG_TIMEZONE и Django TIME_ZONE при USE_TZ=False"},
    "clock.mock": {"en": "MOCK: the scenario's own rows, stored in UTC", "ru": "MOCK: собственные строки сценария, в UTC"},
    "clock.django": {"en": "Django settings {module}: TIME_ZONE (USE_TZ=False)",
                     "ru": "настройки Django {module}: пояс из TIME_ZONE (при USE_TZ=False)"},
    "clock.django_utc": {"en": "Django settings {module}: USE_TZ=True stores UTC",
                         "ru": "настройки Django {module}: при USE_TZ=True хранится UTC"},
    "clock.header": {"en": "log table's time zone {zone} ({source})",
                     "ru": "часовой пояс таблицы логов {zone} ({source})"},
    "clock.header_bad": {"en": "log table's time zone {zone} CANNOT BE READ ({source}): see LG001",
                         "ru": "часовой пояс таблицы логов {zone} НЕ РАСПОЗНАН ({source}): см. LG001"},
    "clock.html": {"en": "Log time zone", "ru": "Часовой пояс логов"},
    "clock.ahead": {"en": "{rows} dated after now + 5 min in {zone}: the newest {newest}, {ahead} ahead",
                    "ru": "{rows} с датой позже «сейчас + 5 мин» в поясе {zone}: самая новая {newest}, "
                          "впереди на {ahead}"},
    "clock.fits": {"en": "the rows fit a clock {ahead} ahead: set GIGACHECK_LOG_TIMEZONE={zones}",
                   "ru": "строки сходятся с часами, идущими на {ahead} вперёд: задайте GIGACHECK_LOG_TIMEZONE={zones}"},
    "clock.or": {"en": " or ", "ru": " или "},
    "clock.no_fit": {"en": "no time zone is that far ahead: the site's clock or the code writing these rows is wrong; "
                           "they are left out of the window",
                     "ru": "ни один часовой пояс так далеко не уходит: неверны часы сервера сайта или код, "
                           "пишущий эти строки; в окно они не входят"},
    "clock.unreadable": {"en": "{rows} whose timestamp cannot be read as a date (e.g. {example}); they are in no window",
                         "ru": "{rows}, чью метку времени не прочитать как дату (например, {example}); ни в одно "
                               "окно они не попадают"},
    "clock.rows_head": {"en": "{label}: {rows}, for example:", "ru": "{label}: {rows}, например:"},
    "clock.years": {"en": "{years} years", "ru": "{years} лет"},
    "clock.days": {"en": "{days} days", "ru": "{days} дн."},
    "clock.hours": {"en": "{hours} h", "ru": "{hours} ч"},
    "clock.minutes": {"en": "{minutes} min", "ru": "{minutes} мин"},
    "logs.db_unset": {"en": "DATABASE_URL is not set", "ru": "DATABASE_URL не задан"},
    "logs.db_scheme": {"en": "DATABASE_URL {shown}... is not mysql://user:pass@host:3306/db, "
                             "postgresql://user:pass@host:5432/db or sqlite:///path/db.sqlite3",
                       "ru": "DATABASE_URL {shown}... не в виде mysql://user:pass@host:3306/db, "
                             "postgresql://user:pass@host:5432/db или sqlite:///path/db.sqlite3"},
    "django.index_hint": {"en": "{create_index} or db_index=True on SystemLog.{column}, then manage.py makemigrations "
                                "and migrate",
                          "ru": "{create_index} либо укажите db_index=True у поля {column} модели и примените "
                                "миграцию (makemigrations, затем migrate)"},
    "django.index_hint.field": {"en": "{create_index} or, in Asistent/models.py, {field}, then manage.py "
                                      "makemigrations and migrate",
                                "ru": "{create_index} либо в Asistent/models.py {field}, затем миграция "
                                      "(makemigrations, потом migrate)"},
    "django.help.database": {"en": "the DATABASES alias that holds the log table (default: default)",
                             "ru": "псевдоним в DATABASES, где лежит таблица логов (по умолчанию default)"},
    "django.help.gigacheck": {"en": "gigacheck's checks with this site's settings: manage.py gigacheck [pytest "
                                    "options], as pytest --pyargs gigacheck.checks takes them",
                              "ru": "проверки gigacheck с настройками этого сайта: manage.py gigacheck [опции "
                                    "pytest], те же, что у pytest --pyargs gigacheck.checks"},
    "logs.no_psycopg": {"en": "{label}: PostgreSQL is read with psycopg 3, which is not installed here "
                              "(pip install 'gigacheck[postgres]')",
                        "ru": "{label}: для чтения базы PostgreSQL нужен драйвер psycopg 3, а здесь он не "
                              "установлен; установите его: pip install 'gigacheck[postgres]'"},
    "logs.db_unparsable": {"en": "DATABASE_URL cannot be parsed ({error})",
                           "ru": "DATABASE_URL не разбирается ({error})"},
    "logs.db_no_name": {"en": "DATABASE_URL {label} names no database (add /dbname)",
                        "ru": "в DATABASE_URL {label} не указана база (добавьте /dbname)"},
    "logs.sqlite_no_file": {"en": "DATABASE_URL sqlite:// names no database file",
                            "ru": "в DATABASE_URL sqlite:// не указан файл базы"},
    "logs.file_missing": {"en": "GIGACHECK_LOG_FILE={path}: no such file",
                          "ru": "GIGACHECK_LOG_FILE={path}: файла нет"},
    "logs.file_not_file": {"en": "GIGACHECK_LOG_FILE={path}: not a file",
                           "ru": "GIGACHECK_LOG_FILE={path}: это не файл"},
    "logs.file_unreadable": {"en": "GIGACHECK_LOG_FILE={path}: cannot be read ({error})",
                             "ru": "GIGACHECK_LOG_FILE={path}: не читается ({error})"},
    "logs.no_table": {"en": "no table {table} in {label} (or this user may not read it)",
                      "ru": "в {label} нет таблицы {table} (или у этого пользователя нет права её читать)"},
    "logs.no_column": {"en": "{table} has no column {missing} (it has: {have})",
                       "ru": "в {table} нет столбца {missing} (есть: {have})"},
    "logs.unordered": {"en": "{label}: ids do not follow time and there is no index on timestamp; reading the whole "
                             "table ran past the time limit of {limit} s ({said})",
                       "ru": "{label}: id не идут по времени, а индекса на timestamp нет; чтение всей таблицы не "
                             "уложилось в лимит {limit} с ({said})"},
    "logs.time_limit": {"en": "a query ran past its time limit of {limit} s on {label} ({said}): the server is busy "
                              "or the window is very large",
                        "ru": "запрос к {label} не уложился в лимит {limit} с ({said}): сервер занят или окно очень "
                              "большое"},
    "logs.no_db_file": {"en": "{label}: no such database file", "ru": "{label}: файла базы нет"},
    # a user that may not read the log table (logs/grants.py), a view as the log table
    "logs.denied": {"en": "{label}: {who} may not read {what}", "ru": "{label}: {who} не может читать {what}"},
    "logs.denied_columns": {"en": "column(s) {columns} of {table}", "ru": "столбцы {columns} таблицы {table}"},
    "logs.denied_table": {"en": "the table {table}", "ru": "таблицу {table}"},
    "skip.view_no_index": {"en": "the log table {table} is a view: an index on timestamp belongs on the table "
                                 "under it",
                           "ru": "таблица логов {table} — представление (view): индекс на timestamp создаётся на "
                                 "таблице под ним"},
    # the log file's scan limit (logs/file.py): said wherever the limit cut the window
    "logs.file_newest": {"en": "{label}: the window holds more than the scan limit of {limit} MB: only its newest "
                               "{limit} MB were read (older rows of the window are not counted)",
                         "ru": "{label}: в окне больше предела чтения {limit} МБ: прочитаны только последние {limit} "
                               "МБ (более старые строки окна не учтены)"},
    "logs.file_grew": {"en": "{label}: the file grew while it was read; read {limit} MB of it",
                       "ru": "{label}: файл рос во время чтения; прочитано {limit} МБ"},
    "logs.db_not_file": {"en": "{label}: not a file", "ru": "{label}: это не файл"},
    "logs.silent_server": {"en": "{label}: the server accepted the connection but did not answer within {seconds} s "
                                 "({text})",
                           "ru": "{label}: сервер принял соединение, но не ответил за {seconds} с ({text})"},
    # a check's detail
    "config.tls_off": {"en": "GIGACHAT_VERIFY_SSL_CERTS is false; the report of this run says so",
                       "ru": "GIGACHAT_VERIFY_SSL_CERTS=false; отчёт этого запуска об этом предупреждает"},
    "config.mock_on": {"en": "USE_MOCK_RESPONSES is true: the site answers from canned data",
                       "ru": "USE_MOCK_RESPONSES=true: сайт отвечает заготовленными данными"},
    "api.empty_list": {"en": "GET /models answered an empty list", "ru": "GET /models вернул пустой список"},
    "api.not_served": {"en": "{model} is not served here; closest served: {closest}",
                       "ru": "{model} здесь недоступна; ближайшие доступные: {closest}"},
    "api.served": {"en": "served: {models}", "ru": "доступны: {models}"},
    "gen.text_instead_of_image": {"en": "{model} answered the drawing request with text; {drew} drew it, so the site "
                                        "falls back on every picture",
                                  "ru": "{model} ответила на просьбу нарисовать текстом; нарисовала {drew}, так что "
                                        "сайт на каждой картинке переходит к запасной модели"},
    "gen.not_completion": {"en": "{said} but not a chat completion (no choices[0].message)",
                           "ru": "{said}, но это не ответ чата (нет choices[0].message)"},
    "gen.blacklist": {"en": "finish_reason 'blacklist' (the answer was blocked)",
                      "ru": "finish_reason 'blacklist' (ответ заблокирован)"},
    "gen.empty": {"en": "the answer's content is empty (finish_reason {reason})",
                  "ru": "в ответе пустой текст (finish_reason {reason})"},
    "gen.text_answer": {"en": "{model} answered the drawing request with text, finish_reason {reason}",
                        "ru": "{model} ответила на просьбу нарисовать текстом, finish_reason {reason}"},
    "gen.bad_src": {"en": "{model}: the <img> tag's src {src} is not a file id",
                    "ru": "{model}: src {src} в теге <img> не похож на id файла"},
    "gen.download_failed": {"en": "the download of {model}'s picture failed: {detail}",
                            "ru": "картинка {model} не скачалась: {detail}"},
    "gen.not_image": {"en": "{said} with {size} bytes that are not a JPEG or PNG (Content-Type {ctype}, first bytes "
                            "{head})",
                      "ru": "{said}: {size} байт, и это не JPEG и не PNG (Content-Type {ctype}, первые байты {head})"},
    "gen.nobody_drew": {"en": "no model in the priority list drew the picture ({tried}); first: {detail}",
                        "ru": "ни одна модель из списка приоритетов не нарисовала картинку ({tried}); "
                              "первая: {detail}"},
    "gen.no_model": {"en": "no model is configured for image generation",
                     "ru": "для генерации изображений не задано ни одной модели"},
    "gen.below_minimum": {"en": "below {minimum}: {low}", "ru": "ниже {minimum}: {low}"},
    "gen.model_has": {"en": "{model} has {value}", "ru": "у {model} осталось {value}"},
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
    "spend.v2_apis": {"en": "; on the v1 and v2 chat APIs", "ru": "; в чат-API v1 и v2"},
    "help.ds": {
        "en": "the site's Django settings module (default: DJANGO_SETTINGS_MODULE): with no DATABASE_URL, the log "
              "checks and the viewer read its DATABASES['default']",
        "ru": "модуль настроек Django сайта (по умолчанию DJANGO_SETTINGS_MODULE): без DATABASE_URL проверки логов и "
              "просмотр логов читают его DATABASES['default']",
    },
    "check.help": {
        "en": "run the checks (pytest --pyargs gigacheck.checks); pytest's options follow, e.g. gigacheck check "
              "--env-file .env --spend",
        "ru": "запустить проверки (pytest --pyargs gigacheck.checks); дальше — опции pytest, например gigacheck check "
              "--env-file .env --spend",
    },
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
    # what each type of the SDK's variables accepts (sdkenv.py), said to the operator
    "sdk.would_raise": {"en": "{names}: `GigaChat()` would raise a validation error",
                        "ru": "{names}: `GigaChat()` упадёт с ошибкой проверки настроек"},
    "sdk.refusal": {"en": "{variable}={shown}: the SDK expects {rule}", "ru": "{variable}={shown}: SDK ждёт {rule}"},
    "sdk.rule.bool": {
        "en": "a boolean: true/false, 1/0, yes/no, on/off, t/f, y/n (any case), nothing around it; empty is refused",
        "ru": "логическое значение: true/false, 1/0, yes/no, on/off, t/f, y/n (в любом регистре), без лишних "
              "символов вокруг; пустое значение не принимается",
    },
    "sdk.rule.opt_bool": {
        "en": "a boolean: true/false, 1/0, yes/no, on/off, t/f, y/n (any case), nothing around it; empty is refused "
              "(leave the variable out instead)",
        "ru": "логическое значение: true/false, 1/0, yes/no, on/off, t/f, y/n (в любом регистре), без лишних "
              "символов вокруг; пустое значение не принимается (лучше не задавайте переменную)",
    },
    "sdk.rule.float": {"en": "a plain number of seconds such as 30 or 2.5, no unit; empty is refused",
                       "ru": "просто число секунд, например 30 или 2.5, без единиц; пустое значение не принимается"},
    "sdk.rule.int": {"en": "a whole number such as 3; empty is refused",
                     "ru": "целое число, например 3; пустое значение не принимается"},
    "sdk.rule.opt_int": {"en": "a whole number such as 10; empty is refused (leave the variable out instead)",
                         "ru": "целое число, например 10; пустое значение не принимается (лучше не задавайте "
                               "переменную)"},
    "sdk.rule.str_list": {"en": 'a JSON list of strings such as ["flag"]',
                          "ru": 'список строк в JSON, например ["flag"]'},
    "sdk.rule.int_tuple": {"en": "a JSON list of HTTP status codes such as [429, 503]",
                           "ru": "список кодов HTTP в JSON, например [429, 503]"},
    "sdk.rule.ssl_context": {"en": "nothing: an SSL context can only be passed in code, never through the environment",
                             "ru": "ничего: SSL-контекст передаётся только в коде, не через переменные окружения"},
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
    "verdict.nothing-checked": {"en": "Nothing checked: no check ran, so this run says nothing about the integration",
                                "ru": "Ничего не проверено: ни одна проверка не выполнялась, этот запуск ничего не "
                                      "говорит об интеграции"},
    "verdict.why.setup": {"en": "only the fixtures were set up, {option}",
                          "ru": "только подготовлены фикстуры, {option}"},
    "verdict.why.collect": {"en": "the checks were only collected, --collect-only",
                            "ru": "проверки только собраны, --collect-only"},
    "verdict.why.none": {"en": "no check was selected: see -m, -k and the paths given",
                         "ru": "не выбрано ни одной проверки: см. -m, -k и указанные пути"},
    "verdict.why.skipped": {"en": "every selected check was skipped", "ru": "все выбранные проверки пропущены"},
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
    "html.log_source.mock": {"en": "embedded SQLite (mock)", "ru": "встроенная база SQLite (режим mock)"},
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
                      "ru": "Запросы к GigaChat{mock}: OAuth {oauth}, чат {chat}, файлы {files}{spent}"},
    "term.requests.mock": {"en": " (answered by the mock)", "ru": " (отвечал mock)"},
    "term.requests.unspent": {"en": " (no --spend: nothing spent)", "ru": " (без --spend: токены не потрачены)"},
    "term.report": {"en": "report: {paths}", "ru": "отчёт: {paths}"},
    # incidents (SPEC "Verdicts over time"): logs/questions.py, timeline.py, the viewer's summary
    "logs.ongoing": {"en": ", ongoing since {since} ({zone}): {entries}, no success logged since (last row {last}){resolved}",
                     "ru": ", продолжается с {since} ({zone}): {entries}, успешной работы с тех пор в логе нет "
                           "(последняя запись {last}){resolved}"},
    "logs.ongoing.resolved": {"en": "; {n} earlier incident(s) of it resolved",
                              "ru": "; прошлых инцидентов, уже завершённых: {n}"},
    "skip.logs_gigachat_off": {"en": "GigaChat is turned off (ENABLE_GIGACHAT=false): the {rows} of {code} in the "
                                     "window are history, nothing fails now",
                               "ru": "GigaChat выключен (ENABLE_GIGACHAT=false): {rows} {code} в окне — это история, "
                                     "сейчас ничего не ломается"},
    "incident.ongoing": {"en": "ongoing", "ru": "продолжается"},
    "success.image": {"en": "image saved", "ru": "изображение сохранено"},
    "success.answer": {"en": "answer received", "ru": "ответ получен"},
    "success.api": {"en": "API answered 200 OK", "ru": "API ответил 200 OK"},
    "success.token": {"en": "access obtained", "ru": "доступ получен"},
    "success.live": {"en": "live check {check} passed", "ru": "живая проверка {check} прошла"},
    "incident.resolved": {"en": "resolved", "ru": "завершён"},
    "incident.line": {"en": "[{code}] {finding} {state}: {span}, {rows}{tail}",
                      "ru": "[{code}] {finding} — {state}: {span}, {rows}{tail}"},
    "incident.tail": {"en": " ({day}, {zone}{before}{by})", "ru": " ({day}, {zone}{before}{by})"},
    "incident.before_window": {"en": ", began before the window", "ru": ", начался раньше окна"},
    "timeline.heading": {"en": "Incidents in the log window", "ru": "Инциденты в окне лога"},
    "timeline.label": {"en": "Timeline of the log window: one mark per incident",
                       "ru": "Шкала времени окна лога: одна отметка на инцидент"},
    "timeline.legend": {"en": "failure rows per hour (grey), incidents by code",
                        "ru": "строк с ошибками в час (серым), инциденты по кодам"},
    "timeline.hour": {"en": "{rows} with a failure code this hour", "ru": "{rows} с кодом ошибки за этот час"},
    "timeline.mark": {"en": "{code} {state}: {first} - {last}, {rows}", "ru": "{code} {state}: {first} - {last}, {rows}"},
    "viewer.incidents": {"en": "incidents (oldest first):", "ru": "инциденты (сначала старые):"},
    "viewer.no_incidents": {"en": "no incidents in the window", "ru": "инцидентов в окне нет"},
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
    "usage.report_is_dir": {"en": "{option} {path}: is a folder; name a file in it, e.g. {path}/report",
                            "ru": "{option} {path}: это папка; укажите файл в ней, например {path}/report"},
    "usage.report_under_file": {"en": "{option} {path}: cannot be written, {file} is a file, not a folder; "
                                      "move that file away or name another path",
                                "ru": "{option} {path}: не записать, {file} — это файл, а не папка; "
                                      "уберите этот файл или укажите другой путь"},
    "usage.report_same_path": {"en": "{option} {path}: {other} writes the same file, so one report would be lost; "
                                     "give each report its own path",
                               "ru": "{option} {path}: в этот же файл пишет {other}, и один отчёт пропал бы; "
                                     "укажите каждому отчёту свой путь"},
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

# Between deploys (between.py, history.py, prometheus.py, notify.py): a block of its own, so the helpers
# adding words elsewhere in WORDS meet no conflict here
WORDS.update({
    "help.history": {"en": "the history file of runs (SQLite; default for a live run: "
                           "reports/gigacheck-history.sqlite3;"
                           " a mock run is remembered only with this option; 'off': remember nothing)",
                     "ru": "файл истории запусков (SQLite; для настоящего запуска по умолчанию "
                           "reports/gigacheck-history.sqlite3; запуск с --mock запоминается только с этой опцией; "
                           "'off': ничего не запоминать)"},
    "help.history_ini": {"en": "the history file of live runs, relative to this ini file's folder ('off': none)",
                         "ru": "файл истории настоящих запусков, относительно папки этого ini-файла ('off': без "
                               "истории)"},
    "help.prometheus": {"en": "write the run as a node_exporter textfile (Prometheus metrics) to PATH, atomically",
                        "ru": "записать итоги запуска для node_exporter (метрики Prometheus) в PATH, атомарно"},
    "help.notify": {"en": "an Apprise URL to alert when the verdict changes (repeatable; also GIGACHECK_NOTIFY, "
                          "space-separated; needs gigacheck[notify])",
                    "ru": "адрес Apprise, куда сообщить, когда вердикт меняется (можно несколько раз; также "
                          "GIGACHECK_NOTIFY через пробел; нужен gigacheck[notify])"},
    "verdict.word.passed": {"en": "passed", "ru": "пройдено"},
    "verdict.word.warnings": {"en": "warnings", "ru": "есть предупреждения"},
    "verdict.word.failed": {"en": "failed", "ru": "есть ошибки"},
    "verdict.word.nothing-checked": {"en": "nothing checked", "ru": "ничего не проверено"},
    "changes.first": {"en": "history: the first run remembered in {path}",
                      "ru": "история: первый запуск, записанный в {path}"},
    "changes.since": {"en": "since the previous run ({since}, {verdict}): {what}",
                      "ru": "с прошлого запуска ({since}, {verdict}): {what}"},
    "changes.new": {"en": "new {codes}", "ru": "новые {codes}"},
    "changes.fixed": {"en": "fixed {codes}", "ru": "исправлены {codes}"},
    "changes.nothing": {"en": "no change", "ru": "без изменений"},
    "changes.heading": {"en": "Since the previous run", "ru": "С прошлого запуска"},
    "history.not_kept": {"en": "history: not kept{why}", "ru": "история: не ведётся{why}"},
    "history.not_kept.mock": {"en": " (a mock run is remembered only with --history PATH)",
                              "ru": " (запуск с --mock запоминается только с --history PATH)"},
    "history.not_kept.off": {"en": " (--history off)", "ru": " (выключена: --history off)"},
    "history.unusable": {"en": "history: {path} cannot be used ({why}): this run is not remembered",
                         "ru": "история: {path} недоступна ({why}): этот запуск не запомнен"},
    "history.unreadable": {"en": "{path} cannot be read ({why})", "ru": "{path} не читается ({why})"},
    "history.none": {"en": "no runs in {path}", "ru": "в {path} нет запусков"},
    "history.help": {"en": "list the remembered runs, newest first", "ru": "показать запомненные запуски, "
                                                                           "новые сначала"},
    "history.help.path": {"en": "the history file (default: reports/gigacheck-history.sqlite3)",
                          "ru": "файл истории (по умолчанию reports/gigacheck-history.sqlite3)"},
    "history.help.json": {"en": "print the runs as JSON (started_at, verdict, codes, mode)",
                          "ru": "вывести список запусков в JSON (время начала, вердикт, коды, режим)"},
    "history.help.limit": {"en": "at most N runs (0: all; default 20)", "ru": "не больше N запусков (0: все; по "
                                                                             "умолчанию 20)"},
    "prometheus.unwritable": {"en": "prometheus: {path} not written ({why})",
                              "ru": "prometheus: файл {path} не записан ({why})"},
    "notify.title": {"en": "gigacheck on {where}: {verdict}", "ru": "gigacheck на {where}: {verdict}"},
    "notify.verdict": {"en": "Verdict: {verdict} (before: {previous}, run of {since})",
                       "ru": "Вердикт: {verdict} (до этого: {previous}, запуск {since})"},
    "notify.remedy": {"en": "Remedy: {remedy}", "ru": "Что сделать: {remedy}"},
    "notify.fixed": {"en": "Fixed since then: {codes}", "ru": "Исправлено с тех пор: {codes}"},
    "notify.sent": {"en": "alert: the verdict is now {verdict}, sent to {n} URL(s)",
                    "ru": "оповещение: вердикт теперь «{verdict}», отправлено по адресам: {n}"},
    "notify.unsent": {"en": "alert: not sent ({why})", "ru": "оповещение: не отправлено ({why})"},
    "notify.why.missing": {"en": "Apprise is not installed: pip install 'gigacheck[notify]'",
                           "ru": "библиотека Apprise не установлена, её ставит команда "
                                 "pip install 'gigacheck[notify]'"},
    "notify.why.timeout": {"en": "no answer within {seconds} s", "ru": "нет ответа за {seconds} с"},
    "notify.why.refused": {"en": "Apprise does not understand URL no. {urls} of {n}",
                           "ru": "Apprise не понимает адрес № {urls} из {n}"},
    "notify.why.failed": {"en": "the service refused it or could not be reached",
                          "ru": "сервис отказал или недоступен"},
})


# Plural forms: English one/other; Russian one (1, 21), few (2-4, 22-24), many (5-20, 25, 11-14).
PLURALS = {
    "check": {"en": ("check", "checks"), "ru": ("проверка", "проверки", "проверок")},
    "row": {"en": ("row", "rows"), "ru": ("строка", "строки", "строк")},
    "warning": {"en": ("warning", "warnings"), "ru": ("предупреждение", "предупреждения", "предупреждений")},
    "line": {"en": ("line", "lines"), "ru": ("строка", "строки", "строк")},
}


# The language of the run in progress: set by the plugin for the run (and by the log viewer for
# its command), reset after it, so library code deep down (warnings, skip reasons, a finding's
# detail) speaks the run's language without a global set at import. English outside a run.
_CURRENT = contextvars.ContextVar("gigacheck_lang", default="en")


def current_lang() -> str:
    return _CURRENT.get()


def set_lang(lang: str) -> contextvars.Token:
    """Speak `lang` from now on; give the token back to `reset_lang` when the run ends."""
    return _CURRENT.set(lang if lang in LANGS else "en")


def reset_lang(token: contextvars.Token) -> None:
    _CURRENT.reset(token)


@contextmanager
def speaking(lang: str) -> Iterator[str]:
    token = set_lang(lang)
    try:
        yield current_lang()
    finally:
        reset_lang(token)


def say(key: str, lang: Optional[str] = None, **fields) -> str:
    """The text of `key` in `lang` (default: the language of the run in progress), its fields filled in."""
    lang = lang or current_lang()
    entry = WORDS[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**fields) if fields else text


def _pick(forms, n: int, lang: str) -> str:
    """The plural form of `n`: en one|other; ru one|few|many (1 запись, 2 записи, 5 записей)."""
    if lang == "ru" and len(forms) == 3:
        n10, n100 = abs(n) % 10, abs(n) % 100
        return forms[0 if n10 == 1 and n100 != 11 else 1 if 2 <= n10 <= 4 and not 12 <= n100 <= 14 else 2]
    return forms[0 if abs(n) == 1 else len(forms) - 1]


def count(n: int, key: str, lang: Optional[str] = None) -> str:
    """`n` with the right plural form: WORDS[key] holds the forms split by `|`."""
    lang = lang or current_lang()
    return _pick(say(key, lang, n=n).split("|"), n, lang)


def plural(n: int, word: str, lang: Optional[str] = None) -> str:
    """`n` and the form of `word` (PLURALS) that goes with it: 1 row, 2 rows; 1 строка, 2 строки, 5 строк."""
    lang = lang or current_lang()
    forms = PLURALS[word].get(lang) or PLURALS[word]["en"]
    return f"{n} {_pick(forms, n, lang)}"


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
