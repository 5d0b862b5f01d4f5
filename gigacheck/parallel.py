"""Runs under pytest-xdist (`-n N`): the GigaChat checks stay together on one worker.

They depend on each other in the runbook's order (config → network → oauth →
api → generation) and share one client: on one worker there is one OAuth
request and one failure per root cause, as in a serial run.  The log checks join
them: a log signature that shows a cause a GigaChat check reported is skipped naming it.
Imported only when xdist asks for a scheduler.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

# check modules that need no GigaChat client; none: the log checks run after the GigaChat
# checks on their worker, to skip what a GigaChat check already reported (causes.py)
INDEPENDENT_MODULES: tuple = ()
GIGACHAT_SCOPE = "gigachat"


def scope_of(nodeid: str) -> str:
    module = nodeid.split("::", 1)[0]
    if module.rsplit("/", 1)[-1] in INDEPENDENT_MODULES:
        return module
    return GIGACHAT_SCOPE


class GigacheckScheduling(LoadScopeScheduling):
    """xdist's loadscope, with one scope for every GigaChat check and one per independent module."""

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid)
