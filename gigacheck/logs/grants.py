"""A user that may connect but not read the log table (or one of its columns): LG002's "privilege" variant,
naming the GRANT to run, rather than "the table is missing" or "it lacks `message`, migrate it".

MariaDB/MySQL hide what a user may not read: information_schema lists only the columns it holds a privilege
on, so a missing column is told from a hidden one by reading it (errors 1142 for the table, 1143 for a
column); PostgreSQL's catalog shows every column, and `has_column_privilege` says which may be read (a read
past it fails with SQLSTATE 42501).
"""

from __future__ import annotations

from typing import Iterable, Optional

from ..diagnosis import Finding
from ..words import say
from .store import DB_SUBJECT

MYSQL_TABLE_DENIED, MYSQL_COLUMN_DENIED = 1142, 1143
PG_INSUFFICIENT_PRIVILEGE = "42501"


def mysql_account(current_user: Optional[str]) -> str:
    """`'user'@'host'` from CURRENT_USER() (`user@host`: the account the server matched, `%` included)."""
    text = current_user or "reader@%"
    user, _, host = text.rpartition("@") if "@" in text else (text, "", "%")
    return f"'{user}'@'{host or '%'}'"


def mysql_grant(database: str, table: str, account: str) -> str:
    return f"GRANT SELECT ON `{database}`.`{table}` TO {account};"


def postgres_grant(table: str, role: str) -> str:
    return f'GRANT SELECT ON "{table}" TO "{role}";'


def denied(label: str, kind: str, table: str, who: str, grant: str, columns: Iterable[str] = (),
           said: str = "") -> Finding:
    """LG002 for a user that may not read `columns` of `table` (the whole table when none are named)."""
    cols = ", ".join(columns)
    what = say("logs.denied_columns", columns=cols, table=table) if cols else say("logs.denied_table", table=table)
    detail = say("logs.denied", label=label, who=who, what=what) + (f" ({said})" if said else "")
    return Finding("LG002", detail, subject=DB_SUBJECT, situation=f"privilege-{kind}",
                   fields={"grant": grant, "who": who})
