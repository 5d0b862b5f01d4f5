"""Opening a log source: the one module that knows every kind (store knows none, so no circle)."""

from __future__ import annotations

from typing import Optional

from .file import FileSource, parse_head  # noqa: F401  (the file source, for callers that open one)
from .sql import SQLSource
from .sqlite import SQLITE_SCHEMA, SQLiteSource, seed_sqlite  # noqa: F401
from .store import STATEMENT_LIMIT_S, LogTable, parse_database_url


def open_database(url_text: Optional[str], table: LogTable = LogTable(),
                  statement_limit: float = STATEMENT_LIMIT_S) -> SQLSource:
    """A read-only connection to DATABASE_URL (Finding LG001/LG002 when there is none)."""
    url = parse_database_url(url_text)
    if url.kind == "sqlite":
        return SQLiteSource(url, table, statement_limit)
    if url.kind == "django":
        from ..django.source import open_site_database  # inside a Django site: connections[alias]
        return open_site_database(url, table, statement_limit)
    if url.kind == "postgresql":
        from .postgres import PostgresSource  # psycopg only for a PostgreSQL site
        return PostgresSource(url, table, statement_limit)
    from .mysql import MySQLSource  # only for a run that reads MySQL (a mock run reads its SQLite)
    return MySQLSource(url, table, statement_limit)
