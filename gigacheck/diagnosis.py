"""The one catalog of diagnosis codes, and the Finding every check raises.

Messages, the README table and the JSON summary all come from CATALOG, so a
code's wording lives in exactly one place.  Plain data: no pytest here.
"""

from __future__ import annotations

import re
import shlex
import warnings
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping, Optional, Sequence

from . import GigacheckWarning
from .words import current_lang, say

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

_KEY_HELP_RU = ("Скопируйте ключ авторизации из проекта в личном кабинете GigaChat Studio "
                "(Настройки API -> «Ключ авторизации»): 100 символов, в конце «==».")

# The way to GigaChat (gigachat/netcause.py): a proxy on the way, a connection closed mid-handshake.
_WAY_VARIANTS = {
    "proxy": Variant(
        "The site's client goes through the proxy {variable} ({proxy_url}), and that proxy cannot be used: it is "
        "down, {variable} names the wrong host or port, or the proxy is not meant for this machine.",
        "Check that a proxy listens at {proxy} (the command below); fix {variable}, or, if {host} is reached "
        "directly from here, add it to NO_PROXY (requests and httpx honour it).",
        ("curl -sv -x {proxy_url} {origin}/ -o /dev/null",),
        ru=("Клиент сайта ходит через прокси {variable} ({proxy_url}), а этим прокси не воспользоваться: он не "
            "работает, в {variable} не тот хост или порт, или прокси не для этой машины.",
            "Проверьте, что по адресу {proxy} слушает прокси (команда ниже); исправьте {variable} или, если {host} "
            "доступен отсюда напрямую, добавьте его в NO_PROXY (его учитывают requests и httpx).")),
    "proxy_auth": Variant(
        "The proxy {variable} ({proxy}) asks for proxy credentials (407 Proxy Authentication Required): "
        "{variable} carries none, or wrong ones.",
        "Put the proxy's user and password in {variable} (http://user:password@{proxy}, URL-encoded), as the "
        "network's admins give them; or add {host} to NO_PROXY if it is reached directly.",
        ("curl -sv -x {proxy_url} --proxy-user USER {origin}/ -o /dev/null",),
        ru=("Прокси {variable} ({proxy}) требует логин и пароль прокси (407 Proxy Authentication Required): в "
            "{variable} их нет или они неверные.",
            "Пропишите в {variable} логин и пароль прокси (http://user:password@{proxy}, в URL-кодировке), которые "
            "выдают администраторы сети; или добавьте {host} в NO_PROXY, если он доступен напрямую.")),
    "proxy_denied": Variant(
        "The proxy {variable} ({proxy}) is there and answered, but it will not open a tunnel to {host}:{port} "
        "({status}): its rules do not allow this destination or this port (OAuth is on 9443).",
        "Ask the network's admins to allow CONNECT to {host}:{port} through {proxy}, or add {host} to NO_PROXY if "
        "it is reached directly from here.",
        ("curl -sv -x {proxy_url} {origin}/ -o /dev/null",),
        ru=("Прокси {variable} ({proxy}) на месте и ответил, но туннель к {host}:{port} не открывает ({status}): его "
            "правила не пускают к этому адресу или на этот порт (OAuth работает на 9443).",
            "Попросите администраторов сети разрешить CONNECT к {host}:{port} через {proxy} или добавьте {host} в "
            "NO_PROXY, если он доступен отсюда напрямую.")),
    "proxy_upstream": Variant(
        "The proxy {variable} ({proxy}) is there and answered, but it cannot reach {host}:{port} itself "
        "({status}): the proxy's DNS, its own firewall, or the host is down as the proxy sees it.",
        "Check with the network's admins that {proxy} reaches {host}:{port}; or add {host} to NO_PROXY if it is "
        "reached directly from here.",
        ("curl -sv -x {proxy_url} {origin}/ -o /dev/null",),
        ru=("Прокси {variable} ({proxy}) на месте и ответил, но сам не может достучаться до {host}:{port} "
            "({status}): DNS прокси, его собственный файрвол или хост недоступен с его стороны.",
            "Проверьте с администраторами сети, что {proxy} достаёт до {host}:{port}, или добавьте {host} в NO_PROXY, "
            "если он доступен отсюда напрямую.")),
    "tls_closed": Variant(
        "The TCP connection to {host}:{port} opened, then the other side closed it during the TLS handshake, "
        "before showing any certificate: a proxy or firewall that cuts TLS to this host, or a port that does not "
        "speak TLS. A missing CA does not do this.",
        "Check the port in {url} (GigaChat: 9443 for OAuth, 443 for the API), the outbound firewall and any "
        "TLS-inspecting proxy on the way to {host}; downloading a CA does not help here.",
        ("openssl s_client -connect {host}:{port} -servername {host} -brief",),
        ru=("TCP-соединение с {host}:{port} открылось, но другая сторона закрыла его во время TLS-рукопожатия, "
            "не показав сертификата: прокси или файрвол обрывает TLS к этому хосту, или на этом порту не TLS. "
            "Отсутствующий корневой сертификат так не проявляется.",
            "Проверьте порт в {url} (у GigaChat 9443 для OAuth и 443 для API), исходящий файрвол и прокси с "
            "инспекцией TLS на пути к {host}; скачивание корневого сертификата здесь не поможет.")),
    "not_tls": Variant(
        "The TCP connection to {host}:{port} opened, but what answers there does not speak TLS ({reason}): plain "
        "HTTP, another service on that port, or a proxy answering in its place. A missing CA does not do this.",
        "Check the scheme and port in {url} (GigaChat: https, 9443 for OAuth, 443 for the API) and any proxy on the "
        "way to {host}; downloading a CA does not help here.",
        ("curl -sv http://{host}:{port}/ -o /dev/null",
         "openssl s_client -connect {host}:{port} -servername {host} -brief </dev/null"),
        ru=("TCP-соединение с {host}:{port} открылось, но там отвечают не по TLS ({reason}): обычный HTTP, другая "
            "служба на этом порту или прокси вместо сервера. Отсутствующий корневой сертификат так не проявляется.",
            "Проверьте схему и порт в {url} (у GigaChat https, 9443 для OAuth и 443 для API) и прокси на пути к "
            "{host}; скачивание корневого сертификата здесь не поможет.")),
    "tls_failed": Variant(
        "The TLS handshake with {host}:{port} failed before any certificate was checked ({reason}): the two sides "
        "share no protocol version or cipher, or a proxy or firewall on the way interferes with TLS.",
        "Check the port in {url}, that this machine's OpenSSL speaks TLS 1.2 or later, and any TLS-inspecting "
        "proxy or firewall on the way to {host}; downloading a CA does not help here.",
        ("openssl s_client -connect {host}:{port} -servername {host} -brief </dev/null",),
        ru=("TLS-рукопожатие с {host}:{port} не удалось ещё до проверки сертификата ({reason}): у сторон нет общей "
            "версии протокола или шифра, или TLS мешает прокси либо файрвол на пути.",
            "Проверьте порт в {url}, что OpenSSL этой машины поддерживает TLS 1.2 или новее, и прокси с инспекцией "
            "TLS или файрвол на пути к {host}; скачивание корневого сертификата здесь не поможет.")),
}

# The trust store of the site's client (truststore.py): which one failed, and the issuer it lacks.
_STORE_VARIANTS = {
    "other_host": Variant(
        "The certificate {host}:{port} presented is valid for {names}, not for {host}, the host in the URL: the URL "
        "names the server by an IP address or an alias, or something on the way (a proxy, a load balancer) "
        "answers with its own certificate. A trusted CA does not make a name match.",
        "Put a host name the certificate is for in the URL ({url}), not an IP address or an alias (GigaChat: "
        "ngw.devices.sberbank.ru for OAuth, gigachat.devices.sberbank.ru or api.giga.chat for the API); "
        "downloading a CA does not fix a name mismatch.",
        ("openssl s_client -connect {host}:{port} -servername {host} </dev/null 2>/dev/null | openssl x509 -noout "
         "-subject -ext subjectAltName",),
        ru=("Сертификат, который предъявил {host}:{port}, выдан на {names}, а не на {host} из адреса: в адресе IP "
            "или другое имя сервера, или на пути (прокси, балансировщик) отвечают своим сертификатом. Доверенный "
            "корневой сертификат не делает имя совпадающим.",
            "Укажите в адресе ({url}) имя хоста, на которое выдан сертификат, а не IP или другое имя (у GigaChat "
            "ngw.devices.sberbank.ru для OAuth, gigachat.devices.sberbank.ru или api.giga.chat для API); "
            "скачивание корневого сертификата несовпадение имени не исправит.")),
    "bundle_lacks": Variant(
        "{variable} ({path}) is the trust store of the site's client, and it does not hold the CA that issued "
        "the server's certificate ({issuer}).",
        "Add the issuing CA ({issuer}) to {path}, or point {variable} at a bundle that holds it; for GigaChat's "
        "hosts that is the Russian Trusted Root CA (and its Sub CA).",
        ("openssl s_client -connect {host}:{port} -servername {host} -showcerts </dev/null",
         "curl -fsSLo russian_trusted_root_ca.pem " + RUSSIAN_ROOT_CA_URL),
        ru=("{variable} ({path}) — хранилище доверенных сертификатов клиента сайта, и в нём нет центра "
            "сертификации, выдавшего сертификат сервера ({issuer}).",
            "Добавьте сертификат издателя ({issuer}) в {path} или укажите в {variable} набор, где он есть; для "
            "хостов GigaChat это корневой сертификат НУЦ Минцифры (Russian Trusted Root CA) и его Sub CA.")),
    "requests_only": Variant(
        "{ignored} ({ignored_path}) is set, but only requests reads it: the SDK's httpx verifies with certifi's "
        "bundle ({path}), which lacks the server's issuer ({issuer}). gigacheck verifies as the SDK does.",
        "Set GIGACHAT_CA_BUNDLE_FILE={ignored_path} (or SSL_CERT_FILE, which httpx reads), so that the site's SDK "
        "uses that bundle too.",
        ("echo GIGACHAT_CA_BUNDLE_FILE={ignored_path} >> .env",),
        ru=("{ignored} ({ignored_path}) задан, но его читает только requests: httpx в SDK проверяет сертификаты по "
            "набору certifi ({path}), где нет издателя сертификата сервера ({issuer}). gigacheck проверяет так же, "
            "как SDK.",
            "Пропишите GIGACHAT_CA_BUNDLE_FILE={ignored_path} (или SSL_CERT_FILE, его httpx читает), чтобы этот "
            "набор использовал и SDK сайта.")),
    "default": Variant(
        "The site's client verifies with certifi's bundle ({path}), which lacks the server's issuer ({issuer}): "
        "GigaChat's hosts use a chain from the Russian Trusted Root CA, which certifi does not include.",
        "Download the Russian Trusted Root CA and set GIGACHAT_CA_BUNDLE_FILE to that PEM file.",
        ("curl -fsSLo russian_trusted_root_ca.pem " + RUSSIAN_ROOT_CA_URL,),
        ru=("Клиент сайта проверяет сертификаты по набору certifi ({path}), где нет издателя сертификата сервера "
            "({issuer}): хосты GigaChat используют цепочку от корневого сертификата НУЦ Минцифры, которого нет в "
            "certifi.",
            "Скачайте корневой сертификат НУЦ Минцифры и укажите путь к этому PEM-файлу в "
            "GIGACHAT_CA_BUNDLE_FILE.")),
}

_OAUTH_429 = Variant(
    "OAuth refuses new tokens: too many token requests (a token asked for at each process start or each call).",
    "Cache the access token and reuse it until shortly before its expires_at: it lives 30 minutes (the SDK keeps "
    "one per client, so create the GigaChat client once, not per request); wait for Retry-After before retrying.",
    ru=("OAuth не выдаёт новые токены: слишком много запросов токена (его запрашивают при каждом запуске процесса "
        "или на каждый вызов).",
        "Кэшируйте токен доступа и используйте его повторно почти до expires_at: он живёт 30 минут (SDK хранит один "
        "токен на клиент, поэтому создавайте клиент GigaChat один раз, а не на каждый запрос); перед повтором "
        "дождитесь Retry-After."))

_CLOCK = Variant(
    "OAuth's expires_at ({expires}) is before this machine's clock ({now}): the token counts as expired at once. "
    "Tokens live 30 minutes, so this machine's clock is most likely ahead (or the answer is stale).",
    "Check the local clock against NTP: local time {now}, the token's expires_at {expires}.",
    ("timedatectl status", "date -u"),
    ru=("expires_at из ответа OAuth ({expires}) раньше часов этой машины ({now}): токен сразу считается истёкшим. "
        "Токен живёт 30 минут, так что скорее всего спешат часы этой машины (или ответ устаревший).",
        "Сверьте часы машины с NTP: местное время {now}, expires_at токена {expires}."))

# A request GigaChat refuses as invalid (GC047): the remedy that fits what it says.
_REQUEST_VARIANTS = {
    "too_large": Variant(
        "GigaChat answered 413 Payload too large: the request (the chat's messages, attachments, functions) is "
        "larger than the API takes.",
        "Shorten the request: measure the chat with POST /tokens/count, drop or summarise old messages, send "
        "fewer functions or attachments. Moving the model down the priority list does not help.",
        ru=("GigaChat ответил 413 Payload too large: запрос (сообщения диалога, вложения, функции) больше, чем "
            "принимает API.",
            "Сократите запрос: измерьте диалог через POST /tokens/count, уберите или перескажите старые сообщения, "
            "передавайте меньше функций или вложений. Перестановка модели в списке приоритетов не поможет.")),
    "functions": Variant(
        "GigaChat refused the functions of the request: the model does not support functions, or a function's "
        "schema or the message order around a function call is invalid.",
        "Send functions only to a model that supports them (see GET /models), keep each function's JSON schema "
        "valid, and put a function's result (role function) right after the assistant's function_call.",
        ru=("GigaChat не принял функции запроса: модель не поддерживает функции, или схема функции либо порядок "
            "сообщений вокруг вызова функции неверны.",
            "Передавайте функции только модели, которая их поддерживает (см. GET /models), держите JSON-схему "
            "каждой функции корректной и ставьте результат функции (role function) сразу после function_call "
            "ассистента.")),
}

CATALOG = {c.code: c for c in [
    _c("GC001", "key missing or empty",
       "Neither GIGACHAT_CREDENTIALS nor GIGACHAT_TOKEN is set (in the environment or the env file).",
       "Set GIGACHAT_CREDENTIALS to the authorization key. " + _KEY_HELP,
       "echo 'GIGACHAT_CREDENTIALS=<authorization key>' >> .env",
       ru=('ключ авторизации не задан или пуст',
           'Не задана ни GIGACHAT_CREDENTIALS, ни GIGACHAT_TOKEN (ни в окружении, ни в env-файле).',
           'Пропишите ключ авторизации в GIGACHAT_CREDENTIALS. ' + _KEY_HELP_RU)),
    _c("GC002", "key starts with `Bearer ` or `Basic `",
       "The HTTP scheme was pasted with the key; the client adds `Basic ` itself, so the server sees it twice.",
       "Remove the `Bearer `/`Basic ` prefix: the variable holds the bare key.",
       ru=('ключ начинается с `Bearer ` или `Basic `',
           'Ключ вставили вместе со схемой HTTP; клиент сам дописывает `Basic `, и сервер получает её дважды.',
           'Уберите префикс `Bearer `/`Basic `: в переменной должен быть только сам ключ.')),
    _c("GC003", "key has spaces, quotes or line breaks",
       "The value was copied with surrounding whitespace, quotes kept literally, or a line break from the clipboard.",
       "Put the key on one line with no spaces; in .env use KEY=value or KEY=\"value\" with matching quotes.",
       ru=('в ключе пробелы, кавычки или переносы строк',
           'Значение скопировали с пробелами по краям, с кавычками, которые попали в сам ключ, или с переносом '
           'строки из буфера обмена.',
           'Запишите ключ одной строкой без пробелов; в .env пишите KEY=value или KEY="value" с парными кавычками.')),
    _c("GC004", "key is a placeholder or far too short",
       "The env file still has the sample value (`test`, `<ваш_токен>`, `your_token`, ...).",
       "Replace the placeholder with the real authorization key. " + _KEY_HELP,
       ru=('вместо ключа заглушка, или он слишком короткий',
           'В env-файле осталось значение из примера (`test`, `<ваш_токен>`, `your_token`, ...).',
           'Замените заглушку настоящим ключом авторизации. ' + _KEY_HELP_RU)),
    _c("GC005", "key is an access token or JWT, not the authorization key",
       "An access token (`eyJ...`, dot-separated, lives 30 minutes) was stored where the authorization key belongs.",
       "Store the authorization key in GIGACHAT_CREDENTIALS; the client exchanges it for access tokens itself. "
       "A ready token belongs in GIGACHAT_ACCESS_TOKEN, and expires within 30 minutes.",
       ru=('вместо ключа авторизации записан токен доступа (JWT)',
           'Туда, где должен быть ключ авторизации, записали токен доступа (`eyJ...`, части через точку, живёт 30 '
           'минут).',
           'Запишите в GIGACHAT_CREDENTIALS ключ авторизации: токены доступа клиент получает по нему сам. Готовый '
           'токен доступа кладут в GIGACHAT_ACCESS_TOKEN, и он истекает через 30 минут.')),
    _c("GC006", "key is not base64 of `client_id:client_secret`",
       "The client secret or client ID alone, or a key encoded twice, was used instead of the authorization key.",
       "Use the authorization key itself (base64 of client_id:client_secret). " + _KEY_HELP,
       "printf '%s' \"$CLIENT_ID:$CLIENT_SECRET\" | base64 -w0",
       ru=('ключ не похож на base64 от `client_id:client_secret`',
           'Вместо ключа авторизации взяли один Client Secret или Client ID, либо закодировали ключ в base64 ещё '
           'раз.',
           'Используйте сам ключ авторизации (base64 от client_id:client_secret). ' + _KEY_HELP_RU)),
    _c("GC007", "`GIGACHAT_TOKEN` and `GIGACHAT_CREDENTIALS` disagree",
       "The site reads GIGACHAT_TOKEN and the SDK reads GIGACHAT_CREDENTIALS; they hold different keys.",
       "Keep one key: set both to the same value, or remove GIGACHAT_TOKEN.",
       ru=('`GIGACHAT_TOKEN` и `GIGACHAT_CREDENTIALS` не совпадают',
           'Сайт читает GIGACHAT_TOKEN, а SDK читает GIGACHAT_CREDENTIALS, и в них лежат разные ключи.',
           'Оставьте один ключ: пропишите в обе переменные одно и то же значение или удалите GIGACHAT_TOKEN.')),
    _c("GC008", "scope is not one of the three",
       "GIGACHAT_SCOPE must be GIGACHAT_API_PERS, GIGACHAT_API_B2B or GIGACHAT_API_CORP.",
       "Set GIGACHAT_SCOPE to your key's scope: GIGACHAT_API_PERS (individuals), GIGACHAT_API_B2B "
       "(business, prepaid) or GIGACHAT_API_CORP (business, pay-as-you-go).",
       ru=('скоуп не из трёх допустимых',
           'В GIGACHAT_SCOPE может быть только GIGACHAT_API_PERS, GIGACHAT_API_B2B или GIGACHAT_API_CORP.',
           'Укажите в GIGACHAT_SCOPE область доступа вашего ключа: GIGACHAT_API_PERS (физлица), GIGACHAT_API_B2B '
           '(юрлица, предоплата) или GIGACHAT_API_CORP (юрлица, оплата по факту).')),
    _c("GC009", "auth URL cannot be a GigaChat OAuth endpoint",
       "GIGACHAT_AUTH_URL is not https, points at another provider (for example Yandex Cloud), "
       "or its path does not end in /oauth.",
       "Set GIGACHAT_AUTH_URL=https://ngw.devices.sberbank.ru:9443/api/v2/oauth or remove it.",
       ru=('адрес авторизации не может быть OAuth-адресом GigaChat',
           'GIGACHAT_AUTH_URL не https, ведёт к другому провайдеру (например, в Yandex Cloud) или его путь не '
           'заканчивается на /oauth.',
           'Пропишите GIGACHAT_AUTH_URL=https://ngw.devices.sberbank.ru:9443/api/v2/oauth или удалите эту '
           'переменную.')),
    _c("GC010", "base URL is known to be wrong",
       "GIGACHAT_BASE_URL is not https, is a known wrong host or path (e.g. api.gigachat.ru/core/api/v1), "
       "or its path does not end in /v1.",
       "Set GIGACHAT_BASE_URL=https://gigachat.devices.sberbank.ru/api/v1 (or https://api.giga.chat/v1 "
       "for business contracts), or remove it.",
       ru=('базовый адрес API заведомо неверный',
           'GIGACHAT_BASE_URL не https, указывает на известный неверный хост или путь (например, '
           'api.gigachat.ru/core/api/v1) или его путь не заканчивается на /v1.',
           'Пропишите GIGACHAT_BASE_URL=https://gigachat.devices.sberbank.ru/api/v1 (для договоров с юрлицами '
           'https://api.giga.chat/v1) или удалите эту переменную.')),
    _c("GC011", "TLS verification is turned off",
       "GIGACHAT_VERIFY_SSL_CERTS is false: any machine in the path can read the key and the answers.",
       "Install the Russian Trusted Root CA, point GIGACHAT_CA_BUNDLE_FILE at it and remove "
       "GIGACHAT_VERIFY_SSL_CERTS=false.",
       "curl -fsSLo russian_trusted_root_ca.pem https://gu-st.ru/content/lending/russian_trusted_root_ca_pem.crt",
       severity=WARN,
       ru=('проверка TLS-сертификатов отключена',
           'GIGACHAT_VERIFY_SSL_CERTS=false: любой узел по дороге может прочитать ключ и ответы.',
           'Установите корневой сертификат НУЦ Минцифры (Russian Trusted Root CA), укажите путь к нему в '
           'GIGACHAT_CA_BUNDLE_FILE и уберите GIGACHAT_VERIFY_SSL_CERTS=false.')),
    _c("GC012", "CA bundle file missing, unreadable or not PEM",
       "GIGACHAT_CA_BUNDLE_FILE names a file that does not exist, cannot be read, or holds no PEM certificate.",
       "Point GIGACHAT_CA_BUNDLE_FILE at a PEM file with the Russian Trusted Root CA "
       "(-----BEGIN CERTIFICATE----- blocks).",
       "openssl x509 -in \"$GIGACHAT_CA_BUNDLE_FILE\" -noout -subject",
       ru=('файл корневых сертификатов не найден, не читается или не в формате PEM',
           'GIGACHAT_CA_BUNDLE_FILE указывает на файл, которого нет, который нельзя прочитать или в котором нет '
           'сертификата PEM.',
           'Укажите в GIGACHAT_CA_BUNDLE_FILE PEM-файл с корневым сертификатом НУЦ Минцифры (блоки -----BEGIN '
           'CERTIFICATE-----).'),
       variants={
           "missing": Variant(
               "{variable} names {path}, and there is no file there (a relative path in an env file "
               "is read from that file's folder).",
               "Download the Russian Trusted Root CA to {path}, or point {variable} at the PEM file "
               "where it is.",
               ("curl -fsSLo {path} " + RUSSIAN_ROOT_CA_URL, "openssl x509 -in {path} -noout -subject"),
               ru=("{variable} указывает на {path}, но такого файла нет (относительный путь в env-файле "
                   "отсчитывается от папки этого файла).",
                   "Скачайте корневой сертификат НУЦ Минцифры (Russian Trusted Root CA) в {path} или укажите в "
                   "{variable} путь к PEM-файлу, где он лежит.")),
           "unusable": Variant(
               "{variable} names {path}, which cannot be read or holds no PEM certificate.",
               "Replace {path} with the PEM file of the Russian Trusted Root CA (-----BEGIN CERTIFICATE----- "
               "blocks), readable by this user.",
               ("curl -fsSLo {path} " + RUSSIAN_ROOT_CA_URL, "openssl x509 -in {path} -noout -subject"),
               ru=("{variable} указывает на {path}, но файл не читается или в нём нет PEM-сертификата.",
                   "Замените {path} PEM-файлом корневого сертификата НУЦ Минцифры (блоки -----BEGIN CERTIFICATE-----), "
                   "доступным этому пользователю на чтение.")),
           "unhashed": Variant(
               "{variable} names the folder {path}. The site's httpx hands a folder to OpenSSL as a CA path, and "
               "OpenSSL looks certificates up there by their hash names (<hash>.0) only; this folder has none, so "
               "every verification fails.",
               "Run openssl rehash on {path} (the PEM files stay as they are), or set {file_variable} to the PEM "
               "file itself.",
               ("openssl rehash {path}", "ls -l {path}"),
               ru=("{variable} указывает на папку {path}. httpx сайта передаёт папку в OpenSSL как каталог "
                   "сертификатов, а OpenSSL ищет в нём сертификаты только по хеш-именам (<хеш>.0); здесь их нет, "
                   "поэтому любая проверка не проходит.",
                   "Выполните openssl rehash для {path} (PEM-файлы останутся как есть) или укажите в {file_variable} "
                   "сам PEM-файл.")),
       }),
    _c("GC013", "mock answers (`USE_MOCK_RESPONSES`) are on in production",
       "USE_MOCK_RESPONSES=true makes the site answer from canned data instead of GigaChat.",
       "Set USE_MOCK_RESPONSES=false in the production environment.",
       ru=('заглушки ответов (`USE_MOCK_RESPONSES`) включены на боевом сервере',
           'При USE_MOCK_RESPONSES=true сайт отвечает заготовленными данными, а не через GigaChat.',
           'Пропишите USE_MOCK_RESPONSES=false в окружении боевого сервера.')),
    _c("GC014", "GigaChat is turned off (`ENABLE_GIGACHAT=false`)",
       "ENABLE_GIGACHAT=false: the site does not call GigaChat, so its checks cannot apply.",
       "Set ENABLE_GIGACHAT=true to use GigaChat (and to run these checks).",
       ru=('GigaChat выключен (`ENABLE_GIGACHAT=false`)',
           'ENABLE_GIGACHAT=false: сайт не обращается к GigaChat, так что его проверкам нечего проверять.',
           'Включите ENABLE_GIGACHAT=true, чтобы пользоваться GigaChat (и чтобы эти проверки заработали).')),
    _c("GC015", "a `GIGACHAT_*` value the official SDK refuses",
       "The gigachat SDK parses its settings strictly (pydantic): an empty boolean, a unit after a number "
       "(`30s`) or quotes kept in the value (`'false'`) make `GigaChat()` raise, so the site cannot build its client.",
       "Write the value as the rule below says (e.g. GIGACHAT_TIMEOUT=30, GIGACHAT_VERIFY_SSL_CERTS=true), or remove "
       "the variable; where the environment keeps quotes (docker --env-file, systemd), write no quotes.",
       "python -c 'from gigachat.settings import Settings; print(Settings())'",
       ru=("значение `GIGACHAT_*`, которое официальный SDK не принимает",
           "SDK gigachat строго разбирает настройки (pydantic): пустое логическое значение, единица измерения после "
           "числа (`30s`) или кавычки внутри значения (`'false'`) — и `GigaChat()` падает с ошибкой, сайт не может "
           "создать клиент.",
           "Запишите значение по правилу ниже (например, GIGACHAT_TIMEOUT=30, GIGACHAT_VERIFY_SSL_CERTS=true) или "
           "удалите переменную; там, где окружение сохраняет кавычки (docker --env-file, systemd), пишите без кавычек.")),
    _c("GC016", "client certificate or key (mTLS) missing, unreadable, not PEM or not matching",
       "GIGACHAT_CERT_FILE/GIGACHAT_KEY_FILE name a file that does not exist or cannot be read, is not PEM, "
       "or the key does not belong to the certificate (or needs GIGACHAT_KEY_FILE_PASSWORD).",
       "Point GIGACHAT_CERT_FILE at the client certificate and GIGACHAT_KEY_FILE at its private key (PEM), "
       "as issued for your contract; set GIGACHAT_KEY_FILE_PASSWORD if the key is encrypted.",
       "openssl x509 -in \"$GIGACHAT_CERT_FILE\" -noout -subject -enddate",
       ru=("клиентский сертификат или ключ (mTLS) не найден, не читается, не в PEM или не подходит",
           "GIGACHAT_CERT_FILE/GIGACHAT_KEY_FILE указывают на файл, которого нет или который нельзя прочитать, "
           "не в формате PEM, или ключ не от этого сертификата (или нужен GIGACHAT_KEY_FILE_PASSWORD).",
           "Укажите в GIGACHAT_CERT_FILE клиентский сертификат, а в GIGACHAT_KEY_FILE его закрытый ключ (PEM), "
           "выданные по вашему договору; если ключ зашифрован, задайте GIGACHAT_KEY_FILE_PASSWORD.")),
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
    _c("GC018", "a setting cannot be read: an env-file line python-dotenv skips, or a value not in its form",
       "python-dotenv skips a line with an unclosed quote or syntax it cannot parse (and, for an unclosed quote, "
       "the lines up to the next quote), printing only a bare warning, so the site runs as if the variable were "
       "not set; a value not in its form (GIGACHECK_MIN_BALANCE=abc, ENABLE_GIGACHAT=maybe) is read as its default. "
       "Either way the value written is never used.",
       "Fix each line or value named below in the form it gives (close the quote, e.g. "
       "GIGACHAT_MODELS=\"GigaChat-Pro,GigaChat\" or no quotes at all; a number; true or false), then restart "
       "the site so it reads the value.",
       "python -c 'from dotenv import dotenv_values; print(dotenv_values(\".env\"))'",
       ru=("настройку нельзя прочитать: строку env-файла python-dotenv пропускает, или значение не в своём формате",
           "python-dotenv пропускает строку с незакрытой кавычкой или непонятным синтаксисом (а при незакрытой "
           "кавычке — и строки до следующей кавычки) и пишет лишь короткое предупреждение, так что сайт работает, "
           "будто переменная не задана; значение не в своём формате (GIGACHECK_MIN_BALANCE=abc, "
           "ENABLE_GIGACHAT=maybe) читается как значение по умолчанию. В обоих случаях записанное не используется.",
           "Исправьте каждую строку или значение ниже в указанном формате (закройте кавычку, например "
           "GIGACHAT_MODELS=\"GigaChat-Pro,GigaChat\" или вовсе без кавычек; число; true или false) и "
           "перезапустите сайт, чтобы он прочитал значение.")),
    _c("GC020", "host cannot be resolved or connected to",
       "DNS has no address for the host, or the connection is refused or blocked (firewall, proxy, outage).",
       "Check the URL, DNS and outbound firewall rules for port 443/9443 from this machine.",
       "curl -sv https://ngw.devices.sberbank.ru:9443/ -o /dev/null", area="network",
       ru=('хост не резолвится или к нему не подключиться',
           'В DNS нет адреса хоста, или соединение отклонено либо заблокировано (файрвол, прокси, авария).',
           'Проверьте адрес, DNS и исходящие правила файрвола для портов 443/9443 с этой машины.'),
       variants={"auth": _host_variant("GIGACHAT_AUTH_URL", "the OAuth host", "OAuth-хоста"),
                 "api": _host_variant("GIGACHAT_BASE_URL", "the API host", "API-хоста"),
                 **_WAY_VARIANTS}),
    _c("GC021", "timeout",
       "The host did not answer within GIGACHAT_TIMEOUT seconds (network filtering, overload, or a stalled proxy).",
       "Retry; if it persists check the network path, or raise GIGACHAT_TIMEOUT.", area="network",
       ru=('истекло время ожидания',
           'Хост не ответил за GIGACHAT_TIMEOUT секунд (фильтрация трафика, перегрузка или зависший прокси).',
           'Повторите проверку; если ошибка не уходит, проверьте сетевой путь или увеличьте GIGACHAT_TIMEOUT.')),
    _c("GC022", "TLS certificate verification failed",
       "The hosts use a chain from the Russian Trusted Root CA, which certifi does not include "
       "(or the certificate is for another host name).",
       "Download the Russian Trusted Root CA and set GIGACHAT_CA_BUNDLE_FILE to that PEM file.",
       "curl -fsSLo russian_trusted_root_ca.pem https://gu-st.ru/content/lending/russian_trusted_root_ca_pem.crt",
       area="network", variants=_STORE_VARIANTS,
       ru=('не пройдена проверка TLS-сертификата',
           'Сертификаты хостов GigaChat выпущены от корневого сертификата НУЦ Минцифры (Russian Trusted Root CA), '
           'которого нет в certifi (или сертификат выдан на другое имя хоста).',
           'Скачайте корневой сертификат НУЦ Минцифры и укажите путь к этому PEM-файлу в GIGACHAT_CA_BUNDLE_FILE.')),
    _c("GC023", "OAuth rejected the key (401, code 6)",
       "The key is wrong or revoked: OAuth says the credentials do not match.",
       "Create a new authorization key in GigaChat Studio and set GIGACHAT_CREDENTIALS to it.", area="oauth",
       ru=('OAuth отклонил ключ авторизации (401, code 6)',
           'Ключ неверный или отозван: OAuth отвечает, что учётные данные не совпадают.',
           'Сгенерируйте новый ключ авторизации в личном кабинете GigaChat Studio и пропишите его в '
           'GIGACHAT_CREDENTIALS.')),
    _c("GC024", "OAuth: scope does not match the key (code 7)",
       "GIGACHAT_SCOPE asks for a scope the key does not have (e.g. a PERS key with CORP scope).",
       "Set GIGACHAT_SCOPE to the key's scope (GIGACHAT_API_PERS for individuals).", area="oauth",
       ru=('OAuth: скоуп не подходит к ключу (code 7)',
           'GIGACHAT_SCOPE запрашивает область доступа, которой у ключа нет (например, ключ физлица со скоупом '
           'GIGACHAT_API_CORP).',
           'Укажите в GIGACHAT_SCOPE скоуп вашего ключа (для физлиц это GIGACHAT_API_PERS).')),
    _c("GC025", "OAuth: key cannot be decoded (code 4)",
       "The Authorization header is not a decodable key: the client secret was used, or the key was re-encoded.",
       "Use the authorization key exactly as GigaChat Studio shows it. " + _KEY_HELP, area="oauth",
       ru=('OAuth: ключ не удаётся декодировать (code 4)',
           'В заголовке Authorization не ключ авторизации: взяли Client Secret или закодировали ключ повторно.',
           'Вставьте ключ авторизации ровно в том виде, в каком его показывает GigaChat Studio. ' + _KEY_HELP_RU)),
    _c("GC026", "OAuth: other 4xx",
       "OAuth refused the request (scope empty or invalid, RqUID missing, wrong path ...).",
       "Read the answer below; check GIGACHAT_SCOPE and GIGACHAT_AUTH_URL.", area="oauth",
       ru=('OAuth: другая ошибка 4xx',
           'OAuth отклонил запрос (скоуп пустой или неверный, нет RqUID, неверный путь ...).',
           'Посмотрите ответ сервера ниже; проверьте GIGACHAT_SCOPE и GIGACHAT_AUTH_URL.')),
    _c("GC027", "429 too many requests",
       "Too many requests (individuals get one concurrent stream); the provider asks to wait.",
       "Wait for the cooldown (Retry-After when given) and retry; lower the site's concurrency.", area="api",
       variants={"oauth": _OAUTH_429},
       ru=('429: слишком много запросов',
           'Запросов слишком много (физлицам доступен один поток одновременно); провайдер просит подождать.',
           'Дождитесь конца паузы (Retry-After, если он указан) и повторите; уменьшите число одновременных '
           'запросов сайта.')),
    _c("GC028", "malformed answer",
       "The answer is not the JSON expected: an HTML page, no access_token, expires_at in the past or not in "
       "milliseconds, a redirect, or a body too large.",
       "Check that the URL points at GigaChat itself and not a proxy or portal page.", area="oauth",
       variants={"clock": _CLOCK},
       ru=('ответ не в том формате',
           'Пришёл не тот JSON, который ожидался: HTML-страница, нет access_token, expires_at в прошлом или не в '
           'миллисекундах, перенаправление или слишком большой ответ.',
           'Проверьте, что адрес ведёт на сам GigaChat, а не на прокси или страницу портала.')),
    _c("GC029", "provider-side 5xx",
       "GigaChat (or its SynGX front server) answered with a server error: usually transient.",
       "Retry later; if it persists, send this report (with X-Request-Id) to GigaChat support.", area="api",
       ru=('ошибка 5xx на стороне провайдера',
           'GigaChat (или его фронтовой сервер SynGX) ответил серверной ошибкой: обычно это временно.',
           'Повторите позже; если не проходит, отправьте этот отчёт (с X-Request-Id) в поддержку GigaChat.'),
       variants={"oauth": Variant(  # OAuth answers carry no X-Request-Id: ask for what can be sent
           "The OAuth host (or its front server) answered with a server error: usually transient.",
           "Retry later; if it persists, send this report (with the time of the request: OAuth answers carry no "
           "X-Request-Id) to GigaChat support.",
           ru=("OAuth-хост (или его фронтовой сервер) ответил ошибкой сервера: обычно это временно.",
               "Повторите позже; если ошибка не проходит, отправьте этот отчёт в поддержку GigaChat (с временем "
               "запроса: ответы OAuth не содержат X-Request-Id)."))}),
    _c("GC030", "`/models` 404: wrong base URL or path",
       "The base URL does not lead to the GigaChat API (an HTML 404 page answered).",
       "Set GIGACHAT_BASE_URL=https://gigachat.devices.sberbank.ru/api/v1 (or https://api.giga.chat/v1).",
       area="api",
       ru=('`/models` отвечает 404: неверный базовый адрес или путь',
           'Базовый адрес не ведёт к API GigaChat (в ответ пришла HTML-страница 404).',
           'Пропишите GIGACHAT_BASE_URL=https://gigachat.devices.sberbank.ru/api/v1 (или '
           'https://api.giga.chat/v1).')),
    _c("GC031", "API rejected the access token (401, expired)",
       "The access token expired (they live 30 minutes) or is not a GigaChat token.",
       "Remove GIGACHAT_ACCESS_TOKEN and let the client get fresh tokens from GIGACHAT_CREDENTIALS.",
       area="api",
       ru=('API не принимает токен доступа (401, истёк)',
           'Токен доступа истёк (он живёт 30 минут) или это вообще не токен GigaChat.',
           'Удалите GIGACHAT_ACCESS_TOKEN: клиент сам будет получать свежие токены по ключу из '
           'GIGACHAT_CREDENTIALS.'),
       variants={
           "preset": Variant(
               "GIGACHAT_ACCESS_TOKEN expired (tokens live 30 minutes) or is not a GigaChat token.",
               "Remove GIGACHAT_ACCESS_TOKEN (or refresh it: tokens live 30 minutes) and let the client get fresh "
               "tokens from GIGACHAT_CREDENTIALS.",
               ru=("GIGACHAT_ACCESS_TOKEN истёк (токен доступа живёт 30 минут) или это не токен GigaChat.",
                   "Удалите GIGACHAT_ACCESS_TOKEN (или обновите его: токен доступа живёт 30 минут) и дайте клиенту "
                   "получать свежие токены по ключу авторизации из GIGACHAT_CREDENTIALS.")),
           "issued": Variant(
               "The token issued in this run is refused at once: the OAuth and API hosts belong to different "
               "environments, or the API host refuses the key's scope.",
               "The token OAuth issued in this run is refused at once: GIGACHAT_AUTH_URL and GIGACHAT_BASE_URL are "
               "hosts of different environments (e.g. a test OAuth with the production API), or the API host "
               "refuses the key's scope. Use the OAuth and API hosts of one environment, and the scope your "
               "contract has on that host.",
               ru=("Токен, выданный в этом запуске, сразу отвергнут: OAuth и API из разных сред, или хост API не "
                   "принимает scope ключа.",
                   "Токен, только что выданный OAuth в этом запуске, сразу отвергнут: GIGACHAT_AUTH_URL и "
                   "GIGACHAT_BASE_URL — хосты разных сред (например, тестовый OAuth и боевой API), или хост API не "
                   "принимает scope ключа. Используйте OAuth и API одной среды и scope, который есть у вашего "
                   "договора на этом хосте.")),
       }),
    _c("GC032", "a configured model is not served",
       "GIGACHAT_MODEL/GIGACHAT_MODELS names a model this host or account does not serve.",
       "Use a served model name (see the closest names below), or the host that serves it "
       "(GigaChat-3-Ultra is only on https://api.giga.chat/v1).", area="api",
       ru=('заданная модель недоступна',
           'В GIGACHAT_MODEL/GIGACHAT_MODELS указана модель, которой нет на этом хосте или в этом аккаунте.',
           'Укажите доступную модель (ближайшие названия ниже) или хост, где она есть (GigaChat-3-Ultra есть '
           'только на https://api.giga.chat/v1).')),
    _c("GC033", "402 payment required: the model's token package is used up",
       "The token package for this model is exhausted.",
       "Top up the package in GigaChat Studio, or move this model down the priority list.", area="api",
       ru=('402: пакет токенов модели израсходован',
           'Пакет токенов для этой модели закончился.',
           'Пополните баланс (купите пакет токенов) в личном кабинете GigaChat Studio или опустите эту модель ниже '
           'в списке приоритетов.')),
    _c("GC034", "403 permission denied",
       "The account may not use this endpoint or model.",
       "Check the account's contract and scope in GigaChat Studio.", area="api",
       ru=('403: доступ запрещён',
           'Этому аккаунту нельзя пользоваться этим методом или этой моделью.',
           'Проверьте договор и скоуп аккаунта в личном кабинете GigaChat Studio.')),
    _c("GC035", "the preset `GIGACHAT_ACCESS_TOKEN` is stale: a fresh OAuth token worked",
       "The API refused GIGACHAT_ACCESS_TOKEN (401); as the SDK does, one fresh OAuth with the key gave a token "
       "that works, so the site works too, after one failed call per process start.",
       "Remove GIGACHAT_ACCESS_TOKEN: the key in GIGACHAT_CREDENTIALS is enough, and the client refreshes tokens.",
       severity=WARN, area="api",
       ru=("заданный `GIGACHAT_ACCESS_TOKEN` устарел: свежий токен от OAuth работает",
           "API отверг GIGACHAT_ACCESS_TOKEN (401); как и SDK, проверка один раз получила по ключу авторизации свежий "
           "токен, и он работает, так что сайт тоже работает, но после одного неудачного вызова при каждом запуске.",
           "Удалите GIGACHAT_ACCESS_TOKEN: ключа авторизации в GIGACHAT_CREDENTIALS достаточно, клиент сам обновляет "
           "токены.")),
    _c("GC036", "password authentication rejected (`GIGACHAT_USER`/`GIGACHAT_PASSWORD`)",
       "POST <GIGACHAT_BASE_URL>/token, as the SDK sends it with the user and password, did not give a token.",
       "Check GIGACHAT_USER and GIGACHAT_PASSWORD with your contract's manager, and that GIGACHAT_BASE_URL is the "
       "host that issued them; or use an authorization key (GIGACHAT_CREDENTIALS) instead.", area="oauth",
       ru=("вход по логину и паролю отклонён (`GIGACHAT_USER`/`GIGACHAT_PASSWORD`)",
           "POST <GIGACHAT_BASE_URL>/token с логином и паролем, как его отправляет SDK, не выдал токен.",
           "Проверьте GIGACHAT_USER и GIGACHAT_PASSWORD у менеджера договора и что GIGACHAT_BASE_URL — тот хост, для "
           "которого они выданы; или используйте ключ авторизации (GIGACHAT_CREDENTIALS).")),
    _c("GC037", "the server requires a client certificate (mTLS)",
       "The TLS handshake ended with the alert 'certificate required': this host authenticates by client "
       "certificate, and none (or one it does not accept) was sent.",
       "Set GIGACHAT_CERT_FILE and GIGACHAT_KEY_FILE to the client certificate and key issued for this host, or use "
       "the host for authorization keys (GIGACHAT_BASE_URL unset).",
       area="network",
       ru=("сервер требует клиентский сертификат (mTLS)",
           "TLS-рукопожатие завершилось сигналом 'certificate required': этот хост проверяет клиентский сертификат, "
           "а его не прислали (или прислали не тот).",
           "Задайте GIGACHAT_CERT_FILE и GIGACHAT_KEY_FILE — клиентский сертификат и ключ, выданные для этого хоста, "
           "или используйте хост для ключей авторизации (не задавайте GIGACHAT_BASE_URL).")),
    _c("GC040", "chat completion failed for a model",
       "The model is listed but a short chat completion did not succeed.",
       "Read the answer below; move the model down the priority list until it answers.", area="generation",
       ru=('запрос к чату не проходит для модели',
           'Модель есть в списке, но короткий запрос к чату (chat completion) не прошёл.',
           'Посмотрите ответ ниже; опустите модель в списке приоритетов, пока она снова не начнёт отвечать.')),
    _c("GC047", "GigaChat refused the request itself as invalid",
       "GigaChat answered 400, 413 or 422: it refuses the request, not the model (a body that is not valid JSON, a "
       "payload too large, functions sent to a model that does not support them, messages out of order, a bad "
       "parameter or schema).",
       "Fix the request: valid JSON; functions only for a model that supports them; the message order (system "
       "first, then user and assistant turns, a function result right after its call); measure a long chat with "
       "POST /tokens/count and shorten it. Moving the model down the priority list does not help.",
       area="generation", variants=_REQUEST_VARIANTS,
       ru=("GigaChat отклонил сам запрос как неверный",
           "GigaChat ответил 400, 413 или 422: он отвергает запрос, а не модель (тело не в формате JSON, слишком "
           "большой запрос, функции для модели, которая их не поддерживает, сообщения не в том порядке, неверный "
           "параметр или схема).",
           "Исправьте запрос: корректный JSON; функции только для модели, которая их поддерживает; порядок "
           "сообщений (сначала system, затем реплики user и assistant, результат функции сразу после её вызова); "
           "измерьте длинный диалог через POST /tokens/count и сократите его. Перестановка модели в списке "
           "приоритетов не поможет.")),
    _c("GC041", "chat answer empty or `finish_reason` `blacklist`",
       "The model answered with no text, or the answer was blocked by the content filter.",
       "Retry with another prompt; if every prompt is empty, report it to GigaChat support.", area="generation",
       ru=('пустой ответ чата или `finish_reason` `blacklist`',
           'Модель ответила без текста, или ответ заблокировал фильтр контента.',
           'Повторите с другим запросом; если пусто на любом запросе, напишите в поддержку GigaChat.')),
    _c("GC042", "image request answered without an `<img>` tag",
       "The model answered with text: the prompt was not taken as a drawing request, or the model cannot draw.",
       "Send function_call \"auto\" and an explicit drawing request (\"Нарисуй ...\"); use a model that draws.",
       area="generation",
       ru=('на запрос картинки пришёл ответ без тега `<img>`',
           'Модель ответила текстом: запрос не приняли за просьбу нарисовать, или модель не умеет рисовать.',
           'Передавайте function_call "auto" и явную просьбу нарисовать («Нарисуй ...»); возьмите модель, которая '
           'рисует.')),
    _c("GC043", "image download failed or the file is not an image",
       "GET /files/<id>/content failed, or its bytes are not a JPEG or PNG.",
       "Download with the same X-Client-ID as the generation call and Accept: application/jpg.",
       area="generation",
       ru=('картинка не скачивается, или файл не изображение',
           'GET /files/<id>/content не прошёл, или скачанный файл не JPEG и не PNG.',
           'Скачивайте файл с тем же X-Client-ID, что и при генерации, и с заголовком Accept: application/jpg.')),
    _c("GC044", "balance below `GIGACHECK_MIN_BALANCE`",
       "A configured model has fewer tokens left than GIGACHECK_MIN_BALANCE.",
       "Top up the package in GigaChat Studio before it runs out.", area="generation",
       ru=('баланс ниже `GIGACHECK_MIN_BALANCE`',
           'У одной из заданных моделей осталось меньше токенов, чем GIGACHECK_MIN_BALANCE.',
           'Пополните баланс в личном кабинете GigaChat Studio, пока токены не кончились.')),
    _c("GC045", "fallback provider unreachable or rejects its key",
       "PROXY_API_BASE_URL does not answer GET /models with 200, or does not list PROXY_API_MODEL.",
       "Check PROXY_API_BASE_URL, PROXY_API_KEY and PROXY_API_MODEL with the fallback provider.",
       area="generation",
       ru=('резервный провайдер недоступен или не принимает свой ключ',
           'PROXY_API_BASE_URL не отвечает 200 на GET /models, или в его списке нет PROXY_API_MODEL.',
           'Проверьте у резервного провайдера PROXY_API_BASE_URL, PROXY_API_KEY и PROXY_API_MODEL.')),
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
       "DATABASE_URL is not set, or is not mysql://user:pass@host:3306/db, postgresql://user:pass@host:5432/db or "
       "sqlite:///path (or another log "
       "setting cannot be used: GIGACHECK_LOG_FILE names no readable file, GIGACHECK_LOG_TIMEZONE is no time zone).",
       "Set DATABASE_URL to the site's database (the DATABASES['default'] of its settings), e.g. "
       "mysql://user:pass@127.0.0.1:3306/site or sqlite:////srv/site/db.sqlite3; check the variable named above.",
       area="logs",
       ru=('`DATABASE_URL` не задан или не распознан',
           'DATABASE_URL не задан или записан не как mysql://user:pass@host:3306/db, '
           'postgresql://user:pass@host:5432/db или sqlite:///path (либо '
           'другая настройка логов непригодна: GIGACHECK_LOG_FILE не указывает на читаемый файл, '
           'GIGACHECK_LOG_TIMEZONE не часовой пояс).',
           "Пропишите в DATABASE_URL базу сайта (DATABASES['default'] из его настроек), например "
           'mysql://user:pass@127.0.0.1:3306/site или sqlite:////srv/site/db.sqlite3; проверьте переменную, '
           'названную выше.')),
    _c("LG002", "cannot connect to the database",
       "The server refused the connection, the user or password is wrong, or the database does not exist.",
       "Check host, port, user, password and database name in DATABASE_URL; a read-only user with SELECT on the "
       "log table is enough.",
       "mysql -h HOST -P PORT -u USER -p DB -e 'SELECT 1'", area="logs",
       ru=('не удаётся подключиться к базе данных',
           'Сервер отклонил соединение, неверен пользователь или пароль, или такой базы нет.',
           'Проверьте хост, порт, пользователя, пароль и имя базы в DATABASE_URL; хватит пользователя только на '
           'чтение с правом SELECT на таблицу логов.'),
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
               "папки env-файла) и дайте этому пользователю права на чтение.")),
                 "postgresql": Variant(
           "The PostgreSQL server {label} refused the connection, the role or password is wrong, the database does "
           "not exist, pg_hba.conf does not let this host in, or psycopg 3 is not installed.",
           "Check host, port, role, password and database name in DATABASE_URL (pip install 'gigacheck[postgres]' "
           "for the driver); a role with SELECT on the log table is enough (GRANT SELECT ON \"Asistent_systemlog\" "
           "TO reader).",
           ("psql 'postgresql://USER@HOST:5432/DB' -c 'SELECT 1'",),
           ru=("Сервер PostgreSQL {label} отклонил соединение, неверны роль или пароль, такой базы нет, pg_hba.conf "
               "не пускает с этого хоста или не установлен psycopg 3.",
               "Проверьте хост, порт, роль, пароль и имя базы в DATABASE_URL (pip install 'gigacheck[postgres]' — "
               "драйвер); хватит роли с правом SELECT на таблицу логов (GRANT SELECT ON \"Asistent_systemlog\" TO "
               "reader).")),
                 "privilege-mysql": Variant(
           "The user {who} may connect but may not read the log table or some of its columns (MariaDB shows it "
           "only what it may read, so a column it may not read looks missing).",
           "Let it read the whole log table: {grant} (as the database's admin; SELECT is all gigacheck needs).",
           ("mysql -u root -p -e {grant}",),
           ru=("Пользователь {who} подключается, но не может читать таблицу логов или часть её столбцов (MariaDB "
               "показывает ему только то, что ему можно читать, поэтому недоступный столбец выглядит отсутствующим).",
               "Дайте ему право читать всю таблицу логов: {grant} (от администратора базы; gigacheck нужен только "
               "SELECT).")),
                 "privilege-postgresql": Variant(
           "The role {who} may connect but may not read the log table or some of its columns (permission denied, "
           "SQLSTATE 42501).",
           "Let it read the whole log table: {grant} (as the table's owner; SELECT is all gigacheck needs).",
           ("psql -d DB -c {grant}",),
           ru=("Роль {who} подключается, но не может читать таблицу логов или часть её столбцов (permission denied, "
               "SQLSTATE 42501).",
               "Дайте ей право читать всю таблицу логов: {grant} (от владельца таблицы; gigacheck нужен только "
               "SELECT)."))}),
    _c("LG003", "log table missing",
       "The table GIGACHECK_LOG_TABLE does not exist in that database, or this user may not read it.",
       "Run the site's migrations, or set GIGACHECK_LOG_TABLE to the right table.",
       "python manage.py migrate Asistent", area="logs",
       ru=('нет таблицы логов',
           'Таблицы GIGACHECK_LOG_TABLE нет в этой базе, или у этого пользователя нет права её читать.',
           'Примените миграции сайта или укажите нужную таблицу в GIGACHECK_LOG_TABLE.')),
    _c("LG004", "log table lacks `timestamp`, `level` or `message`",
       "The table exists but does not have the columns of Asistent.SystemLog.",
       "Point GIGACHECK_LOG_TABLE at the SystemLog table, or migrate it (or name the columns with "
       "gigacheck_log_columns in pytest.ini).", area="logs",
       ru=('в таблице логов нет `timestamp`, `level` или `message`',
           'Таблица есть, но в ней нет столбцов модели Asistent.SystemLog.',
           'Укажите в GIGACHECK_LOG_TABLE таблицу SystemLog или примените к ней миграции (либо назовите столбцы '
           'через gigacheck_log_columns в pytest.ini).')),
    _c("LG005", "no index on `timestamp`",
       "Django adds no index on a DateTimeField without db_index=True, so every time-window query of the site "
       "(view_gigachat_logs, the admin, the runbook's SQL) reads the whole table; gigacheck itself reads the window "
       "by primary-key range and stays fast.",
       "Add the index: the CREATE INDEX below, or db_index=True on SystemLog.timestamp and a migration.",
       "python manage.py makemigrations Asistent && python manage.py migrate Asistent",
       severity=WARN, area="logs",
       ru=('нет индекса на `timestamp`',
           'Django не создаёт индекс для DateTimeField без db_index=True, поэтому каждый запрос сайта за период '
           '(view_gigachat_logs, админка, SQL из ранбука) читает всю таблицу; сам gigacheck читает окно по '
           'диапазону первичного ключа и работает быстро.',
           'Добавьте индекс: CREATE INDEX ниже или db_index=True у SystemLog.timestamp и миграция.')),
    _c("LG006", "log ids do not follow time and there is no index on `timestamp`",
       "Rows were imported or merged out of id order, so the window cannot be found by id; reading the whole "
       "table instead ran past the query time limit.",
       "Add the index on timestamp (LG005's CREATE INDEX, or db_index=True on SystemLog.timestamp and a "
       "migration); until then raise gigacheck_log_query_timeout.",
       "python manage.py makemigrations Asistent && python manage.py migrate Asistent", area="logs",
       ru=("идентификаторы строк лога не идут по времени, а индекса на `timestamp` нет",
           "Строки импортировали или слили не в порядке id, поэтому окно по id не найти; чтение всей таблицы "
           "не уложилось в лимит времени запроса.",
           "Добавьте индекс на timestamp (CREATE INDEX из LG005 или db_index=True у SystemLog.timestamp и "
           "миграция); до тех пор увеличьте gigacheck_log_query_timeout.")),
    _c("LG007", "a log query ran past its time limit",
       "The database did not finish a read of the window within gigacheck_log_query_timeout: a busy server, "
       "or a very large window.",
       "Shorten --hours, add the index on timestamp (LG005) if it is missing, or raise "
       "gigacheck_log_query_timeout in pytest.ini.", area="logs",
       ru=("запрос к логам не уложился в лимит времени",
           "База не успела прочитать окно за gigacheck_log_query_timeout: сервер занят или окно очень большое.",
           "Сократите --hours, добавьте индекс на timestamp (LG005), если его нет, или увеличьте "
           "gigacheck_log_query_timeout в pytest.ini.")),
    _c("LG008", "the newest log rows are dated in the future",
       "Rows are dated more than 5 minutes after now in the zone the log table is read in: the site writes "
       "naive times in another zone (Django with USE_TZ=False writes TIME_ZONE's local time), so every window "
       "is shifted (\"the last 1 h\" covers more, or less, than an hour), or a clock or writer is wrong.",
       "Set GIGACHECK_LOG_TIMEZONE to the zone the site writes in (the offset named above, or its name, e.g. "
       "Europe/Moscow); with Django, USE_TZ=False and TIME_ZONE are read from --ds / DJANGO_SETTINGS_MODULE.",
       area="logs",
       ru=("самые новые строки лога датированы будущим",
           "Строки датированы позже, чем через 5 минут от «сейчас» в поясе, в котором читается таблица: сайт "
           "пишет время без пояса в другом поясе (Django с USE_TZ=False пишет местное время TIME_ZONE), и каждое "
           "окно сдвинуто («последний 1 ч» охватывает больше или меньше часа), либо неверны часы или код, "
           "пишущий строки.",
           "Задайте в GIGACHECK_LOG_TIMEZONE пояс, в котором пишет сайт (смещение, названное выше, или его имя, "
           "например Europe/Moscow); для Django USE_TZ=False и TIME_ZONE читаются из --ds / "
           "DJANGO_SETTINGS_MODULE.")),
    _c("LG009", "log rows whose timestamp cannot be read",
       "Some rows hold no date in the timestamp column (epoch numbers, `DD.MM.YYYY`, text): they fall in no "
       "window, so no check could count them.",
       "Have the site write its log rows through the ORM (a DateTimeField: `YYYY-MM-DD HH:MM:SS`); convert "
       "the rows shown, or delete them.",
       area="logs",
       ru=("строки лога с нечитаемой меткой времени",
           "В столбце timestamp некоторых строк не дата (число секунд эпохи, `ДД.ММ.ГГГГ`, текст): они не попадают "
           "ни в одно окно, и ни одна проверка не могла их посчитать.",
           "Пусть сайт пишет строки лога через ORM (DateTimeField: `YYYY-MM-DD HH:MM:SS`); преобразуйте "
           "показанные строки или удалите их.")),
    _c("LG023", "the log file's window is larger than the scan limit: only its newest part was read",
       "GIGACHECK_LOG_FILE holds more than 512 MB in the window (--hours): gigacheck reads the newest 512 MB, "
       "the rows that say whether the site works now, and leaves the older ones of the window uncounted.",
       "Rotate the site's log (logrotate, or RotatingFileHandler/TimedRotatingFileHandler in LOGGING) so a day "
       "fits in the limit, or shorten --hours; lower the level of chatty loggers (httpx DEBUG) to write less.",
       severity=WARN, area="logs",
       ru=("окно в файле лога больше предела чтения: прочитана только его новейшая часть",
           "В GIGACHECK_LOG_FILE за окно (--hours) больше 512 МБ: gigacheck читает последние 512 МБ — строки, по "
           "которым видно, работает ли сайт сейчас, — а более старые строки окна не учитывает.",
           "Настройте ротацию лога сайта (logrotate или RotatingFileHandler/TimedRotatingFileHandler в LOGGING), "
           "чтобы сутки укладывались в предел, или сократите --hours; понизьте уровень болтливых логгеров "
           "(httpx DEBUG), чтобы писать меньше.")),
    _c("LG010", "ERROR or CRITICAL entries mention GigaChat",
       "The site logged errors about GigaChat in the window.", "Read the rows below; they name the failing call.",
       area="logs",
       ru=('в записях ERROR и CRITICAL упоминается GigaChat',
           'За этот период сайт записал в лог ошибки, связанные с GigaChat.',
           'Посмотрите строки ниже: по ним видно, какой вызов падает.')),
    _c("LG011", "GigaChat returned an empty path",
       "Image generation returned an empty file path (`пустой путь`, `вернул пустой`).",
       "See the generation checks (--spend) and the rows below.", area="logs",
       ru=('GigaChat вернул пустой путь',
           'Генерация изображения вернула пустой путь к файлу (`пустой путь`, `вернул пустой`).',
           'Запустите проверки генерации (--spend) и посмотрите строки ниже.')),
    _c("LG012", "every model failed to generate the image",
       "`Не удалось сгенерировать изображение`: every model in the priority list failed.",
       "Check the models' balance (402) and the rows around these.", area="logs",
       ru=('ни одна модель не смогла сгенерировать изображение',
           '`Не удалось сгенерировать изображение`: не сработала ни одна модель из списка приоритетов.',
           'Проверьте баланс моделей (402) и строки лога рядом с этими.')),
    _c("LG013", "timeouts",
       "`Таймаут`/`TimeoutError`: GigaChat calls ran out of time.",
       "Check the network path; raise the site's timeout if generation is slow.", area="logs",
       ru=('таймауты',
           '`Таймаут`/`TimeoutError`: запросы к GigaChat не уложились во время ожидания.',
           'Проверьте сетевой путь; если генерация идёт долго, увеличьте таймаут на сайте.')),
    _c("LG014", "429 / too many requests / cooldown",
       "The site hit GigaChat's rate limit.", "Lower the site's concurrency; honour Retry-After.", area="logs",
       ru=('429 / слишком много запросов / пауза (cooldown)',
           'Сайт упёрся в ограничение GigaChat на частоту запросов.',
           'Уменьшите число одновременных запросов сайта и соблюдайте Retry-After.')),
    _c("LG015", "402 / payment required / balance",
       "A model's token package ran out.", "Top up in GigaChat Studio or change the model order.", area="logs",
       ru=('402 / нужна оплата / кончился баланс',
           'Закончился пакет токенов одной из моделей.',
           'Пополните баланс в личном кабинете GigaChat Studio или поменяйте порядок моделей.')),
    _c("LG016", "no `<img>` tag in image answers",
       "`Нет <img> тега`: the model answered with text instead of drawing.",
       "Send function_call auto and a clear drawing request.", area="logs",
       ru=('в ответах на запрос картинки нет тега `<img>`',
           '`Нет <img> тега`: модель ответила текстом, а не нарисовала картинку.',
           'Передавайте function_call auto и понятную просьбу нарисовать.')),
    _c("LG017", "saving the image failed",
       "`Ошибка сохранения`: the site could not save the generated image.",
       "Check MEDIA_ROOT permissions and free disk space.", area="logs",
       ru=('не удалось сохранить изображение',
           '`Ошибка сохранения`: сайт не смог сохранить сгенерированную картинку.',
           'Проверьте права на MEDIA_ROOT и свободное место на диске.')),
    _c("LG018", "no image was saved while GigaChat was used",
       "GigaChat entries exist in the window but no `Изображение сохранено`.",
       "Check the generation rows; try one generation by hand.", severity=WARN, area="logs",
       ru=('GigaChat использовался, но ни одно изображение не сохранено',
           'За период есть записи о GigaChat, но нет ни одного `Изображение сохранено`.',
           'Посмотрите строки о генерации; попробуйте сгенерировать одну картинку вручную.')),
    _c("LG019", "authentication failed",
       "`404 Not Found`, `No access token available`, `OAuth failed with status`, an OAuth or API 401 (the SDK's "
       "`Authentication failed (401)`, `AuthenticationError`) or the SDK's `Invalid credentials format`: the site "
       "cannot authenticate (a wrong, revoked or re-encoded key, an expired token) or calls a wrong URL.",
       "Run the config, oauth and api checks: they name the cause. A key must be the authorization key exactly as "
       "GigaChat Studio shows it (base64, not the client secret), in GIGACHAT_CREDENTIALS.", area="logs",
       ru=('не удалась авторизация',
           '`404 Not Found`, `No access token available`, `OAuth failed with status`, ответ 401 от OAuth или API '
           '(в SDK `Authentication failed (401)`, `AuthenticationError`) или `Invalid credentials format` из SDK: '
           'сайт не может авторизоваться (ключ неверный, отозван или закодирован повторно, токен истёк) или '
           'обращается не по тому адресу.',
           'Запустите проверки config, oauth и api: они назовут причину. В GIGACHAT_CREDENTIALS должен быть ключ '
           'авторизации ровно в том виде, в каком его показывает GigaChat Studio (base64, не Client Secret).')),
    _c("LG020", "GigaChat answered 5xx",
       "GigaChat (or its SynGX front server) answered the site with a server error (the SDK's `Server error (502) "
       "from ...`, `ServerError`, httpx's `HTTP/1.1 503 Service Unavailable`, a SynGX 502 page): usually transient, "
       "on GigaChat's side.",
       "Nothing to change on the site if it passed: let the SDK retry (max_retries, retry_backoff_factor). If the "
       "rows go on, run the api checks and send GigaChat support the times and X-Request-Id of the rows below.",
       area="logs",
       ru=('GigaChat ответил ошибкой 5xx',
           'GigaChat (или его фронтовой сервер SynGX) ответил сайту ошибкой сервера (в SDK `Server error (502) '
           'from ...`, `ServerError`, в httpx `HTTP/1.1 503 Service Unavailable`, страница SynGX 502): обычно это '
           'временно и на стороне GigaChat.',
           'Если ошибки прошли, на сайте менять нечего: пусть SDK повторяет запросы (max_retries, '
           'retry_backoff_factor). Если строки не прекращаются, запустите проверки api и отправьте в поддержку '
           'GigaChat время и X-Request-Id строк ниже.')),
    _c("LG021", "TLS certificate verification failed",
       "`CERTIFICATE_VERIFY_FAILED` / `SSLError`: where the site runs, its client does not trust GigaChat's "
       "certificates, which chain to the Russian Trusted Root CA (certifi does not include it).",
       "Download the Russian Trusted Root CA on the machine the site runs on and point the site's client at it: "
       "GIGACHAT_CA_BUNDLE_FILE for the gigachat SDK (or SSL_CERT_FILE, which its httpx reads; requests reads "
       "REQUESTS_CA_BUNDLE), or install it system-wide (the commands below). Never turn verification off.",
       "curl -fsSLo russian_trusted_root_ca.pem " + RUSSIAN_ROOT_CA_URL,
       "sudo cp russian_trusted_root_ca.pem /usr/local/share/ca-certificates/russian_trusted_root_ca.crt "
       "&& sudo update-ca-certificates",
       "echo GIGACHAT_CA_BUNDLE_FILE=$PWD/russian_trusted_root_ca.pem >> .env",
       area="logs",
       ru=('не пройдена проверка TLS-сертификата',
           '`CERTIFICATE_VERIFY_FAILED` / `SSLError`: там, где работает сайт, его клиент не доверяет сертификатам '
           'GigaChat, выпущенным от корневого сертификата НУЦ Минцифры (Russian Trusted Root CA; в certifi его нет).',
           'Скачайте корневой сертификат НУЦ Минцифры на машину, где работает сайт, и укажите его клиенту сайта: '
           'GIGACHAT_CA_BUNDLE_FILE для SDK gigachat (или SSL_CERT_FILE — его читает httpx в SDK; requests читает '
           'REQUESTS_CA_BUNDLE), либо установите его в систему (команды ниже). Не отключайте проверку.')),
    _c("LG022", "GigaChat could not be reached",
       "`ConnectError` / `ConnectionError`: the site's client could not connect to GigaChat (the name did not "
       "resolve, the connection was refused or reset: DNS, a firewall, a proxy or an outage).",
       "From the machine the site runs on, check that GigaChat's hosts resolve and accept connections "
       "(gigachat.devices.sberbank.ru port 443, ngw.devices.sberbank.ru port 9443), and that HTTPS_PROXY, if the "
       "site needs one, is set for it.",
       "getent hosts gigachat.devices.sberbank.ru ngw.devices.sberbank.ru",
       "curl -sv https://ngw.devices.sberbank.ru:9443/ -o /dev/null",
       area="logs",
       ru=('к GigaChat не подключиться',
           '`ConnectError` / `ConnectionError`: клиент сайта не смог подключиться к GigaChat (имя не резолвится, '
           'соединение отклонено или сброшено: DNS, файрвол, прокси или сбой).',
           'С машины, где работает сайт, проверьте, что хосты GigaChat резолвятся и принимают соединения '
           '(gigachat.devices.sberbank.ru порт 443, ngw.devices.sberbank.ru порт 9443), и что HTTPS_PROXY задан, '
           'если сайту нужен прокси.'),
       variants={"host": Variant(
           "The site's client could not connect to {host} port {port} (the name did not resolve, the connection was "
           "refused or reset: DNS, a firewall, a proxy or an outage).",
           "From the machine the site runs on, check that {host} resolves and accepts connections on port {port} "
           "(the commands below), the outbound firewall rules for that port, and HTTPS_PROXY if the site needs one.",
           ("getent hosts {host}", "curl -sv https://{host}:{port}/ -o /dev/null"),
           ru=("Клиент сайта не смог подключиться к {host}, порт {port} (имя не резолвится, соединение отклонено "
               "или сброшено: DNS, файрвол, прокси или сбой).",
               "С машины, где работает сайт, проверьте, что {host} резолвится и принимает соединения на порту {port} "
               "(команды ниже), правила файрвола для исходящих соединений на этот порт и HTTPS_PROXY, если сайту "
               "нужен прокси."))}),
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
        """The situated remedy, in the run's language."""
        return self.entry.text(current_lang()).remedy

    @property
    def statement(self) -> str:
        """What is wrong, without the code, in the run's language."""
        return statement(self.code, self.detail)

    @property
    def headline(self) -> str:
        return self.headline_in()

    def headline_in(self, lang: Optional[str] = None) -> str:
        return f"[{self.code}] {statement(self.code, self.detail, lang)}"

    def render(self, lang: Optional[str] = None) -> str:
        return render(self.code, self.detail, self.evidence, self.situation, self.fields, lang)

    def __str__(self):
        return self.headline


def statement(code_id: str, detail: str = "", lang: Optional[str] = None) -> str:
    """The catalog's finding in `lang` (default: the run's language), with this case's detail."""
    finding = CATALOG[code_id].text(lang or current_lang()).finding
    return f"{finding}: {detail}" if detail else finding


def render(code_id: str, detail: str = "", evidence: Iterable[str] = (), situation: str = "",
           fields: Optional[Mapping[str, str]] = None, lang: Optional[str] = None) -> str:
    """`[CODE] what is wrong`, then cause, remedy, commands and evidence, in `lang` (default: the run's)."""
    lang = lang or current_lang()
    entry = CATALOG[code_id].situated(situation, fields)
    text = entry.text(lang)
    lines = [f"[{code_id}] {statement(code_id, detail, lang)}",
             f"{say('label.cause', lang)} {text.cause}", f"{say('label.remedy', lang)} {text.remedy}"]
    for cmd in entry.commands:
        lines.append(f"  $ {cmd}")
    evidence = [e for e in evidence if e]
    if evidence:
        lines.append(say("label.evidence", lang))
        for item in evidence:
            lines.extend("  " + ln for ln in str(item).splitlines())
    return "\n".join(lines)


# The codes warned while a check runs (the plugin sets a list around each check): pytest records a
# warning only after the check's report is made, and the report's Code column must show it.
WARNED: "ContextVar[Optional[list]]" = ContextVar("gigacheck_warned", default=None)


def warn(code_id: str, detail: str = "", evidence: Iterable[str] = (), stacklevel: int = 2) -> None:
    """Emit a finding that should not fail a deploy (rendered in the run's language: warnings are
    rendered when emitted)."""
    noted = WARNED.get()
    if noted is not None and code_id not in noted:
        noted.append(code_id)
    warnings.warn(GigacheckWarning(render(code_id, detail, evidence), code_id), stacklevel=stacklevel)


def skip_reason(code_id: str, why: str) -> str:
    """`[CODE] why`; `why` is already in the run's language (`words.say`)."""
    return f"[{code_id}] {why}"


def markdown_table(lang: str = "en") -> str:
    """The full table of codes in `lang` (docs/codes.md): finding, severity and remedy."""
    head = say("codes.table.head", lang)
    rows = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for c in CATALOG.values():
        text = c.text(lang)
        cells = (c.code, text.finding, say(f"severity.{c.severity}", lang), text.remedy)
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


def compact_table(lang: str = "en") -> str:
    """README's table of codes: one short line each, a warning marked as such (the remedies live in
    docs/codes.md), so the front door stays short while still listing every code."""
    head = say("codes.compact.head", lang)
    rows = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for c in CATALOG.values():
        finding = c.text(lang).finding
        if c.severity == WARN:
            finding += f" ({say('severity.warn', lang)})"
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in (c.code, finding)) + " |")
    return "\n".join(rows)
