"""Runs under pytest-xdist (`-n N`): the GigaChat checks stay together on one worker.

They depend on each other in the runbook's order (config → network → oauth →
api → generation) and share one client: on one worker there is one OAuth
request and one failure per root cause, as in a serial run.  The log checks join
them: a log signature that shows a cause a GigaChat check reported is skipped naming it.
Imported only when xdist asks for a scheduler.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

# Checks that need nothing of GigaChat nor of its findings: the log source's own questions run on
# another worker.  The log signature checks stay with the GigaChat checks, after them, to skip what a
# GigaChat check already reported (causes.py).  A name missing here only costs parallelism.
INDEPENDENT_CHECKS = {"test_logs.py": ("test_is_a_log_source_configured", "test_can_the_log_database_be_reached",
                                       "test_does_the_log_table_exist",
                                       "test_does_the_log_table_have_timestamp_level_message",
                                       "test_is_the_timestamp_column_indexed")}
GIGACHAT_SCOPE = "gigachat"


def scope_of(nodeid: str) -> str:
    module, _, name = nodeid.partition("::")
    if name.split("[", 1)[0] in INDEPENDENT_CHECKS.get(module.rsplit("/", 1)[-1], ()):
        return module
    return GIGACHAT_SCOPE


class GigacheckScheduling(LoadScopeScheduling):
    """xdist's loadscope, with one scope for every GigaChat check and one for the independent checks of a module."""

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid)
