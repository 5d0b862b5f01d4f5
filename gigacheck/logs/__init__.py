"""The site's logs: signatures (what a failure line looks like), store (what every source
shares), the sources (MySQL/MariaDB, SQLite, a log file), the pytest plugin of the log checks
and the viewer (`python -m gigacheck logs`).  Imports flow one way: signatures <- store <-
sql/mysql/sqlite/file <- sources <- options, questions <- plugin (pytest), viewer (no pytest)."""

# Here, not in `signatures`, so that the log options' help text (`plugin`, loaded in every pytest session)
# names them without importing the signatures.
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
