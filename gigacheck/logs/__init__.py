"""The site's logs: signatures (what a failure line looks like), store (what every source
shares), the sources (MySQL/MariaDB, SQLite, a log file), the pytest plugin of the log checks
and the viewer (`python -m gigacheck logs`).  Imports flow one way: signatures <- store <-
sql/mysql/sqlite/file <- sources <- options, questions <- plugin (pytest), viewer (no pytest)."""

# Here, not in `signatures`, so that the log options' help text (`plugin`, loaded in every pytest session)
# names them without importing the signatures.
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# argparse types of `--hours` and `--limit` (pytest's options, the viewer, `manage.py view_gigachat_logs`), here
# for the same reason: a value that is no number is refused naming the option and the form it takes (argparse's
# own "invalid float value: 'abc'" says neither); the ranges are checked in `options.options_from`.
MAX_LIMIT = 1_000_000_000  # 0 is every row; the viewer streams, so a big --limit costs no memory


def hours_arg(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        import argparse
        from ..words import say
        raise argparse.ArgumentTypeError(say("usage.hours_form", value=repr(text))) from None


def limit_arg(text: str) -> int:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        import argparse
        from ..words import say
        raise argparse.ArgumentTypeError(say("usage.limit_form", value=repr(text), max=MAX_LIMIT)) from None
