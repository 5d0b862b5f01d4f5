"""The one catalog of diagnosis codes, and the Finding every check raises.

Messages, the README table and the JSON summary all come from CATALOG, so a
code's wording lives in exactly one place.  Plain data: no pytest here.
"""

from __future__ import annotations

import re
import shlex
import warnings
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping, Optional, Sequence

from . import GigacheckWarning

FAIL, WARN = "fail", "warn"
CODE_RE = re.compile(r"\[((?:GC|LG)\d{3})\]")


@dataclass(frozen=True)
class Code:
    code: str
    finding: str          # what is wrong, one line (the SPEC table's wording)
    cause: str            # the likely cause
    remedy: str           # what to do
    commands: tuple = ()  # commands that help, brew-doctor style
    severity: str = FAIL  # FAIL fails the check; WARN is a GigacheckWarning
    area: str = "config"
    ru: tuple = ()        # (finding, cause, remedy) in Russian; commands stay as they are
    variants: tuple = ()  # (situation, Variant) pairs: the cause, remedy and commands that fit it

    def situated(self, situation: str = "", fields: Optional[Mapping[str, str]] = None) -> "Code":
        """This code as shown in `situation` (its variant, if any), with the finding's fields
        (host, path ...) filled in; shell-quoted in the commands."""
        variant = dict(self.variants).get(situation)
        if variant is None:
            return self
        fields = dict(fields or {})
        quoted = {k: shlex.quote(str(v)) for k, v in fields.items()}
        ru = (self.ru[0], variant.ru[0].format(**fields), variant.ru[1].format(**fields)) \
            if self.ru and variant.ru else self.ru
        return replace(self, cause=variant.cause.format(**fields), remedy=variant.remedy.format(**fields),
                       commands=tuple(c.format(**quoted) for c in variant.commands), ru=ru)

    def text(self, lang: str = "en") -> "Text":
        """The finding, cause and remedy in `lang` (English where no Russian is written yet)."""
        if lang == "ru" and self.ru:
            return Text(*self.ru)
        return Text(self.finding, self.cause, self.remedy)


@dataclass(frozen=True)
class Text:
    finding: str
    cause: str
    remedy: str


@dataclass(frozen=True)
class Variant:
    """A code's cause, remedy and commands in one situation (the API host vs the OAuth host,
    a SQLite file vs a server); `{field}`s are filled from the finding."""
    cause: str
    remedy: str
    commands: tuple = ()
    ru: tuple = ()        # (cause, remedy) in Russian


def _c(code, finding, cause, remedy, *commands, severity=FAIL, area="config", ru=(), variants=None):
    return Code(code, finding, cause, remedy, tuple(commands), severity, area, tuple(ru),
                tuple((variants or {}).items()))


RUSSIAN_ROOT_CA_URL = "https://gu-st.ru/content/lending/russian_trusted_root_ca_pem.crt"


def _host_variant(setting: str, en_which: str, ru_which: str) -> Variant:
    return Variant(
        f"DNS has no address for {en_which} {{host}}, or the connection to port {{port}} is refused or blocked "
        f"(firewall, proxy, outage).",
        f"Check {setting} ({{url}}), DNS and the outbound firewall and proxy rules for {{host}} port {{port}} "
        f"from this machine.",
        ("curl -sv {origin}/ -o /dev/null",),
        ru=(f"DNS не знает адреса {ru_which} {{host}}, или соединение с портом {{port}} отклонено или заблокировано "
            f"(файрвол, прокси, сбой).",
            f"Проверьте {setting} ({{url}}), DNS и правила файрвола и прокси для исходящих соединений с {{host}}, "
            f"порт {{port}}, с этой машины."))


_KEY_HELP = ("Copy the authorization key from the GigaChat Studio project "
             "(Settings -> API -> 'Authorization key'), 100 characters ending in '=='.")

CATALOG = {c.code: c for c in [
    _c("GC001", "key missing or empty",
       "Neither GIGACHAT_CREDENTIALS nor GIGACHAT_TOKEN is set (in the environment or the env file).",
       "Set GIGACHAT_CREDENTIALS to the authorization key. " + _KEY_HELP,
       "echo 'GIGACHAT_CREDENTIALS=<authorization key>' >> .env"),
    _c("GC002", "key starts with `Bearer ` or `Basic `",
       "The HTTP scheme was pasted with the key; the client adds `Basic ` itself, so the server sees it twice.",
       "Remove the `Bearer `/`Basic ` prefix: the variable holds the bare key."),
    _c("GC003", "key has spaces, quotes or line breaks",
       "The value was copied with surrounding whitespace, quotes kept literally, or a line break from the clipboard.",
       "Put the key on one line with no spaces; in .env use KEY=value or KEY=\"value\" with matching quotes."),
    _c("GC004", "key is a placeholder or far too short",
       "The env file still has the sample value (`test`, `<ваш_токен>`, `your_token`, ...).",
       "Replace the placeholder with the real authorization key. " + _KEY_HELP),
    _c("GC005", "key is an access token or JWT, not the authorization key",
       "An access token (`eyJ...`, dot-separated, lives 30 minutes) was stored where the authorization key belongs.",
       "Store the authorization key in GIGACHAT_CREDENTIALS; the client exchanges it for access tokens itself. "
       "A ready token belongs in GIGACHAT_ACCESS_TOKEN, and expires within 30 minutes."),
    _c("GC006", "key is not base64 of `client_id:client_secret`",
       "The client secret or client ID alone, or a key encoded twice, was used instead of the authorization key.",
       "Use the authorization key itself (base64 of client_id:client_secret). " + _KEY_HELP,
       "printf '%s' \"$CLIENT_ID:$CLIENT_SECRET\" | base64 -w0"),
    _c("GC007", "`GIGACHAT_TOKEN` and `GIGACHAT_CREDENTIALS` disagree",
       "The site reads GIGACHAT_TOKEN and the SDK reads GIGACHAT_CREDENTIALS; they hold different keys.",
       "Keep one key: set both to the same value, or remove GIGACHAT_TOKEN."),
    _c("GC008", "scope is not one of the three",
       "GIGACHAT_SCOPE must be GIGACHAT_API_PERS, GIGACHAT_API_B2B or GIGACHAT_API_CORP.",
       "Set GIGACHAT_SCOPE to your key's scope: GIGACHAT_API_PERS (individuals), GIGACHAT_API_B2B "
       "(business, prepaid) or GIGACHAT_API_CORP (business, pay-as-you-go)."),
    _c("GC009", "auth URL cannot be a GigaChat OAuth endpoint",
       "GIGACHAT_AUTH_URL is not https, points at another provider (for example Yandex Cloud), "
       "or its path does not end in /oauth.",
       "Set GIGACHAT_AUTH_URL=https://ngw.devices.sberbank.ru:9443/api/v2/oauth or remove it."),
    _c("GC010", "base URL is known to be wrong",
       "GIGACHAT_BASE_URL is not https, is a known wrong host or path (e.g. api.gigachat.ru/core/api/v1), "
       "or its path does not end in /v1.",
       "Set GIGACHAT_BASE_URL=https://gigachat.devices.sberbank.ru/api/v1 (or https://api.giga.chat/v1 "
       "for business contracts), or remove it."),
    _c("GC011", "TLS verification is turned off",
       "GIGACHAT_VERIFY_SSL_CERTS is false: any machine in the path can read the key and the answers.",
       "Install the Russian Trusted Root CA, point GIGACHAT_CA_BUNDLE_FILE at it and remove "
       "GIGACHAT_VERIFY_SSL_CERTS=false.",
       "curl -fsSLo russian_trusted_root_ca.pem https://gu-st.ru/content/lending/russian_trusted_root_ca_pem.crt",
       severity=WARN),
    _c("GC012", "CA bundle file missing, unreadable or not PEM",
       "GIGACHAT_CA_BUNDLE_FILE names a file that does not exist, cannot be read, or holds no PEM certificate.",
       "Point GIGACHAT_CA_BUNDLE_FILE at a PEM file with the Russian Trusted Root CA "
       "(-----BEGIN CERTIFICATE----- blocks).",
       "openssl x509 -in \"$GIGACHAT_CA_BUNDLE_FILE\" -noout -subject",
       variants={
           "missing": Variant(
               "GIGACHAT_CA_BUNDLE_FILE names {path}, and there is no file there (a relative path in an env file "
               "is read from that file's folder).",
               "Download the Russian Trusted Root CA to {path}, or point GIGACHAT_CA_BUNDLE_FILE at the PEM file "
               "where it is.",
               ("curl -fsSLo {path} " + RUSSIAN_ROOT_CA_URL, "openssl x509 -in {path} -noout -subject"),
               ru=("GIGACHAT_CA_BUNDLE_FILE указывает на {path}, но такого файла нет (относительный путь в env-файле "
                   "отсчитывается от папки этого файла).",
                   "Скачайте корневой сертификат НУЦ Минцифры (Russian Trusted Root CA) в {path} или укажите в "
                   "GIGACHAT_CA_BUNDLE_FILE путь к PEM-файлу, где он лежит.")),
           "unusable": Variant(
               "GIGACHAT_CA_BUNDLE_FILE names {path}, which cannot be read or holds no PEM certificate.",
               "Replace {path} with the PEM file of the Russian Trusted Root CA (-----BEGIN CERTIFICATE----- "
               "blocks), readable by this user.",
               ("curl -fsSLo {path} " + RUSSIAN_ROOT_CA_URL, "openssl x509 -in {path} -noout -subject"),
               ru=("GIGACHAT_CA_BUNDLE_FILE указывает на {path}, но файл не читается или в нём нет PEM-сертификата.",
                   "Замените {path} PEM-файлом корневого сертификата НУЦ Минцифры (блоки -----BEGIN CERTIFICATE-----), "
                   "доступным этому пользователю на чтение.")),
       }),
    _c("GC013", "mock answers (`USE_MOCK_RESPONSES`) are on in production",
       "USE_MOCK_RESPONSES=true makes the site answer from canned data instead of GigaChat.",
       "Set USE_MOCK_RESPONSES=false in the production environment."),
    _c("GC014", "GigaChat is turned off (`ENABLE_GIGACHAT=false`)",
       "ENABLE_GIGACHAT=false: the site does not call GigaChat, so its checks cannot apply.",
       "Set ENABLE_GIGACHAT=true to use GigaChat (and to run these checks)."),
    _c("GC017", "a model name looks like a secret, not a model",
       "GIGACHAT_MODELS (or GIGACHAT_MODEL) holds a value shaped like a key or token (or a configured secret): "
       "pasted into the wrong variable. It is not sent, shown or used as a check's name.",
       "Put model names in GIGACHAT_MODELS (e.g. GigaChat-2-Pro,GigaChat-2-Max,GigaChat) and the key in "
       "GIGACHAT_CREDENTIALS; if that key was shared anywhere, create a new one in GigaChat Studio.",
       ru=("имя модели похоже на секрет, а не на модель",
           "В GIGACHAT_MODELS (или GIGACHAT_MODEL) лежит значение, похожее на ключ авторизации или токен доступа "
           "(или на один из настроенных секретов): его вставили не в ту переменную. Оно не отправляется, не "
           "показывается и не становится именем проверки.",
           "Укажите в GIGACHAT_MODELS имена моделей (например, GigaChat-2-Pro,GigaChat-2-Max,GigaChat), а ключ "
           "авторизации — в GIGACHAT_CREDENTIALS; если этот ключ мог куда-то попасть, выпустите новый в личном "
           "кабинете GigaChat Studio.")),
    _c("GC020", "host cannot be resolved or connected to",
       "DNS has no address for the host, or the connection is refused or blocked (firewall, proxy, outage).",
       "Check the URL, DNS and outbound firewall rules for port 443/9443 from this machine.",
       "curl -sv https://ngw.devices.sberbank.ru:9443/ -o /dev/null", area="network",
       variants={"auth": _host_variant("GIGACHAT_AUTH_URL", "the OAuth host", "OAuth-хоста"),
                 "api": _host_variant("GIGACHAT_BASE_URL", "the API host", "API-хоста")}),
    _c("GC021", "timeout",
       "The host did not answer within GIGACHAT_TIMEOUT seconds (network filtering, overload, or a stalled proxy).",
       "Retry; if it persists check the network path, or raise GIGACHAT_TIMEOUT.", area="network"),
    _c("GC022", "TLS certificate verification failed",
       "The hosts use a chain from the Russian Trusted Root CA, which certifi does not include "
       "(or the certificate is for another host name).",
       "Download the Russian Trusted Root CA and set GIGACHAT_CA_BUNDLE_FILE to that PEM file.",
       "curl -fsSLo russian_trusted_root_ca.pem https://gu-st.ru/content/lending/russian_trusted_root_ca_pem.crt",
       area="network"),
    _c("GC023", "OAuth rejected the key (401, code 6)",
       "The key is wrong or revoked: OAuth says the credentials do not match.",
       "Create a new authorization key in GigaChat Studio and set GIGACHAT_CREDENTIALS to it.", area="oauth"),
    _c("GC024", "OAuth: scope does not match the key (code 7)",
       "GIGACHAT_SCOPE asks for a scope the key does not have (e.g. a PERS key with CORP scope).",
       "Set GIGACHAT_SCOPE to the key's scope (GIGACHAT_API_PERS for individuals).", area="oauth"),
    _c("GC025", "OAuth: key cannot be decoded (code 4)",
       "The Authorization header is not a decodable key: the client secret was used, or the key was re-encoded.",
       "Use the authorization key exactly as GigaChat Studio shows it. " + _KEY_HELP, area="oauth"),
    _c("GC026", "OAuth: other 4xx",
       "OAuth refused the request (scope empty or invalid, RqUID missing, wrong path ...).",
       "Read the answer below; check GIGACHAT_SCOPE and GIGACHAT_AUTH_URL.", area="oauth"),
    _c("GC027", "429 too many requests",
       "Too many requests (individuals get one concurrent stream); the provider asks to wait.",
       "Wait for the cooldown (Retry-After when given) and retry; lower the site's concurrency.", area="api"),
    _c("GC028", "malformed answer",
       "The answer is not the JSON expected: an HTML page, no access_token, expires_at in the past or not in "
       "milliseconds, a redirect, or a body too large.",
       "Check that the URL points at GigaChat itself and not a proxy or portal page.", area="oauth"),
    _c("GC029", "provider-side 5xx",
       "GigaChat (or its SynGX front server) answered with a server error: usually transient.",
       "Retry later; if it persists, send this report (with X-Request-Id) to GigaChat support.", area="api"),
    _c("GC030", "`/models` 404: wrong base URL or path",
       "The base URL does not lead to the GigaChat API (an HTML 404 page answered).",
       "Set GIGACHAT_BASE_URL=https://gigachat.devices.sberbank.ru/api/v1 (or https://api.giga.chat/v1).",
       area="api"),
    _c("GC031", "API rejected the access token (401, expired)",
       "The access token expired (they live 30 minutes) or is not a GigaChat token.",
       "Remove GIGACHAT_ACCESS_TOKEN and let the client get fresh tokens from GIGACHAT_CREDENTIALS.",
       area="api"),
    _c("GC032", "a configured model is not served",
       "GIGACHAT_MODEL/GIGACHAT_MODELS names a model this host or account does not serve.",
       "Use a served model name (see the closest names below), or the host that serves it "
       "(GigaChat-3-Ultra is only on https://api.giga.chat/v1).", area="api"),
    _c("GC033", "402 payment required: the model's token package is used up",
       "The token package for this model is exhausted.",
       "Top up the package in GigaChat Studio, or move this model down the priority list.", area="api"),
    _c("GC034", "403 permission denied",
       "The account may not use this endpoint or model.",
       "Check the account's contract and scope in GigaChat Studio.", area="api"),
    _c("GC040", "chat completion failed for a model",
       "The model is listed but a short chat completion did not succeed.",
       "Read the answer below; move the model down the priority list until it answers.", area="generation"),
    _c("GC041", "chat answer empty or `finish_reason` `blacklist`",
       "The model answered with no text, or the answer was blocked by the content filter.",
       "Retry with another prompt; if every prompt is empty, report it to GigaChat support.", area="generation"),
    _c("GC042", "image request answered without an `<img>` tag",
       "The model answered with text: the prompt was not taken as a drawing request, or the model cannot draw.",
       "Send function_call \"auto\" and an explicit drawing request (\"Нарисуй ...\"); use a model that draws.",
       area="generation"),
    _c("GC043", "image download failed or the file is not an image",
       "GET /files/<id>/content failed, or its bytes are not a JPEG or PNG.",
       "Download with the same X-Client-ID as the generation call and Accept: application/jpg.",
       area="generation"),
    _c("GC044", "balance below `GIGACHECK_MIN_BALANCE`",
       "A configured model has fewer tokens left than GIGACHECK_MIN_BALANCE.",
       "Top up the package in GigaChat Studio before it runs out.", area="generation"),
    _c("GC045", "fallback provider unreachable or rejects its key",
       "PROXY_API_BASE_URL does not answer GET /models with 200, or does not list PROXY_API_MODEL.",
       "Check PROXY_API_BASE_URL, PROXY_API_KEY and PROXY_API_MODEL with the fallback provider.",
       area="generation"),
    _c("GC046", "fallback provider over plain `http://`: its key would go in clear",
       "PROXY_API_BASE_URL starts with http://, so PROXY_API_KEY would cross the network unencrypted; "
       "gigacheck does not send it.",
       "Use the provider's https:// URL in PROXY_API_BASE_URL (OpenAI-compatible APIs serve https), and create "
       "a new PROXY_API_KEY if the site has already sent it over http.",
       area="generation",
       ru=("резервный провайдер по открытому `http://`: его ключ ушёл бы без шифрования",
           "PROXY_API_BASE_URL начинается с http://, поэтому PROXY_API_KEY передавался бы по сети в открытом виде; "
           "gigacheck его не отправляет.",
           "Укажите в PROXY_API_BASE_URL адрес провайдера с https:// (OpenAI-совместимые API работают по https) "
           "и выпустите новый PROXY_API_KEY, если сайт уже отправлял его по http.")),
    _c("LG001", "`DATABASE_URL` missing or not understood",
       "DATABASE_URL is not set, or is not mysql://user:pass@host:3306/db or sqlite:///path (or another log "
       "setting cannot be used: GIGACHECK_LOG_FILE names no readable file, GIGACHECK_LOG_TIMEZONE is no time zone).",
       "Set DATABASE_URL to the site's database (the DATABASES['default'] of its settings), e.g. "
       "mysql://user:pass@127.0.0.1:3306/site or sqlite:////srv/site/db.sqlite3; check the variable named above.",
       area="logs"),
    _c("LG002", "cannot connect to the database",
       "The server refused the connection, the user or password is wrong, or the database does not exist.",
       "Check host, port, user, password and database name in DATABASE_URL; a read-only user with SELECT on the "
       "log table is enough.",
       "mysql -h HOST -P PORT -u USER -p DB -e 'SELECT 1'", area="logs",
       variants={"sqlite": Variant(
           "The SQLite database file {path} does not exist, is not a file this user may read, or is not a SQLite "
           "database.",
           "Point DATABASE_URL at the site's database file (sqlite:////absolute/path/db.sqlite3, or a path relative "
           "to the env file's folder) and let this user read it.",
           ("ls -l {path}",
            "python3 -c 'import sqlite3, sys; sqlite3.connect(\"file:\" + sys.argv[1] + \"?mode=ro\", uri=True)"
            ".execute(\"SELECT 1\")' {path}"),
           ru=("Файла базы SQLite {path} нет, он недоступен этому пользователю на чтение или это не база SQLite.",
               "Укажите в DATABASE_URL файл базы сайта (sqlite:////абсолютный/путь/db.sqlite3 или путь относительно "
               "папки env-файла) и дайте этому пользователю права на чтение."))}),
    _c("LG003", "log table missing",
       "The table GIGACHECK_LOG_TABLE does not exist in that database, or this user may not read it.",
       "Run the site's migrations, or set GIGACHECK_LOG_TABLE to the right table.",
       "python manage.py migrate Asistent", area="logs"),
    _c("LG004", "log table lacks `timestamp`, `level` or `message`",
       "The table exists but does not have the columns of Asistent.SystemLog.",
       "Point GIGACHECK_LOG_TABLE at the SystemLog table, or migrate it (or name the columns with "
       "gigacheck_log_columns in pytest.ini).", area="logs"),
    _c("LG005", "no index on `timestamp`",
       "Django adds no index on a DateTimeField without db_index=True, so every time-window query of the site "
       "(view_gigachat_logs, the admin, the runbook's SQL) reads the whole table; gigacheck itself reads the window "
       "by primary-key range and stays fast.",
       "Add the index: the CREATE INDEX below, or db_index=True on SystemLog.timestamp and a migration.",
       "python manage.py makemigrations Asistent && python manage.py migrate Asistent",
       severity=WARN, area="logs"),
    _c("LG006", "log ids do not follow time and there is no index on `timestamp`",
       "Rows were imported or merged out of id order, so the window cannot be found by id; reading the whole "
       "table instead ran past the query time limit.",
       "Add the index on timestamp (LG005's CREATE INDEX, or db_index=True on SystemLog.timestamp and a "
       "migration); until then raise gigacheck_log_query_timeout.",
       "python manage.py makemigrations Asistent && python manage.py migrate Asistent", area="logs",
       ru=("идентификаторы строк журнала не идут по времени, а индекса на `timestamp` нет",
           "Строки импортировали или слили не в порядке id, поэтому окно по id не найти; чтение всей таблицы "
           "не уложилось в лимит времени запроса.",
           "Добавьте индекс на timestamp (CREATE INDEX из LG005 или db_index=True у SystemLog.timestamp и "
           "миграция); до тех пор увеличьте gigacheck_log_query_timeout.")),
    _c("LG007", "a log query ran past its time limit",
       "The database did not finish a read of the window within gigacheck_log_query_timeout: a busy server, "
       "or a very large window.",
       "Shorten --hours, add the index on timestamp (LG005) if it is missing, or raise "
       "gigacheck_log_query_timeout in pytest.ini.", area="logs",
       ru=("запрос к журналу не уложился в лимит времени",
           "База не успела прочитать окно за gigacheck_log_query_timeout: сервер занят или окно очень большое.",
           "Сократите --hours, добавьте индекс на timestamp (LG005), если его нет, или увеличьте "
           "gigacheck_log_query_timeout в pytest.ini.")),
    _c("LG010", "ERROR or CRITICAL entries mention GigaChat",
       "The site logged errors about GigaChat in the window.", "Read the rows below; they name the failing call.",
       area="logs"),
    _c("LG011", "GigaChat returned an empty path",
       "Image generation returned an empty file path (`пустой путь`, `вернул пустой`).",
       "See the generation checks (--spend) and the rows below.", area="logs"),
    _c("LG012", "every model failed to generate the image",
       "`Не удалось сгенерировать изображение`: every model in the priority list failed.",
       "Check the models' balance (402) and the rows around these.", area="logs"),
    _c("LG013", "timeouts",
       "`Таймаут`/`TimeoutError`: GigaChat calls ran out of time.",
       "Check the network path; raise the site's timeout if generation is slow.", area="logs"),
    _c("LG014", "429 / too many requests / cooldown",
       "The site hit GigaChat's rate limit.", "Lower the site's concurrency; honour Retry-After.", area="logs"),
    _c("LG015", "402 / payment required / balance",
       "A model's token package ran out.", "Top up in GigaChat Studio or change the model order.", area="logs"),
    _c("LG016", "no `<img>` tag in image answers",
       "`Нет <img> тега`: the model answered with text instead of drawing.",
       "Send function_call auto and a clear drawing request.", area="logs"),
    _c("LG017", "saving the image failed",
       "`Ошибка сохранения`: the site could not save the generated image.",
       "Check MEDIA_ROOT permissions and free disk space.", area="logs"),
    _c("LG018", "no image was saved while GigaChat was used",
       "GigaChat entries exist in the window but no `Изображение сохранено`.",
       "Check the generation rows; try one generation by hand.", severity=WARN, area="logs"),
    _c("LG019", "404 / no access token / OAuth failed",
       "`404 Not Found`, `No access token available` or `OAuth failed with status`: the site cannot authenticate "
       "or calls a wrong URL.",
       "Run the config, oauth and api checks: they name the cause.", area="logs"),
]}


def code(code_id: str) -> Code:
    return CATALOG[code_id]


def codes_in(text: str) -> list:
    """The codes a message names, in order, once each."""
    seen = []
    for m in CODE_RE.finditer(text or ""):
        if m.group(1) not in seen:
            seen.append(m.group(1))
    return seen


@dataclass(eq=False)  # eq=False keeps exceptions hashable
class Finding(Exception):
    """Something wrong, with its code: raised by library code, turned into a
    failed (or skipped) check by the plugin."""

    code: str
    detail: str = ""
    evidence: Sequence[str] = field(default_factory=tuple)
    subject: str = ""  # what it is about (host, model, key): one root cause per (code, subject)
    situation: str = ""  # picks the catalog's variant of cause, remedy and commands (Code.situated)
    fields: Mapping[str, str] = field(default_factory=dict)  # filled into that variant (host, path ...)

    def __post_init__(self):
        Exception.__init__(self, self.code, self.detail)

    @property
    def entry(self) -> Code:
        return CATALOG[self.code].situated(self.situation, self.fields)

    @property
    def remedy(self) -> str:
        return self.entry.remedy

    @property
    def statement(self) -> str:
        """What is wrong, without the code."""
        return statement(self.code, self.detail)

    @property
    def headline(self) -> str:
        return f"[{self.code}] {self.statement}"

    def render(self) -> str:
        return render(self.code, self.detail, self.evidence, self.situation, self.fields)

    def __str__(self):
        return self.headline


def statement(code_id: str, detail: str = "") -> str:
    """The catalog's finding, with this case's detail."""
    finding = CATALOG[code_id].finding
    return f"{finding}: {detail}" if detail else finding


def render(code_id: str, detail: str = "", evidence: Iterable[str] = (), situation: str = "",
           fields: Optional[Mapping[str, str]] = None) -> str:
    """`[CODE] what is wrong`, then cause, remedy, commands and evidence."""
    entry = CATALOG[code_id].situated(situation, fields)
    lines = [f"[{code_id}] {statement(code_id, detail)}", f"Cause: {entry.cause}", f"Remedy: {entry.remedy}"]
    for cmd in entry.commands:
        lines.append(f"  $ {cmd}")
    evidence = [e for e in evidence if e]
    if evidence:
        lines.append("Evidence:")
        for item in evidence:
            lines.extend("  " + ln for ln in str(item).splitlines())
    return "\n".join(lines)


def warn(code_id: str, detail: str = "", evidence: Iterable[str] = (), stacklevel: int = 2) -> None:
    """Emit a finding that should not fail a deploy."""
    warnings.warn(GigacheckWarning(render(code_id, detail, evidence), code_id), stacklevel=stacklevel)


def skip_reason(code_id: str, why: str) -> str:
    return f"[{code_id}] {why}"


def markdown_table() -> str:
    """The README's table of codes."""
    rows = ["| code | finding | severity | remedy |", "|---|---|---|---|"]
    for c in CATALOG.values():
        remedy = c.remedy.replace("|", "\\|")
        rows.append(f"| {c.code} | {c.finding.replace('|', chr(92) + '|')} | {c.severity} | {remedy} |")
    return "\n".join(rows)
