"""Canary secrets, and the search for any of them (or a piece of one) in a run's outputs.

A secret counts as leaked when any 8-character piece of it appears: a value
cut by an excerpt, split by URL-encoding or wrapped, or shown next to
`Basic `/`Bearer `, is still found.  The mask (`****` + last 4 characters)
shows too little to match.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Dict, Iterable, List, Tuple

from tests.support.fakegiga import canary_key, canary_token, decoded_key

PIECE = 8
# a URL that still carries a password (the redactor turns it into user:****@); the catalog's
# example URL (mysql://user:pass@...) carries the word `pass`, not a secret
USERINFO_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@'\"<>]+:(?!\*{4}@|pass@)[^\s/@'\"<>]+@", re.I)


@dataclass(frozen=True)
class Canaries:
    key: str
    proxy_key: str
    db_password: str
    access_token: str   # for runs with GIGACHAT_ACCESS_TOKEN

    @classmethod
    def fresh(cls) -> "Canaries":
        return cls(key=canary_key(), proxy_key="sk-proj-" + secrets.token_urlsafe(48),
                   db_password="pw-" + secrets.token_urlsafe(18), access_token=canary_token())

    def values(self) -> Dict[str, str]:
        """Every form a secret takes in transit: the key, `Basic <key>`, its decoded
        `client_id:client_secret` and both halves."""
        client_id, _, client_secret = decoded_key(self.key).partition(":")
        return {"key": self.key, "decoded key": decoded_key(self.key), "client secret": client_secret,
                "client id": client_id, "proxy key": self.proxy_key, "database password": self.db_password,
                "access token": self.access_token}


def pieces(value: str) -> List[str]:
    """Every 8-character piece (sliding): any leaked run of 8 characters holds one."""
    return [value[i:i + PIECE] for i in range(0, max(len(value) - PIECE + 1, 1))]


def find_leaks(text: str, secret_values: Dict[str, str]) -> List[Tuple[str, str]]:
    """(secret name, what was found) for every secret with a piece in `text`, and every URL with a password.
    One pass over the text whatever the number of pieces: each position is looked up in a set."""
    owner: Dict[str, str] = {}
    for name, value in secret_values.items():
        for piece in pieces(value or ""):
            if len(piece) == PIECE:
                owner.setdefault(piece, name)
    found, named = [], set()
    for at in range(len(text) - PIECE + 1):
        name = owner.get(text[at:at + PIECE])
        if name is not None and name not in named:
            named.add(name)
            found.append((name, text[max(at - 40, 0): at + 60]))
    for m in USERINFO_URL.finditer(text):
        found.append(("user:password@ URL", m.group(0)))
    return found


def outputs_of(run) -> Dict[str, str]:
    """A ChecksRun's outputs by name: terminal, HTML, JSON, JUnit XML and any other file it wrote."""
    import json
    named = {"stdout": run.stdout, "stderr": run.stderr, "json": json.dumps(run.json, ensure_ascii=False),
             "html": run.html, "junit": run.junit}
    named.update(run.extra_files)
    return named


def leaks_in(run, secret_values: Dict[str, str]) -> List[Tuple[str, str, str]]:
    """(output, secret name, excerpt) for every leak in every output of a run."""
    return [(where, name, seen) for where, text in outputs_of(run).items()
            for name, seen in find_leaks(text, secret_values)]


def assert_no_leaks(runs: Iterable[Tuple[str, object, Dict[str, str]]]) -> None:
    problems = []
    for label, run, values in runs:
        problems.extend(f"{label}: {name} in {where}: ...{seen}..." for where, name, seen in leaks_in(run, values))
    assert not problems, "secrets leaked:\n" + "\n".join(problems)
